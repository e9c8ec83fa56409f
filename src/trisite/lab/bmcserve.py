"""The lab's BMC: sushy-tools' Redfish emulator, with a Storage resource that also says which RAID types each
controller supports (Redfish `SupportedRAIDTypes`), so that a controller unable to pass disks through (JBOD) is
visible as on real hardware; and the clock a delivered BMC keeps (a manager's DateTime off by hours, or on a
local time zone) where a defect asks for it, since the emulator serves one clock for all its managers.
Run as `python -m trisite.lab.bmcserve --config FILE` inside a lab namespace."""

from __future__ import annotations

import datetime as dt
import json
import sys
from importlib.resources import files

import flask
import jinja2
from sushy_tools.emulator import main as emulator

MANAGERS = "/redfish/v1/Managers/"


def _offset(text: str) -> dt.timezone:
    sign = -1 if text.startswith("-") else 1
    hours, _, minutes = text.lstrip("+-").partition(":")
    return dt.timezone(sign * dt.timedelta(hours=int(hours), minutes=int(minutes or 0)))


def delivered_clock(response: flask.Response) -> flask.Response:
    """A manager's DateTime as its delivered BMC keeps it: skewed by TRISITE_CLOCK_SKEW seconds, or shown in
    the TRISITE_TZ_OFFSET time zone (per manager id; the lab's managers share their system's id)."""
    path = flask.request.path.rstrip("/")
    config = emulator.app.config
    identity = path.removeprefix(MANAGERS) if path.startswith(MANAGERS) else ""
    skew = config.get("TRISITE_CLOCK_SKEW", {}).get(identity)
    zone = config.get("TRISITE_TZ_OFFSET", {}).get(identity)
    if flask.request.method != "GET" or "/" in identity or (skew is None and zone is None):
        return response
    doc = response.get_json(silent=True)
    if not isinstance(doc, dict):
        return response
    offset = zone or "+00:00"
    now = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=float(skew or 0))
    doc["DateTime"] = now.astimezone(_offset(offset)).isoformat(timespec="seconds")
    doc["DateTimeLocalOffset"] = offset
    response.set_data(json.dumps(doc))
    return response


def serve() -> int:
    ours = jinja2.FileSystemLoader(str(files("trisite.lab") / "templates" / "redfish"))
    emulator.app.jinja_loader = jinja2.ChoiceLoader([ours, emulator.app.jinja_loader])
    emulator.app.after_request(delivered_clock)
    status: int = emulator.main()
    return status


if __name__ == "__main__":
    sys.exit(serve())
