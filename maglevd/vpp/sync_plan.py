"""What one sync sends (pure): the plans of a per-VIP sync and of a full sync.

Both are ``planner.plan`` against the current LbState (docs/reconciler.md): a per-VIP sync
makes the given frontends exact; a full sync first deletes the VIPs of earlier configs
(retired), then makes every released frontend exact. Flushes are forced for backends that
just moved into a flushing state, even when their weight already is 0.
"""

from __future__ import annotations

from typing import Any, Iterable, List, Mapping, Set, Tuple

from ...plugins.module_utils.config_model import Config
from ...plugins.module_utils.desired import desired_state, frontend_weights
from ...plugins.module_utils.lb_model import IPAddress, LbState, VipKey
from ...plugins.module_utils.planner import Plan, plan
from ...plugins.module_utils.weights import BackendState

# The messages of one read_state (counted in maglev_vpp_api_calls after each full sync).
READ_MESSAGES = ("lb_conf_get", "lb_vip_dump", "lb_as_v2_dump")

FlushPairs = Set[Tuple[VipKey, IPAddress]]


def message_names(ops: Iterable[Any]) -> List[str]:
    """The API message of each op, for maglev_vpp_api_calls."""
    return [op.api_call()[0] for op in ops]


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
