# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vpp.maglev engineers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one place that talks to VPP: connect, read the LB, apply a Plan.

No Ansible imports: maglevd uses this too. Usage::

    with connect("/run/vpp/api.sock", timeout=10) as vpp:
        current = vpp.read_state()
        result = vpp.apply(plan)          # or any iterable of planner Ops

``VppClient`` is the facade over the pieces of ``vppapi/``, split by verb as docs/modules.md
maps them: ``connection`` (transport, the direct wire path's socket hand-over),
``papi_reader`` (vpp_papi's reader thread), ``features`` (feature detection), ``reader`` (one
pass over the whole LB), ``applier`` (the one windowed apply loop) over the channels of
``channels`` (vpp_papi) and ``wire`` (the direct wire codec).

Errors are all ``VppError`` subclasses with a one-line message an operator can act on:
``MissingLibrary`` (vpp_papi not installed), ``VppConnectionError`` (socket missing,
refused, timed out, dropped while reading), ``VppFeatureError`` (VPP too old or without the
lb plugin), ``VppReadError`` (a read call returned an error), ``VppApplyError`` (a write
failed: names the op, VPP's error, what was applied and what was not).
"""

from __future__ import annotations

import os
from typing import Any, Dict, List, Optional, Tuple

from ansible_collections.vpp.maglev.plugins.module_utils.lb_model import LbState, VipKey
from ansible_collections.vpp.maglev.plugins.module_utils.planner import message_names
from ansible_collections.vpp.maglev.plugins.module_utils.traffic import TrafficSnapshot
from ansible_collections.vpp.maglev.plugins.module_utils.vpp_errors import VppApplyError
from ansible_collections.vpp.maglev.plugins.module_utils.vppapi import connection, features, reader
from ansible_collections.vpp.maglev.plugins.module_utils.vppapi.applier import (
    DIRECT_MIN_OPS,
    PIPELINE_WINDOW,
    ApplyResult,
    Channel,
    apply_windowed,
)
from ansible_collections.vpp.maglev.plugins.module_utils.vppapi.channels import PapiCallChannel, PapiChannel
from ansible_collections.vpp.maglev.plugins.module_utils.vppapi.connection import (
    DEFAULT_API_DIR,
    DEFAULT_API_SOCKET,
    DEFAULT_TIMEOUT,
    ApiConnection,
)
from ansible_collections.vpp.maglev.plugins.module_utils.vppapi.termination import TerminationGuard
from ansible_collections.vpp.maglev.plugins.module_utils.vppapi.traffic_reader import (
    DEFAULT_STATS_SOCKET,
    StatsCounters,
    read_traffic,
)
from ansible_collections.vpp.maglev.plugins.module_utils.vppapi.wire import Wire, WireChannel


def connect(
    api_socket: str = DEFAULT_API_SOCKET,
    *,
    api_dir: Optional[str] = None,
    timeout: float = DEFAULT_TIMEOUT,
    client_name: str = "vpp-maglev",
    check_features: bool = True,
) -> VppClient:
    """Connect and check features. Definitions come from ``api_dir`` when given (or when the
    default /usr/share/vpp/api exists), else from VPP itself (``bootstrapapi``, VPP >= 24.06)."""
    if api_dir is None and os.path.isdir(DEFAULT_API_DIR):
        api_dir = DEFAULT_API_DIR
    # From here a termination signal ends the session politely first (vppapi/termination.py).
    guard = TerminationGuard().install()
    try:
        papi, lb_file_version = connection.open_papi(api_socket, api_dir, timeout, client_name)
    except BaseException:
        guard.release()
        raise
    client = VppClient(papi, api_socket, api_dir=api_dir, lb_file_version=lb_file_version)
    client.connection.guard = guard
    if check_features:
        try:
            client.check_features()
        except BaseException:
            client.close()
            raise
    return client


def _connection_attribute(name: str, writable: bool = False) -> Any:
    """A property of VppClient that is its ApiConnection's attribute ``name``."""
    setter = (lambda client, value: setattr(client.connection, name, value)) if writable else None
    return property(lambda client: getattr(client.connection, name), setter)


class VppClient:
    """One open API connection and its verbs. Not thread-safe: use it from one thread at a
    time (``reader_alive`` excepted)."""

    def __init__(
        self, papi: Any, api_socket: str, *, api_dir: Optional[str] = None, lb_file_version: Optional[str] = None
    ):
        self.connection = ApiConnection(papi, api_socket, api_dir=api_dir, lb_file_version=lb_file_version)
        self.sticky_readable = hasattr(self.connection.api, "cli_inband")
        self._version: Optional[dict] = None
        self._stats: Optional[StatsCounters] = None  # kept mapped between read_traffic calls

    # the connection's state, for callers and tests (see ApiConnection)
    papi = _connection_attribute("papi")
    api = _connection_attribute("api")
    api_socket = _connection_attribute("api_socket")
    calls = _connection_attribute("calls")  # messages sent (a dump counts as one)
    writes = _connection_attribute("writes")  # lb write operations sent
    broken = _connection_attribute("broken", writable=True)  # maglevd marks a client it gave up on
    # False: every message goes through vpp_papi (the tests compare both paths).
    direct = _connection_attribute("direct_enabled", writable=True)

    # context manager -------------------------------------------------------------------
    def __enter__(self) -> VppClient:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()

    def close(self) -> None:
        if self._stats is not None:
            self._stats.close()
        self.connection.close()

    # low level ---------------------------------------------------------------------------
    def call(self, name: str, **kwargs: Any) -> Any:
        """Send one request (or dump) and return vpp_papi's reply; raises on a lost connection."""
        return self.connection.call(name, **kwargs)

    def cli(self, command: str) -> str:
        """Run a debug CLI command through cli_inband and return its text."""
        return self.connection.checked("cli_inband", cmd=command).reply

    def reader_alive(self) -> bool:
        """Whether this connection can still receive; safe from any thread (see
        papi_reader.PapiReaderThread.alive)."""
        return self.connection.reader_alive()

    # features ----------------------------------------------------------------------------
    def version(self) -> dict:
        """show_version as a dict (empty when VPP or the definitions lack it)."""
        if self._version is None:
            self._version = {}  # a show_version that fails is not asked again
            self._version = features.show_version(self.connection)
        return self._version

    def check_features(self) -> None:
        features.check_features(self.connection, self.version)

    def lb_api_version(self) -> str:
        """The lb.api version: from api_dir's lb.api.json, else from VPP's own definitions."""
        return features.lb_api_version(self.connection)

    # reading -----------------------------------------------------------------------------
    def read_state(self) -> LbState:
        """The whole LB in one pass (see vppapi/reader.py for the quirks handled)."""
        return self._read(with_buckets=False)[0]

    def read_conf(self) -> LbState:
        """Only the global conf (one call), as an LbState without VIPs."""
        return LbState(reader.read_conf(self.connection.call), {})

    def read_state_with_buckets(self) -> Tuple[LbState, Dict[VipKey, Dict[Any, int]]]:
        """The state plus num_buckets (new-flow table share) per live AS, per VIP."""
        return self._read()

    def read_info(self) -> dict:
        """Everything vpp_lb_info reports: state, buckets, VPP version, lb API version."""
        state, buckets = self._read()
        return {
            "state": state,
            "buckets": buckets,
            "vpp": self.version(),
            "lb_api_version": self.lb_api_version(),
            "src_ip_sticky_readable": self.sticky_readable,
        }

    def read_traffic(self, stats_socket: str = DEFAULT_STATS_SOCKET) -> TrafficSnapshot:
        """Each VIP's packet counters (stats segment at ``stats_socket``; '' = not read, see
        ``stats_error``) and each AS's flows, in one read shared by maglevd and the modules
        (vppapi/traffic_reader.py, docs/traffic.md)."""
        if self._stats is None or self._stats.socket_path != stats_socket:
            if self._stats is not None:
                self._stats.close()
            self._stats = StatsCounters(stats_socket)
        return read_traffic(self.cli, self._stats)

    def _read(self, with_buckets: bool = True) -> Tuple[LbState, Dict[VipKey, Dict[Any, int]]]:
        """On the direct path when it can serve, else through vpp_papi (same calls, same result)."""
        conn = self.connection
        with conn.direct(reader.messages(self.sticky_readable)) as wire:
            if wire is not None:
                return self._read_with(reader.LbReader(*self._wire_reader(wire), self.sticky_readable), with_buckets)

        def dump(name: str, details: str) -> List[tuple]:
            return reader.papi_rows(conn.call, name, details)

        return self._read_with(reader.LbReader(conn.call, dump, self.sticky_readable), with_buckets)

    def _read_with(
        self, lb_reader: reader.LbReader, with_buckets: bool
    ) -> Tuple[LbState, Dict[VipKey, Dict[Any, int]]]:
        try:
            return lb_reader.read(with_buckets)
        finally:
            self.sticky_readable = lb_reader.sticky_readable

    def _wire_reader(self, wire: Wire) -> Tuple[reader.Call, reader.Dump]:
        """(call, dump) on the direct path, counting messages as ApiConnection.call does."""
        conn = self.connection

        def call(name: str, **kwargs: Any) -> Any:
            conn.calls += 1
            return wire.call(name, **kwargs)

        def dump(name: str, details: str) -> List[tuple]:
            conn.calls += 1
            return wire.dump(name, details)

        return call, dump

    # writing -----------------------------------------------------------------------------
    def apply(self, plan_or_ops: Any, *, window: int = PIPELINE_WINDOW) -> ApplyResult:
        """Send each op's API call on this connection, checking every retval.

        Accepts a planner Plan (uses ``.ops``) or any iterable of objects with ``api_call()``
        returning ``(message_name, kwargs)``. Raises VppApplyError on the first failure.
        Up to ``window`` requests are in flight at once (vppapi/applier.py); ``window=1`` is
        one op at a time. The channel: the direct wire path from DIRECT_MIN_OPS ops, vpp_papi's
        asynchronous send for fewer, one blocking call for one op (or without that send)."""
        ops = list(getattr(plan_or_ops, "ops", plan_or_ops))
        conn = self.connection
        if window > 1 and len(ops) >= DIRECT_MIN_OPS:
            names = sorted(set(message_names(ops)))
            with conn.direct(("control_ping",), plain_replies=names) as wire:
                if wire is not None:
                    timeout = getattr(conn.papi, "read_timeout", None) or DEFAULT_TIMEOUT
                    return self._apply_on(WireChannel(wire, ops, names, timeout), ops, window)
        if window > 1 and len(ops) > 1 and PapiChannel.available(conn.papi):
            return self._apply_on(PapiChannel(conn.papi, ops), ops, window)
        return self._apply_on(PapiCallChannel(conn.api, ops), ops, 1)

    def _apply_on(self, channel: Channel, ops: List[Any], window: int) -> ApplyResult:
        conn = self.connection
        try:
            return apply_windowed(channel, ops, window)
        except VppApplyError as exc:
            if exc.dropped:
                conn.broken = True
            raise
        finally:
            conn.calls += channel.sent
            conn.writes += channel.sent


# The errors live in vpp_errors.py; callers import them from there.
__all__ = [
    "DEFAULT_API_SOCKET",
    "DEFAULT_STATS_SOCKET",
    "DIRECT_MIN_OPS",
    "ApplyResult",
    "VppClient",
    "connect",
]
