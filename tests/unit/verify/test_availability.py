"""Availability: closed forms, Monte Carlo agreement on a 2-of-3 quorum, and the verdict."""

from __future__ import annotations

import copy
import datetime as dt
import math

import pytest
import yaml

from tests.conftest import EXAMPLES
from trisite.model.design import Design
from trisite.verify import sweep
from trisite.verify.availability import (
    analytic,
    k_of_n_unavailability,
    monte_carlo,
    poisson_binomial_at_least,
)
from trisite.verify.reliability import budget_s
from trisite.verify.run import verify
from trisite.verify.twin import Twin

NEGLIGIBLE = {"mtbf_h": 1e12, "mttr_h": 1}


def three_mons(u: float) -> Design:
    """The minimal design plus three Ceph servers (2-of-3 MON quorum); only servers fail noticeably."""
    data = yaml.safe_load((EXAMPLES / "minimal" / "design.yaml").read_text(encoding="utf-8"))
    base = data["servers"][0]
    for i in (2, 3, 4):
        server = copy.deepcopy(base)
        server.update(
            name=f"srv{i}",
            roles=["ceph"],
            disks=[{"name": "sdb", "size_gb": 960, "media": "ssd", "use": "osd"}],
        )
        server["bmc"]["address"] = f"198.18.11.1{i}"
        server["addresses"] = [{"network": "lan", "ip": f"198.18.1.1{i}"}]
        data["servers"].append(server)
        data["cables"].append({"a": f"srv{i}:eno1", "b": f"sw1:swp{i + 2}", "speed": "10G"})
    data["ceph"] = [
        {
            "name": "c",
            "mons": ["srv2", "srv3", "srv4"],
            "mgrs": ["srv2"],
            "osd_hosts": ["srv2", "srv3", "srv4"],
            "public_network": "lan",
            "pools": [{"name": "p", "failure_domain": "host"}],
        }
    ]
    mttr = 10.0
    data["reliability"] = dict.fromkeys(
        ("site", "power-feed", "switch", "cable", "firewall", "uplink", "operator", "man-link", "vm"),
        NEGLIGIBLE,
    )
    data["reliability"]["server"] = {"mtbf_h": mttr * (1 - u) / u, "mttr_h": mttr}
    return Design.model_validate(data)


def test_k_of_n_closed_form() -> None:
    assert k_of_n_unavailability(3, 2, 0.1) == pytest.approx(3 * 0.01 * 0.9 + 0.001)
    assert poisson_binomial_at_least([0.1, 0.1, 0.1], 2) == pytest.approx(k_of_n_unavailability(3, 2, 0.1))
    assert poisson_binomial_at_least([0.2, 0.5], 1) == pytest.approx(1 - 0.8 * 0.5)


def test_analytic_and_monte_carlo_agree_on_two_of_three() -> None:
    u = 0.3
    twin = Twin(three_mons(u))
    groups = sweep.classes(twin)
    doubles, _ = sweep.double(twin, groups)
    structural = {a.service: a.structural_s for a in analytic(twin, sweep.single(twin, groups), doubles)}
    year = 365 * 24 * 3600
    exact = k_of_n_unavailability(3, 2, u)
    assert structural["ceph/c/mons"] / year == pytest.approx(exact, rel=1e-6)
    simulated = monte_carlo(twin, ["ceph/c/mons"], samples=400_000, seed=7)["ceph/c/mons"]
    assert math.isclose(simulated, exact, rel_tol=0.01), (simulated, exact)


def test_budget_and_verdict() -> None:
    report = verify(three_mons(0.3), today=dt.date(2026, 11, 25))
    assert budget_s(report.design) == pytest.approx(0.001 * 365 * 24 * 3600)
    assert not report.meets_target
    assert any(f.rule == "AVAILABILITY" and f.subject == "ceph/c/mons" for f in report.findings)
