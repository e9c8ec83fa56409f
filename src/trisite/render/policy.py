"""One firewall policy per firewall, computed once; render/nftables.py and render/opnsense.py only format it.

What passes comes from two places and nowhere else:
- the flow matrix (model/flows.py): a flow whose destination names a firewall (a host, or a group holding
  firewalls) is traffic *to* that firewall: an input rule there, a forward rule on the others; any other flow
  is a forward rule;
- what the design implies for the firewall itself: BGP and BFD from its operators' routers, OSPF hellos and BFD
  on the transit links, CARP/VRRP adverts from the other members of its HA groups on their network only,
  WireGuard and IKE/ESP for the VPN links it terminates (either end of a link), pings from inside.

Replies of a flow whose two ends may sit at different sites pass statelessly (guarded: TCP with ACK, ICMP echo
replies): the request may cross one pair of firewalls and the reply another (CARP masters and OSPF's equal-cost
paths choose them independently), so a firewall may see only the reply, which conntrack calls invalid. For a
TCP flow to firewalls themselves, a request's later packets (ACK set) pass statelessly too: a firewall at another
site answers along its own routes, so the pair that forwarded the SYN never sees the reply. Nothing else passes
without state: there is no blanket accept inside a zone.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from ipaddress import IPv4Network, ip_network
from typing import Literal

from trisite.model import Design, Index
from trisite.model.devices import Firewall
from trisite.model.flows import FlowMatrix, Prefix, prefix_key
from trisite.model.interfaces import Iface, interfaces
from trisite.model.network import Flow, HaGroup
from trisite.model.operations import VpnLink
from trisite.render.vpn import WIREGUARD_PORT

Chain = Literal["input", "forward"]
Ports = tuple[tuple[int, int], ...]
BGP, BFD, IKE = ((179, 179),), ((3784, 3785),), ((500, 500), (4500, 4500))
OSPF_GROUPS = (ip_network("224.0.0.5/32"), ip_network("224.0.0.6/32"))
VRRP_GROUP = ip_network("224.0.0.18/32")


@dataclass(frozen=True)
class Endpoint:
    """One side of a rule: a named set of prefixes, or the internet (prefixes None: not one of ours)."""

    name: str
    prefixes: tuple[Prefix, ...] | None

    @property
    def internet(self) -> bool:
        return self.prefixes is None


@dataclass(frozen=True)
class Rule:
    chain: Chain
    source: Endpoint
    destination: Endpoint
    protocol: str  # a model protocol: tcp, udp, icmp, esp, ospf, vrrp, carp, ... or any
    comment: str
    dports: Ports = ()
    sports: Ports = ()
    interfaces: tuple[str, ...] = ()  # the design's interface names it arrives on; empty: any
    reply: bool = False  # a stateless reply: TCP with ACK set, ICMP echo reply; no state created
    log: bool = False
    spares: Endpoint | None = None  # addresses inside its endpoints it must not reach nor come from
    spared: tuple[str, ...] = ()  # which sides spare them: "source", "destination"


@dataclass(frozen=True)
class Policy:
    firewall: str
    rules: tuple[Rule, ...]  # the permanent ones, in order: replies first (they precede the invalid drop)
    bootstrap: tuple[Rule, ...]  # the deployment's, removed by its last step
    guarded: Endpoint  # pf's blocks around the rules that spare the firewalls (PolicyBuilder.guarded)

    def chain(self, name: Chain, *, bootstrap: bool = False) -> list[Rule]:
        return [r for r in (self.bootstrap if bootstrap else self.rules) if r.chain == name]


def _v4(prefixes: Sequence[Prefix]) -> tuple[Prefix, ...]:
    return tuple(sorted({p for p in prefixes if isinstance(p, IPv4Network)}, key=prefix_key))


class PolicyBuilder:
    def __init__(self, design: Design, ix: Index) -> None:
        self.design, self.ix, self.matrix = design, ix, FlowMatrix(design)
        self.firewall_names = frozenset(f.name for f in design.firewalls)
        # Asked for each flow and each side of it: computed once (rendering the reference took 5 s without).
        self._iface_memo: dict[str, list[Iface]] = {}
        self._firewalls_memo: Endpoint | None = None
        self._holds_memo: dict[str, bool] = {}

    # -- endpoints ------------------------------------------------------------------------------------------------
    def endpoint(self, name: str) -> Endpoint:
        elements = self.matrix.elements(name)
        return Endpoint(name, None if elements is None else tuple(elements))

    def own(self, fw: str) -> Endpoint:
        """A firewall's own addresses on the platform's networks (never its WAN address)."""
        outside = self.matrix.outside
        addresses = {
            ip_network(i.address.ip)
            for i in self._ifaces(fw)
            if self.matrix.zone_of[i.network] not in outside
        }
        return Endpoint(f"{fw}-self", tuple(sorted(addresses, key=prefix_key)))

    def _ifaces(self, fw: str) -> list[Iface]:
        if fw not in self._iface_memo:
            self._iface_memo[fw] = interfaces(self.ix, fw)
        return self._iface_memo[fw]

    def _spared(self, flow: Flow, roles: tuple[str, str]) -> tuple[str, ...]:
        """The rule's sides (`roles`: what the flow's source and destination are in the rule) that must spare
        the firewalls: those whose endpoint does not name one."""
        ends = (flow.source, flow.destination)
        return tuple(role for role, end in zip(roles, ends, strict=True) if self._holds_firewalls(end))

    def _holds_firewalls(self, endpoint: str) -> bool:
        """Whether an endpoint's prefixes hold a firewall's address without naming it (a zone, a network, the
        internet: a firewall's WAN address is "not ours")."""
        if endpoint not in self._holds_memo:
            prefixes = self.endpoint(endpoint).prefixes
            own = self.firewalls().prefixes or ()
            self._holds_memo[endpoint] = not self.firewalls_named(endpoint) and (
                prefixes is None or any(a.overlaps(p) for a in own for p in prefixes)
            )
        return self._holds_memo[endpoint]

    def firewalls(self) -> Endpoint:
        """Every firewall's own addresses: a flow to a zone, a network or the internet does not reach them (only a
        flow naming a firewall does, never on its WAN address), though they sit in its prefixes. The VIPs are not
        in it: a firewall forwarding to the one holding a VIP (the internet entering at another site while a
        line is down) treats it as any address of its network; the holder's input chain guards it."""
        if self._firewalls_memo is None:
            own = {ip_network(i.address.ip) for f in sorted(self.firewall_names) for i in self._ifaces(f)}
            self._firewalls_memo = Endpoint("firewalls", tuple(sorted(own, key=prefix_key)))
        return self._firewalls_memo

    def guarded(self, fw: str) -> Endpoint:
        """What pf blocks around the rules that spare the firewalls: their own addresses and the VIPs this one
        may hold. pf has one rule list for what nft splits into input and forward: a pass to a zone would
        reach the holder's VIP on any port (its web GUI, ssh)."""
        held = set(self.vips(fw))
        return Endpoint(
            f"guarded-{fw}", tuple(sorted({*(self.firewalls().prefixes or ()), *held}, key=prefix_key))
        )

    def firewalls_named(self, endpoint: str) -> set[str]:
        """The firewalls a flow endpoint names as hosts (directly or as group members)."""
        if endpoint in self.firewall_names:
            return {endpoint}
        group = next((g for g in self.design.groups if g.name == endpoint), None)
        return {m for m in group.members if m in self.firewall_names} if group else set()

    # -- the flows ------------------------------------------------------------------------------------------------
    def flow_rules(self, fw: str, flows: Sequence[Flow]) -> Iterator[Rule]:
        for flow in flows:
            targets = self.firewalls_named(flow.destination)
            if fw in targets:
                yield Rule("input", self.endpoint(flow.source), self.own(fw), flow.protocol, flow.name,
                           dports=tuple(flow.ports), log=flow.log)  # fmt: skip
            if not targets:  # the HA addresses it holds answer pings of flows to their network (reachability)
                yield from self._to_vips(fw, flow)
            if targets and targets == {fw}:
                continue
            sides = self._spared(flow, ("source", "destination"))
            yield Rule("forward", self.endpoint(flow.source), self.endpoint(flow.destination), flow.protocol,
                       flow.name, dports=tuple(flow.ports), log=flow.log, spares=self.firewalls() if sides else None,
                       spared=sides)  # fmt: skip

    def vips(self, fw: str) -> tuple[Prefix, ...]:
        """The virtual addresses of the HA groups the firewall is a member of, on our networks (gateways, the
        public VIP): while it holds one, packets to it are its input."""
        found = {ip_network(v) for g in self.design.ha_groups if any(m.device == fw for m in g.members)
                 and self.matrix.zone_of[g.network] not in self.matrix.outside for v in g.vips}  # fmt: skip
        return tuple(sorted(found, key=prefix_key))

    def _to_vips(self, fw: str, flow: Flow) -> Iterator[Rule]:
        prefixes = self.matrix.elements(flow.destination)
        held = [v for v in self.vips(fw) if prefixes and any(v.overlaps(p) for p in prefixes)]
        if flow.protocol != "icmp":  # only reachability: a TCP/UDP service flow would open the firewall's own
            return  # services (OPNsense's web GUI, ssh) on the gateway address
        spared = ("source",) if self._holds_firewalls(flow.source) else ()
        if held:
            yield Rule("input", self.endpoint(flow.source), Endpoint(f"{flow.destination}-vips-{fw}", tuple(held)),
                       flow.protocol, flow.name, dports=tuple(flow.ports), log=flow.log,
                spares=self.firewalls() if spared else None, spared=spared)  # fmt: skip

    def crosses_sites(self, flow: Flow) -> bool:
        """Whether the two ends of a flow may sit at different sites (then two firewall pairs are on its path)."""
        return len(self._sites(flow.source) | self._sites(flow.destination)) > 1

    def _sites(self, endpoint: str) -> set[str]:
        if self.matrix.elements(endpoint) is None:  # the internet: through any site with a line
            return {u.site for u in self.design.uplinks}
        prefixes = set(self.matrix.elements(endpoint) or [])
        return {
            s for n in self.design.networks if any(n.prefix.overlaps(p) for p in prefixes) for s in n.sites
        }

    def reply_rules(self, flows: Sequence[Flow]) -> Iterator[Rule]:
        for flow in flows:
            if flow.protocol not in ("tcp", "udp", "icmp") or not self.crosses_sites(flow):
                continue
            sides = self._spared(flow, ("destination", "source"))
            yield Rule("forward", self.endpoint(flow.destination), self.endpoint(flow.source), flow.protocol,
                       f"replies of {flow.name}", sports=tuple(flow.ports), reply=True,
                       spares=self.firewalls() if sides else None, spared=sides)  # fmt: skip
            if flow.protocol == "tcp" and self.firewalls_named(flow.destination):
                # To a firewall's own address at another site, the firewall answers along its own routes (its
                # MAN link), not through the pair that forwarded the request: that pair sees the request's
                # later packets (ACK set) without the reply, which conntrack calls invalid.
                yield Rule("forward", self.endpoint(flow.source), self.endpoint(flow.destination), "tcp",
                           f"requests of {flow.name} answered by another path", dports=tuple(flow.ports),
                           reply=True)  # fmt: skip

    # -- what the firewall itself needs -----------------------------------------------------------------------------
    def derived(self, fw: Firewall) -> Iterator[Rule]:
        yield from self._routing(fw)
        yield from self._ha(fw)
        yield from self._vpn(fw)
        internal = Endpoint("internal", _v4(self.matrix.internal))
        mine = Endpoint(f"{fw.name}-self-vips", (*(self.own(fw.name).prefixes or ()), *self.vips(fw.name)))
        yield Rule("input", internal, mine, "icmp", "pings from inside")

    def _routing(self, fw: Firewall) -> Iterator[Rule]:
        for up in self.design.uplinks:
            iface = self._on(fw.name, up.network)
            if fw.name not in up.firewalls or iface is None:
                continue
            peer = Endpoint(f"bgp-{up.operator}", (ip_network(up.bgp.peer_address),))
            me = Endpoint(f"{fw.name}-{up.network}", (ip_network(iface.address.ip),))
            yield Rule(
                "input", peer, me, "tcp", f"BGP from {up.operator}", dports=BGP, interfaces=(iface.name,)
            )
            if up.bgp.bfd:
                yield Rule(
                    "input", peer, me, "udp", f"BFD from {up.operator}", dports=BFD, interfaces=(iface.name,)
                )
        for iface in self._ifaces(fw.name):
            if iface.network not in self.design.routing.transit_networks:
                continue
            link = Endpoint(iface.network, (self.ix.networks[iface.network].prefix,))
            me = Endpoint(f"{fw.name}-{iface.network}", (ip_network(iface.address.ip),))
            if self.design.routing.protocol == "ospf":
                hellos = Endpoint(
                    f"ospf-{fw.name}-{iface.network}", (*OSPF_GROUPS, ip_network(iface.address.ip))
                )
                yield Rule(
                    "input", link, hellos, "ospf", f"OSPF on {iface.network}", interfaces=(iface.name,)
                )
            yield Rule(
                "input", link, me, "udp", f"BFD on {iface.network}", dports=BFD, interfaces=(iface.name,)
            )

    def _on(self, fw: str, network: str) -> Iface | None:
        return next((i for i in self._ifaces(fw) if i.network == network), None)

    def _ha(self, fw: Firewall) -> Iterator[Rule]:
        for group in self.design.ha_groups:
            iface = self._on(fw.name, group.network)
            if iface is None or not any(m.device == fw.name for m in group.members):
                continue
            peers = sorted(
                {ip_network(i.address.ip) for m in group.members if m.device != fw.name
                 for i in self._ifaces(m.device) if i.network == group.network}, key=prefix_key)  # fmt: skip
            if peers:
                yield Rule("input", Endpoint(f"{group.name}-peers", tuple(peers)), Endpoint("vrrp", (VRRP_GROUP,)),
                           group.protocol, f"{group.protocol.upper()} adverts of {group.name}",
                           interfaces=(iface.name,))  # fmt: skip

    def _vpn(self, fw: Firewall) -> Iterator[Rule]:
        groups = {g.name: g for g in self.design.ha_groups}
        for link in self.design.vpn:
            local = groups.get(link.terminates_on)
            members = [m.device for m in local.members] if local else [link.terminates_on]
            iface = self._on(fw.name, local.network) if local else None
            if link.technology == "wireguard":
                if fw.name not in members or local is None or iface is None:
                    continue
                # Clients roam: from anywhere, to the tunnel's port only. Each member has its own key, so its
                # clients connect to its own address, never to the VIP (render/vpn.py): the VIP alone here
                # dropped every client's handshake.
                own = Endpoint(f"{link.name}-local", (ip_network(iface.address.ip),))
                yield Rule("input", Endpoint("internet", None), own, "udp", f"WireGuard {link.name}",
                           dports=((WIREGUARD_PORT, WIREGUARD_PORT),), interfaces=(iface.name,))  # fmt: skip
                continue
            yield from self._ipsec(fw, link, groups)

    def _ipsec(self, fw: Firewall, link: VpnLink, groups: dict[str, HaGroup]) -> Iterator[Rule]:
        """IKE and ESP from the other end's VIP, at both ends of a link between two of our pairs (the peer's
        end answers the one that starts it). On any interface: the WAN prefixes are stubs of the OSPF area,
        so the other end's packets come over the MAN while it is up, and over the internet once it is cut."""
        ends = [groups.get(link.terminates_on), groups.get(link.peer or "")]
        for here, there in (ends, ends[::-1]):
            if here is None or there is None or not any(m.device == fw.name for m in here.members):
                continue
            me = Endpoint(f"{link.name}-local", tuple(ip_network(v) for v in here.vips))
            peer = Endpoint(f"{link.name}-peer", tuple(ip_network(v) for v in there.vips))
            yield Rule("input", peer, me, "udp", f"IKE {link.name}", dports=IKE)
            yield Rule("input", peer, me, "esp", f"ESP {link.name}")


def policy(design: Design, ix: Index, fw: Firewall) -> Policy:
    b = PolicyBuilder(design, ix)
    boot = design.bootstrap.flows
    rules = [*b.reply_rules(design.flows), *b.derived(fw), *b.flow_rules(fw.name, design.flows)]
    temporary = [*b.reply_rules(boot), *b.flow_rules(fw.name, boot)]
    return Policy(fw.name, tuple(rules), tuple(temporary), b.guarded(fw.name))
