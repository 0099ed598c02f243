# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vpp.maglev engineers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The transport to VPP: open a vpp_papi connection, send one call, hand the socket to the
direct wire path for bulk work, close.

``open_papi`` loads the API definitions (from ``api_dir``, or from VPP itself with
``bootstrapapi``) and connects, turning every failure into a VppError an operator can act on.
``ApiConnection`` is one open connection: ``call`` through vpp_papi, ``direct`` for the wire
path (docs/reconciler.md, "VPP connection"), ``reader_alive`` for maglevd's liveness check.
"""

from __future__ import annotations

import contextlib
import json
import os
from typing import Any, Dict, Iterable, Iterator, Optional, Tuple

from ansible_collections.vpp.maglev.plugins.module_utils.vpp_errors import (
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
from ansible_collections.vpp.maglev.plugins.module_utils.vppapi.papi_reader import (
    PapiReaderThread,
    install_context_check,
)
from ansible_collections.vpp.maglev.plugins.module_utils.vppapi.termination import TerminationGuard
from ansible_collections.vpp.maglev.plugins.module_utils.vppapi.wire import FRAME, LAYOUTS, PACKERS, REPLY_FIELDS, Wire

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
# Files an lb client needs in api_dir mode (docs/vpp-lb-reference.md, "API definition files");
# loading all ~200 is slow.
API_FILES = ("memclnt.api.json", "vpe.api.json", "vlib.api.json", "lb.api.json")


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


def open_papi(api_socket: str, api_dir: Optional[str], timeout: float, client_name: str) -> Tuple[Any, Optional[str]]:
    """(connected VPPApiClient, the version of api_dir's lb.api.json or None). Definitions come
    from ``api_dir`` when given, else from VPP itself (``bootstrapapi``, VPP >= 24.06)."""
    if VPPApiClient is None:
        raise MissingLibrary("vpp_papi", PAPI_IMPORT_ERROR)
    if api_dir is None:
        papi = VPPApiClient(server_address=api_socket, read_timeout=timeout, use_socket=True, bootstrapapi=True)
        lb_file_version = None
    else:
        papi, lb_file_version = _papi_from_api_dir(api_socket, api_dir, timeout)
    _connect(papi, api_socket, timeout, client_name)
    return papi, lb_file_version


def _papi_from_api_dir(api_socket: str, api_dir: str, timeout: float) -> Tuple[Any, Optional[str]]:
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
    return papi, lb_file_version


def _connect(papi: Any, api_socket: str, timeout: float, client_name: str) -> None:
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
        close_quietly(papi)
        raise VppFeatureError(
            "VPP on %s does not serve its API definitions (get_api_json, VPP >= 24.06): give api_dir (%s)"
            % (api_socket, exc)
        )
    except (OSError, VPPIOError, VPPRuntimeError, VPPValueError) as exc:
        close_quietly(papi)
        raise VppConnectionError(
            "cannot connect to VPP API socket %s within %ss: %s" % (api_socket, timeout, exc or type(exc).__name__),
            api_socket,
        )


def delete_request(papi: Any) -> Optional[bytes]:
    """The framed ``sockclnt_delete`` of this connection's registration, as vpp_papi's
    disconnect sends it, or None when the definitions or the registration are missing."""
    try:
        transport = papi.transport
        msg = papi.messages["sockclnt_delete"]
        msg_id = transport.get_msg_index("sockclnt_delete_" + msg.crc[2:])
        index = transport.socket_index
        if msg_id <= 0 or not index:
            return None
        payload = msg.pack({"_vl_msg_id": msg_id, "client_index": index, "context": papi.get_context(), "index": index})
    except Exception:  # best effort: then the session ends with a plain close
        return None
    return FRAME.pack(0, len(payload), 0) + payload


def close_wait(papi: Any) -> float:
    """How long a polite close waits for VPP to close its end: the connection's timeout (as
    vpp_papi's own disconnect waits for the reply to its sockclnt_delete), at most 10 s."""
    return min(getattr(papi, "read_timeout", None) or DEFAULT_TIMEOUT, DEFAULT_TIMEOUT)


def close_quietly(papi: Any) -> None:
    try:
        transport = papi.transport
        if transport.connected:
            papi.disconnect()
    except Exception:  # best effort on an already failed connection
        pass


class ApiConnection:
    """One open API connection. Not thread-safe (use it from one thread at a time), except
    ``reader_alive``, which any thread may ask."""

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
        # False: every message goes through vpp_papi (the tests compare both paths).
        self.direct_enabled = True
        self.reader = PapiReaderThread(papi, lambda: self.broken)
        install_context_check(papi)
        self.guard = TerminationGuard()  # vppclient.connect installs one for the session
        self._ids: Dict[str, int] = {}
        self.packable: set = set()  # requests whose layout PACKERS pins for this connection

    def close(self) -> None:
        """End the session politely, whatever state it is in: ``sockclnt_delete``, then close
        (docs/vpp-lb-reference.md, "Ending a session"). A healthy connection goes through
        vpp_papi's own disconnect; one that is broken (a timeout, a lost reader, an error in
        the middle of a pipeline) sends the delete itself. A termination signal that arrives
        meanwhile waits until the session is closed (termination.py)."""
        self.guard.closing()
        try:
            papi, self.papi = self.papi, None
            if papi is None:
                return
            if self.broken or not self.reader.alive():
                self.reader.end_session(delete_request(papi), close_wait(papi))
                return
            close_quietly(papi)
        finally:
            self.guard.release()

    def reader_alive(self) -> bool:
        """Whether this connection can still receive (PapiReaderThread.alive)."""
        return self.reader.alive()

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

    def checked(self, name: str, **kwargs: Any) -> Any:
        """call(), raising VppReadError on a non-zero retval."""
        reply = self.call(name, **kwargs)
        if reply.retval != 0:
            raise VppReadError("%s returned %d (%s)" % (name, reply.retval, error_name(reply.retval)))
        return reply

    def wire_ids(self, names: Iterable[str], plain_replies: Iterable[str] = ()) -> Optional[Dict[str, int]]:
        """Message ids for the direct path, or None when it cannot serve: one of ``names`` is
        unknown to this connection or has another layout than LAYOUTS pins, or a request of
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
            if reply is None or getattr(messages.get(reply), "fields", None) != REPLY_FIELDS:
                return None
            wanted.update((name, reply))
        for name in sorted(wanted - set(self._ids)):
            msg = messages.get(name)
            if msg is None or (name in LAYOUTS and msg.crc != LAYOUTS[name].crc):
                return None
            index = transport.get_msg_index(name + "_" + msg.crc[2:])
            if index <= 0:
                return None
            self._ids[name] = index
            if name in PACKERS and msg.crc == PACKERS[name][0]:
                self.packable.add(name)
        return self._ids

    @contextlib.contextmanager
    def direct(self, names: Iterable[str], plain_replies: Iterable[str] = ()) -> Iterator[Optional[Wire]]:
        """The socket to ourselves with vpp_papi's reader thread paused (PapiReaderThread), or
        None (then the caller uses vpp_papi). Any failure, of the socket or of our own (a queue
        that cannot be created when file descriptors run out), marks the connection broken,
        leaves the old (dead) reader in place and raises a VppConnectionError: never a
        half-restored connection."""
        reader = self.reader
        if not (self.direct_enabled and reader.pausable()):
            yield None
            return
        ids = self.wire_ids(names, plain_replies)
        if ids is None:
            yield None
            return
        timeout = getattr(self.papi, "read_timeout", None) or DEFAULT_TIMEOUT
        reader.begin_pause()
        try:
            yield from self._paused(ids, timeout)
        finally:
            reader.end_pause()

    def _paused(self, ids: Dict[str, int], timeout: float) -> Iterator[Wire]:
        """direct's body while the pause holds. Only a clean stream (no error, or VPP refused
        an op and every reply was read) gets a new reader; anything else leaves it broken."""
        doing, restart = "stopping vpp_papi's reader", False
        try:
            if not self.reader.stop(timeout):
                raise VppConnectionError(
                    "vpp_papi's reader thread on %s did not stop within %ss" % (self.api_socket, timeout),
                    self.api_socket,
                )
            wire = Wire(self.papi, ids, self.packable)
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
            self._after_pause(restart)

    def _after_pause(self, restart: bool) -> None:
        if not restart or self.broken:
            self.broken = True  # the old (dead) thread stays: the liveness check sees it
            return
        try:
            self.reader.restart()
        except Exception as exc:
            self.broken = True
            raise VppInternalError(
                "cannot restart vpp_papi's reader on %s: %s" % (self.api_socket, describe(exc)), self.api_socket, exc
            ) from exc
