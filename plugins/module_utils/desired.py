# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vpp.maglev engineers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Config + backend states -> the desired LbState, through the one truth table (weights.py).

maglevd calls this with live health; the state module with "assume up", an explicit map, or
the states read from a running maglevd. Neither computes a weight any other way.
"""

from __future__ import annotations

from dataclasses import dataclass
from operator import itemgetter
from typing import Dict, Iterable, Iterator, List, Mapping, Optional, Tuple

from .config_model import Config, Frontend, Pool
from .lb_model import LbConf, LbState, Vip, ip_sort_key
from .weights import BackendState, active_pool, pool_weights


@dataclass(frozen=True)
class MemberWeight:
    """One backend of one pool of a frontend, with what the truth table made of it."""

    pool: str
    pool_index: int
    backend: str
    address: object
    configured_weight: int
    state: BackendState
    weight: int
    flush: bool

    def as_dict(self) -> dict:
        return {
            "pool": self.pool,
            "backend": self.backend,
            "address": str(self.address),
            "configured_weight": self.configured_weight,
            "state": str(self.state),
            "weight": self.weight,
            "flush": self.flush,
        }


def assumed_states(config: Config) -> Dict[str, BackendState]:
    """Health as Ansible assumes it without maglevd: enabled backends are up."""
    return {
        name: BackendState.UP if backend.enabled else BackendState.DISABLED for name, backend in config.backends.items()
    }


def member_states(frontend: Frontend, states: Mapping[str, BackendState]) -> List[List[BackendState]]:
    """The state of every member, pool by pool (a backend with no state yet is unknown).
    A state given as text is made a BackendState; one that already is one is taken as it is
    (no enum call per member: 64,000 of them in a check of 64,000 ASes; docs/performance.md)."""
    unknown = BackendState.UNKNOWN
    return [
        [
            state if isinstance(state, BackendState) else BackendState(state)
            for state in [states.get(member.backend, unknown) for member in pool.members]
        ]
        for pool in frontend.pools
    ]


def frontend_active_pool(frontend: Frontend, states: Mapping[str, BackendState]) -> int:
    """Index of the pool that carries the frontend's new flows (weights.active_pool)."""
    return active_pool(member_states(frontend, states))


def _decided(frontend: Frontend, states: Mapping[str, BackendState]) -> Iterator[Tuple[int, Pool, Iterator]]:
    """Per pool: (index, pool, (member, state, (weight, flush)) of each member), from the truth
    table (weights.pool_weights)."""
    pool_states = member_states(frontend, states)
    members = [
        [(state, member.weight) for state, member in zip(pool_state, pool.members)]
        for pool_state, pool in zip(pool_states, frontend.pools)
    ]
    decided = pool_weights(members, frontend.flush_on_down)
    for index, (pool, pool_state, rows) in enumerate(zip(frontend.pools, pool_states, decided)):
        yield index, pool, zip(pool.members, pool_state, rows)


def frontend_weights(config: Config, frontend: Frontend, states: Mapping[str, BackendState]) -> List[MemberWeight]:
    backends = config.backends
    return [
        MemberWeight(pool.name, index, member.backend, backends[member.backend].address, member.weight, state, *row)
        for index, pool, rows in _decided(frontend, states)
        for member, state, row in rows
    ]


def backend_weights(config: Config, states: Optional[Mapping[str, BackendState]] = None) -> Dict[str, List[dict]]:
    """Per frontend, every pool member's configured and effective weight (for APIs and filters)."""
    states = assumed_states(config) if states is None else states
    return {
        name: [member.as_dict() for member in frontend_weights(config, frontend, states)]
        for name, frontend in config.frontends.items()
    }


def frontend_vip(config: Config, frontend: Frontend, states: Mapping[str, BackendState]) -> Vip:
    """The frontend's VIP: its ASes in numeric order with their weights. Built from the truth
    table's rows directly, not through MemberWeight: this runs for every AS of every no-op
    check (docs/performance.md)."""
    backends = config.backends
    removed = BackendState.REMOVED
    ases = []
    flush = []
    for _index, _pool, rows in _decided(frontend, states):
        for member, state, (weight, flushes) in rows:
            if state is removed:
                continue  # a removed backend's AS leaves the VIP
            address = backends[member.backend].address
            ases.append((ip_sort_key(address), address, weight))
            if flushes:
                flush.append(address)
    ases.sort(key=itemgetter(0))
    ordered = {addr: weight for _key, addr, weight in ases}
    return Vip.of_interned(frontend.vip_key, frontend.attrs.normalised(), ordered, frozenset(flush))


def desired_state(
    config: Config,
    states: Optional[Mapping[str, BackendState]] = None,
    *,
    frontends: Optional[Iterable[str]] = None,
    include_conf: bool = True,
) -> LbState:
    """The LbState VPP should have. ``states=None`` assumes every enabled backend is up."""
    states = assumed_states(config) if states is None else states
    names = list(config.frontends) if frontends is None else list(frontends)
    vips = {}
    for name in names:
        vip = frontend_vip(config, config.frontends[name], states)
        vips[vip.key] = vip
    conf = config.vpp_lb.lb_conf() if include_conf else LbConf()
    return LbState(conf, vips)
