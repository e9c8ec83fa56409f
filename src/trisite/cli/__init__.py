"""The `trisite` command line. `run` is the installed entry point."""

from __future__ import annotations

import sys


def run() -> None:
    """Import the application, then run it. A Ctrl-C while the stages are being imported (a few tenths of a
    second) ends with exit 130 and one line, like one at any later moment."""
    try:
        from trisite.cli.app import main  # noqa: PLC0415 - imported here so that the line above can catch it
    except KeyboardInterrupt:
        sys.stderr.write("trisite: interrupted\n")
        sys.exit(130)
    sys.exit(main())
