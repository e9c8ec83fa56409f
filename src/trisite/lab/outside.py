"""The world outside the platform, configured by the lab itself as the operators would: a router per line
(the operator's ASN and the line's session parameters, sending a default route, announcing the line's own
addresses), peering with the other operators on the exchange, and the internet client behind them."""

from __future__ import annotations

import json
from pathlib import Path

from trisite.drivers.lab import LabDriver
from trisite.drivers.secrets import reveal_or_make
from trisite.lab.plan import EXCHANGE
from trisite.model import Design, Index
from trisite.render.engine import template


def operator_configs(design: Design, base_dir: Path, secrets_dir: Path) -> dict[str, str]:
    """Line name -> the FRR configuration of its operator's router."""
    ix = Index.of(design)
    hosts = list(EXCHANGE.hosts())
    exchange = [(up, str(hosts[i])) for i, up in enumerate(design.uplinks)]
    configs = {}
    for up, address in exchange:
        operator = next(o for o in design.operators if o.name == up.operator)
        customers = sorted(
            str(a.ip) for f in up.firewalls for a in ix.addresses(ix.hosts[f]) if a.network == up.network
        )
        password = ""
        if up.bgp.password:
            password = reveal_or_make(up.bgp.password, design.secrets[up.bgp.password], base_dir, secrets_dir)
        peers = [
            {
                "address": other_address,
                "asn": next(o.asn for o in design.operators if o.name == other.operator),
                "name": other.name,
            }
            for other, other_address in exchange
            if other is not up
        ]
        configs[up.name] = template(
            "operator-frr.conf.j2",
            package="trisite.lab",
            operator=operator.name,
            line=up.name,
            asn=operator.asn,
            router_id=address,
            # The line's own addresses are reachable from the whole internet, as any operator's are: the
            # sites' IPsec links between their WAN addresses take this path once the MAN is cut.
            line_prefix=str(ix.networks[up.network].prefix),
            customer_asn=up.local_asn or design.platform.asn,
            customers=customers,
            keepalive=up.bgp.keepalive_s,
            hold=up.bgp.hold_time_s,
            connect_retry=up.bgp.connect_retry_s,
            password=password,
            bfd=up.bgp.bfd,
            peers=peers,
        )

    return configs


def sessions(design: Design) -> dict[str, dict[str, object]]:
    """Per line, the operator router's ASN and its sessions to our firewalls: what a `bgp:LINE` fault shuts."""
    ix = Index.of(design)
    found: dict[str, dict[str, object]] = {}
    for up in design.uplinks:
        asn = next(o.asn for o in design.operators if o.name == up.operator)
        customers = sorted(
            str(a.ip) for f in up.firewalls for a in ix.addresses(ix.hosts[f]) if a.network == up.network
        )
        found[up.name] = {"asn": asn, "customers": customers}
    return found


def start_operators(design: Design, driver: LabDriver, base_dir: Path, secrets_dir: Path) -> None:
    (driver.lab_dir / "sessions.json").write_text(
        json.dumps(sessions(design), sort_keys=True), encoding="utf-8"
    )
    for line, config in operator_configs(design, base_dir, secrets_dir).items():
        device = f"op-{line}"
        driver.put(device, "/etc/frr/frr.conf", config, "0640")
        driver.service(device, "frr", "start")
