"""What one sync sends (pure): the plans of a per-VIP sync and of a full sync.

Both are ``planner.plan`` against the current LbState (docs/reconciler.md): a per-VIP sync
makes the given frontends exact; a full sync first deletes the VIPs of earlier configs
(retired), then makes every released frontend exact. Flushes are forced for backends that
just moved into a flushing state, even when their weight already is 0.
"""

from __future__ import annotations

from typing import Any, Dict, Iterable, List, Mapping, Optional, Set, Tuple

from ...plugins.module_utils.config_model import Config
from ...plugins.module_utils.desired import desired_state, frontend_weights
from ...plugins.module_utils.lb_model import IPAddress, LbState, VipKey
from ...plugins.module_utils.planner import Plan, plan
from ...plugins.module_utils.weights import BackendState

# The messages of one read_state (counted in maglev_vpp_api_calls after each full sync).
READ_MESSAGES = ("lb_conf_get", "lb_vip_dump", "lb_as_v2_dump")

FlushPairs = Set[Tuple[VipKey, IPAddress]]


def states_snapshot(
    config: Config, states: Mapping[str, Any], frontends: Optional[Iterable[str]] = None
) -> Dict[str, BackendState]:
    """{backend: BackendState} of every backend, or only of the backends ``frontends`` use:
    all a per-VIP sync reads (converting all 10,000 cost 3.9 ms a failover; docs/performance.md,
    "maglevd: failover push")."""
    if frontends is None:
        return {name: BackendState(state) for name, state in states.items()}
    used = {backend for name in frontends for backend in config.frontends[name].backend_names()}
    return {name: BackendState(states[name]) for name in used if name in states}


def force_flush(
    config: Config, names: Iterable[str], states: Mapping[str, BackendState], touched: Set[str]
) -> FlushPairs:
    """(VIP, AS) pairs to flush even if their weight is already 0: backends that just moved
    into a flushing state (standby -> disabled must still flush; docs/reconciler.md)."""
    pairs: FlushPairs = set()
    if not touched:
        return pairs
    for name in names:
        frontend = config.frontends[name]
        for member in frontend_weights(config, frontend, states):
            if member.flush and member.weight == 0 and member.backend in touched:
                pairs.add((frontend.vip_key, member.address))
    return pairs


def vip_plan(
    config: Config, current: LbState, states: Mapping[str, BackendState], names: List[str], force: FlushPairs
) -> Plan:
    """Make the frontends ``names`` exact. The conf rides along (no call unless it differs):
    VIPs released during the warmup need the source addresses before the final full sync."""
    desired = desired_state(config, states, frontends=names, include_conf=True)
    return plan(current, desired, "replaced", force_flush=force, flush_removed=True, allow_empty=True)


def full_plans(
    config: Config,
    current: LbState,
    states: Mapping[str, BackendState],
    names: List[str],
    retired: Set[VipKey],
    force: FlushPairs,
) -> List[Plan]:
    """Delete the retired VIPs VPP still holds, then make ``names`` exact; the last plan's
    ``after`` is what VPP holds once all of them are applied."""
    plans = []
    gone = LbState(vips={key: current.vips[key] for key in retired if key in current.vips})
    if gone.vips:
        plans.append(plan(current, gone, "deleted", flush_removed=True))
        current = plans[-1].after
    plans.append(vip_plan(config, current, states, names, force))
    return plans


def combined(plans: List[Plan], after: LbState) -> Plan:
    """The plans of one full sync as one (for its summary)."""
    return Plan([op for one in plans for op in one.ops], LbState(), after)
