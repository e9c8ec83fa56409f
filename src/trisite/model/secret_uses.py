"""Where each secret of a design goes, and what its consumer accepts.

A secret is only read at deployment (drivers/secrets.py), but `validate --secrets` must refuse then what the
consumer would refuse or silently mangle in production: a CARP pass longer than ucarp keeps, a BGP password
with a space that cuts FRR's `neighbor ... password` line in two, a line break in a password file.
"""

from __future__ import annotations

from dataclasses import dataclass

from trisite.model.design import Design
from trisite.model.source import PathKey

WHITESPACE = " \t\r\n"


@dataclass(frozen=True)
class Consumer:
    """A program that receives a secret, and the limits of the way it receives it."""

    name: str
    max_chars: int | None = None
    forbidden: str = "\r\n"  # characters its file or command line cannot carry
    why: str = ""

    def refuses(self, value: str) -> str | None:
        """Why the consumer cannot take `value` (never quoting it), or None."""
        if self.max_chars is not None and len(value) > self.max_chars:
            return f"{len(value)} characters, {self.name} takes at most {self.max_chars}{self.why}"
        bad = sorted({_named(c) for c in value if c in self.forbidden})
        if bad:
            return f"{self.name} cannot take {', '.join(bad)} in it{self.why}"
        return None


def _named(char: str) -> str:
    return {" ": "a space", "\t": "a tab", "\r": "a carriage return", "\n": "a line break"}.get(
        char, f"'{char}'"
    )


UCARP = Consumer("ucarp", 20, why=" (CARP keys are 20 bytes: the rest is cut off)")
FRR_BGP = Consumer("FRR", 80, WHITESPACE, " (neighbor password: one word, a TCP-MD5 key of at most 80 bytes)")
STRONGSWAN = Consumer("strongSwan", forbidden='"\\\r\n', why=" (a quoted swanctl secret)")
WIREGUARD = Consumer("WireGuard", forbidden=WHITESPACE)
REDFISH = Consumer("the BMC")
RESTIC = Consumer("restic", why=" (its password file is read up to the first line break)")


@dataclass(frozen=True)
class SecretUse:
    secret: str
    path: PathKey  # where the design names it
    consumer: Consumer


def secret_uses(design: Design) -> list[SecretUse]:
    """Every place the design hands a secret to a program, with that program."""
    found = [
        SecretUse(s.bmc.credentials, ("servers", i, "bmc", "credentials"), REDFISH)
        for i, s in enumerate(design.servers)
    ]
    found += [
        SecretUse(u.bgp.password, ("uplinks", i, "bgp", "password"), FRR_BGP)
        for i, u in enumerate(design.uplinks)
        if u.bgp.password
    ]
    found += [
        SecretUse(g.password, ("ha_groups", i, "password"), UCARP)
        for i, g in enumerate(design.ha_groups)
        if g.password and g.protocol == "carp"
    ]
    found += [
        SecretUse(v.key, ("vpn", i, "key"), WIREGUARD if v.technology == "wireguard" else STRONGSWAN)
        for i, v in enumerate(design.vpn)
    ]
    found += [
        SecretUse(e.key, ("vpn", i, "endpoints", j, "key"), WIREGUARD)
        for i, v in enumerate(design.vpn)
        for j, e in enumerate(v.endpoints)
    ]
    found += [
        SecretUse(b.repository_key, ("backups", i, "repository_key"), RESTIC)
        for i, b in enumerate(design.backups)
    ]
    return found
