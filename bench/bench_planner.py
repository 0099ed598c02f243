"""Planner on 1,000 VIPs x 64 ASes (64,000 ASes).

Prints the time of a no-op plan, a plan with 10% of the weights changed and a full build
from empty, each with its ratio to a baseline measured in the same run: a plain comparison
of the same data held as Python dicts. Target: the no-op plan within 2x of that baseline.
Then maglevd's restore build (1,000 VIPs x 10 ASes from empty) against building its ops
alone.
"""

from __future__ import annotations

import ipaddress
import random

from _common import best_of
from ansible_collections.vpp.maglev.plugins.module_utils.lb_model import LbState, Vip, VipAttrs, VipKey
from ansible_collections.vpp.maglev.plugins.module_utils.planner import Op, plan

VIPS, ASES = 1000, 64


def build_state(ases_per_vip: int = ASES) -> LbState:
    vips = {}
    for v in range(VIPS):
        key = VipKey.make(ipaddress.IPv4Network((0xC6120000 + v, 32)), "tcp", 80)
        ases = {ipaddress.IPv4Address(0x0A000000 + v * 256 + a): 100 for a in range(ases_per_vip)}
        vips[key] = Vip(key, VipAttrs(), ases)
    return LbState(vips=vips)


def as_dicts(state: LbState) -> dict:
    return {
        (str(key.prefix), key.protocol, key.port): {
            "attrs": vars(vip.attrs).copy(),
            "ases": {str(addr): weight for addr, weight in vip.ases.items()},
        }
        for key, vip in state.vips.items()
    }


def main() -> None:
    current = build_state()
    same = build_state()  # built separately, as config and a VPP read are
    changed = current.copy()
    rng = random.Random(7)
    for vip in changed.vips.values():
        for addr in rng.sample(sorted(vip.ases), ASES // 10):
            vip.ases[addr] = 50
    current_dicts, desired_dicts = as_dicts(current), as_dicts(same)

    def baseline():
        for key, want in desired_dicts.items():
            have = current_dicts.get(key)
            if have is None or have["attrs"] != want["attrs"] or have["ases"] != want["ases"]:
                raise AssertionError

    base = best_of(baseline)
    noop = best_of(lambda: plan(current, same, "overridden"))
    ten = best_of(lambda: plan(current, changed, "overridden"), repeat=3)
    full = best_of(lambda: plan(LbState(), current, "overridden"), repeat=3)
    ops_ten = len(plan(current, changed, "overridden").ops)
    ops_full = len(plan(LbState(), current, "overridden").ops)
    # maglevd's restore after a VPP restart: 1,000 VIPs x 10 ASes from empty. Its baseline is
    # building the same Op list alone (no ordering, no checks): what any planner must do.
    restore_state = build_state(10)
    restore = best_of(lambda: plan(LbState(), restore_state, "replaced"), repeat=3)
    restore_ops = plan(LbState(), restore_state, "replaced").ops
    restore_base = best_of(lambda: [Op(op.kind, op.vip, op.address, op.weight, attrs=op.attrs) for op in restore_ops])

    print("planner: %d VIPs x %d ASes = %d ASes" % (VIPS, ASES, VIPS * ASES))
    print("  baseline (dict comparison)   %8.2f ms" % (base * 1e3))
    print("  no-op plan                   %8.2f ms   %.2fx baseline (target <= 2x)" % (noop * 1e3, noop / base))
    print("  10%% weights changed          %8.2f ms   %.2fx baseline, %d ops" % (ten * 1e3, ten / base, ops_ten))
    print("  full build from empty        %8.2f ms   %.2fx baseline, %d ops" % (full * 1e3, full / base, ops_full))
    print(
        "  restore build, 1,000 x 10     %8.2f ms   %.2fx building its %d ops alone (%.2f ms; the cold build "
        "compared each new VIP with every other one: 499,500 checks)"
        % (restore * 1e3, restore / restore_base, len(restore_ops), restore_base * 1e3)
    )
    if noop / base > 2:
        raise SystemExit("no-op plan is %.2fx the baseline, above the 2x target" % (noop / base))


if __name__ == "__main__":
    main()
