"""The lab's BMC: sushy-tools' Redfish emulator, with a Storage resource that also says which RAID types each
controller supports (Redfish `SupportedRAIDTypes`), so that a controller unable to pass disks through (JBOD) is
visible as on real hardware. Run as `python -m trisite.lab.bmcserve --config FILE` inside a lab namespace."""

from __future__ import annotations

import sys
from importlib.resources import files

import jinja2
from sushy_tools.emulator import main as emulator


def serve() -> int:
    ours = jinja2.FileSystemLoader(str(files("trisite.lab") / "templates" / "redfish"))
    emulator.app.jinja_loader = jinja2.ChoiceLoader([ours, emulator.app.jinja_loader])
    status: int = emulator.main()
    return status


if __name__ == "__main__":
    sys.exit(serve())
