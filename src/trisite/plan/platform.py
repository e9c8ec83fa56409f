"""The whole platform's deployment plan, from its rendered artifacts, in the seed's order.

Within a site, a phase starts once the site's previous phase is done (devices of a phase run in parallel, the
steps of one device in order); a step run against the whole platform (a Ceph bootstrap, a Kayobe deployment)
waits for every site and every site waits for it. Sites are otherwise independent: dc1's firewalls do not wait
for dc3's switches.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import PurePosixPath

from trisite.drivers.protocols import ServiceAction
from trisite.model import Design, Index
from trisite.plan.steps import PHASES, Phase, Plan, Step
from trisite.render.artifact import Artifact
from trisite.render.monitoring.scrape import probe_host

# Firewall steps: the filter first (nothing opens before it), then routing, then the virtual addresses.
FIREWALL_STEPS = (
    ("filter", ("nftables",), ("nftables",)),
    ("routing", ("frr",), ("frr",)),
    ("ha", ("keepalived", "ucarp"), ()),
)
# Files a host gets in a phase, by component.
HOST_STEPS: dict[str, Phase] = {
    "switch": "switches",
    "vpn": "vpn",
    "powerdns": "dns",
    "dns-health": "dns",
    "backup": "backups",
}
TOOLS = {"cephadm": "storage", "ovirt": "virtualization", "kayobe": "clouds", "kubespray": "containers"}
BOOTSTRAP_FILE = "/etc/nftables.d/trisite-bootstrap.nft"


def services(artifact: Artifact) -> tuple[tuple[str, ServiceAction], ...]:
    """How a file takes effect on its device, as the service it (re)starts (none: read by another file's)."""
    name = PurePosixPath(artifact.apply.target).name
    component = artifact.component
    found: tuple[str, ServiceAction] | None = None
    if component in ("frr", "nftables", "keepalived"):
        found = (component, "start")
    elif component in ("prometheus", "alertmanager"):
        found = (component, "reload")
    elif component == "blackbox":  # blackbox.yml is read by the exporter, which must be told
        found = ("prometheus-blackbox-exporter", "reload")
    elif component == "powerdns":
        found = ("pdns", "restart")
    elif component == "dns-health":
        found = ("pdns-health", "restart")
    elif component == "switch":
        found = ("lldpd", "restart") if "lldpd" in artifact.apply.target else ("networking", "reload")
    elif component == "vpn":
        found = (
            (f"wg-quick@{name.removesuffix('.conf')}", "restart")
            if name.startswith("wg")
            else ("strongswan", "reload")
        )
    elif component == "ucarp" and name.endswith(".service"):
        found = (name.removesuffix(".service"), "start")
    elif component == "backup" and name.endswith(".timer"):
        found = (name, "start")
    return (found,) if found else ()


def needs(kind: str, service_names: Sequence[str]) -> frozenset[str]:
    """The capabilities a step needs: `put` for files, `service:FAMILY` for each service it starts."""
    families = {f"service:{s.split('@')[0].split('-')[0].split('.')[0]}" for s in service_names}
    return frozenset({"put", *families}) if kind == "files" else frozenset()


def _files_step(
    step_id: str,
    phase: Phase,
    device: str,
    site: str | None,
    mine: list[Artifact],
    *,
    observe: tuple[str, ...] = (),
) -> Step:
    started = tuple(dict.fromkeys(s for a in mine for s in services(a)))
    return Step(
        step_id,
        phase,
        "files",
        device,
        site,
        files=tuple(a.path for a in mine),
        services=started,
        observe=observe,
        needs=needs("files", [s for s, _ in started]) | {f"observe:{o}" for o in observe},
    )


def _firewall_chain(device: str, site: str | None, mine: list[Artifact], phase: Phase) -> list[Step]:
    chain: list[Step] = []
    for name, components, observe in FIREWALL_STEPS:
        files = [
            a
            for a in mine
            if a.component in components and a.apply.kind == "file" and a.apply.target != BOOTSTRAP_FILE
        ]
        if files:
            chain.append(_files_step(f"{device}:{name}", phase, device, site, files, observe=observe))
    api = [a for a in mine if a.apply.kind == "api"]
    if api:
        chain.append(
            Step(
                f"{device}:api",
                phase,
                "api",
                device,
                site,
                files=tuple(a.path for a in api),
                needs=frozenset({"api:opnsense"}),
            )
        )
    return chain


def _redfish(artifacts: Sequence[Artifact]) -> list[Step]:
    return [
        Step(
            f"{a.device}:bmc",
            "bmcs",
            "redfish",
            a.device,
            a.site,
            files=(a.path,),
            needs=frozenset({"redfish"}),
        )
        for a in artifacts
        if a.apply.kind == "redfish"
    ]


def _tool_steps(design: Design, artifacts: Sequence[Artifact]) -> list[Step]:
    """Runs of cephadm, the oVirt collection, Kayobe and Kubespray from the station, with the inventories."""
    inventories = tuple(a.path for a in artifacts if a.component == "inventory")
    by_tool: dict[tuple[str, str], list[str]] = defaultdict(list)
    for a in artifacts:
        if a.component in TOOLS:
            parts = a.path.split("/")
            unit = parts[2] if parts[0] == "platform" else PurePosixPath(a.path).stem
            by_tool[(a.component, unit)].append(a.path)
    found: list[Step] = []
    for (tool, unit), paths in sorted(by_tool.items()):
        phase: Phase = TOOLS[tool]  # type: ignore[assignment]  # the table holds phases only
        if tool == "cephadm":
            found += _ceph_steps(unit, sorted(paths), inventories)
            continue
        found.append(
            Step(
                f"{tool}/{unit}",
                phase,
                "tool",
                "",
                None,
                files=(*sorted(paths), *inventories),
                command=(tool, unit),
                needs=frozenset({f"tool:{tool}"}),
            )
        )
    keystone = {r.name: r.keystone_from for r in design.openstack}
    return [
        replace(s, after=(*s.after, f"kayobe/{keystone[s.id.split('/')[1]]}"))
        if s.id.startswith("kayobe/") and keystone.get(s.id.split("/")[1])
        else s
        for s in found
    ]


def _ceph_steps(cluster: str, paths: list[str], inventories: tuple[str, ...]) -> list[Step]:
    """Bootstrap once (running it twice would make a second cluster), then hosts, services, pools (and
    filesystems), and the consumers' users."""
    ceph = frozenset({"tool:cephadm"})
    by_role = {
        "bootstrap": [p for p in paths if p.endswith("ceph.conf")],
        "hosts": [p for p in paths if not p.startswith("platform/")],
        "services": [p for p in paths if p.endswith("services.yaml")],
        "pools": [p for p in paths if p.endswith("pools.sh")],
        "clients": [p for p in paths if p.endswith("clients.sh")],
    }
    found: list[Step] = []
    for role, files in by_role.items():
        if not files:
            continue
        after = (found[-1].id,) if found else ()
        extra = inventories if role == "hosts" else ()
        found.append(
            Step(
                f"ceph/{cluster}:{role}",
                "storage",
                "tool",
                "",
                None,
                files=(*files, *extra),
                command=("cephadm", f"{cluster}:{role}"),
                needs=ceph,
                after=after,
                idempotent=role != "bootstrap",
            )
        )
    return found


def _host_steps(design: Design, artifacts: Sequence[Artifact]) -> list[Step]:
    by_device: dict[tuple[str, Phase], list[Artifact]] = defaultdict(list)
    for a in artifacts:
        if a.device and a.component in HOST_STEPS and a.apply.kind == "file":
            by_device[(a.device, HOST_STEPS[a.component])].append(a)
    found = [
        _files_step(f"{d}:{phase}", phase, d, mine[0].site, mine)
        for (d, phase), mine in sorted(by_device.items())
    ]
    if design.monitoring is not None:
        found += _monitoring_steps(design, artifacts)
    return found


def _monitoring_steps(design: Design, artifacts: Sequence[Artifact]) -> list[Step]:
    """Each monitoring host its files: Prometheus's and Alertmanager's shared ones by role, its own
    Alertmanager cluster drop-in, and the blackbox config where it probes from its site."""
    m, ix = design.monitoring, Index.of(design)
    assert m is not None
    shared = [
        a for a in artifacts if not a.device and a.component in ("prometheus", "alertmanager", "blackbox")
    ]
    probers = {h for site in m.blackbox_from if (h := probe_host(design, ix, site))}
    roles = (("prometheus", set(m.prometheus)), ("alertmanager", set(m.alertmanager)), ("blackbox", probers))
    found = []
    for host in sorted({*m.prometheus, *m.alertmanager, *probers}):
        wanted = {component for component, runs_on in roles if host in runs_on}
        mine = [a for a in shared if a.component in wanted]
        mine += [a for a in artifacts if a.device == host and a.component == "alertmanager"]
        if mine:
            found.append(_files_step(f"{host}:monitoring", "monitoring", host, ix.site_of(host), mine))
    return found


FLUSH_BOOTSTRAP = ("nft", "flush", "chain", "inet", "trisite", "bootstrap")


def _temporary(design: Design, artifacts: Sequence[Artifact]) -> list[Step]:
    """The deployment's temporary access per device (the bootstrap chain's rules, routes, login accounts),
    its removal at the end, and a check that reads each device back: none of it is left."""
    rules = {a.device: a for a in artifacts if a.apply.target == BOOTSTRAP_FILE and a.device}
    routes: dict[str, list[tuple[str, ...]]] = defaultdict(list)
    for r in design.bootstrap.routes:
        routes[r.device].append((str(r.destination), "via", str(r.via)))
    accounts: dict[str, list[str]] = defaultdict(list)
    for account in design.bootstrap.accounts:
        for host in account.hosts:
            accounts[host].append(account.name)
    site = Index.of(design).site_of
    found: list[Step] = []
    for device, artifact in sorted(rules.items()):
        found += _temporary_kind(device, site(device), "rules", _rules_parts(artifact))
    for device, wanted in sorted(routes.items()):
        found += _temporary_kind(device, site(device), "routes", _route_parts(wanted))
    for device, names in sorted(accounts.items()):
        found += _temporary_kind(device, site(device), "accounts", _account_parts(names))
    return found


@dataclass(frozen=True)
class _Parts:
    """One kind of temporary access on a device: how it is put, taken away, and seen to be gone."""

    files: tuple[str, ...] = ()
    services: tuple[tuple[str, ServiceAction], ...] = ()
    put: tuple[tuple[str, ...], ...] = ()
    take: tuple[tuple[str, ...], ...] = ()
    observe: str = ""
    absent: tuple[str, ...] = ()  # text the observation must not hold ("": anything at all)
    live: tuple[str, ...] = ()  # live state that putting and taking change (for drift)


def _rules_parts(artifact: Artifact) -> _Parts:
    return _Parts(
        files=(artifact.path,),
        services=(("nftables", "reload"),),
        take=(FLUSH_BOOTSTRAP,),
        observe="bootstrap-rules",
        absent=("",),
        live=("nftables",),
    )


def _route_parts(routes: list[tuple[str, ...]]) -> _Parts:
    return _Parts(
        put=tuple(("ip", "route", "replace", *r) for r in routes),
        take=tuple(("ip", "route", "flush", *r, "proto", "boot") for r in routes),  # never what OSPF learned
        observe="routes",
        absent=tuple(f"{r[0]} via {r[2]}" for r in routes),
    )


def _account_parts(names: list[str]) -> _Parts:
    return _Parts(
        put=tuple(("useradd", "--no-create-home", "--comment", "trisite bootstrap", n) for n in names),
        take=tuple(("userdel", n) for n in names),
        observe="accounts",
        absent=tuple(f"{n}:" for n in names),
    )


def _temporary_kind(device: str, site: str | None, kind: str, parts: _Parts) -> list[Step]:
    removal = f"{device}:remove-temporary-{kind}"
    access = Step(
        f"{device}:temporary-{kind}",
        "access",
        "files",
        device,
        site,
        files=parts.files,
        services=parts.services,
        run=parts.put,
        observe=parts.live,
        removed_by=removal,
    )
    remove = Step(
        removal, "cleanup", "remove", device, site, files=parts.files, run=parts.take, observe=parts.live
    )
    check = Step(
        f"{device}:temporary-{kind}-gone",
        "check",
        "check",
        device,
        site,
        observe=(parts.observe,),
        absent=tuple((parts.observe, text) for text in parts.absent),
    )
    return [_needing(access), _needing(remove), _needing(check)]


def _needing(step: Step) -> Step:
    """What a target must be able to do for a temporary step: files, services, commands, observations."""
    needs = set(step.needs)
    needs |= {"put"} if step.files else set()
    needs |= {f"service:{name}" for name, _ in step.services}
    needs |= {"exec"} if step.run else set()
    needs |= {"accounts"} if any(c[0] in ("useradd", "userdel") for c in step.run) else set()
    needs |= {f"observe:{what}" for what in step.observe}
    return replace(step, needs=frozenset(needs))


def platform_plan(design: Design, artifacts: Sequence[Artifact]) -> Plan:
    """Every step that makes the platform, dependencies explicit; see the module's docstring for the order."""
    virtual = {f.name for f in design.firewalls if f.kind == "virtual"}
    firewall_files: dict[str, list[Artifact]] = defaultdict(list)
    for a in artifacts:
        if a.device in {f.name for f in design.firewalls} and a.component in (
            "nftables",
            "frr",
            "keepalived",
            "ucarp",
            "opnsense",
        ):
            firewall_files[a.device].append(a)
    temporary = _temporary(design, artifacts)
    # A virtual firewall opens its temporary access once it exists, in its own chain of first VMs.
    late = [s for s in temporary if s.phase == "access" and s.device in virtual]
    chains = []
    for device, mine in sorted(firewall_files.items()):
        chain = _firewall_chain(device, mine[0].site, mine, "first-vms" if device in virtual else "firewalls")
        chains.append(chain + [replace(s, phase="first-vms") for s in late if s.device == device])
    loose = [
        *_redfish(artifacts),
        *_host_steps(design, artifacts),
        *_tool_steps(design, artifacts),
        *(s for s in temporary if s not in late),
    ]
    chains += [[s] for s in loose if not s.id.startswith("ceph/")]
    chains += _ceph_chain(loose)
    stand_in = {f.name for f in design.firewalls if f.platform == "opnsense"}
    return Plan(tuple(_stood_in(s, stand_in) for s in _order(chains, [s.name for s in design.sites])))


def _stood_in(step: Step, opnsense: set[str]) -> Step:
    """On an OPNsense firewall, the Linux steps are a stand-in (the lab's): a real one takes the API step."""
    if step.device in opnsense and step.kind in ("files", "remove", "check"):
        return replace(step, needs=step.needs | {"stand-in:opnsense"})
    return step


def _ceph_chain(loose: list[Step]) -> list[list[Step]]:
    by_cluster: dict[str, list[Step]] = defaultdict(list)
    for s in loose:
        if s.id.startswith("ceph/"):
            by_cluster[s.id.split(":")[0]].append(s)
    return list(by_cluster.values())


def _order(chains: list[list[Step]], sites: list[str]) -> list[Step]:
    """Dependencies between chains (a device's steps of one phase, or one tool's steps) from the phases."""
    tails: dict[str | None, tuple[str, ...]] = dict.fromkeys(sites, ())
    found: list[Step] = []
    for phase in PHASES:
        mine = [c for c in chains if c and c[0].phase == phase]
        ended: dict[str | None, list[str]] = defaultdict(list)
        for chain in (c for c in mine if c[0].site is not None):
            site = chain[0].site
            found += _linked(chain, tails.get(site, ()))
            ended[site].append(chain[-1].id)
        platform = [c for c in mine if c[0].site is None]
        for site, ids in ended.items():
            tails[site] = tuple(ids)
        if platform:
            before = tuple(sorted({i for ids in tails.values() for i in ids}))
            for chain in platform:
                found += _linked(chain, before)
            barrier = tuple(c[-1].id for c in platform)
            tails = dict.fromkeys(tails, barrier)
    return found


def _linked(chain: list[Step], before: tuple[str, ...]) -> list[Step]:
    linked, previous = [], before
    for step in chain:
        linked.append(replace(step, after=tuple(sorted({*previous, *step.after}))))
        previous = (step.id,)
    return linked
