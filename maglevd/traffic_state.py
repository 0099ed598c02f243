"""What maglevd last read of VPP's traffic, per frontend: counters, rates, flows, alarms.

No I/O: the poller (vpp/traffic_poller.py) hands each read in (``update``) or says it failed
(``failed``); the API views (resources.py), the metrics (traffic_metrics.py) and the alarm
events read it back. A frontend maps to its VIP by the config's VIP key, a pool member to
the VIP's AS by the backend's address (docs/traffic.md).

Never stale-but-live: after a failed read, or while the stats segment cannot be read, the
rates are ``None`` and ``error`` says why; flows after a failed read are ``None`` too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, Iterable, List, Mapping, Optional, Tuple

from ..plugins.module_utils.config_model import Config
from ..plugins.module_utils.lb_model import VipKey
from ..plugins.module_utils.traffic import TrafficSnapshot, VipTraffic, rates
from .traffic_alarm import AlarmChange, Blackhole, blackhole_of, next_alarms


@dataclass(frozen=True)
class FrontendTraffic:
    """One frontend at the last read. ``index`` None: its VIP is not in VPP."""

    vip: str
    index: Optional[int]
    packets: Mapping[str, int]
    rates: Optional[Mapping[str, float]]
    flows: Optional[Mapping[str, int]]  # AS address -> sticky entries; None: unknown
    read_at: float  # wall clock of the read
    error: Optional[str] = None


@dataclass
class TrafficState:
    """The last read of every frontend, the raised alarms and the read's own health."""

    frontends: Dict[str, FrontendTraffic] = field(default_factory=dict)
    alarms: Dict[str, Blackhole] = field(default_factory=dict)
    read_at: Optional[float] = None  # wall clock of the last successful read
    error: Optional[str] = None  # why the last read failed or had no counters
    reads: int = 0
    failures: int = 0
    stats_ok: bool = False  # the last read had the counters
    read_ok: bool = False  # the last read returned (with or without the counters)
    # The last good read and its monotonic time: the base of the next read's rates.
    previous: Optional[Tuple[TrafficSnapshot, float]] = None

    def update(self, config: Config, snapshot: TrafficSnapshot, mono: float, wall: float) -> List[AlarmChange]:
        """Adopt one read; the alarm changes it caused."""
        self.reads += 1
        self.read_at = wall
        self.read_ok = True
        self.stats_ok = snapshot.stats_error is None
        self.error = snapshot.stats_error
        vip_rates = rates(self.previous[0], snapshot, mono - self.previous[1]) if self.previous else {}
        self.previous = (snapshot, mono)
        frontends: Dict[str, FrontendTraffic] = {}
        verdicts: Dict[str, Optional[Blackhole]] = {}
        for name, frontend in config.frontends.items():
            key = frontend.vip_key
            view = _frontend_traffic(key, snapshot.vips.get(key), vip_rates, snapshot.stats_error, wall)
            frontends[name] = view
            if view.rates is not None:
                verdicts[name] = blackhole_of(view.rates)
        self.frontends = frontends
        self.alarms, changes = next_alarms(self.alarms, verdicts, config.frontends)
        return changes

    def failed(self, error: str, wall: float) -> None:
        """A read that failed as a whole: rates and flows become unknown; alarms stay (nothing
        says they stopped); the counters last read stay, with their ``read_at``."""
        self.failures += 1
        self.error = error
        self.read_ok = False
        self.stats_ok = False
        self.previous = None  # no rate spans a gap in the reads
        self.frontends = {
            name: FrontendTraffic(view.vip, view.index, view.packets, None, None, view.read_at, error)
            for name, view in self.frontends.items()
        }

    def status(self, *, enabled: bool, stats_socket: str, interval: float) -> Dict[str, Any]:
        """The reads' health for ``/v1/status`` and ``show vpp info``: ``state`` is ``ok``
        (counters read), ``flows-only`` (stats off: ``--vpp-stats-addr ''``), ``error`` (why in
        ``error``), ``waiting`` (no read yet) or ``off`` (no VPP). Never a stale ``ok``."""
        if not enabled:
            state = "off"
        elif self.stats_ok:
            state = "ok"
        elif self.read_ok and not stats_socket:
            state = "flows-only"
        else:
            state = "error" if self.reads or self.failures else "waiting"
        return {
            "state": state,
            "error": self.error,
            "stats_socket": stats_socket or None,
            "interval": interval,
            "last_read": self.read_at,
            "reads": self.reads,
            "failures": self.failures,
            "blackholes": sorted(self.alarms),
        }

    # -- views ---------------------------------------------------------------------------------

    def frontend_view(self, name: str) -> Optional[Dict[str, Any]]:
        """The ``traffic`` object of a frontend in the API (docs/api.md), None before any read."""
        view = self.frontends.get(name)
        if view is None:
            return None
        alarm = self.alarms.get(name)
        return {
            "vip": view.vip,
            "index": view.index,
            "packets": dict(view.packets),
            "rates": None if view.rates is None else dict(view.rates),
            "read_at": view.read_at,
            "blackhole": None if alarm is None else alarm.as_dict(),
            "error": view.error,
        }

    def member_flows(self, frontend: str, address: Any) -> Optional[int]:
        """Sticky entries of the AS at ``address`` in ``frontend``'s VIP (None: unknown)."""
        view = self.frontends.get(frontend)
        if view is None or view.flows is None:
            return None
        return view.flows.get(str(address), 0)

    def backend_flows(self, address: Any, frontends: Iterable[str]) -> Tuple[Dict[str, int], Optional[float]]:
        """({frontend: flows} of the AS at ``address`` in each of ``frontends`` (the backend's)
        whose flows are known, the read's time or None when none is)."""
        flows = {}
        for name in frontends:
            count = self.member_flows(name, address)
            if count is not None:
                flows[name] = count
        return flows, self.read_at if flows else None


def _frontend_traffic(
    key: VipKey,
    vip: Optional[VipTraffic],
    vip_rates: Mapping[VipKey, Mapping[str, float]],
    stats_error: Optional[str],
    wall: float,
) -> FrontendTraffic:
    if vip is None:
        return FrontendTraffic(str(key), None, {}, None, {}, wall, "VIP not in VPP")
    kind_rates = vip_rates.get(key)
    if kind_rates is not None:
        kind_rates = {kind: round(rate, 3) for kind, rate in kind_rates.items()}
    return FrontendTraffic(str(key), vip.index, dict(vip.packets), kind_rates, dict(vip.flows), wall, stats_error)
