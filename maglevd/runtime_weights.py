"""A pool member's weight changed at runtime (pure): the running Config with one weight replaced.

The change lasts until the next reload: the file is the source of truth (docs/maglevd.md).
"""

from __future__ import annotations

import dataclasses
from typing import Dict, Tuple

from ..plugins.module_utils.config_model import Config, Frontend, Pool, PoolMember
from .control_errors import NotFound


def member_weight(config: Config, frontend: str, pool: str, backend: str) -> int:
    """The configured weight of one pool member; raises NotFound naming what is missing."""
    fe = config.frontends.get(frontend)
    if fe is None:
        raise NotFound("frontend", frontend)
    pools = [p for p in fe.pools if p.name == pool]
    if not pools:
        raise NotFound("pool", f"{frontend}/{pool}")
    members = [m for m in pools[0].members if m.backend == backend]
    if not members:
        raise NotFound("pool member", f"{frontend}/{pool}/{backend}")
    return members[0].weight


def with_member_weight(config: Config, frontend: str, pool: str, backend: str, weight: int) -> Tuple[Config, int]:
    """(the config with the member's weight set, the old weight); the same config when unchanged."""
    old = member_weight(config, frontend, pool, backend)
    if old == weight:
        return config, old
    fe = config.frontends[frontend]
    new_pools = tuple(
        Pool(p.name, tuple(PoolMember(m.backend, weight) if m.backend == backend else m for m in p.members))
        if p.name == pool
        else p
        for p in fe.pools
    )
    frontends: Dict[str, Frontend] = dict(config.frontends)
    frontends[frontend] = dataclasses.replace(fe, pools=new_pools)
    return dataclasses.replace(config, frontends=frontends), old
