"""The Ansible tool driver: a real playbook run by ansible-runner from a lab namespace, over SSH, against a real
sshd in another namespace; the file it puts is read back, a failing task is named, an unknown host key stops."""

from __future__ import annotations

import signal
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.lab.sshd_lab import SshHost, sshd_lab
from trisite.drivers.ansible import AnsibleAccess, AnsibleDriver, Playbook
from trisite.errors import DriverError

pytestmark = pytest.mark.lab
PLAYBOOK = """- name: the demo tool
  hosts: role_demo
  gather_facts: false
  tasks:
    - name: put the greeting
      ansible.builtin.copy:
        dest: "{{ target }}"
        content: "{{ greeting }}\\n"
        mode: "0640"
    - name: fail on purpose
      ansible.builtin.command: /bin/false
      when: fail | default(false) | bool
"""


@pytest.fixture
def host(lab_root: Path, tmp_path: Path) -> Iterator[SshHost]:
    assert lab_root.name == "state"
    keys = tmp_path / "keys"
    keys.mkdir()
    with sshd_lab("ansible", keys) as found:
        yield found


def rendered(host: SshHost, target: Path, *, fail: bool = False) -> dict[str, str]:
    inventory = (
        f"all:\n  children:\n    role_demo:\n      hosts:\n        {host.device}:\n"
        f"          ansible_host: {host.access.address}\n          ansible_python_interpreter: /usr/bin/python3\n"
    )
    variables = f"target: {target}\ngreeting: hello from the station\nfail: {str(fail).lower()}\n"
    return {
        "lab/ansible/inventory.yml": inventory,
        "platform/demo/u1/site.yml": PLAYBOOK,
        "platform/demo/u1/vars.yml": variables,
    }


def driver_for(
    host: SshHost, tmp_path: Path, known_hosts: str = "", lines: list[str] | None = None
) -> AnsibleDriver:
    access = AnsibleAccess(
        known_hosts or host.access.known_hosts,
        private_key=host.access.client_keys[0],
        # Root's home on this machine stays as it was: Ansible's own directories go to the test's.
        env={
            "ANSIBLE_HOME": str(tmp_path / "ansible-home"),
            "ANSIBLE_REMOTE_TEMP": str(tmp_path / "remote-tmp"),
        },
    )
    playbooks = {"demo": Playbook("platform/demo/{unit}/site.yml", variables="platform/demo/{unit}/vars.yml")}
    return AnsibleDriver(
        playbooks,
        access,
        netns=host.station,
        timeout=300,
        attempts=2,
        backoff=0.1,
        progress=None if lines is None else lines.append,
    )


def leftovers() -> list[str]:
    return sorted(p.name for p in Path(tempfile.gettempdir()).glob("trisite-demo-*"))


def test_a_playbook_puts_a_file_that_reads_back(host: SshHost, tmp_path: Path) -> None:
    target, lines = tmp_path / "greeting.txt", list[str]()
    handlers = signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)
    driver = driver_for(host, tmp_path, lines=lines)
    assert driver.capabilities == frozenset({"tool:demo"})
    done = driver.run_tool("demo", "u1", rendered(host, target))
    assert done.returncode == 0
    assert target.read_text() == "hello from the station\n"
    assert oct(target.stat().st_mode & 0o777) == "0o640"
    assert lines == [
        f"demo u1: {host.device}: put the greeting: changed",
        f"demo u1: {host.device}: fail on purpose: skipped",
    ]
    assert "PLAY RECAP" in done.stdout
    assert (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)) == handlers
    assert leftovers() == []


def test_a_failed_task_is_one_line_naming_the_host_and_the_task(host: SshHost, tmp_path: Path) -> None:
    with pytest.raises(DriverError) as caught:
        driver_for(host, tmp_path).run_tool("demo", "u1", rendered(host, tmp_path / "g.txt", fail=True))
    assert str(caught.value).startswith(f"tool demo u1: {host.device}: task 'fail on purpose' failed: ")
    assert "\n" not in str(caught.value) and caught.value.device == host.device
    assert leftovers() == []


def test_an_unknown_host_key_leaves_the_host_unreachable(host: SshHost, tmp_path: Path) -> None:
    empty = tmp_path / "known_hosts_empty"
    empty.write_text("")
    target = tmp_path / "never.txt"
    with pytest.raises(
        DriverError, match=rf"tool demo u1: unreachable: {host.device} \(2 attempts over 0.1 s\)"
    ):
        driver_for(host, tmp_path, known_hosts=str(empty)).run_tool("demo", "u1", rendered(host, target))
    assert not target.exists()


def test_a_tool_without_playbook_and_a_path_outside_the_tree_are_refused(
    host: SshHost, tmp_path: Path
) -> None:
    driver = driver_for(host, tmp_path)
    with pytest.raises(
        DriverError, match=r"tool kayobe: no playbook known for it \(this driver runs: demo\)"
    ):
        driver.run_tool("kayobe", "r1", {})
    with pytest.raises(DriverError, match="a path inside the output tree was expected"):
        driver.run_tool("demo", "u1", {**rendered(host, tmp_path / "g.txt"), "../escape.yml": "x"})
