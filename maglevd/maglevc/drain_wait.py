"""`set backend NAME drain --wait-flows N [--timeout S]`: pause, then wait until VPP's flows of
the backend are at most N in every frontend, printing progress at each new read of maglevd's.

Only a read taken after the pause counts (maglevd's ``flows_read_at`` moved past the one the
pause answered with: the daemon's clock, never compared with ours). VPP frees sticky entries
lazily, so on a quiet VIP ``flows`` can stay above 0 after the connections ended, until the
flow timeout and a new flow reuse the slots (docs/traffic.md, "Drain until idle"): a timeout
says so and gives the last counts; it never reports idle.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Mapping, Optional

from ...plugins.module_utils.flow_wait import MAX_FLOWS
from ...plugins.module_utils.flow_wait import FlowWait as FlowVerdicts
from .command_parser import UsageError

# --timeout: seconds, default and bounds (docs/security.md, "Limits"): a day at most, as the
# modules' wait_timeout.
DEFAULT_TIMEOUT, MAX_TIMEOUT = 300.0, 86400.0
OPTIONS = ("--wait-flows", "--timeout")


@dataclass(frozen=True)
class WaitOptions:
    flows: Optional[int]  # None: no waiting (a plain pause)
    timeout: float = DEFAULT_TIMEOUT


def take_options(words: List[str]) -> tuple:
    """(words without the wait options, WaitOptions); UsageError naming a bad option."""
    rest: List[str] = []
    values: Dict[str, str] = {}
    remaining = iter(words)
    for word in remaining:
        if word not in OPTIONS:
            rest.append(word)
            continue
        value = next(remaining, None)
        if value is None:
            raise UsageError(f"{word} needs a value")
        values[word] = value
    flows = values.get("--wait-flows")
    timeout = values.get("--timeout")
    if timeout is not None and flows is None:
        raise UsageError("--timeout applies only with --wait-flows")
    return rest, WaitOptions(_flows(flows), _timeout(timeout))


def _flows(text: Optional[str]) -> Optional[int]:
    if text is None:
        return None
    if not text.isdigit() or int(text) > MAX_FLOWS:
        raise UsageError(f"--wait-flows: expected an integer 0-{MAX_FLOWS}, got {text[:40]!r}")
    return int(text)


def _timeout(text: Optional[str]) -> float:
    if text is None:
        return DEFAULT_TIMEOUT
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 < value <= MAX_TIMEOUT:
        raise UsageError(f"--timeout: expected seconds above 0, up to {MAX_TIMEOUT:g}, got {text[:40]!r}")
    return value


def flows_text(flows: Mapping[str, int]) -> str:
    return ", ".join(f"{frontend} {count}" for frontend, count in sorted(flows.items())) or "no frontend"


@dataclass
class FlowWait:
    """The wait itself; ``fetch()`` returns the backend's view (GET /v1/backends/NAME)."""

    fetch: Callable[[], Dict[str, Any]]
    out: Callable[[str], None]
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    pace: float = 0.5  # seconds between two looks at the daemon

    def run(self, name: str, since: Optional[float], options: WaitOptions) -> Dict[str, Any]:
        """Wait; the result: {"backend", "result": "idle"|"timeout", "flows", "flows_read_at",
        "waited"}. ``since`` is the flows_read_at the pause answered with."""
        limit = options.flows or 0
        # The rule maglev_backend's wait_for_flows follows: a read newer than the pause's, every
        # count at most the limit (module_utils/flow_wait.py).
        verdicts = FlowVerdicts(limit, {name: {"flows_read_at": since}})
        started = self.clock()
        seen = since
        view: Dict[str, Any] = {"flows": {}, "flows_read_at": None}
        while True:
            view = self.fetch()
            read_at = view.get("flows_read_at")
            if read_at is not None and (seen is None or read_at > seen):
                seen = read_at
                flows = view.get("flows") or {}
                self.out(f"{name}: flows {flows_text(flows)} (waiting for <= {limit})")
                if verdicts.verdict({name: view}).idle:
                    return self._result(name, "idle", view, started)
            if self.clock() - started >= options.timeout:
                return self._result(name, "timeout", view, started)
            self.sleep(self.pace)

    def _result(self, name: str, result: str, view: Mapping[str, Any], started: float) -> Dict[str, Any]:
        return {
            "backend": name,
            "result": result,
            "flows": view.get("flows") or {},
            "flows_read_at": view.get("flows_read_at"),
            "waited": round(self.clock() - started, 3),
        }
