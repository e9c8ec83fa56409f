"""What a Linux device's live state is read with, for drift: shared by the lab's driver and the SSH driver."""

from __future__ import annotations

# The temporary chain the deployment opens for itself (render/nftables.py), flushed by the last step.
BOOTSTRAP_CHAIN = ("nft", "list", "chain", "inet", "trisite", "bootstrap")
NFT_RULESET = ("nft", "--stateless", "list", "ruleset")  # counters are traffic, not drift
ROUTES = ("ip", "route", "show", "proto", "boot")  # set by commands, not learned by OSPF or BGP
ACCOUNTS = ("getent", "passwd")


def bootstrap_rules(listing: str) -> str:
    """The rule lines of `nft list chain` output (not the table, chain, hook or closing lines)."""
    skip = ("table ", "chain ", "type ", "policy ", "}")
    return "\n".join(
        line.strip() for line in listing.splitlines() if line.strip() and not line.strip().startswith(skip)
    )
