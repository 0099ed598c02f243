"""The black-hole alarm, from the packet rates between two reads of VPP's counters (pure).

The lb plugin counts every packet of a VIP under one of four kinds (docs/traffic.md):
``existing`` and ``first`` were load-balanced to a backend, ``no_server`` (the new-flow bucket
held no AS: every weight 0) and ``untracked`` (the sticky table was full) were not. A frontend
is a *black hole* while either of the last two rises between reads, whatever the cause (every
pool down, a wrong config, a VIP another tool changed): docs/traffic.md, "The black-hole alarm".

The rates come from traffic.rates (plugins/module_utils/traffic.py).

    blackhole_of(rates)                 -> Blackhole(kind, rate) or None
    next_alarms(active, verdicts, names)-> (alarms now, [AlarmChange ...])
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, Iterable, List, Mapping, Optional, Tuple

from ..plugins.module_utils.traffic import BLACKHOLE_KINDS


@dataclass(frozen=True)
class Blackhole:
    """The kind that rose fastest among the black-hole kinds, and its packets per second."""

    kind: str
    rate: float

    def as_dict(self) -> Dict[str, object]:
        return {"kind": self.kind, "rate": self.rate}


@dataclass(frozen=True)
class AlarmChange:
    """A frontend's alarm was raised (``blackhole`` set) or cleared (``blackhole`` None)."""

    frontend: str
    blackhole: Optional[Blackhole]
    reason: str = ""  # for a clear: "stopped" or "frontend removed"


def blackhole_of(kind_rates: Optional[Mapping[str, float]]) -> Optional[Blackhole]:
    """The black-hole verdict of one interval: the black-hole kind with the highest rate above
    zero (``no_server`` wins a tie: it names the fix), or None."""
    if not kind_rates:
        return None
    rising = [(kind_rates.get(kind, 0.0), kind) for kind in BLACKHOLE_KINDS if kind_rates.get(kind, 0.0) > 0]
    if not rising:
        return None
    rate, kind = max(rising, key=lambda pair: (pair[0], -BLACKHOLE_KINDS.index(pair[1])))
    return Blackhole(kind, rate)


def next_alarms(
    active: Mapping[str, Blackhole],
    verdicts: Mapping[str, Optional[Blackhole]],
    frontends: Iterable[str],
) -> Tuple[Dict[str, Blackhole], List[AlarmChange]]:
    """The alarms after one read, and what changed.

    ``verdicts`` holds a frontend only when its rates were known in this read: a frontend
    without one (stats unreadable, the VIP not in VPP yet) keeps its alarm as it was, since
    nothing says it stopped. An alarm is raised on the first interval a black-hole kind rose
    and cleared on the first one it did not; a raised alarm follows the current kind and rate
    without a new event. A frontend no longer in ``frontends`` (a reload removed it) is
    cleared."""
    names = set(frontends)
    alarms: Dict[str, Blackhole] = {}
    changes: List[AlarmChange] = []
    for name in sorted(set(active) | set(verdicts)):
        was = active.get(name)
        if name not in names:
            if was is not None:
                changes.append(AlarmChange(name, None, "frontend removed"))
            continue
        if name not in verdicts:
            if was is not None:
                alarms[name] = was
            continue
        now = verdicts[name]
        if now is not None:
            alarms[name] = now
            if was is None:
                changes.append(AlarmChange(name, now))
        elif was is not None:
            changes.append(AlarmChange(name, None, "stopped"))
    return alarms, changes
