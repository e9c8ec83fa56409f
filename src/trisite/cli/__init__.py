"""The `trisite` command line. `run` is the installed entry point."""

from __future__ import annotations

import signal
import sys


def run() -> None:
    """Import the application, then run it. A Ctrl-C while the stages are being imported (a few tenths of a
    second) waits until they are: some libraries import optional parts under a bare `except`, which would
    swallow it and let the command run on. Then it ends with exit 130 and one line, like one at any moment."""
    before = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        from trisite.cli.app import main  # noqa: PLC0415 - imported here, with the interruption held

        signal.pthread_sigmask(signal.SIG_SETMASK, before)  # a Ctrl-C held meanwhile lands now, in this try
    except KeyboardInterrupt:
        sys.stderr.write("trisite: interrupted\n")
        sys.exit(130)
    sys.exit(main())
