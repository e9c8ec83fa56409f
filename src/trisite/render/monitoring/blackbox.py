"""The blackbox exporter's modules (blackbox.yml): HTTPS for the public APIs, HTTPS without certificate checks
for the BMCs' self-signed Redfish, and a DNS query per authoritative zone, over UDP and TCP, that succeeds only
when the server answers with the zone's SOA: a port 53 that answers but serves nothing fails the probe."""

from __future__ import annotations

import re
from typing import Any

from trisite.model import Design

HTTP_MODULE = "http_2xx"
HTTP_INSECURE_MODULE = "http_2xx_insecure"
DNS_TRANSPORTS = ("udp", "tcp")


def dns_module(zone: str, transport: str) -> str:
    return f"dns_soa_{zone}_{transport}"


def _http(insecure: bool) -> dict[str, Any]:
    http: dict[str, Any] = {"preferred_ip_protocol": "ip4"}  # no valid_status_codes: any 2xx
    if insecure:
        http["tls_config"] = {"insecure_skip_verify": True}
    return {"prober": "http", "timeout": "5s", "http": http}


def _dns(zone: str, transport: str) -> dict[str, Any]:
    # The answer section as blackbox prints it: "NAME.<tab>TTL<tab>IN<tab>SOA<tab>...".
    soa = "^" + re.escape(zone.rstrip(".") + ".") + r"\s+\d+\s+IN\s+SOA\s"
    return {
        "prober": "dns",
        "timeout": "5s",
        "dns": {
            "transport_protocol": transport,
            "preferred_ip_protocol": "ip4",
            "query_name": zone,
            "query_type": "SOA",
            "recursion_desired": False,  # the servers are authoritative: no recursion to ask for
            "valid_rcodes": ["NOERROR"],
            "validate_answer_rrs": {"fail_if_none_matches_regexp": [soa]},
        },
    }


def blackbox_config(design: Design) -> dict[str, Any]:
    modules = {HTTP_MODULE: _http(insecure=False), HTTP_INSECURE_MODULE: _http(insecure=True)}
    for zone in design.dns:
        for transport in DNS_TRANSPORTS:
            modules[dns_module(zone.name, transport)] = _dns(zone.name, transport)
    return {"modules": modules}
