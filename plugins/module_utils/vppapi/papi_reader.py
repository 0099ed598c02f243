# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vpp.maglev engineers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one place that reaches into vpp_papi's socket transport: its reader thread.

vpp_papi reads the API socket on a thread of its own and hands each message over through a
multiprocessing queue, ~100 µs a message. Bulk work (a 64,000-AS read, a long apply) stops
that thread, reads the socket itself (wire.py) and then starts a fresh thread the way
vpp_papi's ``transport.connect`` does, so that between bulk operations everything (the EOF a
restarted VPP causes, maglevd's liveness check of that thread) works as vpp_papi designed it
(docs/reconciler.md, "VPP connection"). The attributes used: ``message_thread``, ``sque``,
``q``, ``msg_thread_func``, ``socket``, ``socket_index``, ``connected``.
"""

from __future__ import annotations

import multiprocessing
import threading
import time
from typing import Any, Callable, Optional

# What a pause needs from vpp_papi's transport besides the thread and the socket.
TRANSPORT_ATTRIBUTES = ("sque", "q", "msg_thread_func", "socket_index")


def install_context_check(papi: Any) -> bool:
    """Give ``papi`` a cheaper ``has_context``, the question its reader thread asks of every
    message it receives; True when installed.

    vpp_papi's own builds a new message type (a namedtuple class, compiled with eval) for each
    message just to read its header: about half of a single request's round trip
    (docs/performance.md, "maglevd: failover push"). This one answers the same from the raw
    header and the connection's message table: False for a runt, None for rx_thread_exit,
    else whether the message's definition has a context field (VPP's context is unsigned, so
    vpp_papi's ``context >= 0`` always holds)."""
    own = getattr(papi, "__dict__", None)
    if own is None or "has_context" in own or not (hasattr(papi, "id_names") and hasattr(papi, "id_msgdef")):
        return False

    def has_context(msg: bytes) -> Any:
        if len(msg) < 10:
            return False
        index = (msg[0] << 8) | msg[1]
        if papi.id_names[index] == "rx_thread_exit":
            return None
        return "context" in papi.id_msgdef[index].field_by_name

    papi.has_context = has_context
    return True


class PapiReaderThread:
    """vpp_papi's reader thread of one connection: stop it, start a fresh one, judge liveness.

    Liveness (``alive``) stays true for the whole of a pause: ``pause_seq`` turns odd
    (``begin_pause``) before the reader is told to stop and even (``end_pause``) only once a
    new reader runs or the connection is marked broken, so a check from another thread never
    takes the stopping or the not-yet-started thread for a dead connection."""

    def __init__(self, papi: Any, is_broken: Callable[[], bool]) -> None:
        self.papi = papi
        self.is_broken = is_broken
        self.pause_seq = 0  # odd while a pause has stopped the reader on purpose

    @property
    def transport(self) -> Any:
        return getattr(self.papi, "transport", None)

    @property
    def thread(self) -> Any:
        return getattr(self.transport, "message_thread", None)

    def pausable(self) -> bool:
        """A running reader on an open socket, on a transport with everything a pause touches."""
        transport, thread = self.transport, self.thread
        return (
            thread is not None
            and thread.is_alive()
            and getattr(transport, "socket", None) is not None
            and all(hasattr(transport, name) for name in TRANSPORT_ATTRIBUTES)
        )

    def begin_pause(self) -> None:
        self.pause_seq += 1  # odd: paused (see alive)

    def end_pause(self) -> None:
        self.pause_seq += 1

    def stop(self, timeout: float) -> bool:
        """Tell the reader to stop and wait for it; False if it still runs after ``timeout``."""
        thread = self.thread
        self.transport.sque.put(True)
        thread.join(timeout)
        return not thread.is_alive()

    def restart(self) -> None:
        """What vpp_papi's transport.connect does: fresh queues, a new reader thread. The new
        queues exist before the old ones go, and the thread is published only once it runs;
        an error here (EMFILE, no thread) leaves the transport's old queues and thread."""
        transport = self.transport
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

    def alive(self) -> bool:
        """Whether this connection can still receive: judged by the reader thread (it exits
        when VPP closes the socket), never by its absence. Safe from any thread.

        A pause stops that thread on purpose, so it counts as alive. ``pause_seq`` works like
        a seqlock: read before the thread, it tells a reader that died for a pause (which
        began, or even ended, while we looked) from one that died because VPP went away."""
        seq = self.pause_seq
        if self.is_broken():
            return False
        if seq & 1:
            return True
        thread = self.thread
        if thread is not None and thread.is_alive():
            return True
        return self.pause_seq != seq and not self.is_broken()

    def end_session(self, delete: Optional[bytes], wait: float) -> None:
        """End a session vpp_papi cannot end itself (the connection is broken, or its reader
        has exited): stop the reader, send ``delete`` (the framed sockclnt_delete), read and
        drop whatever VPP still sends until it closes its end or ``wait`` seconds pass, then
        close. VPP closes a registration it deleted once every request before the delete is
        answered, so nothing is cut off mid-pipeline (docs/vpp-lb-reference.md, "Ending a
        session"). Best effort: a dead socket is just closed."""
        transport = self.transport
        if transport is None:
            return
        transport.connected = False
        sock = getattr(transport, "socket", None)
        reader_gone = self._stop_reader(wait)
        transport.socket = None
        if sock is None:
            return
        try:
            sock.settimeout(wait)
            if delete is not None:
                sock.sendall(delete)
            if reader_gone:
                _drain(sock, time.monotonic() + wait)
        except OSError:  # VPP is gone already, or did not close in time
            pass
        finally:
            sock.close()

    def _stop_reader(self, wait: float) -> bool:
        """Stop the reader thread if it runs; whether it is gone (then the socket is ours)."""
        transport, thread = self.transport, self.thread
        try:
            if thread is not None and thread.is_alive():
                transport.sque.put(True)
                thread.join(wait)
            transport.message_thread = None
            return thread is None or not thread.is_alive()
        except Exception:  # a transport without the attributes we know: do not read under it
            return False


def _drain(sock: Any, deadline: float) -> None:
    """Read and drop until the peer closes its end; at the deadline, take what has arrived
    and stop. Closing with unread data would make the peer's next read fail (ECONNRESET)
    instead of seeing a plain end of file."""
    while True:
        left = deadline - time.monotonic()
        sock.settimeout(left if left > 0 else 0.0)  # 0: non-blocking, the last look
        try:
            if not sock.recv(1 << 16):
                return
        except (TimeoutError, BlockingIOError):
            if left <= 0:
                return
