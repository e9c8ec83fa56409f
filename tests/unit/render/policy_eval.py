"""Small evaluators of what the renderers wrote: an nftables ruleset (the subset of nft trisite writes; anything
else is refused, so a rule the evaluator cannot read fails the test instead of being skipped) and OPNsense's
filter rules (pf: first quick match; keep-state TCP rules match a SYN only, as pf's default flags S/SA)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from ipaddress import IPv4Address, ip_address, ip_network
from typing import Any

NUMBERS = {"icmp": "icmp", "ipv6-icmp": "ipv6-icmp", "esp": "esp", "89": "ospf", "112": "vrrp"}


@dataclass(frozen=True)
class Packet:
    iif: str
    saddr: IPv4Address
    daddr: IPv4Address
    proto: str  # tcp, udp, icmp, esp, ospf, vrrp
    sport: int = 0
    dport: int = 0
    syn: bool = True  # a first packet; False: a reply (ACK set) conntrack never saw the request of
    icmp_type: str = "echo-request"

    @property
    def ct(self) -> str:
        return "new" if self.syn else "invalid"


Test = Callable[[Packet], bool]
CLAUSES: list[tuple[re.Pattern[str], Callable[[re.Match[str], dict[str, list[Any]]], Test]]] = []


def clause(pattern: str) -> Callable[[Callable[[re.Match[str], dict[str, list[Any]]], Test]], None]:
    def register(build: Callable[[re.Match[str], dict[str, list[Any]]], Test]) -> None:
        CLAUSES.append((re.compile(pattern), build))

    return register


def _elements(text: str, sets: dict[str, list[Any]]) -> list[Any]:
    if text.startswith("@"):
        return sets[text[1:]]
    return [e.strip().strip('"') for e in text.strip("{} ").split(",")]


def _in_ports(port: int, items: list[Any]) -> bool:
    return any(int(i.split("-")[0]) <= port <= int(i.split("-")[-1]) for i in items)


@clause(r'iifname (\{[^}]*\}|"[^"]*")')
def _iif(m: re.Match[str], sets: dict[str, list[Any]]) -> Test:
    names = _elements(m[1], sets)
    return lambda p: p.iif in names


@clause(r"ip (saddr|daddr) (!= )?(@\w+|\{[^}]*\})")
def _addr(m: re.Match[str], sets: dict[str, list[Any]]) -> Test:
    nets = [ip_network(e) for e in _elements(m[3], sets)]
    return lambda p: any(getattr(p, m[1]) in n for n in nets) != bool(m[2])


@clause(r"(tcp|udp) (dport|sport) \{([^}]*)\}")
def _ports(m: re.Match[str], sets: dict[str, list[Any]]) -> Test:
    items = _elements(m[3], sets)
    return lambda p: p.proto == m[1] and _in_ports(getattr(p, m[2]), items)


@clause(r"tcp flags & ack == ack")
def _ack(m: re.Match[str], sets: dict[str, list[Any]]) -> Test:  # noqa: ARG001
    return lambda p: p.proto == "tcp" and not p.syn


@clause(r"meta l4proto (\{[^}]*\}|\S+)")
def _l4(m: re.Match[str], sets: dict[str, list[Any]]) -> Test:
    protos = {NUMBERS[e] for e in _elements(m[1], sets)}
    return lambda p: p.proto in protos


@clause(r"icmp type (\S+)")
def _icmp(m: re.Match[str], sets: dict[str, list[Any]]) -> Test:  # noqa: ARG001
    return lambda p: p.proto == "icmp" and p.icmp_type == m[1]


@clause(r"ct state (\S+)")
def _ct(m: re.Match[str], sets: dict[str, list[Any]]) -> Test:  # noqa: ARG001
    states = m[1].split(",")
    return lambda p: p.ct in states


NOISE = re.compile(r'counter|comment "[^"]*"|log prefix "[^"]*"( level \w+)?|limit rate \S+')
VERDICT = re.compile(r"\b(accept|drop|jump \w+)\s*$")


class Nft:
    def __init__(self, *texts: str) -> None:
        text = "\n".join(texts)
        self.sets = {
            name: [ip_network(e.strip()) for e in elements.split(",")]
            for name, elements in re.findall(r"set (\w+) \{[^}]*?elements = \{([^}]*)\}", text)
        }
        self.chains: dict[str, list[tuple[list[Test], str]]] = {}
        for name, body in re.findall(r"chain (\w+) \{(.*?)\n    \}", text, re.S):
            self.chains[name] = [r for line in body.splitlines() if (r := self._rule(line.strip()))]
        for name, line in re.findall(r"^add rule inet trisite (\w+) (.*)$", text, re.M):
            self.chains[name].append(self._rule(line) or ([], ""))

    def _rule(self, line: str) -> tuple[list[Test], str] | None:
        if not line or line.startswith(("#", "type ")):
            return None
        rest, tests = NOISE.sub("", line).strip(), []
        verdict = VERDICT.search(rest)
        rest = rest[: verdict.start()] if verdict else rest
        for pattern, build in CLAUSES:
            for m in pattern.finditer(rest):
                tests.append(build(m, self.sets))
            rest = pattern.sub("", rest)
        if rest.strip() or not verdict:
            if rest.strip() or "log" not in line:
                raise ValueError(f"the evaluator cannot read: {line!r} (left: {rest.strip()!r})")
            return None
        return tests, verdict[1]

    def passes(self, chain: str, packet: Packet) -> bool:
        verdict = self._run(chain, packet)
        return verdict == "accept"

    def _run(self, chain: str, packet: Packet) -> str | None:
        for tests, verdict in self.chains[chain]:
            if all(t(packet) for t in tests):
                if verdict.startswith("jump "):
                    found = self._run(verdict.split()[1], packet)
                    if found:
                        return found
                    continue
                return verdict
        return None if chain not in ("input", "forward") else "drop"


class Pf:
    """OPNsense's filter rules from the API payload's calls, with the aliases the same payload defines."""

    def __init__(self, calls: list[dict[str, Any]]) -> None:
        bodies = [c.get("body", {}) for c in calls]
        self.aliases = {b["alias"]["name"]: b["alias"] for b in bodies if "alias" in b}
        self.aliases["any"] = {"content": "0.0.0.0/0"}
        rules = [b["rule"] for b in bodies if "rule" in b]
        self.rules = sorted(rules, key=lambda r: int(r["sequence"]))

    def _net(self, rule: dict[str, Any], side: str, address: IPv4Address) -> bool:
        alias = self.aliases[rule[f"{side}_net"]]
        inside = any(address in ip_network(n) for n in alias["content"].split("\n"))
        return inside != (rule[f"{side}_not"] == "1")

    def _port(self, rule: dict[str, Any], side: str, port: int) -> bool:
        name = rule.get(f"{side}_port")
        if not name:
            return True
        items = [i.replace(":", "-") for i in self.aliases[name]["content"].split("\n")]
        return _in_ports(port, items)

    def _matches(self, r: dict[str, Any], p: Packet) -> bool:  # noqa: PLR0911 - one per pf match
        proto: dict[str, str] = {
            "TCP": "tcp",
            "UDP": "udp",
            "ICMP": "icmp",
            "ESP": "esp",
            "OSPF": "ospf",
            "CARP": "vrrp",
        }
        if p.iif not in r["interface"].split(",") or r["protocol"] not in (
            "any",
            *[k for k, v in proto.items() if v == p.proto],
        ):
            return False
        if not (self._net(r, "source", p.saddr) and self._net(r, "destination", p.daddr)):
            return False
        if p.proto in ("tcp", "udp") and not (
            self._port(r, "source", p.sport) and self._port(r, "destination", p.dport)
        ):
            return False
        if r["action"] == "block":
            return True
        stateless = r.get("statetype") == "none"
        if p.proto == "tcp":  # keep state: flags S/SA, a SYN; the stateless replies: flags A/A
            return (not p.syn and r.get("tcpflags1") == "ack") if stateless else p.syn
        if p.proto == "icmp" and r.get("icmptype"):
            return {"echorep": "echo-reply", "echoreq": "echo-request"}[r["icmptype"]] == p.icmp_type
        return True

    def passes(self, packet: Packet) -> bool:
        return next((r["action"] == "pass" for r in self.rules if self._matches(r, packet)), False)


def address(text: str) -> IPv4Address:
    found = ip_address(text)
    assert isinstance(found, IPv4Address)
    return found
