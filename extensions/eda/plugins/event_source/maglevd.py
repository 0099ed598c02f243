# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vpp.maglev engineers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""vpp.maglev.maglevd: maglevd's event stream (GET /v1/events) as an Event-Driven Ansible source.

Standard library plus the collection's maglevd_client only, so a Decision Environment needs
nothing else (docs/eda.md).
"""

from __future__ import annotations

import asyncio
import difflib
import json
import os
import socket
import sys
import time
from dataclasses import dataclass
from typing import Any, AsyncIterator, Dict, FrozenSet, Mapping, Optional, Tuple
from urllib.parse import urlsplit

try:
    from ansible_collections.vpp.maglev.plugins.module_utils import maglevd_client
except ImportError:  # ansible-rulebook runs sources by path: put the collections root on sys.path
    _here = os.path.abspath(os.path.dirname(__file__))
    while os.path.basename(_here) != "ansible_collections" and os.path.dirname(_here) != _here:
        _here = os.path.dirname(_here)
    if os.path.basename(_here) != "ansible_collections":
        raise ImportError(
            f"{__file__} needs the vpp.maglev collection importable: install it (ansible-galaxy collection "
            "install) and name the source vpp.maglev.maglevd, or put the folder that holds ansible_collections/ "
            "on PYTHONPATH"
        )
    sys.path.insert(0, os.path.dirname(_here))
    from ansible_collections.vpp.maglev.plugins.module_utils import maglevd_client

DOCUMENTATION = r"""
---
short_description: Receive maglevd's backend and frontend transitions.
description:
  - An ansible-rulebook event source that follows maglevd's event stream (C(GET /v1/events))
    on its Unix socket or its TCP listener, so a rulebook reacts when a backend or a frontend
    changes state, a config reload fails or the VPP connection changes.
  - Each event holds the daemon's fields unchanged under the key C(maglevd), and
    C(meta.hostname) names the load balancer, so one rulebook can watch a fleet (one source
    per LB).
  - The source reconnects with backoff after a daemon restart or a dropped stream and puts
    one C(maglevd-stream) event (C(state) C(connected) or C(disconnected)) on the queue per
    change, so a rulebook can page when the watch itself is blind.
  - A refused token (HTTP 401 or 403) or a filter maglevd refuses ends the source with an
    error; it never retries those.
options:
  socket:
    description:
      - maglevd's control socket. Ignored when O(url) is given.
    type: str
    default: /run/maglevd/maglevd.sock
  url:
    description:
      - maglevd's TCP listener (C(--control-addr)) as C(http://host:port). Needs O(token)
        or O(token_file).
    type: str
  token:
    description:
      - The bearer token of the TCP listener (maglevd's C(MAGLEV_CONTROL_TOKEN)).
    type: str
  token_file:
    description:
      - A file that holds the token (surrounding white space is ignored), as maglevd's
        C(--control-token-file). Used when O(token) is not given.
    type: str
  types:
    description:
      - The event types to pass on. C(vpp-connect) and C(vpp-disconnect) are log records of
        maglevd (C(type=log), C(log_event=vpp-connect)); asking for them makes the source
        read the stream's log records too. C(frontend-blackhole-cleared) (the end of a
        C(frontend-blackhole)), C(weight-change), C(config-reload) and C(dropped) may be asked
        for as well; an unknown name ends the source.
    type: list
    elements: str
    default: [backend-transition, frontend-transition, frontend-blackhole, config-reload-failed,
              vpp-connect, vpp-disconnect]
  frontends:
    description:
      - Only events of these frontends and of their backends. An unknown frontend ends the
        source with an error.
    type: list
    elements: str
  backends:
    description:
      - Only events of these backends. With O(frontends), an event must match both.
      - Events of the whole daemon (C(config-reload-failed), C(vpp-connect),
        C(vpp-disconnect)) pass both filters.
    type: list
    elements: str
  replay:
    description:
      - Send the current state first (one C(replay=true) transition per backend and
        frontend, C(from) equal to C(to)) on every connection.
    type: bool
    default: false
  hostname:
    description:
      - C(meta.hostname) of every event. Default, the host of O(url), else this host's
        name (maglevd does not report one).
    type: str
  reconnect_delay:
    description:
      - Seconds before the first reconnection attempt; each failed attempt doubles it.
    type: float
    default: 1
  max_reconnect_delay:
    description:
      - The longest wait between two attempts, in seconds.
    type: float
    default: 30
"""

EXAMPLES = r"""
- name: Watch the load balancer
  hosts: all
  sources:
    - vpp.maglev.maglevd:
        socket: /run/maglevd/maglevd.sock
        types: [backend-transition, frontend-transition]
  rules:
    - name: A backend went down
      condition: event.maglevd.type == "backend-transition" and event.maglevd.to == "down"
      action:
        debug:

- name: Watch a fleet over TCP
  hosts: all
  sources:
    - vpp.maglev.maglevd:
        url: http://lb1.example.net:9090
        token_file: /etc/maglevd/token
        frontends: [web]
    - vpp.maglev.maglevd:
        url: http://lb2.example.net:9090
        token_file: /etc/maglevd/token
        frontends: [web]
  rules:
    - name: The watch is blind
      condition: event['maglevd-stream'].state == "disconnected"
      action:
        debug:
"""

DEFAULT_TYPES = (
    "backend-transition",
    "frontend-transition",
    "frontend-blackhole",
    "config-reload-failed",
    "vpp-connect",
    "vpp-disconnect",
)
# Every type the source can pass on: maglevd's event types without `probe` and `log`, which it
# never asks for, and the two VPP log records (docs/api.md, "Event stream").
KNOWN_TYPES = frozenset(DEFAULT_TYPES + ("frontend-blackhole-cleared", "weight-change", "config-reload", "dropped"))
# maglevd publishes the VPP connection changes as log records only (docs/eda.md, "Events").
VPP_LOG_EVENTS = frozenset(("vpp-connect", "vpp-disconnect"))
# maglevd pings an idle stream every 15 s (docs/api.md): three missed pings mean a dead peer.
IDLE_LIMIT = 45.0
READ_LIMIT = 1024 * 1024  # the longest head line, chunk, event line or error body read


class SourceError(Exception):
    """A problem retrying cannot fix (bad arguments, a refused token): it ends the source."""


@dataclass(frozen=True)
class Settings:
    """The source's arguments, checked."""

    socket: str
    server: Optional[str]  # host:port of the TCP listener
    token: Optional[str]
    types: FrozenSet[str]
    frontends: FrozenSet[str]
    backends: FrozenSet[str]
    replay: bool
    hostname: str
    reconnect_delay: float
    max_reconnect_delay: float

    @property
    def where(self) -> str:
        return f"http://{self.server}" if self.server else self.socket

    def client(self) -> maglevd_client.MaglevdClient:
        return maglevd_client.MaglevdClient(self.socket, self.server, self.token)

    def path(self) -> str:
        """GET /v1/events with the filters the API applies itself (docs/api.md)."""
        frontend = next(iter(self.frontends)) if len(self.frontends) == 1 else None
        log = bool(self.types & VPP_LOG_EVENTS)
        return maglevd_client.events_path(frontend=frontend, log=log, replay=self.replay)


def _names(args: Mapping[str, Any], key: str, default: Tuple[str, ...] = ()) -> FrozenSet[str]:
    value = args.get(key)
    if value is None:
        return frozenset(default)
    if isinstance(value, str):
        value = [part.strip() for part in value.split(",")]
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) and v for v in value):
        raise SourceError(f"{key}: expected a list of names, got {value!r}")
    return frozenset(value)


def _types(args: Mapping[str, Any]) -> FrozenSet[str]:
    types = _names(args, "types", DEFAULT_TYPES)
    for name in sorted(types - KNOWN_TYPES):
        close = difflib.get_close_matches(name, sorted(KNOWN_TYPES), 1)
        hint = f" (did you mean {close[0]}?)" if close else f"; known: {', '.join(sorted(KNOWN_TYPES))}"
        raise SourceError(f"types: no event type {name!r}{hint}")
    return types


def _flag(args: Mapping[str, Any], key: str) -> bool:
    """A boolean, also as the string a templated rulebook argument becomes."""
    value = args.get(key, False)
    if isinstance(value, str) and value.lower() in ("true", "yes", "false", "no"):
        value = value.lower() in ("true", "yes")
    if not isinstance(value, bool):
        raise SourceError(f"{key}: expected true or false, got {value!r}")
    return value


def _seconds(args: Mapping[str, Any], key: str, default: float) -> float:
    value = args.get(key, default)
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        raise SourceError(f"{key}: expected seconds, got {value!r}") from None
    if not 0 < seconds <= 3600:
        raise SourceError(f"{key}: expected seconds above 0 and at most 3600, got {value!r}")
    return seconds


def _token(args: Mapping[str, Any]) -> Optional[str]:
    if args.get("token"):
        return str(args["token"])
    path = args.get("token_file")
    if not path:
        return None
    try:
        with open(path, encoding="utf-8") as handle:
            token = handle.read().strip()
    except OSError as exc:
        raise SourceError(f"token_file: cannot read {path}: {exc.strerror}") from None
    if not token:
        raise SourceError(f"token_file: {path} is empty")
    return token


def _server(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme != "http" or not parts.hostname or parts.port is None:
        raise SourceError(f"url: expected http://host:port (maglevd's --control-addr), got {url!r}")
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    return f"{host}:{parts.port}"


def parse_args(args: Mapping[str, Any]) -> Settings:
    """The checked settings of a rulebook's arguments; SourceError names the bad one."""
    server = _server(str(args["url"])) if args.get("url") else None
    token = _token(args)
    if server and not token:
        raise SourceError("url: maglevd's TCP listener needs token or token_file")
    delay = _seconds(args, "reconnect_delay", 1.0)
    return Settings(
        socket=str(args.get("socket") or maglevd_client.DEFAULT_SOCKET),
        server=server,
        token=token,
        types=_types(args),
        frontends=_names(args, "frontends"),
        backends=_names(args, "backends"),
        replay=_flag(args, "replay"),
        hostname=str(args.get("hostname") or (urlsplit(str(args["url"])).hostname if server else socket.gethostname())),
        reconnect_delay=delay,
        max_reconnect_delay=max(delay, _seconds(args, "max_reconnect_delay", 30.0)),
    )


def type_of(event: Mapping[str, Any]) -> str:
    """The name the `types` argument matches: a log record's own event name, else its type."""
    if event.get("type") == "log":
        return str(event.get("log_event", "log"))
    return str(event.get("type"))


def wanted(settings: Settings, members: FrozenSet[str], event: Mapping[str, Any]) -> bool:
    """The `types`, `backends` and `frontends` filters (as maglevd's own, docs/api.md)."""
    name = type_of(event)
    if name not in settings.types or (event.get("type") == "log" and name not in VPP_LOG_EVENTS):
        return False
    named = set(event.get("backends") or ())
    if "backend" in event:
        named.add(event["backend"])
    if "frontend" not in event and not named:
        return True  # an event of the whole daemon
    if settings.backends and not settings.backends.intersection(named):
        return False
    if settings.frontends:
        if "frontend" in event:
            return event["frontend"] in settings.frontends
        return bool(members.intersection(named))
    return True


def members_of(frontends: Any, names: FrozenSet[str]) -> FrozenSet[str]:
    """The backends of the named frontends in GET /v1/frontends; SourceError for an unknown one."""
    known = {f["name"]: f for f in frontends}
    unknown = sorted(names - set(known))
    if unknown:
        raise SourceError(f"frontends: {', '.join(unknown)} not in maglevd's config")
    return frozenset(
        member["backend"] for name in names for pool in known[name]["pools"] for member in pool["backends"]
    )


async def _open(settings: Settings) -> Tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    if settings.server:
        host, port = maglevd_client.split_server(settings.server)
        return await asyncio.open_connection(host, port, limit=READ_LIMIT)
    return await asyncio.open_unix_connection(settings.socket, limit=READ_LIMIT)


async def open_stream(settings: Settings) -> Tuple[asyncio.StreamReader, asyncio.StreamWriter, bool]:
    """Send the request with the client's headers; (reader, writer, chunked) once maglevd
    answered 200, else the MaglevdError of its answer."""
    reader, writer = await _open(settings)
    try:
        headers = {**settings.client().auth_headers(), "Accept": "application/x-ndjson"}
        lines = [f"GET {settings.path()} HTTP/1.1", "Host: localhost", "Connection: close"]
        lines += [f"{key}: {value}" for key, value in headers.items()]
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode())
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), IDLE_LIMIT)
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        version, _sep, rest = status_line.partition(" ")
        if not version.startswith("HTTP/") or not rest[:3].isdigit():
            raise ValueError(f"not an HTTP answer: {status_line[:80]!r}")
        status = int(rest[:3])
        fields = dict(line.lower().split(": ", 1) for line in header_lines if ": " in line)
        chunked = fields.get("transfer-encoding") == "chunked"
        if status != 200:
            raise maglevd_client.error_of(status, await _error_body(reader, chunked))
    except BaseException:
        writer.close()
        raise
    return reader, writer, chunked


async def _error_body(reader: asyncio.StreamReader, chunked: bool) -> bytes:
    """An error answer's body, at most READ_LIMIT bytes (maglevd's are one short JSON object)."""
    body = b""
    async for part in _body(reader, chunked):
        body += part
        if len(body) >= READ_LIMIT:
            return body[:READ_LIMIT]
    return body


async def _body(reader: asyncio.StreamReader, chunked: bool) -> AsyncIterator[bytes]:
    """The response body as it comes: chunked (HTTP/1.1) or until the connection closes."""
    while True:
        if not chunked:
            data = await asyncio.wait_for(reader.read(65536), IDLE_LIMIT)
            if not data:
                return
            yield data
            continue
        size_line = await asyncio.wait_for(reader.readline(), IDLE_LIMIT)
        if not size_line:
            return
        size = int(size_line.split(b";")[0], 16)
        if size > READ_LIMIT:
            raise ValueError(f"a chunk of {size} bytes (the limit is {READ_LIMIT})")
        if size == 0:
            return
        chunk = await asyncio.wait_for(reader.readexactly(size + 2), IDLE_LIMIT)
        yield chunk[:-2]


async def events(reader: asyncio.StreamReader, chunked: bool) -> AsyncIterator[Dict[str, Any]]:
    """The stream's events, pings skipped; ends when maglevd closes the stream."""
    pending = b""
    async for data in _body(reader, chunked):
        pending += data
        *complete, pending = pending.split(b"\n")
        if len(pending) > READ_LIMIT:
            raise ValueError(f"an event line longer than {READ_LIMIT} bytes")
        for line in complete:
            if line.strip():
                event = json.loads(line)
                if event.get("type") != "ping":
                    yield event


class Watch:
    """One source: connect, pass the wanted events on, reconnect with backoff."""

    def __init__(self, settings: Settings, queue: Any) -> None:
        self.settings = settings
        self.queue = queue
        self.state: Optional[str] = None  # of the last maglevd-stream event
        self.since = time.monotonic()
        self.members: FrozenSet[str] = frozenset()

    def meta(self) -> Dict[str, Any]:
        return {"hostname": self.settings.hostname}

    async def stream_state(self, state: str, **fields: Any) -> None:
        """One maglevd-stream event per change of state, not per attempt."""
        if state == self.state:
            return
        if self.state is not None:
            fields["after"] = round(time.monotonic() - self.since, 3)  # how long the last state lasted
        self.state, self.since = state, time.monotonic()
        event = {"state": state, "where": self.settings.where, **fields}
        await self.queue.put({"maglevd-stream": event, "meta": self.meta()})

    async def refresh_members(self) -> None:
        if self.settings.frontends:
            frontends = await asyncio.to_thread(self.settings.client().frontends)
            self.members = members_of(frontends, self.settings.frontends)

    async def follow(self) -> None:
        """One connection, until maglevd closes it (returns) or it fails (raises)."""
        reader, writer, chunked = await open_stream(self.settings)
        try:
            # Read after subscribing: a reload in between is seen on the stream.
            await self.refresh_members()
            await self.stream_state("connected")
            async for event in events(reader, chunked):
                if event.get("type") == "config-reload":
                    await self.refresh_members()
                if wanted(self.settings, self.members, event):
                    await self.queue.put({"maglevd": event, "meta": self.meta()})
        finally:
            writer.close()

    async def run(self) -> None:
        delay = self.settings.reconnect_delay
        while True:
            try:
                await self.follow()
                reason = "maglevd closed the event stream"
            except maglevd_client.MaglevdError as exc:
                fatal(self.settings, exc)
                reason = exc.message
            except (OSError, EOFError, ValueError, asyncio.TimeoutError) as exc:
                reason = describe(self.settings, exc)
            if self.state == "connected":
                delay = self.settings.reconnect_delay  # it worked: start the backoff again
            await self.stream_state("disconnected", reason=reason)
            await asyncio.sleep(delay)
            delay = min(delay * 2, self.settings.max_reconnect_delay)


def fatal(settings: Settings, exc: maglevd_client.MaglevdError) -> None:
    """Raise SourceError for an answer retrying cannot change: a refused token, a bad filter."""
    if exc.status in (401, 403):
        raise SourceError(
            f"maglevd at {settings.where} refused the token (HTTP {exc.status} {exc.code}): set token or "
            "token_file to the daemon's MAGLEV_CONTROL_TOKEN (or its --control-token-file)"
        )
    if exc.status == 404 and settings.frontends:
        raise SourceError(f"frontends: maglevd at {settings.where}: {exc.message}")
    if 400 <= exc.status < 500 and exc.status not in (408, 429):
        raise SourceError(f"maglevd at {settings.where} refused the event stream: {exc.message}")


def describe(settings: Settings, exc: BaseException) -> str:
    """One line for a failed or dropped connection."""
    if isinstance(exc, (FileNotFoundError, ConnectionRefusedError)):
        return f"maglevd is not running (cannot connect to {settings.where}: {exc.strerror})"
    if isinstance(exc, asyncio.TimeoutError):
        return f"maglevd at {settings.where} sent nothing for {IDLE_LIMIT:.0f}s"
    if isinstance(exc, asyncio.IncompleteReadError):
        return f"maglevd at {settings.where} closed the stream mid-event"
    if isinstance(exc, ValueError):
        return f"maglevd at {settings.where} sent something that is not its event stream: {exc}"
    return f"cannot talk to maglevd at {settings.where}: {exc}"


async def main(queue: Any, args: Dict[str, Any]) -> None:
    """Put maglevd's events on `queue` until cancelled; SourceError ends it (docs/eda.md)."""
    await Watch(parse_args(args), queue).run()


if __name__ == "__main__":
    # By hand: python maglevd.py socket=/run/maglevd/maglevd.sock types=backend-transition replay=true

    class _PrintQueue:
        async def put(self, event: Dict[str, Any]) -> None:
            print(json.dumps(event), flush=True)

    def _value(text: str) -> Any:
        return {"true": True, "false": False}.get(text, text)

    try:
        asyncio.run(main(_PrintQueue(), dict((w.split("=", 1)[0], _value(w.split("=", 1)[1])) for w in sys.argv[1:])))
    except (SourceError, KeyboardInterrupt) as exc:
        sys.exit(str(exc) or 0)
