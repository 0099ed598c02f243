# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vpp.maglev engineers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""maglev.backends and a frontend's pools: each backend's address and healthcheck, each
pool's members and weights (rules/backend.py, rules/pool.py), and the membership rules
between them (docs/config-reference.md)."""

from __future__ import annotations

from typing import Any, Dict, FrozenSet, Iterable, List, Tuple

from .config_errors import join_path as _join
from .config_model import Backend, Pool, PoolMember
from .config_reader import Reader
from .lb_model import intern_address
from .rules.issue import Issue, describe
from .rules.pool import MAX_WEIGHT, check_weight

_WEIGHT_ONLY = frozenset(("weight",))


def read_backends(
    r: Reader, raw: Any, path: str, healthchecks: FrozenSet[str]
) -> Tuple[Dict[str, Backend], FrozenSet[str]]:
    """The valid backends, and every name defined (valid or not) for reference checks."""
    backends: Dict[str, Backend] = {}
    named = r.named_mapping(raw, path, "backends")
    for name, item in named.items():
        where = _join(path, name)
        m = r.mapping(item, where, ("address", "healthcheck", "enabled"), required=("address",))
        if m is None:
            continue
        address = r.address(m, "address", where)
        check = r.string(m, "healthcheck", where, allowed="the name of a healthcheck")
        if check is not None and check not in healthchecks:
            r.error(
                _join(where, "healthcheck"),
                "healthcheck %r is not defined under maglev.healthchecks%s" % (check, r.suggest(check, healthchecks)),
            )
        enabled = r.boolean(m, "enabled", where, True)
        if address is not None:
            # Interned: every VIP built from this config then shares one object per address.
            address = intern_address(address)
            backends[name] = Backend(name=name, address=address, healthcheck=check, enabled=enabled is not False)
    return backends, frozenset(named)


def _non_empty(r: Reader, raw: Any, path: str, kind: type, expected: str, empty: str) -> bool:
    """Whether ``raw`` is a non-empty ``kind``; reports what was expected otherwise."""
    if not isinstance(raw, kind):
        r.error(path, "expected %s, got %s" % (expected, describe(raw)))
        return False
    if not raw:
        r.error(path, empty)
        return False
    return True


def read_pools(r: Reader, raw: Any, path: str, defined: FrozenSet[str]) -> Tuple[Pool, ...]:
    """A frontend's pools in priority order; ``defined`` are the backend names to refer to."""
    if not _non_empty(
        r, raw, path, list, "a list of pools ({name, backends}) in priority order", "at least one pool is needed"
    ):
        return ()
    pools: List[Pool] = []
    seen: Dict[str, int] = {}
    for index, item in enumerate(raw):
        where = "%s[%d]" % (path, index)
        m = r.mapping(item, where, ("name", "backends"), required=("name", "backends"), what="a pool {name, backends}")
        if m is None:
            continue
        name = r.string(m, "name", where, allowed="a non-empty pool name")
        if name is not None and not name.strip():
            r.error(_join(where, "name"), "a pool name must not be empty")
        elif name is not None and name in seen:
            r.error(_join(where, "name"), "duplicate pool name %r (also pools[%d])" % (name, seen[name]))
        elif name is not None:
            seen[name] = index
        members = _read_members(r, m["backends"], _join(where, "backends"), defined) if "backends" in m else ()
        pools.append(Pool(name=name or "", members=members))
    return tuple(pools)


def _read_members(r: Reader, raw: Any, path: str, defined: FrozenSet[str]) -> Tuple[PoolMember, ...]:
    if not _non_empty(
        r, raw, path, dict, "a mapping of backend name to {weight: 0-100}", "a pool needs at least one backend"
    ):
        return ()
    members: List[PoolMember] = []
    for name, spec in raw.items():
        # The common member - a defined backend (its name was checked under maglev.backends)
        # with {}, null or {weight: ...} - is read without building its path unless its weight
        # is wrong: a pool of 64,000 members otherwise builds 64,000 strings (docs/performance.md).
        if name in defined and (spec is None or (isinstance(spec, dict) and spec.keys() <= _WEIGHT_ONLY)):
            weight = MAX_WEIGHT if not spec or "weight" not in spec else spec["weight"]
            plain_int = isinstance(weight, int) and not isinstance(weight, bool)
            known = r.memo.get((name, weight)) if plain_int else None
            if known is None:
                known = _member(name, weight)
                if plain_int:
                    r.memo[(name, weight)] = known
            member, issues = known
            if issues:
                r.report(_join(path, name), list(issues), "weight")
            members.append(member)
            continue
        where = _join(path, name)
        if not r.name(name, where):
            continue
        if name not in defined:
            r.error(where, "backend %r is not defined under maglev.backends%s" % (name, r.suggest(name, defined)))
        m = r.mapping(spec, where, ("weight",), what="{weight: 0-100} or {} for the default 100")
        weight = r.checked(m, "weight", where, MAX_WEIGHT, check_weight) if m is not None else None
        members.append(PoolMember(backend=name, weight=MAX_WEIGHT if weight is None else weight))
    return tuple(members)


def _member(name: str, weight: Any) -> Tuple[PoolMember, Tuple[Issue, ...]]:
    """(the member, the weight rule's issues) of a backend and a weight. Members are immutable,
    so _read_members keeps one per (backend, integer weight) in ``Reader.memo`` for every pool
    that lists it: a config of 64,000 members holds a few thousand distinct ones
    (docs/performance.md)."""
    issues = tuple(check_weight(weight))
    return PoolMember(backend=name, weight=MAX_WEIGHT if issues else weight), issues


def shared_addresses(backends: Dict[str, Backend]) -> Dict[str, Any]:
    """The backends whose address another backend has too: name -> address. Computed once
    per config, so that a frontend's same-address rule hashes only these addresses (an
    ipaddress hash is a Python call; docs/performance.md)."""
    names: Dict[Any, List[str]] = {}
    for name, backend in backends.items():
        names.setdefault(backend.address, []).append(name)
    return {name: address for address, group in names.items() if len(group) > 1 for name in group}


def check_pool_members(
    r: Reader, pools: Tuple[Pool, ...], path: str, backends: Dict[str, Backend], shared: Dict[str, Any]
) -> None:
    """A backend in one pool only; one backend per address (VPP keys ASes by address).
    ``shared`` is shared_addresses(backends)."""
    pool_of: Dict[str, int] = {}
    owner_of: Dict[Any, str] = {}
    for index, pool in enumerate(pools):
        for member in pool.members:
            name = member.backend
            if name in pool_of:
                r.error(
                    "%s[%d].backends.%s" % (path, index, name),
                    "backend %r is already in pools[%d]; a backend may be in one pool of a frontend"
                    % (name, pool_of[name]),
                )
                continue
            pool_of[name] = index
            address = shared.get(name)
            if address is None:
                continue  # no other backend has its address (or it is not a valid backend)
            if address in owner_of:
                r.error(
                    "%s[%d].backends.%s" % (path, index, name),
                    "backend %r has the same address (%s) as backend %r in this frontend; VPP identifies an "
                    "application server by its address" % (name, address, owner_of[address]),
                )
            else:
                owner_of[address] = name


def pool_members(pools: Tuple[Pool, ...], backends: Dict[str, Backend]) -> Iterable[Tuple[int, Backend]]:
    """(pool index, backend) of every member of ``pools`` whose backend is valid."""
    for index, pool in enumerate(pools):
        for member in pool.members:
            backend = backends.get(member.backend)
            if backend is not None:
                yield index, backend


def member_path(path: str, index: int, backend: Backend) -> str:
    """The YAML path of a member of the frontend at ``path`` (built only for an issue)."""
    return "%s.pools[%d].backends.%s" % (path, index, backend.name)
