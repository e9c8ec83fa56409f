"""Commands on the machine trisite runs on: the seam the lab builds through (and tests can fake)."""

from __future__ import annotations

import subprocess
from collections.abc import Sequence

from trisite.errors import DriverError


class LocalHost:
    """Runs commands here; failures become one-line DriverErrors naming the command."""

    def run(
        self, args: Sequence[str], *, stdin: str | None = None, check: bool = True, timeout: float = 120
    ) -> subprocess.CompletedProcess[str]:
        try:
            result = subprocess.run(  # noqa: S603 - argument lists built by trisite, never through a shell
                list(args), input=stdin, capture_output=True, text=True, check=False, timeout=timeout
            )
        except FileNotFoundError:
            raise DriverError(f"{args[0]}: command not found (install it, see README)") from None
        except subprocess.TimeoutExpired:
            raise DriverError(f"{' '.join(args)}: no answer within {timeout:g} s") from None
        if check and result.returncode != 0:
            detail = (result.stderr or result.stdout).strip().splitlines()
            raise DriverError(
                f"{' '.join(args[:6])}: {detail[-1] if detail else f'exit {result.returncode}'}"
            )
        return result

    def ip_batch(self, lines: Sequence[str], netns: str | None = None, *, force: bool = False) -> None:
        """Many `ip` commands in one process (`ip -batch -`), in a namespace or the root one."""
        if not lines:
            return
        args = ["ip", *(["-n", netns] if netns else []), *(["-force"] if force else []), "-batch", "-"]
        self.run(args, stdin="\n".join(lines) + "\n", check=not force)

    def in_netns(
        self, netns: str, args: Sequence[str], *, check: bool = True, timeout: float = 120
    ) -> subprocess.CompletedProcess[str]:
        return self.run(["ip", "netns", "exec", netns, *args], check=check, timeout=timeout)
