"""The OPNsense API driver against the API contract (trisite.testing.opnsense, httpx.MockTransport), with the
reference design's rendered calls. A contract written from OPNsense's documentation: no OPNsense runs here."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

import pytest

from tests.conftest import EXAMPLES
from trisite.drivers.opnsense import OpnsenseAccess, OpnsenseDriver
from trisite.errors import DriverError
from trisite.model import Index, load_design
from trisite.render import opnsense
from trisite.testing.opnsense import FakeOpnsense

FIREWALL = "dc1-fw1"
ASSIGNED = {"ix0": "wan", "ix1.10": "opt1", "ix1.11": "opt2", "ix1.100": "lan", "ix1.300": "opt3", "ix1.400": "opt4",
            "ix1.500": "opt5", "ix1.912": "opt6", "ix1.913": "opt7"}  # fmt: skip


@cache
def rendered() -> tuple[dict[str, Any], ...]:
    design = load_design(EXAMPLES / "three-sites" / "design.yaml").design
    doc = next(
        json.loads(a.content) for a in opnsense.render(design, Index.of(design)) if a.device == FIREWALL
    )
    return tuple(doc["calls"])


def calls() -> list[dict[str, object]]:
    return [json.loads(json.dumps(c)) for c in rendered()]  # a fresh copy each time


class Sleeps(list[float]):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def driver_for(api: FakeOpnsense, credentials: str = "", sleeps: Sleeps | None = None) -> OpnsenseDriver:
    access = OpnsenseAccess(
        FIREWALL, "https://198.18.10.1", "opnsense-api", timeout=1.0, attempts=3, backoff=1.0
    )
    text = credentials or f"key={api.key}\nsecret={api.secret}\n"  # as OPNsense's apikey.txt says it
    return OpnsenseDriver(
        {FIREWALL: access},
        lambda _: text,
        transport=api.transport(),
        sleep=sleeps if sleeps is not None else Sleeps(),
    )


def contract() -> FakeOpnsense:
    return FakeOpnsense(assigned=dict(ASSIGNED))


def paths(api: FakeOpnsense) -> list[str]:
    return [f"{m} {p}" for m, p, _ in api.requests]


def test_the_calls_are_applied_with_opnsense_interface_keys_inside_a_confirmed_savepoint() -> None:
    api = contract()
    driver_for(api).apply_api(FIREWALL, calls())
    sent = paths(api)
    assert sent[:2] == [
        "GET /api/interfaces/overview/interfacesInfo",
        "GET /api/interfaces/vlan_settings/searchItem",
    ]
    savepoint = sent.index("POST /api/firewall/filter/savepoint")
    first_vip = next(i for i, p in enumerate(sent) if "vip_settings/addItem" in p)
    assert savepoint < first_vip  # interface changes are inside the window too
    revision = api.revisions[0]
    applied = sent.index(f"POST /api/firewall/filter/apply/{revision}")
    assert sent[applied + 1 : applied + 3] == [
        "GET /api/firewall/filter/searchRule",  # the API still answers with the new rules
        f"POST /api/firewall/filter/cancelRollback/{revision}",
    ]
    assert all("quagga" not in p for p in sent[:applied])  # routing after the filter is confirmed
    assert api.pending_rollback is None and api.confirmed == [revision]
    rules = api.items[("/api/firewall/filter", "Rule")].values()
    every = "wan,opt1,lan,opt2,opt3,opt4,opt5,opt6,opt7"  # flows: in on every interface
    assert {r["interface"] for r in rules if r["description"].startswith("forward")} == {every}
    assert {r["interface"] for r in rules} - {every} <= set(ASSIGNED.values())  # the firewall's own: one each
    vips = api.items[("/api/interfaces/vip_settings", "Item")].values()
    wanted = {
        c["body"]["vip"]["subnet"]: ASSIGNED[c["body"]["vip"]["interface"]]
        for c in rendered()
        if "vip" in c.get("body", {})
    }
    assert {v["subnet"]: v["interface"] for v in vips} == wanted
    ospf = api.items[("/api/quagga/ospfsettings", "Interface")].values()
    transit = sorted(i["interfacename"] for i in ospf if "hellointerval" in i)
    assert transit == ["opt6", "opt7"]  # the MAN: adjacencies with hellos and BFD
    stubs = sorted(i["interfacename"] for i in ospf if "hellointerval" not in i)
    assert stubs == sorted(set(every.split(",")) - {"opt6", "opt7"})  # the rest: passive stubs of the area
    settings = api.settings["/api/quagga/ospfsettings/set"]["ospf"]
    assert sorted(settings["passiveinterfaces"].split(",")) == stubs and "redistribute" not in settings


def test_applying_twice_sets_what_exists_instead_of_adding_it_again() -> None:
    api = contract()
    driver = driver_for(api)
    driver.apply_api(FIREWALL, calls())
    counts = {k: len(v) for k, v in api.items.items()}
    api.requests.clear()
    driver.apply_api(FIREWALL, calls())
    assert {k: len(v) for k, v in api.items.items()} == counts
    assert not any("/add" in p for p in paths(api))
    assert (
        sum("/api/firewall/filter/setRule/" in p for p in paths(api))
        == counts[("/api/firewall/filter", "Rule")]
    )


def test_an_interface_opnsense_has_not_assigned_stops_everything_before_any_change() -> None:
    api = contract()
    del api.assigned["ix1.500"]
    with pytest.raises(DriverError) as caught:
        driver_for(api).apply_api(FIREWALL, calls())
    message = str(caught.value)
    assert message.startswith(
        f"{FIREWALL}: interface ix1.500 is not assigned on OPNsense (lan=vlan02, opt1=vlan01, "
    )
    assert message.endswith("assign it (Interfaces: Assignments), then deploy again")
    assert [m for m, _, _ in api.requests] == ["GET", "GET"]  # nothing was sent


def test_rules_that_cut_the_station_off_are_never_confirmed_and_roll_back_by_themselves() -> None:
    api = contract()
    api.silent_after_apply = True
    with pytest.raises(DriverError) as caught:
        driver_for(api).apply_api(FIREWALL, calls())
    revision = api.revisions[0]
    assert str(caught.value) == (
        f"{FIREWALL}: the API did not answer after the new filter rules were applied, so they were not confirmed: "
        f"OPNsense restores revision {revision} by itself within 60 s; check that the rules let the station "
        "reach the API"
    )
    assert api.pending_rollback == revision and api.confirmed == []
    assert not any("cancelRollback" in p for p in paths(api))


def test_a_busy_firewall_is_retried_with_backoff() -> None:
    api, sleeps = contract(), Sleeps()
    api.failures = 2
    driver_for(api, sleeps=sleeps).apply_api(FIREWALL, calls())
    assert sleeps == [1.0, 2.0]
    assert api.confirmed == api.revisions


def test_a_firewall_that_does_not_answer_is_named_after_the_attempts() -> None:
    api, sleeps = contract(), Sleeps()
    api.failures = 100
    with pytest.raises(DriverError, match=rf"^{FIREWALL}: reading the interfaces: HTTP 503$"):
        driver_for(api, sleeps=sleeps).apply_api(FIREWALL, calls())
    assert sleeps == [1.0, 2.0]


def test_a_refused_key_is_said_without_showing_it_and_both_credential_forms_are_read() -> None:
    api = contract()
    with pytest.raises(DriverError, match="HTTP 401: the API key was refused") as caught:
        driver_for(api, credentials="wrong:s3cr3t-value").apply_api(FIREWALL, calls())
    assert "s3cr3t-value" not in str(caught.value) and "wrong" not in str(caught.value)
    driver_for(api, credentials=f"{api.key}:{api.secret}").apply_api(FIREWALL, calls())
    with pytest.raises(DriverError, match="neither key=/secret= lines nor KEY:SECRET"):
        driver_for(api, credentials="just-a-key").apply_api(FIREWALL, calls())


def test_a_refused_item_names_the_call_and_opnsense_validation() -> None:
    api = contract()
    broken = calls()
    broken[0] = {"method": "POST", "path": "/api/firewall/alias/addItem", "body": {"alias": {"name": ""}}}
    with pytest.raises(DriverError) as caught:
        driver_for(api).apply_api(FIREWALL, broken)
    assert str(caught.value) == (
        f"{FIREWALL}: POST /api/firewall/alias/addItem: POST /api/firewall/alias/addItem: refused: "
        "alias.name: A value is required."
    )


def test_a_firewall_without_api_access_is_a_driver_error() -> None:
    with pytest.raises(DriverError, match="dc9-fw1: no OPNsense API known for it") as caught:
        driver_for(contract()).apply_api("dc9-fw1", calls())
    assert caught.value.device == "dc9-fw1"


def test_a_call_refused_inside_the_savepoint_restores_the_filter_rules_at_once() -> None:
    api = contract()
    broken = calls()
    last_rule = max(i for i, c in enumerate(broken) if str(c["path"]).endswith("/filter/addRule"))
    broken.insert(
        last_rule,
        {"method": "POST", "path": "/api/firewall/filter/addRule", "body": {"rule": {"action": ""}}},
    )
    with pytest.raises(DriverError) as caught:
        driver_for(api).apply_api(FIREWALL, broken)
    revision = api.revisions[0]
    assert str(caught.value).endswith(f"; the filter rules were restored to revision {revision}")
    assert api.reverted == [revision] and api.items[("/api/firewall/filter", "Rule")] == {}
    assert not any("/filter/apply" in p for p in paths(api))  # never applied, nothing left to time out
