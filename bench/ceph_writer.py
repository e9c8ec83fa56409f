"""A Ceph client writing a small object every 50 ms until told to stop; prints the longest gap between two
completed writes (the client's I/O stall) as JSON. Run with Debian's /usr/bin/python3 (python3-rados) inside a
lab namespace: `ceph_writer.py CONF POOL SECONDS MS_MAX_BACKOFF` (bench/lab_services.py does).
"""

import itertools
import json
import sys
import time

import rados  # Debian's python3-rados

TICK_S = 0.05


def main(conf: str, pool: str, seconds: float, backoff: str) -> None:
    cluster = rados.Rados(conffile=conf, conf={"rados_osd_op_timeout": "0", "ms_max_backoff": backoff})
    cluster.connect(timeout=30)
    ioctx = cluster.open_ioctx(pool)
    done, started, n = [], time.monotonic(), 0
    while time.monotonic() - started < seconds:
        ioctx.write_full(f"stall-probe-{n % 64}", b"x" * 64)
        done.append(time.monotonic())
        n += 1
        time.sleep(max(0.0, started + n * TICK_S - time.monotonic()))
    gaps = [b - a for a, b in itertools.pairwise(done)]
    print(json.dumps({"writes": len(done), "stall_s": round(max(gaps, default=seconds), 2)}))
    ioctx.close()
    cluster.shutdown()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4])
