"""An OPNsense REST API contract, served in memory through httpx.MockTransport.

Written from OPNsense's documented API, not recorded from a running OPNsense (none runs here): the endpoint
paths, methods and payload shapes of docs.opnsense.org's API reference and of the controllers behind it in
opnsense/core (firewall alias and filter with its savepoint, apply/REVISION, cancelRollback/REVISION and revert;
interfaces overview, VLAN and virtual IP settings) and in opnsense/plugins' os-frr (general, BGP, BFD, OSPF,
service). Mutable collections follow OPNsense's model controllers: `addX` with {"KIND": {...}} answers
{"result": "saved", "uuid": ...}, `setX/UUID` {"result": "saved"}, `searchX` {"rows": [...], ...}, a refused
item {"result": "failed", "validations": {"KIND.FIELD": "..."}}; every change is a POST.

What the contract cannot tell: how a real OPNsense version words its validations, which fields it adds to rows,
and whether the rules really keep the station's access (that is what `silent_after_apply` plays).
"""

from __future__ import annotations

import base64
import itertools
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

# (the controller's path, what its item endpoints are called) -> the body's key of an item
COLLECTIONS = {
    ("/api/firewall/alias", "Item"): "alias",
    ("/api/interfaces/vlan_settings", "Item"): "vlan",
    ("/api/firewall/filter", "Rule"): "rule",
    ("/api/interfaces/vip_settings", "Item"): "vip",
    ("/api/quagga/bgp", "Neighbor"): "neighbor",
    ("/api/quagga/bfd", "Neighbor"): "neighbor",
    ("/api/quagga/ospfsettings", "Interface"): "interface",
}
SETTINGS = frozenset(
    {"/api/quagga/general/set", "/api/quagga/bgp/set", "/api/quagga/bfd/set", "/api/quagga/ospfsettings/set"}
)
RECONFIGURE = frozenset(
    {
        "/api/firewall/alias/reconfigure",
        "/api/interfaces/vip_settings/reconfigure",
        "/api/interfaces/vlan_settings/reconfigure",
        "/api/quagga/service/reconfigure",
    }
)
FILTER = "/api/firewall/filter"
# Fields holding interface assignment keys (the option lists OPNsense validates against).
INTERFACE_FIELDS = {"rule": "interface", "vip": "interface", "interface": "interfacename"}
REQUIRED = {
    "alias": "name",
    "rule": "action",
    "vip": "subnet",
    "neighbor": "address",
    "interface": "interfacename",
    "vlan": "tag",
}


@dataclass
class FakeOpnsense:
    key: str = "trisite-key"
    secret: str = "trisite-secret"  # noqa: S105 - the contract's own account
    assigned: dict[str, str] = field(default_factory=dict)  # design name (ix0, ix1.100) -> key (lan, opt1)
    items: dict[tuple[str, str], dict[str, dict[str, Any]]] = field(
        default_factory=dict
    )  # collection -> uuid -> item
    settings: dict[str, Any] = field(default_factory=dict)
    requests: list[tuple[str, str, Any]] = field(default_factory=list)
    silent_after_apply: bool = (
        False  # the new rules cut the station off: nothing answers after apply/REVISION
    )
    failures: int = 0  # the next this many requests answer 503 (a firewall busy reloading)
    revisions: list[str] = field(default_factory=list)
    pending_rollback: str | None = None  # applied with a revision, not confirmed: OPNsense will restore it
    confirmed: list[str] = field(default_factory=list)
    saved: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)  # revision -> the rules then
    reverted: list[str] = field(default_factory=list)
    _uuids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _silent: bool = False

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    # -- what the firewall says about its interfaces ----------------------------------------------------------
    def overview(self) -> dict[str, Any]:
        rows = [
            {"device": self.device_of(name), "identifier": key, "description": key.upper(), "status": "up"}
            for name, key in sorted(self.assigned.items())
        ]
        return {"total": len(rows), "rowCount": len(rows), "current": 1, "rows": rows}

    def vlans(self) -> dict[str, Any]:
        tagged = sorted(n for n in self.assigned if "." in n)
        rows = []
        for name in tagged:
            parent, tag = name.split(".")
            device = self.device_of(name)
            rows.append({"uuid": f"vlan-{tag}", "if": parent, "tag": tag, "pcp": "0", "proto": "",
                         "descr": "", "vlanif": f"{device} [{self.assigned[name].upper()}]"})  # fmt: skip
        made = self.items.get(("/api/interfaces/vlan_settings", "Item"), {})
        rows += [{"uuid": u, **item} for u, item in made.items()]  # the ones made through the API
        return {"total": len(rows), "rowCount": len(rows), "current": 1, "rows": rows}

    def device_of(self, name: str) -> str:
        """OPNsense's device name: VLANs are numbered vlan01, vlan02, ... in the order they were made."""
        tagged = sorted(n for n in self.assigned if "." in n)
        return f"vlan0{tagged.index(name) + 1}" if name in tagged else name

    # -- the API ----------------------------------------------------------------------------------------------
    def handle(self, request: httpx.Request) -> httpx.Response:
        method, path = request.method, request.url.path
        body = json.loads(request.content) if request.content else None
        self.requests.append((method, path, body))
        if self._silent:
            raise httpx.ConnectError("no route to the firewall any more", request=request)
        if self.failures > 0:
            self.failures -= 1
            return httpx.Response(503, json={"errorMessage": "configd busy"})
        if not self._authorized(request):
            return httpx.Response(401, json={"status": 401, "message": "Authentication Failed"})
        answer = self._route(method, path, body if isinstance(body, Mapping) else {})
        if answer is None:
            return httpx.Response(404, json={"errorMessage": "Endpoint not found", "errorTitle": "Error"})
        return httpx.Response(200, json=answer)

    def _authorized(self, request: httpx.Request) -> bool:
        expected = base64.b64encode(f"{self.key}:{self.secret}".encode()).decode()
        return str(request.headers.get("Authorization")) == f"Basic {expected}"

    def _route(self, method: str, path: str, body: Mapping[str, Any]) -> dict[str, Any] | None:
        reads = {
            "/api/interfaces/overview/interfacesInfo": self.overview,
            "/api/interfaces/vlan_settings/searchItem": self.vlans,
        }
        if path in reads:
            return reads[path]()
        if path.startswith(FILTER + "/") and path.split("/")[4] in (
            "savepoint",
            "apply",
            "cancelRollback",
            "revert",
        ):
            return self._filter(method, path)
        if method != "POST" and not path.rsplit("/", maxsplit=1)[-1].startswith(("search", "get")):
            return {"result": "failed"}  # a change needs a POST
        if path in SETTINGS:
            self.settings[path] = dict(body)
            return {"result": "saved"}
        return {"status": "ok"} if path in RECONFIGURE else self._collection(path, body)

    def _filter(self, method: str, path: str) -> dict[str, Any]:
        if method != "POST":
            return {"status": "error"}
        command, _, revision = path.removeprefix(FILTER + "/").partition("/")
        rules = self.items.setdefault((FILTER, "Rule"), {})
        if command == "savepoint":
            self.revisions.append(f"17329500{len(self.revisions):02d}.1234")
            self.saved[self.revisions[-1]] = {u: dict(r) for u, r in rules.items()}
            return {"status": "ok", "retention": "60", "revision": self.revisions[-1]}
        if command == "apply":
            if revision:
                self.pending_rollback = revision  # OPNsense's rollback timer: 60 s unless cancelled
                self._silent = self.silent_after_apply
            return {"status": "OK\n\n"}
        if command == "cancelRollback" and revision == self.pending_rollback:
            self.pending_rollback = None
            self.confirmed.append(revision)
            return {"status": "ok"}
        if command == "revert" and revision in self.saved:  # the filter model as it was at the savepoint
            self.items[(FILTER, "Rule")] = {u: dict(r) for u, r in self.saved[revision].items()}
            self.reverted.append(revision)
            return {"status": "ok"}
        return {"status": "unknown (or removed) savepoint"} if command == "revert" else {"status": "error"}

    def _collection(self, path: str, body: Mapping[str, Any]) -> dict[str, Any] | None:
        base, _, command = path.rpartition("/")
        uuid = ""
        if command and base.rpartition("/")[2].startswith("set"):  # setX/UUID
            base, _, command = base.rpartition("/")
            uuid = path.rpartition("/")[2]
        for (where, what), kind in COLLECTIONS.items():
            if base != where or command not in (f"add{what}", f"set{what}", f"search{what}"):
                continue
            items = self.items.setdefault((where, what), {})
            if command.startswith("search"):
                rows = [{"uuid": u, **item} for u, item in items.items()]
                return {"total": len(rows), "rowCount": len(rows), "current": 1, "rows": rows}
            if command.startswith("set") and uuid not in items:
                return {"result": "failed"}
            return self._store(
                kind, items, uuid or f"{next(self._uuids):08d}-0000-4000-8000-000000000000", body
            )
        return None

    def _store(
        self, kind: str, items: dict[str, dict[str, Any]], uuid: str, body: Mapping[str, Any]
    ) -> dict[str, Any]:
        item = body.get(kind)
        if not isinstance(item, Mapping):
            return {"result": "failed", "validations": {kind: "no item in the request"}}
        problems = self._validations(kind, item)
        if problems:
            return {"result": "failed", "validations": problems}
        created = uuid not in items
        items[uuid] = dict(item)
        return {"result": "saved", "uuid": uuid} if created else {"result": "saved"}

    def _validations(self, kind: str, item: Mapping[str, Any]) -> dict[str, str]:
        problems = {}
        required = REQUIRED.get(kind)
        if required and not item.get(required):
            problems[f"{kind}.{required}"] = "A value is required."
        if kind == "vlan" and any(
            (r["if"], str(r["tag"])) == (item.get("if"), str(item.get("tag"))) for r in self.vlans()["rows"]
        ):
            problems["vlan.tag"] = "Tag for this device must be unique."
        field_name = INTERFACE_FIELDS.get(kind)
        if field_name and item.get(field_name):
            keys = set(self.assigned.values())
            if any(part not in keys for part in str(item[field_name]).split(",")):
                problems[f"{kind}.{field_name}"] = "Option not in list."
        return problems
