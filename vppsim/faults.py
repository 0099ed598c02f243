"""Fault injection: what to break, settable at start (flags) and at run time (control)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional


class FaultError(ValueError):
    """A fault specification that cannot be applied (the message names the field)."""


@dataclass
class FailRule:
    """Answer the ``nth`` call of ``message`` (counted from when the rule was set) with ``retval``."""

    message: str
    nth: int
    retval: int
    seen: int = 0

    def to_json(self) -> Dict[str, Any]:
        return {"message": self.message, "nth": self.nth, "retval": self.retval, "seen": self.seen}


@dataclass
class Faults:
    delay_ms: float = 0.0
    drop_after: Optional[int] = None
    fail: List[FailRule] = field(default_factory=list)
    # Bumped whenever drop_after is set, so every connection counts afresh.
    drop_epoch: int = 0

    def to_json(self) -> Dict[str, Any]:
        return {"delay_ms": self.delay_ms, "drop_after": self.drop_after, "fail": [r.to_json() for r in self.fail]}

    def check_fail(self, message: str) -> Optional[int]:
        """The retval to force for this call of ``message``, if a rule says so."""
        forced = None
        for rule in self.fail:
            if rule.message == message:
                rule.seen += 1
                if rule.seen == rule.nth and forced is None:
                    forced = rule.retval
        return forced


def parse_fail(spec: str) -> FailRule:
    """``MSG:NTH:RETVAL`` as given to --fail."""
    parts = spec.split(":")
    if len(parts) != 3:
        raise FaultError("--fail %r: expected MSG:NTH:RETVAL, e.g. lb_as_set_weight:2:-6" % spec)
    return make_fail_rule(parts[0], parts[1], parts[2])


def make_fail_rule(message: Any, nth: Any, retval: Any) -> FailRule:
    if not isinstance(message, str) or not message:
        raise FaultError("fail.message must be a message name, got %r" % (message,))
    try:
        nth_i = int(nth)
    except (TypeError, ValueError):
        raise FaultError("fail.nth must be an integer >= 1, got %r" % (nth,))
    try:
        retval_i = int(retval)
    except (TypeError, ValueError):
        raise FaultError("fail.retval must be an integer (e.g. -6), got %r" % (retval,))
    if nth_i < 1:
        raise FaultError("fail.nth must be an integer >= 1, got %r" % (nth,))
    return FailRule(message, nth_i, retval_i)


def non_negative(name: str, value: Any) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise FaultError("%s must be a number >= 0, got %r" % (name, value))
    if number < 0:
        raise FaultError("%s must be a number >= 0, got %r" % (name, value))
    return number
