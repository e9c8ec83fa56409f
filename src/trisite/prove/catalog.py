"""The seed's whole campaign as data: its 18 tests and 3 critical cases, generated from the design, each row
saying how the lab obtains it (injected and measured, emulated, or predicted by the twin only) and why.

The network rows come from `scenarios.network_scenarios`; a row of the layers above is measured when the lab
runs the service layers it needs (`Scenario.layers`, else the twin predicts it and the report says why); the
others (oVirt, Ceph, the computes, a whole site) are the twin's until the lab runs them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from trisite.lab.plan import tenant_client
from trisite.model import Design
from trisite.model.services import OpenStackRegion
from trisite.prove.scenarios import Scenario, man_scenario, network_scenarios

NEEDS_SERVICES = "needs the lab's services layer (in progress): {what}"
PUBLIC_API_PORT = 443  # the port the public flows (web-in) open to a region's external API address
NO_BONDING = (
    "the lab's kernel has no bonding: a server keeps its bond's first member only, so a switch's loss would "
    "cut servers the design's bonds keep up (it would measure the lab, not the design)"
)


def _twin(name: str, faults: tuple[str, ...], services: tuple[str, ...], why: str) -> Scenario:
    """A row the twin predicts: nothing is cut in the lab; the steady state is the services' (said in files)."""
    return Scenario(name, faults, "twin", ",".join(services), services, lab="twin", why=why)


def _servers(design: Design, role: str) -> list[str]:
    return sorted(s.name for s in design.servers if role in s.roles)


def _virtual_firewall_rows(design: Design) -> list[Scenario]:
    """The virtual firewalls' VRRP pair, as a tenant VM behind it sees its gateway: a failover (keepalived
    stopped on the master: it hands over at once) and a forced stop (the master's VM gone: its peer waits for
    three missed adverts)."""
    vfws = {f.name for f in design.firewalls if f.kind == "virtual"}
    group = next(
        (g for g in design.ha_groups if g.members and all(m.device in vfws for m in g.members)), None
    )
    if group is None:
        return []
    master = max(group.members, key=lambda m: m.priority).device
    client, gateway, services = tenant_client(group.network), str(group.vips[0]), (f"vip/{group.name}",)
    why = "the lab's tenant VM on {net} pings its gateway, the virtual firewalls' VRRP address, while {what}"
    return [
        Scenario(
            f"Failover of the virtual firewalls ({master}'s keepalived stopped)",
            (f"service:{master}:keepalived",),
            client,
            gateway,
            services,
            twin_faults=(f"vm:{master}",),
            why=why.format(net=group.network, what="the master's keepalived is stopped"),
        ),
        Scenario(
            f"Forced stop of the virtual firewalls ({master})",
            (f"vm:{master}",),
            client,
            gateway,
            services,
            why=why.format(net=group.network, what="the master's VM is cut off"),
        ),
    ]


def _openstack_rows(design: Design) -> list[Scenario]:
    computes = _servers(design, "openstack")[:2]
    found = [_controller_row(design, i) for i in (1, 2)]
    found += [_compute_row(design, i, server) for i, server in enumerate(computes, 1)]
    return [r for r in found if r is not None]


def _compute_row(design: Design, number: int, server: str) -> Scenario:
    """A compute node stopped (every cable of it cut), probed as the internet sees its region's API: the cloud
    must keep answering; the instances it ran wait for their evacuation, which the twin predicts."""
    name = f"Stop of OpenStack compute {number} ({server})"
    region = next((r for r in design.openstack if server in r.computes), None)
    if region is None:
        return _twin(name, (f"server:{server}",), ("openstack/",), _why("its region"))
    why = (
        f"the lab cuts {server}'s links and probes {region.name}'s API from the internet: the cloud keeps "
        "answering (the stand-in APIs); its instances' evacuation is the twin's"
    )
    return _api_row(region, name, f"device:{server}", why)


def _controller_row(design: Design, number: int) -> Scenario | None:
    """Controller `number` of the first region stopped (its VM's links cut), probed as a client on the internet
    sees the region's API: an HTTP GET through the external VIP, HAProxy and the controllers behind it."""
    if not design.openstack or len(design.openstack[0].controllers) < number:
        return None
    region = design.openstack[0]
    vm = region.controllers[number - 1]
    why = (
        "the lab cuts the controller VM's links; keepalived moves the API address and HAProxy leaves the "
        "controller out (the OpenStack APIs are the lab's stand-ins)"
    )
    return _api_row(region, f"Stop of OpenStack controller {number} ({vm})", f"vm:{vm}", why)


def _api_row(region: OpenStackRegion, name: str, fault: str, why: str) -> Scenario:
    """A row probed as the internet sees the region's API: HTTP to its external VIP (the `vips` layer)."""
    return Scenario(
        name,
        (fault,),
        "internet",
        str(region.external_vip),
        (f"public/{region.name}-api", f"openstack/{region.name}/api"),
        f"http:{PUBLIC_API_PORT}",
        why=why,
        layers=("vips",),
    )


def _ceph_row(design: Design, node: str) -> Scenario:
    """A Ceph node's loss (every link of the server cut), as a client sees it: a client on another site's OSD
    host writes to every placement group of the first RBD pool, as a VM's volume does, and a write that waits
    longer than the probe's timeout (drivers/cephprobe.py) is a lost probe."""
    name = f"Loss of a Ceph node ({node})"
    cluster = next((c for c in design.ceph if node in c.osd_hosts), None)
    pool = next((p for p in cluster.pools if p.application == "rbd"), None) if cluster else None
    site = _site(design, node)
    clients = [h for h in (cluster.osd_hosts if cluster else []) if _site(design, h) != site]
    # a host that is neither MON nor MGR: the client's own site keeps the cluster's daemons out of its way
    quiet = [h for h in clients if cluster and h not in cluster.mons and h not in cluster.mgrs]
    if cluster is None or pool is None or not clients:
        return _twin(name, (f"server:{node}",), ("ceph/",), _why("Ceph"))
    client = (quiet or clients)[0]
    return Scenario(
        name,
        (f"device:{node}",),  # every cable of the server, as its power loss
        client,
        f"{cluster.name}/{pool.name}",
        (f"ceph/{cluster.name}/pool/{pool.name}",),
        "rados",
        why=(
            f"the lab cuts {node}'s links; a Ceph client on {client} writes to each placement group of "
            f"{pool.name} and a write held longer than the probe's timeout is lost (the lab's Ceph timers)"
        ),
        layers=("ceph",),
    )


def _site(design: Design, host: str) -> str | None:
    return next((s.site for s in design.servers if s.name == host), None)


def _godzilla(design: Design, site: str) -> Scenario:
    """The whole site lost at once; measured as the internet sees the first region's API (its VIP moves to
    the controllers left, its public address enters by the other sites), held to the site-loss objective."""
    name = f"Godzilla attack on {site} (the site lost, services restored on the others)"
    if not design.openstack:
        services = ("internet/", "dns/", "public/", "kubernetes/", "ceph/")
        return replace(
            _twin(name, (f"site:{site}",), services, NEEDS_SERVICES.format(what="a region's API")),
            site_loss=True,
        )
    region = design.openstack[0]
    return Scenario(
        name,
        (f"site:{site}",),
        "internet",
        str(region.external_vip),
        (f"public/{region.name}-api",),
        f"http:{PUBLIC_API_PORT}",
        why=(
            f"the lab cuts every link of {site}'s devices and VMs (its lines and MAN links with them) and probes "
            f"{region.name}'s API from the internet; the restores from the backups kept on the other sites are "
            "the twin's"
        ),
        site_loss=True,
        layers=("vips",),
    )


def _critical_rows(design: Design, network: dict[str, Scenario]) -> list[Scenario]:
    """Godzilla, the operator that loses the internet, the excavator."""
    found: list[Scenario] = []
    first = design.sites[0].name
    found.append(_godzilla(design, first))
    line = network.get("line")
    if line is not None and design.uplinks:
        operator = design.uplinks[0].operator
        lines = tuple(f"uplink:{u.name}" for u in design.uplinks if u.operator == operator)
        found.append(
            replace(
                line,
                name=f"The operator loses the internet ({operator}: the backup lines carry the traffic)",
                faults=lines,
                services=("internet/", "dns/"),
                twin_faults=(f"operator:{operator}",),
                why="the lab cuts the operator's lines and probes the public service; DNS failover: the twin's",
            )
        )
    if design.man_links:
        cut = man_scenario(design, len(design.man_links) - 1, "An excavator cuts MAN link {link}")
        if cut is not None:
            found.append(cut)
    return found


def campaign_catalog(design: Design, seed: int = 0) -> list[Scenario]:
    """The 21 rows, in the seed's order (fewer when the design lacks a layer)."""
    network = {_kind(s.name): s for s in network_scenarios(design, seed)}
    firewalls = [s for s in network_scenarios(design, seed) if s.name.startswith("Loss of the firewalls")]
    ovirt, ceph = _servers(design, "ovirt")[:1], _servers(design, "ceph")[:1]
    switch = sorted(s.name for s in design.switches)[:1]
    rows: list[Scenario | None] = [network.get("line"), network.get("bgp"), *firewalls]
    rows += [
        _twin(f"Loss of an oVirt node ({n})", (f"server:{n}",), ("vm/", "ovirt/"), _why("oVirt"))
        for n in ovirt
    ]
    rows += [_ceph_row(design, n) for n in ceph]
    rows.append(network.get("man"))
    rows += [
        _twin(f"Loss of a switch ({n})", (f"switch:{n}",), ("internet/", "route/"), NO_BONDING)
        for n in switch
    ]
    rows += [network.get("port"), network.get("man-port"), network.get("carp")]
    rows += _virtual_firewall_rows(design) + _openstack_rows(design) + _critical_rows(design, network)
    return [r for r in rows if r is not None]


def _why(layer: str) -> str:
    return NEEDS_SERVICES.format(what=f"{layer} running in the lab")


KINDS: tuple[tuple[str, Callable[[str], bool]], ...] = (
    ("line", lambda n: n.startswith("Loss of the internet line")),
    ("bgp", lambda n: n.startswith("BGP failover")),
    ("carp", lambda n: n.startswith("CARP failover")),
    ("port", lambda n: n.startswith("Random non-MAN port")),
    ("man", lambda n: n.startswith("Loss of MAN link")),
    ("man-port", lambda n: n.startswith("MAN port shut down")),
)


def _kind(name: str) -> str:
    return next((kind for kind, test in KINDS if test(name)), name)


def select(scenarios: list[Scenario], pattern: str | None) -> list[Scenario]:
    """The rows whose key or name contains `pattern` (case-insensitive); every row without one."""
    if not pattern:
        return scenarios
    wanted = pattern.lower()
    return [s for s in scenarios if wanted in s.key or wanted in s.name.lower()]
