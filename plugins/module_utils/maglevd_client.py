# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vpp.maglev engineers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A standard-library client for maglevd's control API (docs/api.md).

Used by maglevc, the maglev_backend module and vpp_lb_state (health read from maglevd), so it
runs on target hosts: no aiohttp, no requests. Unix socket by default; TCP with a bearer token
when `server` is given.

    client = MaglevdClient()                                   # $MAGLEV_SOCKET, else DEFAULT_SOCKET
    client = MaglevdClient(server="10.0.0.1:9090", token="...")
    client.backends(); client.backend("web1"); client.pause("web1")
    client.set_weight("web", "primary", "web1", 50)
    for event in client.events(backend="web1", num=10): ...

Errors: MaglevdUnavailable (the daemon cannot be asked), with two subclasses callers may tell
apart - MaglevdNotRunning (no socket, or nobody listening on it: proof that no maglevd runs)
and MaglevdNotAnswering (connected, but no reply within the timeout: hung or stopped) - and
MaglevdError (the daemon refused: `.status`, `.code`, `.message`).
"""

from __future__ import annotations

import http.client
import json
import os
import socket
from typing import Any, Dict, Iterator, List, Optional, Tuple
from urllib.parse import quote, urlencode

from .operator_actions import ACTIONS as OPERATOR_ACTIONS

# The one default of maglevd's control socket: maglevd, maglevc and the modules' argument
# specs use it; the modules' docs repeat it (a unit test keeps them equal).
DEFAULT_SOCKET = "/run/maglevd/maglevd.sock"
ACTIONS = tuple(OPERATOR_ACTIONS)  # the verbs of POST /v1/backends/<name>/<action>


class MaglevdError(Exception):
    """maglevd answered with an error."""

    def __init__(self, message: str, status: int = 0, code: str = "error", body: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code
        self.body = body  # the decoded answer, when it is a result rather than an error object


class MaglevdUnavailable(MaglevdError):
    """maglevd cannot be reached (not running, wrong socket, no permission, no answer)."""


class MaglevdNotRunning(MaglevdUnavailable):
    """No maglevd: the socket does not exist or nobody listens on it."""


class MaglevdNotAnswering(MaglevdUnavailable):
    """Something accepted the connection but did not answer in time (a hung or stopped daemon)."""


class UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path: str, timeout: Optional[float] = None) -> None:
        super().__init__("localhost", timeout=timeout)
        self.unix_path = path

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        if self.timeout is not None:
            sock.settimeout(self.timeout)
        try:
            sock.connect(self.unix_path)
        except OSError:
            sock.close()
            raise
        self.sock = sock


def split_server(server: str) -> Tuple[str, int]:
    """host:port (IPv6 in brackets) -> (host, port); MaglevdError when it is not that."""
    host, sep, port = server.rpartition(":")
    if not sep or not port.isdigit():
        raise MaglevdError(f"server: expected host:port, got {server!r}", code="invalid-request")
    return (host[1:-1] if host.startswith("[") else host) or "localhost", int(port)


class MaglevdClient:
    def __init__(
        self,
        socket_path: Optional[str] = None,
        server: Optional[str] = None,
        token: Optional[str] = None,
        timeout: float = 10.0,
    ) -> None:
        self.socket_path = socket_path or os.environ.get("MAGLEV_SOCKET") or DEFAULT_SOCKET
        self.server = server
        self.token = token
        self.timeout = timeout

    @property
    def where(self) -> str:
        return self.server if self.server else self.socket_path

    def _connection(self, timeout: Optional[float]) -> http.client.HTTPConnection:
        if self.server:
            host, port = split_server(self.server)
            return http.client.HTTPConnection(host, port, timeout=timeout)
        return UnixHTTPConnection(self.socket_path, timeout=timeout)

    def auth_headers(self) -> Dict[str, str]:
        """The headers every request carries (the event source plugin sends them too)."""
        headers = {"Accept": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        return headers

    def _open(self, method: str, path: str, body: Any = None, timeout: Optional[float] = -1.0):
        headers = self.auth_headers()
        payload = None
        if body is not None:
            payload = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        conn = self._connection(self.timeout if timeout == -1.0 else timeout)
        try:
            conn.request(method, path, body=payload, headers=headers)
            response = conn.getresponse()
        except BaseException as exc:
            conn.close()
            raise self._unavailable(exc)
        return conn, response

    def _unavailable(self, exc: BaseException) -> BaseException:
        """The error to raise for ``exc`` raised while talking to the daemon."""
        if isinstance(exc, (FileNotFoundError, ConnectionRefusedError)):
            return MaglevdNotRunning(f"maglevd is not running (cannot connect to {self.where}: {exc.strerror})")
        if isinstance(exc, TimeoutError):
            return MaglevdNotAnswering(f"maglevd at {self.where} is not answering: no reply within {self.timeout}s")
        if isinstance(exc, PermissionError):
            return MaglevdUnavailable(f"no permission to use {self.where}: {exc.strerror}")
        if isinstance(exc, (OSError, http.client.HTTPException)):
            return MaglevdUnavailable(f"cannot talk to maglevd at {self.where}: {exc}")
        return exc

    def request(self, method: str, path: str, body: Any = None) -> Any:
        conn, response = self._open(method, path, body)
        try:
            data = response.read()
        except BaseException as exc:
            raise self._unavailable(exc)
        finally:
            conn.close()
        try:
            decoded = json.loads(data) if data else None
        except ValueError:
            raise MaglevdError(f"maglevd sent a response that is not JSON (HTTP {response.status})", response.status)
        if response.status >= 400:
            error = decoded.get("error") if isinstance(decoded, dict) else None
            if isinstance(error, dict):
                raise MaglevdError(error.get("message", "error"), response.status, error.get("code", "error"))
            raise MaglevdError(f"HTTP {response.status}", response.status, body=decoded)
        return decoded

    # -- resources ----------------------------------------------------------------------------

    def version(self) -> Dict[str, Any]:
        return self.request("GET", "/v1/version")

    def status(self) -> Dict[str, Any]:
        return self.request("GET", "/v1/status")

    def states(self) -> Dict[str, str]:
        """{backend: state} — the live health the state module plans with."""
        return self.request("GET", "/v1/states")

    def frontends(self) -> List[Dict[str, Any]]:
        return self.request("GET", "/v1/frontends")

    def frontend(self, name: str) -> Dict[str, Any]:
        return self.request("GET", f"/v1/frontends/{quote(name, safe='')}")

    def backends(self) -> List[Dict[str, Any]]:
        return self.request("GET", "/v1/backends")

    def backend(self, name: str) -> Dict[str, Any]:
        return self.request("GET", f"/v1/backends/{quote(name, safe='')}")

    def healthchecks(self) -> List[Dict[str, Any]]:
        return self.request("GET", "/v1/healthchecks")

    def healthcheck(self, name: str) -> Dict[str, Any]:
        return self.request("GET", f"/v1/healthchecks/{quote(name, safe='')}")

    # -- actions ------------------------------------------------------------------------------

    def backend_action(self, name: str, action: str, force: bool = False) -> Dict[str, Any]:
        """pause | resume | enable | disable; the result has the backend and `changed`.

        maglevd refuses (409 last-serving-backend) an action that would leave a serving frontend
        with no backend of weight above 0, unless `force`.
        """
        if action not in ACTIONS:
            raise MaglevdError(f"action: expected one of {', '.join(ACTIONS)}, got {action!r}", code="invalid-request")
        return self.request("POST", f"/v1/backends/{quote(name, safe='')}/{action}" + ("?force=1" if force else ""))

    def pause(self, name: str) -> Dict[str, Any]:
        return self.backend_action(name, "pause")

    def resume(self, name: str) -> Dict[str, Any]:
        return self.backend_action(name, "resume")

    def enable(self, name: str) -> Dict[str, Any]:
        return self.backend_action(name, "enable")

    def disable(self, name: str) -> Dict[str, Any]:
        return self.backend_action(name, "disable")

    def set_weight(self, frontend: str, pool: str, backend: str, weight: int, force: bool = False) -> Dict[str, Any]:
        """A runtime weight; weight 0 on a frontend's last serving backend needs `force` (as above)."""
        path = "/v1/frontends/%s/pools/%s/backends/%s/weight" % tuple(
            quote(p, safe="") for p in (frontend, pool, backend)
        )
        return self.request("PUT", path + ("?force=1" if force else ""), {"weight": weight})

    def config_check(self) -> Dict[str, Any]:
        return self.request("POST", "/v1/config/check")

    def config_reload(self) -> Dict[str, Any]:
        """{ok, exit_code, errors, summary}; a refused reload is returned, not raised."""
        try:
            return self.request("POST", "/v1/config/reload")
        except MaglevdError as exc:
            if exc.status == 422:  # the refusal is the result: {ok: false, path, exit_code, errors}
                if isinstance(exc.body, dict) and isinstance(exc.body.get("errors"), list):
                    return exc.body
                return {"ok": False, "errors": [exc.message]}
            raise

    def vpp_info(self) -> Dict[str, Any]:
        return self.request("GET", "/v1/vpp/info")

    def vpp_lb_state(self) -> Dict[str, Any]:
        return self.request("GET", "/v1/vpp/lb/state")

    def vpp_lb_sync(self) -> Dict[str, Any]:
        return self.request("POST", "/v1/vpp/lb/sync")

    def metrics(self) -> str:
        conn, response = self._open("GET", "/metrics")
        try:
            return response.read().decode()
        finally:
            conn.close()

    # -- event stream -------------------------------------------------------------------------

    def events(self, **filters: Any) -> Iterator[Dict[str, Any]]:
        """Yield events as they happen (dicts with a `type`); pings are skipped. The filters are
        events_path's: backend, frontend, log, level, probes, num, replay."""
        path = events_path(**filters)
        conn, response = self._open("GET", path, timeout=None)
        try:
            if response.status >= 400:
                raise error_of(response.status, response.read())
            for line in response:
                line = line.strip()
                if not line:
                    continue
                event = json.loads(line)
                if event.get("type") != "ping":
                    yield event
        finally:
            conn.close()


def events_path(
    backend: Optional[str] = None,
    frontend: Optional[str] = None,
    log: bool = False,
    level: str = "info",
    probes: bool = False,
    num: Optional[int] = None,
    replay: bool = True,
) -> str:
    """The path and query of GET /v1/events for these filters (docs/api.md, "Event stream")."""
    query: Dict[str, str] = {}
    if backend:
        query["backend"] = backend
    if frontend:
        query["frontend"] = frontend
    if log:
        query["log"] = "1"
        query["level"] = level
    if probes:
        query["probes"] = "1"
    if num is not None:
        query["num"] = str(num)
    if not replay:
        query["noreplay"] = "1"
    return "/v1/events" + ("?" + urlencode(query) if query else "")


def error_of(status: int, data: bytes) -> MaglevdError:
    """The MaglevdError of an error answer's status and body (an `{"error": {...}}` object)."""
    try:
        error = json.loads(data).get("error", {})
    except (ValueError, AttributeError):
        error = {}
    if not isinstance(error, dict):
        error = {}
    return MaglevdError(error.get("message", f"HTTP {status}"), status, error.get("code", "error"))
