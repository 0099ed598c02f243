# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vpp.maglev engineers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One read of what VPP counted and pinned (docs/traffic.md): one ``show lb vips verbose``
through cli_inband (each VIP's pool index ``[N]`` and each AS's ``flows:``, which no API
message reports) and the lb plugin's four counters from the stats segment through
vpp_papi's ``VPPStats``, summed over threads and matched to VIPs by that index.

The stats segment is optional: without it (socket path ``''``, missing, refused, another
segment version) the snapshot has flows but no packets, and ``stats_error`` says why.
"""

from __future__ import annotations

import time
from typing import Any, Callable, Dict, List, Optional

from ansible_collections.vpp.maglev.plugins.module_utils.showparse import parse_show_lb_vips
from ansible_collections.vpp.maglev.plugins.module_utils.traffic import (
    COUNTER_KINDS,
    TrafficSnapshot,
    counter_totals,
    snapshot_from,
)

DEFAULT_STATS_SOCKET = "/run/vpp/stats.sock"
VIPS_COMMAND = "show lb vips verbose"
# VPP rewrites the segment while we read (the optimistic lock, docs/traffic.md): a read that
# overlapped an update is retried this many times, then reported as stats_error. vpp_papi's
# own blocking read would retry for ever.
LOCK_ATTEMPTS = 10
LOCK_PAUSE = 0.001  # seconds between two attempts while VPP is updating the segment


class StatsUnavailable(Exception):
    """The stats segment could not be read; the message says why, for ``stats_error``."""


def open_segment(socket_path: str) -> Any:
    """A connected VPPStats on ``socket_path``; StatsUnavailable when it cannot be."""
    try:
        from vpp_papi.vpp_stats import VPPStats
    except ImportError as exc:
        raise StatsUnavailable("vpp_papi's vpp_stats cannot be imported: %s" % exc) from exc
    stats = VPPStats(socketname=socket_path)
    try:
        stats.connect()
    # vpp_papi raises OSError (no socket, refused, timeout), IndexError (no descriptor handed
    # over) and a bare Exception for a segment of another version: all mean "no counters".
    except Exception as exc:
        raise StatsUnavailable("stats segment %s: %s" % (socket_path, str(exc) or type(exc).__name__)) from exc
    return stats


class StatsCounters:
    """The lb counters of one stats segment. The segment stays mapped between reads (maglevd
    reads every few seconds) and is mapped again after a failed read."""

    def __init__(self, socket_path: str, opener: Callable[[str], Any] = open_segment) -> None:
        self.socket_path = socket_path
        self._open = opener
        self._stats: Optional[Any] = None

    def read(self) -> Dict[str, List[int]]:
        """{kind: totals by VIP pool index}; a counter VPP has not registered yet (no VIP was
        ever created) reads as no totals. StatsUnavailable when the segment cannot be read."""
        if not self.socket_path:
            raise StatsUnavailable("stats segment not configured (socket path '')")
        if self._stats is None:
            self._stats = self._open(self.socket_path)
        try:
            return {kind: counter_totals(self._counter(name)) for name, kind in COUNTER_KINDS.items()}
        except StatsUnavailable:
            self.close()
            raise

    def _counter(self, name: str) -> List[List[int]]:
        for _attempt in range(LOCK_ATTEMPTS):
            if self._stats.in_progress:
                # vpp_papi's lock spins without end while VPP updates; wait outside it instead.
                time.sleep(LOCK_PAUSE)
                continue
            try:
                return list(self._stats.get_counter(name, blocking=False) or [])
            except KeyError:
                return []
            except OSError:
                continue  # VPP was updating the segment: read again
            except (ValueError, TypeError) as exc:  # the mapping was closed or is not a segment
                raise StatsUnavailable("stats segment %s: %s" % (self.socket_path, exc)) from exc
        raise StatsUnavailable(
            "stats segment %s: %r changed during each of %d reads" % (self.socket_path, name, LOCK_ATTEMPTS)
        )

    def close(self) -> None:
        stats, self._stats = self._stats, None
        if stats is not None:
            stats.disconnect()


def read_traffic(cli: Callable[[str], str], counters: StatsCounters) -> TrafficSnapshot:
    """The TrafficSnapshot of one CLI read and one counters read (``cli`` runs a debug CLI
    command and returns its text, as VppClient.cli does)."""
    records = parse_show_lb_vips(cli(VIPS_COMMAND))
    try:
        packets: Optional[Dict[str, List[int]]] = counters.read()
        error = None
    except StatsUnavailable as exc:
        packets, error = None, str(exc)
    return snapshot_from(records, packets, error)
