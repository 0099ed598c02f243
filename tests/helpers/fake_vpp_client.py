"""A fake VppClient for reconciler unit tests: an in-memory LB that records every apply."""

from __future__ import annotations

import itertools
import os
import tempfile
import threading
from typing import Any, List, Optional

from ansible_collections.vpp.maglev.maglevd.vpp.settings import VppSettings
from ansible_collections.vpp.maglev.maglevd.vpp.supervisor import VppConnection
from ansible_collections.vpp.maglev.plugins.module_utils.lb_model import VPP_DEFAULT_CONF, LbState
from ansible_collections.vpp.maglev.plugins.module_utils.planner import PlanError, apply_ops
from ansible_collections.vpp.maglev.plugins.module_utils.vpp_errors import VppApplyError

# maglevd takes the writer lock <api_socket>.lock for each apply: one lock file per fake, in a
# private directory rather than the working directory.
_SOCKETS = tempfile.mkdtemp(prefix="maglev-fake-vpp-")
_NEXT = itertools.count()


class FakeClient:
    def __init__(self, state: Optional[LbState] = None) -> None:
        self.state = state or LbState(VPP_DEFAULT_CONF, {})
        self.batches: List[list] = []  # one list of ops per apply()
        self.reads = 0
        self.gate: Optional[threading.Event] = None  # when set, apply() blocks until it is set
        self.entered = threading.Event()
        self.fail_next: Optional[int] = None  # retval for the next apply's first op
        self.api_socket = os.path.join(_SOCKETS, "api-%d.sock" % next(_NEXT))

    def read_state(self) -> LbState:
        self.reads += 1
        return self.state.copy()

    def apply(self, ops: Any) -> Any:
        ops = list(getattr(ops, "ops", ops))
        self.entered.set()
        if self.gate is not None:
            self.gate.wait(10)
        if self.fail_next is not None:
            retval, self.fail_next = self.fail_next, None
            raise VppApplyError(ops[0], retval, [], ops[1:])
        try:
            self.state = apply_ops(self.state, ops)
        except PlanError as exc:  # what VPP would refuse
            raise VppApplyError(ops[0], -6, [], ops[1:], detail=str(exc))
        self.batches.append(ops)
        return ops

    def ops(self) -> list:
        return [op for batch in self.batches for op in batch]

    def close(self) -> None:
        pass


def fake_connection(client: FakeClient) -> VppConnection:
    conn = VppConnection(VppSettings(api_socket="fake"))
    conn.client = client  # "connected"; the supervisor task is never started
    return conn
