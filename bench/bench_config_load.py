"""Loading the largest accepted maglev.yaml: 200,000 backends (1,000 frontends x 200).

Printed:
  1. the file's size and values counted, against the loader's limits, and the CPU time of
     the YAML load beside the C parser's events alone (the floor, measured in the same run);
  2. wall time and peak memory (RSS growth) of `load_checked` (what --check, start, reload
     and the API's check run);
  3. the event loop's lag while a reload parses that file off the loop: a 10 ms ticker runs
     on the loop while `run_in_executor(without_collector(load_checked))` runs, as
     Daemon.reload does; the target is p99 < 50 ms.
  With --full-reload, also a whole Daemon.reload() of that file (parse in a thread, then the
  apply in steps on the loop, then the GC settle) in an in-process daemon whose backends are
  static (no probe traffic), with its lag against the same target.

    .venv/bin/python bench/bench_config_load.py [--backends 200000] [--full-reload]
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import tempfile
import time
from pathlib import Path

from _common import median, percentile
from ansible_collections.vpp.maglev.maglevd import gctune
from ansible_collections.vpp.maglev.maglevd.check import load_checked
from ansible_collections.vpp.maglev.plugins.module_utils import config_yaml
from ansible_collections.vpp.maglev.plugins.module_utils.config_compose import Composer
from ansible_collections.vpp.maglev.tests.helpers.sample_config import big_config  # shared with the limit-math test


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def lag_during(work, tick: float = 0.01):
    """(result of work, list of loop lags in seconds) while ``work`` (a coroutine) runs."""
    lags = []
    done = asyncio.Event()

    async def ticker():
        while not done.is_set():
            start = time.perf_counter()
            await asyncio.sleep(tick)
            lags.append(time.perf_counter() - start - tick)

    task = asyncio.create_task(ticker())
    await asyncio.sleep(0)
    try:
        result = await work
    finally:
        done.set()
        await task
    return result, lags


def report_lag(what: str, lags: list) -> None:
    print(
        "%-28s ticks %5d  median %6.1f ms  p99 %7.1f ms  max %7.1f ms"
        % (what, len(lags), median(lags) * 1e3, percentile(lags, 0.99) * 1e3, max(lags or [0]) * 1e3)
    )


async def full_reload(path: Path) -> list:
    from ansible_collections.vpp.maglev.maglevd.daemon import Daemon, DaemonOptions
    from ansible_collections.vpp.maglev.plugins.module_utils.config import load_text

    small = load_text("maglev:\n  backends: {b0: {address: 10.0.0.0}}\n")
    daemon = Daemon(small, DaemonOptions(config_path=str(path), control_socket="", vpp_api_addr=""))
    await daemon.checker.start()
    try:
        result, lags = await lag_during(daemon.reload(source="bench"))
        assert result["ok"], result["errors"][:3]
    finally:
        await daemon.checker.stop()
    return lags


def yaml_floor(text: str) -> float:
    """CPU seconds for libyaml to hand over every event of ``text``, doing nothing with them."""
    loader_class = config_yaml._loader_class()[1]
    start = time.process_time()
    loader = loader_class(text)
    while loader.check_event():
        loader.get_event()
    loader.dispose()
    return time.process_time() - start


def load_time(text: str, paths: bool) -> float:
    """CPU seconds of config_yaml.load_yaml (with or without the lines of every path)."""
    start = time.process_time()
    config_yaml.load_yaml(text, "bench", paths=paths)
    return time.process_time() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--backends", type=int, default=200_000)
    parser.add_argument("--full-reload", action="store_true")
    args = parser.parse_args()

    text = big_config(args.backends)
    limits = config_yaml.LIMITS
    yaml, loader_class = config_yaml._loader_class()
    composer = Composer(yaml, loader_class(text), limits)
    composer.compose()
    print(
        "file: %d backends, %.1f MB (limit %d MiB), %d values (limit %d), 7 levels (limit %d)"
        % (args.backends, len(text) / 1e6, limits.max_bytes >> 20, composer.nodes, limits.max_nodes, limits.max_depth)
    )
    del composer
    floor, fast, full = yaml_floor(text), load_time(text, False), load_time(text, True)
    print(
        "YAML load: %.2f s (%.2f s building every path and line, as before the fast path); "
        "baseline: the C parser's events alone %.2f s -> %.1fx the floor" % (fast, full, floor, fast / floor)
    )
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "maglev.yaml"
        path.write_text(text)
        del text
        before = rss_mb()
        start = time.perf_counter()
        code, errors, config = load_checked(str(path))
        took = time.perf_counter() - start
        assert code == 0, errors[:3]
        print(
            "load_checked: %.2f s, peak RSS +%.0f MB, %d backends, %d frontends"
            % (took, rss_mb() - before, len(config.backends), len(config.frontends))
        )
        del config

        async def parse_off_loop():
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(None, gctune.without_collector(load_checked), str(path))

        (code, _errors, _config), lags = asyncio.run(lag_during(parse_off_loop()))
        assert code == 0
        report_lag("reload parse (off the loop)", lags)
        print("target: p99 < 50 ms -> %s" % ("ok" if percentile(lags, 0.99) < 0.05 else "MISSED"))
        if args.full_reload:
            static = path.read_text().replace(", healthcheck: hc}", "}")
            path.write_text(static)
            lags = asyncio.run(full_reload(path))
            report_lag("whole Daemon.reload()", lags)
            print("target: p99 < 50 ms -> %s" % ("ok" if percentile(lags, 0.99) < 0.05 else "MISSED"))


if __name__ == "__main__":
    main()
