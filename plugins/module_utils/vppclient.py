# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vpp.maglev engineers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one place that talks to VPP through vpp_papi: connect, read the LB, apply a Plan.

No Ansible imports: maglevd uses this too. Usage::

    with connect("/run/vpp/api.sock", timeout=10) as vpp:
        current = vpp.read_state()
        result = vpp.apply(plan)          # or any iterable of planner Ops

Errors are all ``VppError`` subclasses with a one-line message an operator can act on:
``MissingLibrary`` (vpp_papi not installed), ``VppConnectionError`` (socket missing,
refused, timed out, dropped while reading), ``VppFeatureError`` (VPP too old or without the
lb plugin), ``VppReadError`` (a read call returned an error), ``VppApplyError`` (a write
failed: names the op, VPP's error, what was applied and what was not).

Reading follows reference/vpp-lb-api.md §1.9 and §6: one ``lb_vip_dump`` and one unfiltered
``lb_as_v2_dump`` (its prefix filter never matches IPv4), AS rows with ``flags & 1 == 0``
(lingering) or of VIPs not in the VIP dump are ignored, ``srv_type`` and ``target_port`` are
decoded the way VPP master encodes them, and ``src_ip_sticky`` (which no dump reports) comes
from ``show lb vips verbose`` via ``cli_inband`` when VPP offers it.
"""

from __future__ import annotations

import ipaddress
import json
import os
from dataclasses import dataclass, field
from typing import Any, Dict, Iterable, List, Optional, Tuple

from ansible_collections.vpp.maglev.plugins.module_utils.lbstate import (
    ENCAPS,
    SRV_TYPES,
    LbConf,
    LbState,
    Vip,
    VipAttrs,
    VipKey,
)
from ansible_collections.vpp.maglev.plugins.module_utils.showparse import parse_show_lb_vips

try:
    from vpp_papi import VPPApiClient  # type: ignore[import-not-found]
    from vpp_papi.vpp_papi import VPPIOError, VPPRuntimeError, VPPValueError  # type: ignore[import-not-found]

    PAPI_IMPORT_ERROR: Optional[BaseException] = None
except ImportError as exc:  # the modules turn this into missing_required_lib('vpp_papi')
    VPPApiClient = None
    VPPIOError = VPPRuntimeError = VPPValueError = OSError
    PAPI_IMPORT_ERROR = exc

DEFAULT_API_SOCKET = "/run/vpp/api.sock"
DEFAULT_API_DIR = "/usr/share/vpp/api"
DEFAULT_TIMEOUT = 10

# lb.api 1.2.0 (VPP master, expected in 26.10): weights, conf read-back and the v2 AS dump.
REQUIRED_LB_API = "1.2.0"
REQUIRED_MESSAGES = (
    "lb_conf",
    "lb_conf_get",
    "lb_add_del_vip_v2",
    "lb_add_del_as_v2",
    "lb_as_set_weight",
    "lb_flush_vip",
    "lb_vip_dump",
    "lb_as_v2_dump",
)
# Files an lb client needs in api_dir mode (reference §2.2); loading all ~200 is slow.
API_FILES = ("memclnt.api.json", "vpe.api.json", "vlib.api.json", "lb.api.json")

# VNET_API_ERROR_* codes the lb handlers return (reference §1.6).
VPP_ERRORS = {
    -1: "UNSPECIFIED",
    -2: "INVALID_SW_IF_INDEX",
    -6: "NO_SUCH_ENTRY",
    -7: "INVALID_VALUE",
    -70: "INVALID_MEMORY_SIZE",
    -73: "INVALID_ARGUMENT",
    -81: "VALUE_EXIST",
    -97: "INVALID_ADDRESS_FAMILY",
}


# Requests in flight at once during apply (see VppClient.apply).
PIPELINE_WINDOW = 64


def _takes_away(op: Any) -> bool:
    """Ops that remove or zero something. A plan adds before it takes away, so a VIP never
    stops serving; pipelining must not let a removal run while an earlier add may still fail."""
    kind = getattr(op, "kind", "")
    return kind in ("as_del", "vip_del", "vip_flush") or (kind == "as_weight" and getattr(op, "weight", 0) == 0)


def error_name(retval: int) -> str:
    return VPP_ERRORS.get(retval, "UNKNOWN_ERROR")


class VppError(Exception):
    """Base of every error this module raises; ``str()`` is the operator-facing message."""


class MissingLibrary(VppError):
    """vpp_papi cannot be imported (modules report it with missing_required_lib)."""

    def __init__(self, library: str = "vpp_papi", error: Optional[BaseException] = None):
        self.library = library
        self.error = error
        super().__init__("the Python library %s is required on the VPP host: %s" % (library, error))


class VppConnectionError(VppError):
    """The API socket is missing, refuses us, or the connection broke while reading."""

    def __init__(self, message: str, api_socket: str = ""):
        self.api_socket = api_socket
        super().__init__(message)


class VppFeatureError(VppError):
    """VPP (or the API definitions given) lacks what the collection needs."""

    def __init__(self, message: str, found: Optional[dict] = None, missing: Iterable[str] = ()):
        self.found = found or {}
        self.missing = list(missing)
        super().__init__(message)


VppTooOld = VppFeatureError


class VppReadError(VppError):
    """A read call (lb_conf_get, show_version, ...) returned a non-zero retval."""


class VppApplyError(VppError):
    """A write failed. ``applied`` went through, ``failed`` did not (or is in doubt when the
    connection dropped), ``not_applied`` was never sent. Re-running the same task converges
    because the next run plans from what VPP then holds."""

    def __init__(
        self,
        failed: Any,
        retval: Optional[int],
        applied: List[Any],
        not_applied: List[Any],
        *,
        dropped: bool = False,
        detail: str = "",
        position: Optional[int] = None,
    ):
        self.failed = failed
        self.retval = retval
        self.error = error_name(retval) if retval is not None else "CONNECTION_LOST"
        self.applied = applied
        self.not_applied = not_applied
        self.dropped = dropped
        if dropped:
            what = "the connection to VPP was lost (%s); it is unknown whether this operation took effect" % (
                detail or "no reply"
            )
        else:
            what = "VPP returned %d (%s)" % (retval, self.error)
        total = len(applied) + 1 + len(not_applied)
        number = len(applied) + 1 if position is None else position + 1
        super().__init__(
            "operation %d of %d failed: %s: %s; %d applied, %d not applied; "
            "re-running the task converges from what VPP now holds"
            % (number, total, failed, what, len(applied), len(not_applied))
        )

    def to_dict(self) -> dict:
        """JSON-safe context for fail_json / maglevd logs."""
        return {
            "failed_op": str(self.failed),
            "retval": self.retval,
            "error": self.error,
            "connection_lost": self.dropped,
            "applied": [str(op) for op in self.applied],
            "not_applied": [str(op) for op in self.not_applied],
        }


@dataclass
class ApplyResult:
    applied: list = field(default_factory=list)
    calls: int = 0


def _require_papi() -> None:
    if VPPApiClient is None:
        raise MissingLibrary("vpp_papi", PAPI_IMPORT_ERROR)


def find_api_files(api_dir: str) -> Dict[str, str]:
    """The subset of API_FILES found under api_dir (walked recursively, first match wins)."""
    found: Dict[str, str] = {}
    for root, _dirs, files in os.walk(api_dir):
        for name in API_FILES:
            if name in files and name not in found:
                found[name] = os.path.join(root, name)
    return found


def _file_version(path: str) -> Optional[str]:
    try:
        with open(path) as handle:
            return json.load(handle).get("options", {}).get("version")
    except (OSError, ValueError, AttributeError):
        return None


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
    _require_papi()
    if api_dir is None and os.path.isdir(DEFAULT_API_DIR):
        api_dir = DEFAULT_API_DIR
    lb_file_version = None
    if api_dir is not None:
        if not os.path.isdir(api_dir):
            raise VppConnectionError("api_dir %s is not a directory of VPP .api.json files" % api_dir, api_socket)
        files = find_api_files(api_dir)
        if "lb.api.json" not in files:
            raise VppFeatureError(
                "no lb.api.json under api_dir %s: the lb plugin's API definitions are needed (install VPP's "
                "plugin API files, or omit api_dir to read the definitions from VPP itself)" % api_dir,
                missing=["lb.api.json"],
            )
        lb_file_version = _file_version(files["lb.api.json"])
        if "memclnt.api.json" not in files:
            # vpp_papi ships memclnt (the handshake) itself.
            import vpp_papi  # type: ignore[import-not-found]

            files["memclnt.api.json"] = os.path.join(os.path.dirname(vpp_papi.__file__), "data", "memclnt.api.json")
        try:
            papi = VPPApiClient(
                apifiles=list(files.values()), server_address=api_socket, read_timeout=timeout, use_socket=True
            )
        except (VPPRuntimeError, VPPValueError, ValueError, KeyError) as exc:
            raise VppFeatureError("cannot load the API definitions under %s: %s" % (api_dir, exc))
    else:
        papi = VPPApiClient(server_address=api_socket, read_timeout=timeout, use_socket=True, bootstrapapi=True)
    try:
        papi.connect(client_name)
    except FileNotFoundError:
        raise VppConnectionError(
            "VPP API socket %s does not exist (is VPP running with 'socksvr { socket-name %s }'?)"
            % (api_socket, api_socket),
            api_socket,
        )
    except PermissionError:
        raise VppConnectionError("permission denied on VPP API socket %s (run as root or the vpp group)" % api_socket)
    except ConnectionRefusedError:
        raise VppConnectionError("VPP API socket %s refused the connection (VPP not running?)" % api_socket, api_socket)
    except AttributeError as exc:
        # bootstrapapi needs get_api_json (VPP >= 24.06)
        _close_quietly(papi)
        raise VppFeatureError(
            "VPP on %s does not serve its API definitions (get_api_json, VPP >= 24.06): give api_dir (%s)"
            % (api_socket, exc)
        )
    except (OSError, VPPIOError, VPPRuntimeError, VPPValueError) as exc:
        _close_quietly(papi)
        raise VppConnectionError(
            "cannot connect to VPP API socket %s within %ss: %s" % (api_socket, timeout, exc or type(exc).__name__),
            api_socket,
        )
    client = VppClient(papi, api_socket, api_dir=api_dir, lb_file_version=lb_file_version)
    if check_features:
        try:
            client.check_features()
        except BaseException:
            client.close()
            raise
    return client


def _close_quietly(papi: Any) -> None:
    try:
        transport = papi.transport
        if transport.connected:
            papi.disconnect()
    except Exception:  # best effort on an already failed connection
        pass


def _swap16(value: int) -> int:
    return ((value & 0xFF) << 8) | (value >> 8)


def _dump_byte(value: int) -> int:
    """VPP master writes the one-byte dscp/srv_type field into a u32 without byte-swapping, so
    an x86 VPP sends ``byte << 24``; accept a correctly encoded small value too."""
    value = int(value)
    return value >> 24 if value > 0xFF else value


class VppClient:
    """One open API connection. Not thread-safe: use it from one thread at a time."""

    def __init__(
        self, papi: Any, api_socket: str, *, api_dir: Optional[str] = None, lb_file_version: Optional[str] = None
    ):
        self.papi = papi
        self.api = papi.api
        self.api_socket = api_socket
        self.api_dir = api_dir
        self.lb_file_version = lb_file_version
        self.calls = 0  # messages sent (a dump counts as one)
        self.writes = 0  # lb write operations sent
        self.broken = False
        self.sticky_readable = hasattr(self.api, "cli_inband")
        self._version: Optional[dict] = None

    # context manager -------------------------------------------------------------------
    def __enter__(self) -> VppClient:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()

    def close(self) -> None:
        papi, self.papi = self.papi, None
        if papi is None:
            return
        if self.broken:
            # The reader thread has exited: a polite sockclnt_delete would wait a full
            # read_timeout for a reply that cannot come. Tear the transport down directly.
            try:
                transport = papi.transport
                transport.connected = False
                if transport.socket is not None:
                    transport.socket.close()
                transport.sque.put(True)
                if transport.message_thread is not None and transport.message_thread.is_alive():
                    transport.message_thread.join(1)
                transport.message_thread = None
                transport.socket = None
            except Exception:  # best effort
                pass
            return
        _close_quietly(papi)

    # low level ---------------------------------------------------------------------------
    def call(self, name: str, **kwargs: Any) -> Any:
        """Send one request (or dump) and return vpp_papi's reply; raises on a lost connection."""
        try:
            function = getattr(self.api, name)
        except AttributeError:
            raise VppFeatureError("VPP does not offer the API message %s" % name, missing=[name])
        self.calls += 1
        try:
            return function(**kwargs)
        except (OSError, VPPIOError) as exc:
            self.broken = True
            raise VppConnectionError(
                "lost the connection to VPP on %s during %s: %s" % (self.api_socket, name, exc), self.api_socket
            )

    def _checked(self, name: str, **kwargs: Any) -> Any:
        reply = self.call(name, **kwargs)
        if reply.retval != 0:
            raise VppReadError("%s returned %d (%s)" % (name, reply.retval, error_name(reply.retval)))
        return reply

    def cli(self, command: str) -> str:
        """Run a debug CLI command through cli_inband and return its text."""
        return self._checked("cli_inband", cmd=command).reply

    # features ----------------------------------------------------------------------------
    def version(self) -> dict:
        """show_version as a dict (empty when VPP or the definitions lack it)."""
        if self._version is None:
            self._version = {}
            if hasattr(self.api, "show_version"):
                reply = self._checked("show_version")
                self._version = {
                    "program": reply.program,
                    "version": reply.version,
                    "build_date": reply.build_date,
                    "build_directory": reply.build_directory,
                }
        return self._version

    def check_features(self) -> None:
        missing = [name for name in REQUIRED_MESSAGES if not hasattr(self.api, name)]
        if not missing:
            return
        version = self.version().get("version", "unknown")
        found = {"vpp_version": version, "lb_api_version_in_api_dir": self.lb_file_version}
        if "lb_vip_dump" in missing:
            what = "VPP %s on %s has no lb plugin API (lb_plugin.so not loaded?)" % (version, self.api_socket)
        else:
            what = "VPP %s on %s offers lb API without %s" % (version, self.api_socket, ", ".join(missing))
        if self.lb_file_version and self.lb_file_version != REQUIRED_LB_API:
            what += "; the lb.api.json under api_dir %s is version %s" % (self.api_dir, self.lb_file_version)
        raise VppFeatureError(
            "%s. vpp.maglev needs lb.api %s or newer (VPP 26.10 / master with AS weights: lb_as_set_weight, "
            "lb_conf_get, lb_as_v2_dump)" % (what, REQUIRED_LB_API),
            found=found,
            missing=missing,
        )

    def lb_api_version(self) -> str:
        """The lb.api version: from api_dir's lb.api.json, else from VPP's own definitions."""
        if self.lb_file_version:
            return self.lb_file_version
        if hasattr(self.api, "get_api_json"):
            try:
                modules = json.loads(self._checked("get_api_json").json)
            except (ValueError, VppReadError):
                modules = []
            for module in modules:
                if module.get("module") == "lb" or any(m[0] == "lb_conf" for m in module.get("messages", [])):
                    return module.get("options", {}).get("version", "unknown")
        return REQUIRED_LB_API if all(hasattr(self.api, n) for n in REQUIRED_MESSAGES) else "unknown"

    # reading -----------------------------------------------------------------------------
    def read_state(self) -> LbState:
        """The whole LB in one pass (see the module docstring for the quirks handled)."""
        return self._read()[0]

    def read_conf(self) -> LbState:
        """Only the global conf (one call), as an LbState without VIPs."""
        return LbState(self._read_conf(), {})

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

    def _read_conf(self) -> LbConf:
        reply = self._checked("lb_conf_get")
        return LbConf(
            ip4_src_address=ipaddress.IPv4Address(reply.ip4_src_address),
            ip6_src_address=ipaddress.IPv6Address(reply.ip6_src_address),
            sticky_buckets_per_core=int(reply.sticky_buckets_per_core),
            flow_timeout=int(reply.flow_timeout),
        )

    def _read(self) -> Tuple[LbState, Dict[VipKey, Dict[Any, int]]]:
        conf = self._read_conf()
        vip_rows = self.call("lb_vip_dump")
        cli_vips = self._read_cli_vips() if vip_rows and self.sticky_readable else {}
        vips: Dict[VipKey, Vip] = {}
        by_raw: Dict[tuple, Vip] = {}
        buckets: Dict[VipKey, Dict[Any, int]] = {}
        for row in vip_rows:
            raw = (row.vip.pfx, row.vip.protocol, row.vip.port)
            network = row.vip.pfx.network
            key = VipKey.make(network, int(row.vip.protocol), int(row.vip.port))
            encap_number = int(row.encap)
            encap = ENCAPS[encap_number] if 0 <= encap_number < len(ENCAPS) else "gre4"
            nat = encap in ("nat4", "nat6")
            srv = _dump_byte(row.srv_type)
            table_length = int(row.flow_table_length)
            cli = cli_vips.get(key)
            if cli is not None and cli.get("new_flows_table_length"):
                table_length = cli["new_flows_table_length"]  # exact; the dump truncates to u16
            elif table_length == 0:
                table_length = 65536
            attrs = VipAttrs(
                encap=encap,
                dscp=int(row.dscp) & 0x3F,
                srv_type=SRV_TYPES[srv] if nat and srv < len(SRV_TYPES) else "clusterip",
                target_port=_swap16(int(row.target_port)) if nat else 0,
                new_flows_table_length=table_length,
                src_ip_sticky=bool(cli and cli.get("src_ip_sticky")),
            ).normalised()
            vip = Vip(key, attrs, {})
            vips[key] = vip
            by_raw[raw] = vip
            buckets[key] = {}
        if vips:
            for row in self.call("lb_as_v2_dump"):
                if not row.flags & 1:
                    continue  # removed but lingering until garbage collection
                vip = by_raw.get((row.vip.pfx, row.vip.protocol, row.vip.port))
                if vip is None:
                    continue  # an AS row of a deleted (lingering) VIP
                vip.ases[row.app_srv] = row.weight
                buckets[vip.key][row.app_srv] = row.num_buckets
        return LbState(conf, vips), buckets

    def _read_cli_vips(self) -> Dict[VipKey, dict]:
        try:
            text = self.cli("show lb vips verbose")
        except VppReadError:
            self.sticky_readable = False
            return {}
        result = {}
        for record in parse_show_lb_vips(text):
            if record.get("removed"):
                continue
            result[VipKey.make(record["prefix"], record["protocol"], record["port"])] = record
        return result

    # writing -----------------------------------------------------------------------------
    def apply(self, plan_or_ops: Any, *, window: int = PIPELINE_WINDOW) -> ApplyResult:
        """Send each op's API call on this connection, checking every retval.

        Accepts a planner Plan (uses ``.ops``) or any iterable of objects with ``api_call()``
        returning ``(message_name, kwargs)``. Raises VppApplyError on the first failure.

        Up to ``window`` requests are in flight at once: VPP answers one connection strictly
        in order, so pipelining changes no outcome but saves a round trip per op (the cost
        that dominates a 64,000-op converge or a full restore after a VPP restart). After a
        failure nothing more is sent; the replies of ops already in flight are still read, so
        the error says exactly which ops took effect. ``window=1`` is one op at a time."""
        ops = list(getattr(plan_or_ops, "ops", plan_or_ops))
        if window > 1 and len(ops) > 1:
            pipelined = self._pipeline_functions(ops)
            if pipelined is not None:
                return self._apply_pipelined(ops, pipelined, window)
        return self._apply_sequential(ops)

    def _pipeline_functions(self, ops: List[Any]) -> Optional[List[Tuple[Any, int, dict]]]:
        """(message definition, message id, kwargs) per op, or None when this vpp_papi lacks
        the asynchronous send primitive (then apply falls back to one op at a time)."""
        papi = self.papi
        if not hasattr(papi, "_call_vpp_async") or not hasattr(papi, "read_blocking"):
            return None
        prepared = []
        ids: Dict[str, Tuple[Any, int]] = {}
        for op in ops:
            name, kwargs = op.api_call()
            if name not in ids:
                msg = papi.messages.get(name)
                index = papi.transport.get_msg_index(name + "_" + msg.crc[2:]) if msg is not None else 0
                if index <= 0:
                    raise VppFeatureError("VPP does not offer the API message %s" % name, missing=[name])
                ids[name] = (msg, index)
            msg, index = ids[name]
            prepared.append((msg, index, kwargs))
        return prepared

    def _apply_pipelined(self, ops: List[Any], prepared: List[Tuple[Any, int, dict]], window: int) -> ApplyResult:
        papi = self.papi
        timeout = getattr(papi, "read_timeout", DEFAULT_TIMEOUT)
        in_flight: Dict[int, int] = {}  # context -> op index
        order: List[int] = []  # op indexes in flight, oldest first
        retvals: Dict[int, int] = {}
        next_op, first_failure = 0, None
        while next_op < len(ops) or order:
            while next_op < len(ops) and len(order) < window and first_failure is None:
                if order and _takes_away(ops[next_op]) and not all(_takes_away(ops[i]) for i in order):
                    break  # barrier: what removes or zeroes waits until every add before it succeeded
                msg, index, kwargs = prepared[next_op]
                try:
                    context = papi._call_vpp_async(index, msg, **kwargs)
                except (OSError, VPPIOError) as exc:
                    self.broken = True
                    return self._lost(ops, retvals, next_op, order, str(exc))
                self.calls += 1
                self.writes += 1
                in_flight[context] = next_op
                order.append(next_op)
                next_op += 1
            if not order:
                break
            try:
                reply = papi.read_blocking(timeout=timeout)
            except (OSError, VPPIOError) as exc:
                reply, detail = None, str(exc)
            else:
                detail = "no reply within %ss" % timeout
            if reply is None:
                self.broken = True
                return self._lost(ops, retvals, next_op, order, detail)
            done = in_flight.pop(getattr(reply, "context", None), None)
            if done is None:
                continue  # not ours (an event): vpp_papi would have queued it too
            order.remove(done)
            retvals[done] = reply.retval
            if reply.retval != 0 and first_failure is None:
                first_failure = done
        if first_failure is not None:
            applied = [op for i, op in enumerate(ops) if retvals.get(i) == 0]
            not_applied = [op for i, op in enumerate(ops) if retvals.get(i, 1) != 0 and i != first_failure]
            raise VppApplyError(
                ops[first_failure], retvals[first_failure], applied, not_applied, position=first_failure
            )
        return ApplyResult(applied=ops, calls=len(ops))

    def _lost(self, ops: List[Any], retvals: Dict[int, int], next_op: int, order: List[int], detail: str) -> Any:
        """The connection died mid-apply: the oldest unanswered op is the one in doubt."""
        applied = [op for i, op in enumerate(ops) if retvals.get(i) == 0]
        doubtful = order[0] if order else next_op
        not_applied = [op for i, op in enumerate(ops) if retvals.get(i, 1) != 0 and i != doubtful]
        raise VppApplyError(ops[doubtful], None, applied, not_applied, dropped=True, detail=detail, position=doubtful)

    def _apply_sequential(self, ops: List[Any]) -> ApplyResult:
        api = self.api
        functions: Dict[str, Any] = {}
        done = 0
        for op in ops:
            name, kwargs = op.api_call()
            function = functions.get(name)
            if function is None:
                function = functions[name] = getattr(api, name)
            self.calls += 1
            self.writes += 1
            try:
                reply = function(**kwargs)
            except (OSError, VPPIOError) as exc:
                self.broken = True
                raise VppApplyError(op, None, ops[:done], ops[done + 1 :], dropped=True, detail=str(exc))
            if reply.retval != 0:
                raise VppApplyError(op, reply.retval, ops[:done], ops[done + 1 :])
            done += 1
        return ApplyResult(applied=ops, calls=done)
