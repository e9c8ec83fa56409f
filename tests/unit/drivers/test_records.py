"""The lab's record files, written by the deployment's parallel steps while others read them."""

from __future__ import annotations

import json
import threading
from pathlib import Path

from trisite.drivers import records


def test_parallel_writers_keep_every_entry(tmp_path: Path) -> None:
    path = tmp_path / "vpn.json"
    writers = [
        threading.Thread(target=records.update, args=(path, f"fw{i}", {"iface": f"wg{i}"})) for i in range(24)
    ]
    for w in writers:
        w.start()
    for w in writers:
        w.join()
    assert sorted(records.read(path)) == sorted(f"fw{i}" for i in range(24))


def test_a_reader_never_sees_a_file_half_written(tmp_path: Path) -> None:
    path = tmp_path / "ssh_config"
    whole = [("Host a\n" * 4000), ("Host b\n" * 9000)]
    records.write_aside(path, whole[0])
    seen: set[str] = set()
    done = threading.Event()

    def read_until_done() -> None:
        while not done.is_set():
            seen.add(path.read_text(encoding="utf-8"))

    reader = threading.Thread(target=read_until_done)
    reader.start()
    for i in range(200):
        records.write_aside(path, whole[i % 2])
    done.set()
    reader.join()
    assert seen <= set(whole)
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_nested_entries_and_the_mode_asked(tmp_path: Path) -> None:
    path = tmp_path / "services.json"
    records.update_nested(path, "etcd", "dc1-k8s1", [1, 2])
    records.update_nested(path, "etcd", "dc2-k8s1", [3])
    assert json.loads(path.read_text(encoding="utf-8")) == {"etcd": {"dc1-k8s1": [1, 2], "dc2-k8s1": [3]}}
    script = tmp_path / "ssh"
    records.write_aside(script, "#!/bin/sh\n", mode=0o755)
    assert script.stat().st_mode & 0o777 == 0o755
