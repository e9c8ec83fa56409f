"""Alerts on hosts, routing and reachability: node-exporter's `up`, tynany/frr_exporter's BGP, OSPF and BFD
gauges (prometheus-frr-exporter), and the blackbox exporter's probe_success."""

from __future__ import annotations

from dataclasses import replace

from trisite.model.interfaces import interfaces
from trisite.render.monitoring.facts import Facts
from trisite.render.monitoring.rules import Alert, Case, Labels, flips, series, steady


def _down(alert: Alert, labels: Labels) -> Alert:
    """ALERT on a 0/1 gauge reading 0, proven: it fires on a lasting 0, and stays quiet through one failed
    sample (what its `for` is there for)."""
    metric = alert.expr.split("{", 1)[0]
    return replace(
        alert,
        cases=(
            Case("it stays down", {series(metric, labels): flips(1, 0, 1, 10)}, fires=(labels,)),
            Case("one failed sample is not an outage", {series(metric, labels): "1x20 0 1x19"}),
        ),
    )


def host_alerts(f: Facts) -> list[Alert]:
    firewall = f.one("node", lambda t: t["role"] == "firewall")
    server = f.one("node", lambda t: t["role"] != "firewall")
    found = [
        _down(
            Alert(
                "FirewallDown",
                'up{job="node",role="firewall"} == 0',
                "30s",
                "critical",
                "firewall {{ $labels.host }} is down",
            ),
            firewall,
        ),
        _down(
            Alert(
                "NodeDown",
                'up{job="node",role!="firewall"} == 0',
                "1m",
                "warning",
                "{{ $labels.host }} does not answer",
            ),
            server,
        ),
    ]
    exporter = {**f.one("frr"), "job": "frr"}
    found.append(
        Alert(
            "ScrapeTargetDown",
            'up{job!="node"} == 0',
            "2m",
            "warning",
            "{{ $labels.job }} target {{ $labels.instance }} does not answer its scrape",
            (
                Case("an exporter stops", {series("up", exporter): flips(1, 0, 2, 10)}, fires=(exporter,)),
                Case("a node is NodeDown's business", {series("up", server): flips(1, 0, 2, 10)}),
            ),
        )
    )
    errors = {**server}
    found.append(
        Alert(
            "TextfileMetricsUnreadable",
            'node_textfile_scrape_error{job="node"} == 1',
            "5m",
            "warning",
            "{{ $labels.host }} cannot read its textfile metrics: HA and backup alerts are blind there",
            (
                Case(
                    "a .prom file is broken",
                    {series("node_textfile_scrape_error", errors): "1x40"},
                    (errors,),
                ),
                Case("every file reads", {series("node_textfile_scrape_error", errors): "0x40"}),
            ),
        )
    )
    return found


def _transit_side(f: Facts) -> tuple[Labels, Labels]:
    """A firewall's frr target labels, with a BFD session's labels on one of its MAN transit interfaces (the
    only ones OSPF runs on), as frr_exporter labels them."""
    transit = set(f.design.routing.transit_networks)
    for fw in f.scraped("frr"):
        mine = [i for i in interfaces(f.ix, fw["host"]) if i.network in transit]
        if not mine:
            continue
        link = mine[0]
        others = [
            i for h in f.ix.hosts if h != fw["host"] for i in interfaces(f.ix, h) if i.network == link.network
        ]
        peer = str(others[0].address.ip) if others else str(link.address.network.broadcast_address)
        return fw, {**fw, "local": str(link.address.ip), "peer": peer}
    fw = f.one("frr")
    return fw, {**fw, "local": "192.0.2.2", "peer": "192.0.2.1"}


def _man_neighbours(f: Facts) -> list[tuple[Labels, int]]:
    """Each firewall's MAN transit interfaces (its frr target's labels with the interface's, as frr_exporter
    labels its OSPF gauges) and how many OSPF neighbours it has there by design: every other router on that
    network, those of the far site as well as its own site's other firewall."""
    transit = set(f.design.routing.transit_networks)
    found = []
    for fw in f.scraped("frr"):
        for link in interfaces(f.ix, fw["host"]):
            if link.network not in transit:
                continue
            others = {
                h
                for h in f.ix.hosts
                if h != fw["host"] and any(i.network == link.network for i in interfaces(f.ix, h))
            }
            if others:
                labels = {**fw, "vrf": "default", "iface": link.name, "area": f.design.routing.ospf.area}
                found.append((labels, len(others)))
    return found


def _man_link_down(f: Facts) -> list[Alert]:
    """A MAN link is down when a firewall sees fewer OSPF neighbours on its transit interface than the design
    gives it (none rendered without MAN transit networks). Not `adjacencies == 0`: the site's other firewall
    shares the transit network, so one adjacency stays when the link between the sites is cut; and an
    adjacency count depends on who is DR, a neighbour count does not."""
    designed = _man_neighbours(f)
    if not designed:
        return []
    terms = [
        f'frr_ospf_neighbors{{job="frr",host="{t["host"]}",iface="{t["iface"]}"}} < {n}' for t, n in designed
    ]
    labels, n = designed[0]
    gauge = series("frr_ospf_neighbors", labels)
    cases = (
        Case("the far site's neighbours are lost", {gauge: f"{n}x10 {n - 2}x30"}, fires=(labels,)),
        Case("one neighbour restarts", {gauge: f"{n}x20 {n - 1} {n}x19"}),
        Case("every neighbour is there", {gauge: f"{n}x40"}),
    )
    summary = "{{ $labels.host }} sees fewer OSPF neighbours on {{ $labels.iface }} than designed: a MAN link is down"
    return [Alert("ManLinkDown", " or ".join(terms), "10s", "critical", summary, cases)]


def routing_alerts(f: Facts) -> list[Alert]:
    fw, bfd = _transit_side(f)
    site = fw["site"]
    peers = [
        {
            **fw,
            "vrf": "default",
            "afi": "ipv4",
            "safi": "unicast",
            "local_as": "64512",
            "peer": p,
            "peer_as": "64601",
        }
        for p in ("203.0.113.1", "203.0.113.5")
    ]
    bgp = [series("frr_bgp_peer_state", p) for p in peers]
    return [
        Alert(
            "BgpSessionDown",
            'frr_bgp_peer_state{job="frr"} == 0',  # 1 established, 2 administratively down: not an outage
            "10s",
            "critical",
            "BGP session to {{ $labels.peer }} on {{ $labels.host }} is down",
            (
                Case("a session drops", {bgp[0]: flips(1, 0, 1, 10), bgp[1]: steady(1, 10)}, (peers[0],)),
                Case("an operator shut it", {bgp[0]: flips(1, 2, 1, 10), bgp[1]: steady(1, 10)}),
            ),
        ),
        Alert(
            "InternetLineLost",
            'sum by (site) (frr_bgp_peer_state{job="frr"} == bool 1) == 0',
            "10s",
            "critical",
            "no BGP session left at {{ $labels.site }}: its line is lost",
            (
                Case("every session drops", {b: flips(1, 0, 1, 10) for b in bgp}, ({"site": site},)),
                Case("one session is left", {bgp[0]: flips(1, 0, 1, 10), bgp[1]: steady(1, 10)}),
            ),
        ),
        *_man_link_down(f),
        _down(
            Alert(
                "BfdPeerDown",
                'frr_bfd_peer_state{job="frr"} == 0',
                "10s",
                "critical",
                "BFD from {{ $labels.host }} to {{ $labels.peer }} is down",
            ),
            bfd,
        ),
    ]


def probe_alerts(f: Facts) -> list[Alert]:
    found = [
        _down(
            Alert(
                "BmcUnreachable",
                'probe_success{job="bmc"} == 0',
                "5m",
                "warning",
                "BMC of {{ $labels.host }} does not answer (the seed's hanging BMCs)",
            ),
            f.one("bmc"),
        )
    ]
    m = f.design.monitoring
    assert m is not None
    if not m.blackbox_from:
        return found
    site = m.blackbox_from[0]
    if f.design.openstack:
        endpoint = {
            "job": f"public-from-{site}",
            "probe_site": site,
            "instance": f"https://{f.design.openstack[0].external_vip}/",
        }
        found.append(
            _down(
                Alert(
                    "PublicEndpointDown",
                    'probe_success{job=~"public-from-.*"} == 0',
                    "30s",
                    "critical",
                    "{{ $labels.instance }} unreachable from {{ $labels.probe_site }}",
                ),
                endpoint,
            )
        )
    servers = [
        v
        for z in f.design.dns
        for r in z.records
        if r.type == "A" and r.name.startswith("ns")
        for v in r.values
    ]
    if servers:
        zone = f.design.dns[0].name
        dns = {
            "job": f"dns-from-{site}",
            "probe_site": site,
            "zone": zone,
            "transport": "udp",
            "instance": f"{servers[0]}:53",
        }
        found.append(
            _down(
                Alert(
                    "AuthoritativeDnsDown",
                    'probe_success{job=~"dns-from-.*"} == 0',
                    "30s",
                    "critical",
                    "{{ $labels.instance }} does not serve {{ $labels.zone }} over {{ $labels.transport }} "
                    "to {{ $labels.probe_site }}",
                ),
                dns,
            )
        )
    return found
