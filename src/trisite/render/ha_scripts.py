"""The scripts keepalived and ucarp run on a change of state: they move the addresses (ucarp) and tell
Prometheus which node holds each HA group, through node-exporter's textfile collector:

    trisite_ha_master{group="GROUP"} 1   (0 on the other members)

in /var/lib/prometheus/node-exporter/trisite_ha_GROUP.prom (TRISITE_TEXTFILE_DIR overrides the directory),
written to a temporary file first and renamed, so the collector never reads half a file. Where the directory
does not exist (no node-exporter), nothing is written: the address change is what matters.
"""

from __future__ import annotations

from trisite.render.monitoring.metrics import HA_MASTER_METRIC, TEXTFILE_DIR

_METRIC = """\
# textfile GROUP VALUE: the HA state of GROUP on this node, for node-exporter's textfile collector.
textfile() {{
    dir="${{TRISITE_TEXTFILE_DIR:-{textfile}}}"
    [ -d "$dir" ] || return 0
    tmp=$(mktemp "$dir/.trisite_ha_$1.XXXXXX") || return 0
    printf '# HELP {name} 1 when this node holds the HA group, else 0.\\n' > "$tmp"
    printf '# TYPE {name} gauge\\n{name}{{group="%s"}} %s\\n' "$1" "$2" >> "$tmp"
    chmod 0644 "$tmp"
    mv -f "$tmp" "$dir/trisite_ha_$1.prom"
}}
"""

VIP_UP = """#!/bin/sh
# {header}
# ucarp calls: vip-up INTERFACE VIRTUAL-ADDRESS PREFIX-LENGTH,GROUP (the --xparam)
set -u
{metric}
ip address add "$2/${{3%%,*}}" dev "$1"
added=$?
textfile "${{3#*,}}" 1
exit $added
"""

VIP_DOWN = """#!/bin/sh
# {header}
# ucarp calls: vip-down INTERFACE VIRTUAL-ADDRESS PREFIX-LENGTH,GROUP (the --xparam)
set -u
{metric}
ip address del "$2/${{3%%,*}}" dev "$1" 2>/dev/null || true
textfile "${{3#*,}}" 0
"""

KEEPALIVED_NOTIFY = """#!/bin/sh
# {header}
# keepalived calls: notify INSTANCE|GROUP NAME STATE PRIORITY; each vrrp_instance is an HA group.
set -u
{metric}
[ "$1" = INSTANCE ] || exit 0
case "$3" in
    MASTER) textfile "$2" 1 ;;
    *) textfile "$2" 0 ;;  # BACKUP, FAULT (a tracked interface is down), STOP
esac
"""


def script(text: str, header: str) -> str:
    return text.format(header=header, metric=_METRIC.format(textfile=TEXTFILE_DIR, name=HA_MASTER_METRIC))
