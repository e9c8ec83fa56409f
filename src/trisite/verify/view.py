"""What a layer asks of the twin while it builds its services, as a Protocol.

The layers depend on this and not on `twin.py`, which is the only module that imports the layers: the twin
implements the Protocol, the layers never see the class.
"""

from __future__ import annotations

from typing import Protocol

from trisite.model import Design
from trisite.verify.convergence import Convergence
from trisite.verify.service import Context, Presence
from trisite.verify.topology import Topology


class TwinView(Protocol):
    @property
    def design(self) -> Design: ...

    @property
    def topology(self) -> Topology: ...

    @property
    def convergence(self) -> Convergence:
        """How fast the world outside the design converges (the site's estimates or the lab's)."""
        ...

    def presence(self, ctx: Context, host: str, network: str) -> Presence:
        """Where a host is on a network in this scenario: part -> seconds until it is there."""
        ...

    def host_deps(self, host: str) -> frozenset[str]:
        """Components whose failure can move or stop a host (for a VM: every host it may run on)."""
        ...

    def direct_deps(self, host: str) -> frozenset[str]:
        """What decides whether a host is on its networks at all (its own parts and its switches)."""
        ...
