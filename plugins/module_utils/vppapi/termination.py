# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vpp.maglev engineers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""SIGTERM, SIGINT and SIGHUP while a VPP session is open: end the session politely first.

A module that Ansible gives up on (a task ``timeout:``, ^C, a dropped SSH session) is told
so with one of these signals, whose default is to die on the spot: VPP would then see the
API socket drop without ``sockclnt_delete``, possibly mid-pipeline, which can leave VPP
spinning (docs/vpp-lb-reference.md, "Ending a session"). While a session is open in the main
thread, the first such signal raises ``Interrupted`` instead, so that the session's ``with``
block unwinds and closes (``sockclnt_delete``, then close); then the signal is delivered
again with the handler the process had, so the process ends as it would have.

Handlers someone else installed (maglevd's event loop, a test) are left alone, and nothing
is installed outside the main thread (maglevd's VPP thread).
"""

from __future__ import annotations

import signal
import threading
from typing import Any, Dict, Optional

SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)


class Interrupted(BaseException):
    """A termination signal arrived during a VPP session (not an Exception: no ``except
    Exception`` on the way may swallow it)."""

    def __init__(self, signum: int) -> None:
        super().__init__("interrupted by %s" % signal.Signals(signum).name)
        self.signum = signum


class TerminationGuard:
    """Turns the first termination signal into Interrupted until ``release``; after
    ``closing()`` signals are only noted, so that the polite close itself is not cut short."""

    def __init__(self) -> None:
        self.previous: Dict[int, Any] = {}
        self.pending: Optional[int] = None  # the first signal that arrived
        self.raising = True

    def install(self) -> TerminationGuard:
        if threading.current_thread() is not threading.main_thread():
            return self
        for signum in SIGNALS:
            current = signal.getsignal(signum)
            if current in (signal.SIG_DFL, signal.default_int_handler):
                self.previous[signum] = signal.signal(signum, self._on_signal)
        return self

    def _on_signal(self, signum: int, frame: Any) -> None:
        if self.pending is not None:
            return  # already on the way out
        self.pending = signum
        if self.raising:
            raise Interrupted(signum)

    def closing(self) -> None:
        """From here on a signal waits for ``release``."""
        self.raising = False

    def release(self) -> None:
        """Restore the handlers; a signal that arrived is delivered again to the process."""
        previous, self.previous = self.previous, {}
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        if self.pending is not None and self.pending in previous:
            signal.raise_signal(self.pending)
