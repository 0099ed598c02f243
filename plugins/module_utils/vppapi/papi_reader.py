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
from typing import Any, Callable

# What a pause needs from vpp_papi's transport besides the thread and the socket.
TRANSPORT_ATTRIBUTES = ("sque", "q", "msg_thread_func", "socket_index")


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

    def tear_down(self) -> None:
        """Close a connection whose reader has exited: a polite sockclnt_delete would wait a
        full read_timeout for a reply that cannot come. Best effort."""
        try:
            transport = self.transport
            transport.connected = False
            if transport.socket is not None:
                transport.socket.close()
            transport.sque.put(True)
            if transport.message_thread is not None and transport.message_thread.is_alive():
                transport.message_thread.join(1)
            transport.message_thread = None
            transport.socket = None
        except Exception:  # best effort on a broken connection
            pass
