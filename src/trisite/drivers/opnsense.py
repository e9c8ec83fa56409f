"""OPNsense firewalls through their REST API (httpx), applying render/opnsense.py's calls.

- Credentials: an API key and secret (OPNsense's apikey.txt lines `key=...` and `secret=...`, or `KEY:SECRET`)
  read from a secret when first used, sent as HTTP basic authentication; neither ever appears in a message.
- Interface names: the design says `ix1` or `ix1.100`; OPNsense wants its assignment keys (wan, lan, optN). They
  are read from the firewall first (the interfaces overview and the VLAN devices), and every call is checked
  before any is sent: a name OPNsense has not assigned stops the deployment with nothing changed.
- Lock-out safety: calls that can cut the station off (filter rules, interface addresses) run inside the filter
  API's savepoint: `savepoint`, the changes, `apply/REVISION` (OPNsense restores REVISION by itself 60 s later),
  one request proving the API still answers, then `cancelRollback/REVISION`. An API gone silent is never
  confirmed. A call refused or unanswered inside the window, before the apply, is undone at once with
  `revert/REVISION`. (OPNsense core removed these actions in June 2026, opnsense/core#10411: they exist up to
  the 26.1 series.) The timer restores the filter rules; what else changed in the window is said in docs/drivers.md.
- Running twice changes nothing more: an `addX` call whose item exists (by its name, description, address or
  interface) becomes `setX/UUID`.
"""

from __future__ import annotations

import functools
import re
import ssl
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import httpx

from trisite.drivers.opnsense_names import InterfaceNames, read_names, rename_interfaces
from trisite.drivers.retry import Backoff, retried
from trisite.errors import DriverError, TrisiteError

GUARDED = ("/api/firewall/filter/", "/api/interfaces/")
FILTER = "/api/firewall/filter"
ADD = re.compile(r"^(?P<base>/api/.+)/add(?P<what>[A-Z]\w*)$")
# The field an item is known by, per the body's key (alias, rule, vip, neighbor, interface).
KEYS = {
    "alias": "name",
    "rule": "description",
    "vip": "subnet",
    "neighbor": "address",
    "interface": "interfacename",
    "vlan": "vlanif",  # searchItem says "vlan0.1.100 [OPT1]" once assigned: the device is the first word
}
FAILED = ("failed", "error")


@dataclass(frozen=True)
class OpnsenseAccess:
    device: str
    url: str  # https://ADDRESS[:PORT], the firewall's API
    credentials: str  # the secret's name: the API key and secret
    verify: str | bool = True  # a CA bundle path, or whether to check the certificate against the system's
    timeout: float = 15.0
    attempts: int = 3
    backoff: float = 1.0


def _key_and_secret(device: str, text: str) -> tuple[str, str]:
    fields = dict(line.split("=", 1) for line in text.splitlines() if "=" in line)
    if "key" in fields and "secret" in fields:
        return fields["key"].strip(), fields["secret"].strip()
    key, colon, secret = text.strip().partition(":")
    if not colon or not key or not secret:
        raise DriverError(
            f"{device}: the API credentials are neither key=/secret= lines nor KEY:SECRET", device=device
        )
    return key, secret


class ApiError(Exception):
    """A call OPNsense answered with a refusal (4xx, or result "failed"): retrying will not help."""


class OpnsenseDriver:
    """The site's ApiDriver for OPNsense firewalls. `transport`: httpx's seam (tests mount the contract there)."""

    capabilities = frozenset({"api:opnsense"})

    def __init__(
        self,
        accesses: Mapping[str, OpnsenseAccess],
        secret: Callable[[str], str],
        *,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._accesses = dict(accesses)
        self._secret = secret
        self._transport = transport
        self._sleep = sleep

    def apply_api(self, device: str, calls: Sequence[dict[str, object]]) -> None:
        access = self._accesses.get(device)
        if access is None:
            raise DriverError(
                f"{device}: no OPNsense API known for it (is it an OPNsense firewall?)", device=device
            )
        with self._client(access) as client:
            session = _Session(access, client, self._sleep)
            names = session.call("reading the interfaces", lambda: read_names(session.answer))
            prepared = [
                rename_interfaces(device, dict(c), names) for c in calls
            ]  # all checked before any is sent
            session.apply(prepared)

    def interfaces(self, device: str) -> InterfaceNames:
        """The firewall's interface assignments, as the driver maps the design's names with them."""
        access = self._accesses[device]
        with self._client(access) as client:
            session = _Session(access, client, self._sleep)
            names: InterfaceNames = session.call("reading the interfaces", lambda: read_names(session.answer))
            return names

    def _client(self, access: OpnsenseAccess) -> httpx.Client:
        try:
            text = self._secret(access.credentials)
        except TrisiteError as exc:  # the secret's message names it, never its value
            raise DriverError(f"{access.device}: the API credentials: {exc}", device=access.device) from None
        key, secret = _key_and_secret(access.device, text)
        verify = (
            ssl.create_default_context(cafile=access.verify)
            if isinstance(access.verify, str)
            else access.verify
        )
        return httpx.Client(
            base_url=access.url,
            auth=httpx.BasicAuth(key, secret),
            verify=verify,
            timeout=access.timeout,
            transport=self._transport,
            headers={"Accept": "application/json"},
        )


class _Session:
    """One apply: requests with retries, the savepoint around what can lock us out, one line per failure."""

    def __init__(self, access: OpnsenseAccess, client: httpx.Client, sleep: Callable[[float], None]) -> None:
        self.access, self.client, self.sleep = access, client, sleep
        self.revision: str | None = None  # the savepoint while one is open
        self.applied = False  # apply/REVISION sent: OPNsense's own timer rolls back from then on

    @property
    def device(self) -> str:
        return self.access.device

    def call(self, what: str, work: Callable[[], Any]) -> Any:
        backoff = Backoff(self.access.attempts, self.access.backoff)
        try:
            return retried(work, backoff, transient=_transient, sleep=self.sleep)
        except ApiError as exc:
            raise DriverError(f"{self.device}: {what}: {exc}", device=self.device) from None
        except httpx.HTTPStatusError as exc:
            raise DriverError(
                f"{self.device}: {what}: HTTP {exc.response.status_code}", device=self.device
            ) from None
        except httpx.TransportError as exc:
            raise DriverError(
                f"{self.device}: {what}: no answer from {self.access.url} ({type(exc).__name__}, {backoff.describe()})",
                device=self.device,
            ) from None

    def answer(self, method: str, path: str, body: object = None) -> Any:
        response = self.client.request(method, path, json=body if method == "POST" else None)
        if response.status_code in (401, 403):
            raise ApiError(
                f"HTTP {response.status_code}: the API key was refused (check it and its privileges)"
            )
        if 400 <= response.status_code < 500:
            raise ApiError(f"HTTP {response.status_code} for {method} {path}")
        response.raise_for_status()  # 5xx: transient, retried
        try:
            found = response.json()
        except ValueError:
            raise ApiError(f"{method} {path}: the answer is not JSON") from None
        if isinstance(found, Mapping) and (found.get("result") in FAILED or found.get("status") in FAILED):
            raise ApiError(f"{method} {path}: {_refusal(found)}")
        return found

    # -- the calls, in order --------------------------------------------------------------------------------------
    def apply(self, calls: Sequence[Mapping[str, Any]]) -> None:
        try:
            self._send(calls)
        except DriverError as exc:
            if (
                self.revision is None or self.applied
            ):  # nothing open, or the rollback timer is already running
                raise
            revision, self.revision = self.revision, None
            try:
                self.answer("POST", f"{FILTER}/revert/{revision}")
            except (httpx.HTTPError, ApiError):
                raise DriverError(f"{exc}; restoring revision {revision} failed too: restore it on the firewall "
                                  "(System: Configuration: History)", device=self.device) from None  # fmt: skip
            raise DriverError(f"{exc}; the filter rules were restored to revision {revision}",
                              device=self.device) from None  # fmt: skip

    def _send(self, calls: Sequence[Mapping[str, Any]]) -> None:
        for call in calls:
            path = str(call["path"])
            if path.startswith(GUARDED) and self.revision is None:
                self.revision = str(
                    self.call("savepoint", lambda: self.answer("POST", f"{FILTER}/savepoint"))["revision"]
                )
            if path == f"{FILTER}/apply":
                self._apply_and_confirm()
                continue
            self.call(f"{call.get('method', 'POST')} {path}", functools.partial(self._one, call))
        if self.revision is not None:  # guarded changes but no filter apply among the calls: apply them here
            self._apply_and_confirm()

    def _one(self, call: Mapping[str, Any]) -> Any:
        method, path, body = str(call.get("method", "POST")).upper(), str(call["path"]), call.get("body")
        added = ADD.match(path)
        if method == "POST" and added and isinstance(body, Mapping) and len(body) == 1:
            kind, item = next(iter(body.items()))
            if kind == "vlan" and self._vlan_exists(item):  # made before (by hand too): keep it and its name
                return {"result": "saved"}
            uuid = self._existing(added["base"], added["what"], kind, item)
            if uuid:
                return self.answer("POST", f"{added['base']}/set{added['what']}/{uuid}", body)
        return self.answer(method, path, body)

    def _vlan_exists(self, item: Mapping[str, Any]) -> bool:
        """OPNsense allows one VLAN per parent and tag, whatever its device is called."""
        found = self.answer("GET", "/api/interfaces/vlan_settings/searchItem")
        rows = found.get("rows", []) if isinstance(found, Mapping) else []
        return any(
            (str(r.get("if")), str(r.get("tag"))) == (str(item.get("if")), str(item.get("tag"))) for r in rows
        )

    def _existing(self, base: str, what: str, kind: str, item: Mapping[str, Any]) -> str | None:
        """The UUID of the item that has the same name (description, address, ...), if there is one."""
        field = KEYS.get(kind)
        value = item.get(field) if field else None
        if not value:
            return None
        found = self.answer(
            "POST", f"{base}/search{what}", {"current": 1, "rowCount": -1, "searchPhrase": value}
        )
        rows = found.get("rows", []) if isinstance(found, Mapping) else []
        return next(
            (str(r["uuid"]) for r in rows if _known_as(kind, r.get(field)) == str(value) and r.get("uuid")),
            None,
        )

    def _apply_and_confirm(self) -> None:
        revision = self.revision
        if revision is None:  # a filter apply with no guarded change before it: nothing to roll back to
            self.call(f"POST {FILTER}/apply", lambda: self.answer("POST", f"{FILTER}/apply"))
            return
        self.applied = True
        self.call(
            f"POST {FILTER}/apply/{revision}", lambda: self.answer("POST", f"{FILTER}/apply/{revision}")
        )
        try:  # one try, short: the rollback timer runs, and an API that went silent must not be confirmed
            self.answer("GET", f"{FILTER}/searchRule")
        except (httpx.HTTPError, ApiError):
            raise DriverError(
                f"{self.device}: the API did not answer after the new filter rules were applied, so they were not "
                f"confirmed: OPNsense restores revision {revision} by itself within 60 s; check that the rules "
                "let the station reach the API",
                device=self.device,
            ) from None
        self.call(
            f"POST {FILTER}/cancelRollback/{revision}",
            lambda: self.answer("POST", f"{FILTER}/cancelRollback/{revision}"),
        )
        self.revision, self.applied = None, False


def _known_as(kind: str, found: object) -> str:
    """A row's identifying field; a VLAN's device without the " [OPT1]" OPNsense adds once it is assigned."""
    return str(found or "").split(" ")[0] if kind == "vlan" else str(found or "")


def _transient(exc: Exception) -> bool:
    if isinstance(exc, httpx.HTTPStatusError):
        return exc.response.status_code >= 500
    return isinstance(exc, httpx.TransportError)


def _refusal(found: Mapping[str, Any]) -> str:
    validations = found.get("validations")
    if isinstance(validations, Mapping) and validations:
        parts = [f"{k}: {' '.join(v) if isinstance(v, list) else v}" for k, v in sorted(validations.items())]
        return "refused: " + "; ".join(parts)[:300]
    return f"refused ({found.get('result') or found.get('status')})"
