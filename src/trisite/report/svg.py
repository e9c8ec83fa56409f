"""Inline SVG pictures for the campaign's HTML report: a timeline per scenario (probes, fault, detection,
recovery, rollback on wall-clock time) and the platform's sketch with the fault marked. Pure: values in, text
out; no script, no external resource."""

from __future__ import annotations

import datetime as dt
from html import escape

from trisite.prove.campaign import Result
from trisite.prove.sketch import INTERNET, Sketch

WIDTH, LEFT, RIGHT = 760, 20, 20
OK, LOST, FAULT, MEND, SEEN, BACK = "#2e7d32", "#c62828", "#ef6c00", "#1565c0", "#ad1457", "#2e7d32"


def _clock(start: float, offset: float) -> str:
    return dt.datetime.fromtimestamp(start + offset, dt.UTC).strftime("%H:%M:%S.%f")[:-3]


def _marker(x: float, colour: str, label: str, row: int) -> str:
    y = 14 + 12 * row
    near_end = x > WIDTH - 160  # the label goes left of its line, inside the picture
    place = f'x="{x - 3:.1f}" text-anchor="end"' if near_end else f'x="{x + 3:.1f}"'
    return (
        f'<line x1="{x:.1f}" y1="10" x2="{x:.1f}" y2="70" stroke="{colour}" stroke-width="2"/>'
        f'<text {place} y="{y}" fill="{colour}" font-size="10">{escape(label)}</text>'
    )


def _segments(r: Result, scale: float) -> list[str]:
    """The probe history as runs of answered (green) and lost (red) probes."""
    found, history = [], r.history
    i = 0
    while i < len(history):
        j = i
        while j + 1 < len(history) and history[j + 1].ok == history[i].ok:
            j += 1
        x0, x1 = LEFT + history[i].sent * scale, LEFT + history[j].sent * scale + 1
        colour = OK if history[i].ok else LOST
        found.append(f'<rect x="{x0:.1f}" y="48" width="{max(x1 - x0, 1):.1f}" height="14" fill="{colour}"/>')
        i = j + 1
    return found


def timeline(r: Result) -> str:
    """The scenario's timeline: measured on wall-clock time, or the twin's prediction on relative time."""
    if r.run is None or not r.history or r.run.fault_s is None:
        return _predicted(r)
    m = r.run
    span = max(m.rollback_s or 0.0, r.history[-1].sent) + 0.5
    scale = (WIDTH - LEFT - RIGHT) / span
    parts = _segments(r, scale)
    moments = [
        (m.fault_s, FAULT, "fault"),
        (m.detected_s, SEEN, "detected"),
        (m.recovered_s, BACK, "recovered"),
    ]
    moments.append((m.rollback_s, MEND, "rollback"))
    for row_, (at, colour, name) in enumerate(moments):
        if at is not None:
            parts.append(_marker(LEFT + at * scale, colour, f"{name} {_clock(m.started, at)}", row_))
    for tick in range(0, int(span) + 1, 2):
        x = LEFT + tick * scale
        parts.append(
            f'<text x="{x:.1f}" y="80" font-size="9" fill="#555">{_clock(m.started, tick)[:8]}</text>'
        )
    return _svg(parts, f"timeline of {r.scenario.name}")


def _predicted(r: Result) -> str:
    outage = r.predicted
    span = max((outage or 0.0) * 1.5, 5.0) if outage is not None else 60.0
    scale = (WIDTH - LEFT - RIGHT) / span
    down = span if outage is None else outage
    parts = [
        f'<rect x="{LEFT}" y="48" width="{WIDTH - LEFT - RIGHT}" height="14" fill="#cfd8dc"/>',
        f'<rect x="{LEFT}" y="48" width="{max(down * scale, 1):.1f}" height="14" fill="{LOST}" opacity="0.6"/>',
        _marker(LEFT, FAULT, "fault (t = 0)", 0),
    ]
    if outage is not None:
        parts.append(_marker(LEFT + outage * scale, BACK, f"recovered, predicted at t = {outage:.2f} s", 1))
    parts.append('<text x="20" y="80" font-size="9" fill="#555">relative time: predicted by the twin</text>')
    return _svg(parts, f"predicted timeline of {r.scenario.name}")


def _svg(parts: list[str], title: str, height: int = 86, kind: str = "timeline") -> str:
    return (
        f'<svg class="{kind}" width="{WIDTH}" height="{height}" '
        f'role="img" aria-label="{escape(title)}"><title>{escape(title)}</title>{"".join(parts)}</svg>'
    )


def topology(sketch: Sketch, faults: tuple[str, ...]) -> str:
    """The sites side by side under the internet, MAN links between them, the fault in red."""
    where, links = sketch.marked(faults)
    box_w, gap, top = 220, 30, 80
    centre = {site: (LEFT + i * (box_w + gap) + box_w / 2, top) for i, (site, _) in enumerate(sketch.sites)}
    centre[INTERNET] = (WIDTH / 2, 22)
    parts = [
        f'<ellipse cx="{WIDTH / 2}" cy="22" rx="60" ry="16" fill="#eceff1" stroke="#607d8b"/>'
        f'<text x="{WIDTH / 2}" y="26" text-anchor="middle" font-size="11">internet</text>'
    ]
    for n, link in enumerate(sketch.links):
        parts.append(
            _link(centre[link.a], centre[link.b], link.id, up=link.b == INTERNET, cut=link.id in links, n=n)
        )
    for i, (site, devices) in enumerate(sketch.sites):
        parts.append(_site_box(LEFT + i * (box_w + gap), top, box_w, site, devices=devices, where=where))
    return _svg(parts, "the platform with the fault marked", height=330).replace(
        'class="timeline"', 'class="topology"'
    )


def _link(a: tuple[float, float], b: tuple[float, float], name: str, *, up: bool, cut: bool, n: int) -> str:
    """A link: to the internet straight up; between sites a curve under the boxes."""
    (x1, y1), (x2, y2) = a, b
    if up:
        d = f"M{x1:.0f},{y1:.0f} L{x2:.0f},{y2 + 16:.0f}"
    else:
        below = y1 + 150
        d = f"M{x1:.0f},{below:.0f} Q{(x1 + x2) / 2:.0f},{below + 60 + 25 * (n % 2):.0f} {x2:.0f},{below:.0f}"
    style = (
        f'stroke="{LOST}" stroke-width="3" stroke-dasharray="6 4"'
        if cut
        else 'stroke="#90a4ae" stroke-width="1.5"'
    )
    return f'<path d="{d}" fill="none" {style}><title>{escape(name)}</title></path>'


def _site_box(x: float, y: float, w: float, site: str, *, devices: tuple[str, ...], where: set[str]) -> str:
    lost = site in where
    parts = [
        f'<rect x="{x}" y="{y}" width="{w}" height="150" rx="6" fill="{"#ffebee" if lost else "#f5f5f5"}" '
        f'stroke="{LOST if lost else "#607d8b"}" stroke-width="{3 if lost else 1}"/>',
        f'<text x="{x + 8}" y="{y + 16}" font-size="12" font-weight="bold">{escape(site)}</text>',
    ]
    for k, device in enumerate(devices):
        hit = device in where
        style = f'fill="{LOST}" font-weight="bold"' if hit else 'fill="#37474f"'
        mark = "x " if hit else ""
        parts.append(
            f'<text x="{x + 8 + (k % 2) * (w / 2)}" y="{y + 32 + 11 * (k // 2)}" font-size="9" {style}>'
            f"{mark}{escape(device)}</text>"
        )
    return "".join(parts)
