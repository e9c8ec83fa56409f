"""An in-memory BMC behind sushy's real connector: resources as a BMC answers them (recorded JSON), changed by
PATCH and POST as a BMC would, and a switch that makes it stop answering (the hung-BMC path).

Only the transport is fake: `fake_connector(bmc)` is trisite's own site connector with a requests adapter
mounted in place of the network, so sushy's authentication, error mapping and retries all run for real.
"""

from __future__ import annotations

import base64
import copy
import json
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import BaseAdapter

from trisite.drivers.redfish import BmcAccess, ConnectorFactory, site_connector

SESSIONS = "/redfish/v1/SessionService/Sessions"
# However long a caller is ready to wait, a hung fake gives up after this: tests never sleep for long.
MAX_HANG = 0.2


def _merge(into: dict[str, Any], patch: Mapping[str, Any]) -> None:
    for key, value in patch.items():
        if isinstance(value, Mapping) and isinstance(into.get(key), dict):
            _merge(into[key], value)
        else:
            into[key] = copy.deepcopy(value)


@dataclass
class FakeBmc:
    resources: dict[str, dict[str, Any]]  # path (no trailing slash) -> the JSON a GET answers
    user: str = "admin"
    password: str = "secret"  # noqa: S105 - a test account of a fake BMC
    hang: Callable[[str, str], bool] | None = None  # (method, path) -> never answer this request
    recovers_on_reset: bool = False  # a Manager.Reset cures the hang
    requests: list[tuple[str, str, object]] = field(default_factory=list)
    tokens: set[str] = field(default_factory=set)

    @classmethod
    def from_file(cls, path: str, **options: Any) -> FakeBmc:
        with open(path, encoding="utf-8") as recorded:  # noqa: PTH123 - a str path, as tests hand it
            return cls(json.load(recorded), **options)

    def hangs(self, method: str, path: str) -> bool:
        return self.hang is not None and self.hang(method, path)

    def authorized(self, headers: Mapping[str, str]) -> bool:
        if headers.get("X-Auth-Token") in self.tokens:
            return True
        basic = base64.b64encode(f"{self.user}:{self.password}".encode()).decode()
        return headers.get("Authorization") == f"Basic {basic}"

    def answer(
        self, method: str, path: str, body: Any, headers: Mapping[str, str]
    ) -> tuple[int, dict[str, str], Any]:
        """(status, headers, JSON or None) as a BMC would answer."""
        self.requests.append((method, path, body))
        if method == "POST" and path == SESSIONS:
            return self._login(body or {})
        if path not in ("/redfish/v1", "/redfish/v1/SessionService") and not self.authorized(headers):
            return 401, {}, {"error": {"message": "authentication required"}}
        if method == "POST":
            return self._post(path, body or {})
        return self._resource(method, path, body or {})

    def _resource(self, method: str, path: str, body: Mapping[str, Any]) -> tuple[int, dict[str, str], Any]:
        found = self.resources.get(path)
        if found is None:
            return 404, {}, None
        if method == "GET":
            return 200, {}, copy.deepcopy(found)
        if method == "PATCH":
            _merge(found, body)
        elif method == "DELETE":
            del self.resources[path]
        else:
            return 405, {}, None
        return 204, {}, None

    def _login(self, body: Mapping[str, Any]) -> tuple[int, dict[str, str], Any]:
        if (body.get("UserName"), body.get("Password")) != (self.user, self.password):
            return 401, {}, {"error": {"message": "invalid credentials"}}
        token = f"token-{len(self.tokens) + 1}"
        self.tokens.add(token)
        location = f"{SESSIONS}/{len(self.tokens)}"
        self.resources[location] = {"@odata.id": location, "Id": str(len(self.tokens))}
        return 201, {"X-Auth-Token": token, "Location": location}, {"@odata.id": location}

    def _post(self, path: str, body: Mapping[str, Any]) -> tuple[int, dict[str, str], Any]:
        if path.endswith("/Actions/Manager.Reset"):
            if self.recovers_on_reset:
                self.hang = None
            return 204, {}, None
        if path.endswith("/Actions/ComputerSystem.Reset"):
            system = self.resources[path.removesuffix("/Actions/ComputerSystem.Reset")]
            system["PowerState"] = (
                "Off" if body.get("ResetType") in ("ForceOff", "GracefulShutdown") else "On"
            )
            return 204, {}, None
        collection = self.resources.get(path)
        if collection is None or "Members" not in collection:
            return 405, {}, None
        member = f"{path}/{len(collection['Members']) + 1}"
        self.resources[member] = {
            **copy.deepcopy(dict(body)),
            "@odata.id": member,
            "Id": member.rsplit("/", 1)[1],
        }
        collection["Members"].append({"@odata.id": member})
        collection["Members@odata.count"] = len(collection["Members"])
        return 201, {"Location": member}, None


class _Adapter(BaseAdapter):
    """requests' transport seam: answers from a FakeBmc instead of the network."""

    def __init__(self, bmc: FakeBmc) -> None:
        super().__init__()
        self.bmc = bmc

    def send(  # noqa: PLR0917 - requests' own signature
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: Any = None,
        verify: Any = True,
        cert: Any = None,
        proxies: Any = None,
    ) -> requests.Response:
        del stream, verify, cert, proxies
        method, path = str(request.method), urlsplit(str(request.url)).path.rstrip("/") or "/"
        if self.bmc.hangs(method, path):
            wait = timeout[1] if isinstance(timeout, tuple) else timeout
            threading.Event().wait(min(float(wait or MAX_HANG), MAX_HANG))  # the caller's timeout running out
            raise requests.exceptions.ReadTimeout(f"{method} {path}: no answer", request=request)
        raw = request.body.decode() if isinstance(request.body, bytes) else str(request.body or "")
        sent = {k: v.decode() if isinstance(v, bytes) else v for k, v in request.headers.items()}
        status, headers, doc = self.bmc.answer(method, path, json.loads(raw) if raw else None, sent)
        response = requests.Response()
        response.status_code, response.request, response.url = status, request, str(request.url)
        response.headers.update(headers)
        if doc is not None:
            response.headers["Content-Type"] = "application/json"
            response._content = json.dumps(doc).encode()  # how a Response is built by hand
        else:
            response._content = b""
        return response

    def close(self) -> None:
        """Nothing to close: no sockets."""


def fake_connector(bmc: FakeBmc) -> ConnectorFactory:
    """trisite's site connector with the fake BMC mounted where the network would be."""

    def make(access: BmcAccess) -> Any:
        conn = site_connector(access)
        conn._session.mount("https://", _Adapter(bmc))  # sushy's requests session: the transport seam
        return conn

    return make
