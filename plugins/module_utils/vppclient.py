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

Reading works as docs/vppsim.md describes VPP's dumps: one ``lb_vip_dump`` and one unfiltered
``lb_as_v2_dump`` (its prefix filter never matches IPv4), AS rows with ``flags & 1 == 0``
(lingering) or of VIPs not in the VIP dump are ignored, ``srv_type`` and ``target_port`` are
decoded the way VPP master encodes them, and ``src_ip_sticky`` (which no dump reports) comes
from ``show lb vips verbose`` via ``cli_inband`` when VPP offers it.

Bulk work (reading the LB, applying a long plan) takes the socket over from vpp_papi for its
duration (``VppClient._direct``): vpp_papi hands each message from a reader thread to the
caller through a multiprocessing queue and builds a namedtuple type per message on the way,
~100 µs a message, which made a 64,000-AS dump take 8-12 s. The direct path frames the socket
itself and packs/unpacks the hot messages with ``struct``, each layout pinned by the CRC of the
definition the connection loaded; anything it does not recognise takes vpp_papi's path, and
the tests check that both paths read the same state.
"""

from __future__ import annotations

import collections
import contextlib
import ipaddress
import json
import multiprocessing
import os
import threading
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Iterable, Iterator, List, Optional, Tuple

from ansible_collections.vpp.maglev.plugins.module_utils.lbstate import (
    ENCAPS,
    MAX_TABLE_LENGTH,
    SRV_TYPES,
    LbConf,
    LbState,
    Vip,
    VipAttrs,
    VipKey,
)
from ansible_collections.vpp.maglev.plugins.module_utils.showparse import parse_show_lb_vips
from ansible_collections.vpp.maglev.plugins.module_utils.vpp_errors import (
    VPP_ERRORS,
    MissingLibrary,
    VppApplyError,
    VppConnectionError,
    VppError,
    VppFeatureError,
    VppInternalError,
    VppReadError,
    describe,
    error_name,
)
from ansible_collections.vpp.maglev.plugins.module_utils.vpp_wire import (
    _IP4_PAD,
    _LAYOUTS,
    _PACKERS,
    _REPLY,
    _REPLY_FIELDS,
    _address,
    _raw_address,
    _raw_prefix,
    _Wire,
)

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

# Requests in flight at once during apply (see VppClient.apply).
PIPELINE_WINDOW = 64
# Plans at least this long are applied on the direct path: pausing and restarting vpp_papi's
# reader thread costs about a millisecond, vpp_papi's own path ~100 µs per op.
DIRECT_MIN_OPS = 16


def _takes_away(op: Any) -> bool:
    """Ops that remove or zero something. A plan adds before it takes away, so a VIP never
    stops serving; pipelining must not let a removal run while an earlier add may still fail."""
    kind = getattr(op, "kind", "")
    return kind in ("as_del", "vip_del", "vip_flush") or (kind == "as_weight" and getattr(op, "weight", 0) == 0)


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
        self._pause_seq = 0  # odd while _direct has stopped vpp_papi's reader on purpose (reader_alive)
        self.sticky_readable = hasattr(self.api, "cli_inband")
        self._version: Optional[dict] = None
        # False: every message goes through vpp_papi (the tests compare both paths).
        self.direct = True
        self._ids: Dict[str, int] = {}
        self._packable: set = set()  # requests whose layout _PACKERS pins for this connection

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

    # the direct path --------------------------------------------------------------------
    def _direct_ids(self, names: Iterable[str], plain_replies: Iterable[str] = ()) -> Optional[Dict[str, int]]:
        """Message ids for the direct path, or None when it cannot serve: one of ``names`` is
        unknown to this connection or has another layout than _LAYOUTS pins, or a request of
        ``plain_replies`` (whose replies the direct path decodes itself) has a reply other than
        exactly (_vl_msg_id, context, retval)."""
        papi = self.papi
        try:
            messages, services, transport = papi.messages, papi.services, papi.transport
        except AttributeError:
            return None
        wanted = set(names)
        for name in plain_replies:
            reply = services.get(name, {}).get("reply")
            if reply is None or getattr(messages.get(reply), "fields", None) != _REPLY_FIELDS:
                return None
            wanted.update((name, reply))
        for name in sorted(wanted - set(self._ids)):
            msg = messages.get(name)
            if msg is None or (name in _LAYOUTS and msg.crc != _LAYOUTS[name][0]):
                return None
            index = transport.get_msg_index(name + "_" + msg.crc[2:])
            if index <= 0:
                return None
            self._ids[name] = index
            if name in _PACKERS and msg.crc == _PACKERS[name][0]:
                self._packable.add(name)
        return self._ids

    @contextlib.contextmanager
    def _direct(self, names: Iterable[str], plain_replies: Iterable[str] = ()) -> Iterator[Optional[_Wire]]:
        """The socket to ourselves with vpp_papi's reader thread paused, or None (then the
        caller uses vpp_papi). A fresh reader thread starts afterwards, as vpp_papi's connect
        starts one, so that between bulk operations everything (the EOF a restarted VPP
        causes, maglevd's liveness check of that thread) works as vpp_papi designed it.

        Liveness (``reader_alive``) stays true for the whole pause: ``_pause_seq`` turns odd
        before the reader is told to stop and even only once a new reader runs (or the
        connection is marked broken), so a check from another thread never takes the stopping
        or the not-yet-started thread for a dead connection. Any failure, of the socket or of our own (a queue that cannot
        be created when file descriptors run out), marks the connection broken, leaves the old
        (dead) thread in place and raises a VppConnectionError: never a half-restored client."""
        papi = self.papi
        transport = getattr(papi, "transport", None)
        thread = getattr(transport, "message_thread", None)
        ids = self._direct_ids(names, plain_replies) if self.direct and thread is not None else None
        if (
            ids is None
            or not thread.is_alive()
            or getattr(transport, "socket", None) is None
            or not all(hasattr(transport, a) for a in ("sque", "q", "msg_thread_func", "socket_index"))
        ):
            yield None
            return
        timeout = getattr(papi, "read_timeout", None) or DEFAULT_TIMEOUT
        self._pause_seq += 1  # odd: paused (see reader_alive)
        try:
            yield from self._paused(transport, thread, ids, timeout)
        finally:
            self._pause_seq += 1

    def _paused(self, transport: Any, thread: Any, ids: Dict[str, int], timeout: float) -> Iterator[_Wire]:
        """_direct's body while the pause holds (``_pause_seq`` odd). ``message_thread`` keeps the old thread
        until a new one runs; only a clean stream (no error, or VPP refused an op and every
        reply was read) gets a new reader, anything else leaves the connection broken."""
        doing = "stopping vpp_papi's reader"
        restart = False
        try:
            transport.sque.put(True)
            thread.join(timeout)
            if thread.is_alive():
                raise VppConnectionError(
                    "vpp_papi's reader thread on %s did not stop within %ss" % (self.api_socket, timeout),
                    self.api_socket,
                )
            wire = _Wire(self.papi, ids, self._packable)
            try:
                yield wire
            except (VppApplyError, VppReadError, VppFeatureError):
                restart = not self.broken and wire.idle()  # VPP said no; every reply was read
                raise
            finally:
                doing = wire.doing
            restart = not self.broken and wire.idle()
        except VppError:
            raise
        except OSError as exc:
            self.broken = True
            raise VppConnectionError(
                "lost the connection to VPP on %s during %s: %s" % (self.api_socket, doing, describe(exc)),
                self.api_socket,
            )
        except Exception as exc:
            self.broken = True
            raise VppInternalError(
                "unexpected error on the connection to VPP on %s during %s: %s"
                % (self.api_socket, doing, describe(exc)),
                self.api_socket,
                exc,
            ) from exc
        finally:
            if not restart or self.broken:
                self.broken = True  # the old (dead) thread stays: the liveness check sees it
            else:
                try:
                    self._restart_reader(transport)
                except Exception as exc:
                    self.broken = True
                    raise VppInternalError(
                        "cannot restart vpp_papi's reader on %s: %s" % (self.api_socket, describe(exc)),
                        self.api_socket,
                        exc,
                    ) from exc

    @staticmethod
    def _restart_reader(transport: Any) -> None:
        """What vpp_papi's transport.connect does: fresh queues, a new reader thread. The new
        queues exist before the old ones go, and the thread is published only once it runs;
        an error here (EMFILE, no thread) leaves the transport's old queues and thread."""
        sque = multiprocessing.Queue()
        try:
            q = multiprocessing.Queue()
        except BaseException:
            sque.close()
            raise
        thread = threading.Thread(target=transport.msg_thread_func, daemon=True, name="vpp_papi-reader")
        old = (transport.sque, transport.q)
        transport.sque, transport.q = sque, q
        try:
            thread.start()
        except BaseException:
            transport.sque, transport.q = old
            sque.close()
            q.close()
            raise
        transport.message_thread = thread
        for queue in old:
            # Nothing reads the old queues any more: do not wait for their feeder threads.
            queue.cancel_join_thread()
            queue.close()

    def reader_alive(self) -> bool:
        """Whether this connection can still receive: judged by vpp_papi's reader thread (it
        exits when VPP closes the socket), never by its absence. Safe from any thread.

        A direct-path pause stops that thread on purpose (the direct path watches the socket
        itself), so it counts as alive. ``_pause_seq`` works like a seqlock: odd while a pause
        runs, bumped again only after the new reader runs; read before the thread, it tells a
        reader that died for a pause (which began, or even ended, while we looked) from one
        that died because VPP went away."""
        seq = self._pause_seq
        if self.broken:
            return False
        if seq & 1:
            return True
        thread = getattr(getattr(self.papi, "transport", None), "message_thread", None)
        if thread is not None and thread.is_alive():
            return True
        return self._pause_seq != seq and not self.broken

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

    def _read_conf(self, call: Optional[Callable[..., Any]] = None) -> LbConf:
        reply = (call or self.call)("lb_conf_get")
        if reply.retval != 0:
            raise VppReadError("lb_conf_get returned %d (%s)" % (reply.retval, error_name(reply.retval)))
        return LbConf(
            ip4_src_address=ipaddress.IPv4Address(reply.ip4_src_address),
            ip6_src_address=ipaddress.IPv6Address(reply.ip6_src_address),
            sticky_buckets_per_core=int(reply.sticky_buckets_per_core),
            flow_timeout=int(reply.flow_timeout),
        )

    def _read(self) -> Tuple[LbState, Dict[VipKey, Dict[Any, int]]]:
        """lb_conf_get, lb_vip_dump, the CLI text (when there are VIPs), lb_as_v2_dump: on
        the direct path when it can serve, else through vpp_papi (same calls, same result)."""
        names = ("lb_conf_get", "lb_vip_dump", "lb_as_v2_dump", "control_ping", "control_ping_reply")
        names += tuple(_LAYOUTS) + (("cli_inband",) if self.sticky_readable else ())
        with self._direct(names) as wire:
            if wire is not None:
                return self._read_with(*self._wire_reader(wire))
        return self._read_with(self.call, self._papi_dump)

    def _wire_reader(self, wire: _Wire) -> Tuple[Callable[..., Any], Callable[[str, str], List[tuple]]]:
        """(call, dump) on the direct path, counting messages as self.call does."""

        def call(name: str, **kwargs: Any) -> Any:
            self.calls += 1
            return wire.call(name, **kwargs)

        def dump(name: str, details: str) -> List[tuple]:
            self.calls += 1
            return wire.dump(name, details)

        return call, dump

    def _papi_dump(self, name: str, details: str) -> List[tuple]:
        """vpp_papi's rows of a dump in the direct path's raw layout (see _LAYOUTS)."""
        if details == "lb_vip_details":
            return [
                (0, 0, *_raw_prefix(r.vip.pfx), int(r.vip.protocol), int(r.vip.port), int(r.encap), int(r.dscp))
                + (int(r.srv_type), int(r.target_port), int(r.flow_table_length))
                for r in self.call(name)
            ]
        return [
            (0, 0, *_raw_prefix(r.vip.pfx), int(r.vip.protocol), int(r.vip.port), *_raw_address(r.app_srv))
            + (int(r.flags), int(r.in_use_since), int(r.weight), int(r.num_buckets))
            for r in self.call(name)
        ]

    def _read_with(
        self, call: Callable[..., Any], dump: Callable[[str, str], List[tuple]]
    ) -> Tuple[LbState, Dict[VipKey, Dict[Any, int]]]:
        conf = self._read_conf(call)
        vip_rows = dump("lb_vip_dump", "lb_vip_details")
        cli_vips = self._read_cli_vips(call) if vip_rows and self.sticky_readable else {}
        vips: Dict[VipKey, Vip] = {}
        by_raw: Dict[tuple, Vip] = {}
        buckets: Dict[VipKey, Dict[Any, int]] = {}
        for row in vip_rows:
            _id, _context, af, un, plen, protocol, port, encap_number, dscp, srv_type, target_port, length = row
            raw = (af, un if af else un[:4] + _IP4_PAD, plen, protocol, port)
            packed = un if af else un[:4]
            network = (ipaddress.IPv6Network if af else ipaddress.IPv4Network)((packed, plen), strict=False)
            key = VipKey.make(network, protocol, port)
            encap = ENCAPS[encap_number] if 0 <= encap_number < len(ENCAPS) else "gre4"
            nat = encap in ("nat4", "nat6")
            srv = _dump_byte(srv_type)
            table_length = length
            cli = cli_vips.get(key)
            if cli is not None and cli.get("new_flows_table_length"):
                table_length = cli["new_flows_table_length"]  # exact; the dump truncates to u16
            elif table_length == 0:
                table_length = MAX_TABLE_LENGTH  # the u16 reads the largest allowed length as 0
            attrs = VipAttrs(
                encap=encap,
                dscp=dscp & 0x3F,
                srv_type=SRV_TYPES[srv] if nat and srv < len(SRV_TYPES) else "clusterip",
                target_port=_swap16(target_port) if nat else 0,
                new_flows_table_length=table_length,
                src_ip_sticky=bool(cli and cli.get("src_ip_sticky")),
            ).normalised()
            vip = Vip(key, attrs, {})
            vips[key] = vip
            by_raw[raw] = vip
            buckets[key] = {}
        if vips:
            as_rows = dump("lb_as_v2_dump", "lb_as_v2_details")
            addresses: Dict[tuple, Any] = {}  # (af, 16 bytes) -> the interned address
            for row in as_rows:
                if not row[9] & 1:
                    continue  # removed but lingering until garbage collection
                af, un = row[2], row[3]
                vip = by_raw.get((af, un if af else un[:4] + _IP4_PAD, row[4], row[5], row[6]))
                if vip is None:
                    continue  # an AS row of a deleted (lingering) VIP
                raw_address = (row[7], row[8])
                address = addresses.get(raw_address)
                if address is None:
                    address = addresses[raw_address] = _address(*raw_address)
                vip.ases[address] = row[11]
                buckets[vip.key][address] = row[12]
        return LbState(conf, vips), buckets

    def _read_cli_vips(self, call: Optional[Callable[..., Any]] = None) -> Dict[VipKey, dict]:
        reply = (call or self.call)("cli_inband", cmd="show lb vips verbose")
        if reply.retval != 0:
            self.sticky_readable = False
            return {}
        # Only the VIP lines matter here (src_ip_sticky, the exact table length): the AS lines
        # ("<address> <n> buckets ...", 64,000 of them on a big LB) are dropped before parsing.
        text = "\n".join(line for line in reply.reply.splitlines() if " buckets" not in line)
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
        if window > 1 and len(ops) >= DIRECT_MIN_OPS:
            calls = [op.api_call() for op in ops]
            with self._direct(("control_ping",), plain_replies=sorted({name for name, _args in calls})) as wire:
                if wire is not None:
                    return self._apply_direct(wire, ops, calls, window)
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
        return self._outcome(ops, retvals, first_failure)

    def _apply_direct(self, wire: _Wire, ops: List[Any], calls: List[Tuple[str, dict]], window: int) -> ApplyResult:
        """_apply_pipelined on the direct path: the same window, barrier and outcome; requests
        go out in batches (one sendall when half the window is free), replies are decoded
        with ``_REPLY`` (every request here has a plain reply, see _direct_ids)."""
        timeout = getattr(self.papi, "read_timeout", None) or DEFAULT_TIMEOUT
        services = self.papi.services
        reply_ids = {wire.ids[services[name]["reply"]] for name, _args in calls}
        takes = [_takes_away(op) for op in ops]
        in_flight: Dict[int, int] = {}  # context -> op index
        order: collections.deque = collections.deque()  # op indexes in flight, oldest first
        retvals: Dict[int, int] = {}
        next_op, first_failure, adds = 0, None, 0  # adds: ops in flight that take nothing away
        refill = max(1, window // 2)
        context = self.papi.get_context()
        buf = wire.buf
        while next_op < len(ops) or order:
            if len(order) <= refill:
                while next_op < len(ops) and len(order) < window and first_failure is None:
                    if adds and takes[next_op]:
                        break  # barrier: what removes or zeroes waits until every add before it succeeded
                    context = (context + 1) & 0xFFFFFFFF or 1
                    name, kwargs = calls[next_op]
                    wire.queue(name, context, kwargs)
                    self.calls += 1
                    self.writes += 1
                    in_flight[context] = next_op
                    order.append(next_op)
                    adds += not takes[next_op]
                    next_op += 1
                try:
                    wire.flush()
                except OSError as exc:
                    self.broken = True
                    return self._lost(ops, retvals, next_op, order, str(exc) or type(exc).__name__)
            if not order:
                break
            try:
                start = wire.next()
            except TimeoutError:
                self.broken = True
                return self._lost(ops, retvals, next_op, order, "no reply within %ss" % timeout)
            except OSError as exc:
                self.broken = True
                return self._lost(ops, retvals, next_op, order, str(exc) or type(exc).__name__)
            msg_id, reply_context, retval = _REPLY.unpack_from(buf, start)
            done = in_flight.pop(reply_context, None) if msg_id in reply_ids else None
            if done is None:
                continue  # not ours (an event): vpp_papi would not hand it to us either
            if order[0] == done:
                order.popleft()
            else:
                order.remove(done)
            adds -= not takes[done]
            retvals[done] = retval
            if retval != 0 and first_failure is None:
                first_failure = done
        return self._outcome(ops, retvals, first_failure)

    @staticmethod
    def _outcome(ops: List[Any], retvals: Dict[int, int], first_failure: Optional[int]) -> ApplyResult:
        if first_failure is not None:
            applied = [op for i, op in enumerate(ops) if retvals.get(i) == 0]
            not_applied = [op for i, op in enumerate(ops) if retvals.get(i, 1) != 0 and i != first_failure]
            raise VppApplyError(
                ops[first_failure], retvals[first_failure], applied, not_applied, position=first_failure
            )
        return ApplyResult(applied=ops, calls=len(ops))

    def _lost(self, ops: List[Any], retvals: Dict[int, int], next_op: int, order: Any, detail: str) -> Any:
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


# Re-exported: callers catch these as vppclient.<name>.
__all__ = [
    "VPP_ERRORS",
    "ApplyResult",
    "MissingLibrary",
    "VppApplyError",
    "VppClient",
    "VppConnectionError",
    "VppError",
    "VppFeatureError",
    "VppInternalError",
    "VppReadError",
    "connect",
    "error_name",
]
