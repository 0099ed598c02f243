"""Property tests: any plan, applied the way VPP would, reaches the desired state, and
planning again afterwards yields nothing (the house rule 'a second run is a no-op')."""

from __future__ import annotations

import ipaddress

from ansible_collections.vpp.maglev.plugins.module_utils.lb_model import LbConf, LbState, Vip, VipAttrs, VipKey
from ansible_collections.vpp.maglev.plugins.module_utils.planner import PlanError, apply_ops, plan
from hypothesis import given, settings
from hypothesis import strategies as st

KEYS = [
    VipKey.make("192.0.2.1/32", "tcp", 80),
    VipKey.make("192.0.2.1/32", "tcp", 443),
    VipKey.make("192.0.2.2/32", "any", 0),
    VipKey.make("198.51.100.0/24", "udp", 53),
    VipKey.make("2001:db8::1/128", "tcp", 80),
    VipKey.make("2001:db8::/64", "any", 0),
]
V4 = [ipaddress.ip_address("10.0.0.%d" % n) for n in (1, 2, 9, 10, 200)]
V6 = [ipaddress.ip_address("2001:db8:1::%x" % n) for n in (1, 2, 0xA)]

attrs_st = st.builds(
    VipAttrs,
    encap=st.sampled_from(["gre4", "gre6"]),
    new_flows_table_length=st.sampled_from([512, 1024]),
    src_ip_sticky=st.booleans(),
)


@st.composite
def vips(draw, key):
    attrs = draw(attrs_st)
    pool = V4 if attrs.encap == "gre4" else V6
    ases = draw(st.dictionaries(st.sampled_from(pool), st.integers(0, 100), max_size=len(pool)))
    flush = draw(st.frozensets(st.sampled_from(pool)))
    return Vip(key, attrs, ases, flush)


@st.composite
def lb_states(draw):
    keys = draw(st.lists(st.sampled_from(KEYS), unique=True, max_size=len(KEYS)))
    # VPP refuses an all-port and a per-port VIP on one prefix; a real state never has both.
    chosen = []
    for key in keys:
        if not any(k.prefix == key.prefix and (k.port == 0) != (key.port == 0) for k in chosen):
            chosen.append(key)
    conf = draw(
        st.builds(
            LbConf,
            ip4_src_address=st.sampled_from([None, ipaddress.IPv4Address("10.255.0.1")]),
            flow_timeout=st.sampled_from([None, 40, 60]),
        )
    )
    return LbState(conf, {key: draw(vips(key)) for key in chosen})


def current_from(state: LbState) -> LbState:
    """A state as read from VPP: every conf field known."""
    conf = LbConf(
        state.conf.ip4_src_address or ipaddress.IPv4Address("255.255.255.255"),
        ipaddress.IPv6Address("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"),
        1024,
        state.conf.flow_timeout or 40,
    )
    return LbState(conf, state.vips)


def reachable(current, desired, state):
    try:
        return plan(current, desired, state, allow_empty=True)
    except PlanError as error:
        # The only legitimate refusal: a new VIP colliding with one this state must keep.
        assert "all-port and a per-port" in str(error)
        assert state in ("merged", "replaced")
        return None


@settings(max_examples=300, deadline=None)
@given(lb_states(), lb_states(), st.sampled_from(["merged", "replaced", "overridden", "deleted"]))
def test_plan_reaches_desired_and_replans_empty(current_raw, desired, state):
    current = current_from(current_raw)
    result = reachable(current, desired, state)
    if result is None:
        return
    after = apply_ops(current, result.ops)  # raises, as VPP would, on an impossible op
    assert after.vips == result.after.vips and after.conf == result.after.conf

    if state == "overridden":
        assert after.vips == desired.vips
    if state in ("replaced", "overridden"):
        assert all(after.vips[key] == want for key, want in desired.vips.items())
    if state in ("merged", "replaced"):
        assert all(after.vips[key] == vip for key, vip in current.vips.items() if key not in desired.vips)
    if state == "merged":
        for key, want in desired.vips.items():
            got = after.vips[key]
            assert got.attrs == want.attrs
            assert all(got.ases[addr] == weight for addr, weight in want.ases.items())
            assert set(current.vips[key].ases if key in current.vips else ()) <= set(got.ases)
    if state == "deleted":
        gone = desired.vips or current.vips
        assert not set(gone) & set(after.vips)
    if state != "deleted":
        assert after.conf == desired.conf.merged_over(current.conf)

    again = plan(after, desired, state, allow_empty=True)
    assert again.ops == [], again.commands()


@settings(max_examples=100, deadline=None)
@given(lb_states(), lb_states())
def test_plan_is_deterministic(current_raw, desired):
    current = current_from(current_raw)
    first = reachable(current, desired, "overridden")
    second = reachable(current_from(current_raw), desired, "overridden")
    assert first.ops == second.ops
