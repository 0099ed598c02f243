"""The web dashboard at 1,000 frontends x 16 backends, in Debian's headless chromium.

A real maglevd process (static backends: probes are not what is measured, no VPP) with
--web-addr; the page in chromium through Selenium (tests/helpers/browser.py).

1. First render: from navigation start to the full frontend table on screen (the page's own
   `data-first-render-ms`). Target < 1 s. Baseline in the same run: Python reading the same
   two documents (/v1/status, /v1/frontends) over HTTP, no rendering.
2. Live: 200 transitions/s (operator pause/resume through the control socket, each a real
   backend transition; forced, so that no pause is refused by the last-serving guard
   whatever the states) for --seconds (60 by default: "flat over a minute"). Sampled each
   second: the events the page is behind the daemon, the frontends waiting to be re-read.
   After the load stops: how long until the page has applied every event and re-read every
   frontend. Memory: the page's JS heap after a forced GC (CDP HeapProfiler.collectGarbage,
   Performance.getMetrics) at the start of the load and at its end. Targets: no growing
   backlog, heap flat.
3. Loop lag: how long a control request waits for the daemon's event loop (the p99 round trip
   of GET /v1/version, one every 50 ms) under the same load with ten dashboards open. Target
   < 50 ms. Baseline in the same run: the same load with no dashboard open.

    .venv/bin/python bench/bench_dashboard.py [--seconds 60] [--frontends 1000] [--backends 16]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Dict, List, Tuple

from _common import median, percentile
from ansible_collections.vpp.maglev.plugins.module_utils.maglevd_client import MaglevdClient, UnixHTTPConnection
from ansible_collections.vpp.maglev.tests.helpers.browser import Dashboard, browser_missing, start_chromium
from ansible_collections.vpp.maglev.tests.helpers.maglevd_process import ENV, PKG

RATE = 200  # transitions per second
TOKEN = "bench-dashboard"


def big_config(frontends: int, per_frontend: int) -> str:
    out = ["maglev:", "  vpp:", "    lb: {ipv4-src-address: 192.0.2.1}", "  healthchecks:", "    st: {type: static}"]
    out.append("  backends:")
    for f in range(frontends):
        for b in range(per_frontend):
            out.append("    f%d-b%d: {address: 10.%d.%d.%d, healthcheck: st}" % (f, b, f >> 8, f & 255, b + 1))
    out.append("  frontends:")
    for f in range(frontends):
        out += ["    f%d:" % f, "      address: 198.18.%d.%d" % (f >> 8, f & 255), "      port: 80"]
        out += ["      pools:", "        - name: main", "          backends:"]
        out += ["            f%d-b%d: {}" % (f, b) for b in range(per_frontend // 2)]
        out += ["        - name: backup", "          backends:"]
        out += ["            f%d-b%d: {}" % (f, b) for b in range(per_frontend // 2, per_frontend)]
    return "\n".join(out) + "\n"


class Load:
    """RATE transitions/s: pause then resume backends in turn over one keep-alive connection."""

    def __init__(self, socket_path: str, frontends: int) -> None:
        self.socket_path = socket_path
        self.frontends = frontends
        self.stop = threading.Event()
        self.sent = 0
        self.refused = 0
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        connection = UnixHTTPConnection(self.socket_path, timeout=30)
        start = time.monotonic()
        index = 0
        while not self.stop.is_set():
            due = start + self.sent / RATE
            now = time.monotonic()
            if due > now:
                time.sleep(due - now)
            backend = "f%d-b%d" % ((index // 2) % self.frontends, (index // (2 * self.frontends)) % 8)
            action = "pause" if index % 2 == 0 else "resume"
            connection.request("POST", f"/v1/backends/{backend}/{action}?force=1")
            response = connection.getresponse()
            response.read()
            self.refused += response.status != 200
            self.sent += 1
            index += 1
        connection.close()

    def __enter__(self) -> Load:
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop.set()
        self.thread.join()


class Daemon:
    """maglevd with its log in a file: a pipe read by this busy process would stall the daemon's
    writes and show up as loop lag that is the harness's, not the daemon's."""

    def __init__(self, tmp: Path, config: str) -> None:
        (tmp / "maglev.yaml").write_text(config)
        self.socket = str(tmp / "maglevd.sock")
        self.log = tmp / "maglevd.log"
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        argv = ["--config", str(tmp / "maglev.yaml"), "--control-socket", self.socket, "--vpp-api-addr", ""]
        argv += ["--web-addr", "0.0.0.0:%d" % self.port]
        with open(self.log, "w") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", PKG, *argv],
                stdout=log,
                stderr=subprocess.STDOUT,
                env={**ENV, "MAGLEV_CONTROL_TOKEN": TOKEN},
            )
        self.client = MaglevdClient(self.socket, timeout=60)
        deadline = time.monotonic() + 180
        while '"event": "ready"' not in self.log.read_text() and '"event":"ready"' not in self.log.read_text():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("maglevd did not start: " + self.log.read_text()[-2000:])
            time.sleep(0.2)

    def status(self) -> Dict[str, Any]:
        return self.client.status()

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(60)


def cpu_seconds(pid: int) -> float:
    """The process's user + system CPU time so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def lag_window(proc: Daemon, seconds: float, frontends: int) -> Tuple[float, float, int, float]:
    """(p99, median) in seconds of GET /v1/version round trips on the control socket, one every
    50 ms for `seconds` under the load: the time a request waits for the daemon's event loop.
    (Not the daemon's lag histogram: rendering /metrics for 16,000 backends costs seconds of
    CPU, in a worker thread but on the same two cores, so scraping it would measure the scrape.)"""
    times: List[float] = []
    with Load(proc.socket, frontends):
        connection = UnixHTTPConnection(proc.socket, timeout=60)
        time.sleep(2)  # the load reaches its rate before the window opens
        cpu = cpu_seconds(proc.proc.pid)
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            start = time.perf_counter()
            connection.request("GET", "/v1/version")
            connection.getresponse().read()
            times.append(time.perf_counter() - start)
            time.sleep(0.05)
        cpu = (cpu_seconds(proc.proc.pid) - cpu) / seconds
        connection.close()
    return percentile(times, 0.99), median(times), len(times), cpu


def url(tab: int, port: int) -> str:
    return "http://127.0.0.%d:%d/" % (tab + 1, port)


def data_baseline(port: int) -> float:
    start = time.perf_counter()
    for path in ("/v1/status", "/v1/frontends"):
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        connection.request("GET", path, headers={"Authorization": f"Bearer {TOKEN}"})
        json.loads(connection.getresponse().read())
        connection.close()
    return time.perf_counter() - start


def heap(driver: Any) -> float:
    driver.execute_cdp_cmd("HeapProfiler.collectGarbage", {})
    metrics = driver.execute_cdp_cmd("Performance.getMetrics", {})["metrics"]
    return next(m["value"] for m in metrics if m["name"] == "JSHeapUsedSize") / 1e6


def live_run(proc: Daemon, page: Dashboard, seconds: int, frontends: int) -> Dict[str, Any]:
    page.driver.execute_cdp_cmd("Performance.enable", {})
    heap_start = heap(page.driver)
    behind: List[int] = []
    pending: List[int] = []
    warm = heap_start
    started = time.monotonic()
    with Load(proc.socket, frontends) as load:
        for second in range(seconds):
            time.sleep(1)
            published = proc.status()["events"]["published"]
            behind.append(max(0, published - int(page.body("seq") or 0)))
            pending.append(int(page.body("pending") or 0))
            if second == seconds // 4:
                warm = heap(page.driver)  # the timeline full, every structure at its working size
    elapsed = time.monotonic() - started
    last = proc.status()["events"]["published"]
    stopped = time.monotonic()
    page.wait(
        lambda d: int(page.body("seq") or 0) >= last - 2 and page.body("pending") == "0", "the page to settle", 60
    )
    settle = time.monotonic() - stopped
    return {
        "sent": load.sent,
        "elapsed": elapsed,
        "refused": load.refused,
        "behind": behind,
        "pending": pending,
        "settle": settle,
        "heap": (heap_start, warm, heap(page.driver)),
    }


def report_live(result: Dict[str, Any], seconds: int) -> None:
    behind, pending = result["behind"], result["pending"]
    half = len(behind) // 2
    rate = result["sent"] / result["elapsed"]
    print(
        f"live: {result['sent']} pause/resume in {result['elapsed']:.1f} s ({rate:.0f}/s, {result['refused']} refused)"
    )
    print(
        f"  events the page is behind: median first half {median(behind[:half]):.0f}, second half "
        f"{median(behind[half:]):.0f}, max {max(behind)}"
    )
    print(
        f"  frontends waiting to be re-read: median first half {median(pending[:half]):.0f}, second half "
        f"{median(pending[half:]):.0f}, max {max(pending)}"
    )
    print(f"  after the load stops: the page is current within {result['settle']:.2f} s")
    start, warm, end = result["heap"]
    print(
        f"  JS heap after GC: {start:.1f} MB before the load, {warm:.1f} MB after {seconds // 4 + 1} s (baseline), "
        f"{end:.1f} MB after {seconds} s ({end / warm:.2f}x the baseline)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description="maglevd's web dashboard at scale")
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--frontends", type=int, default=1000)
    parser.add_argument("--backends", type=int, default=16)
    parser.add_argument("--lag-seconds", type=float, default=15)
    args = parser.parse_args()
    missing = browser_missing()
    if missing:
        print(f"bench_dashboard: skipped: {missing}")
        return
    with tempfile.TemporaryDirectory() as tmp:
        # On every address, so that each tab reaches it by its own loopback address: a browser
        # opens at most six connections to one host:port, and each dashboard holds one stream.
        proc = Daemon(Path(tmp), big_config(args.frontends, args.backends))
        port = proc.port
        driver = start_chromium()
        try:
            run(proc, driver, port, args)
        finally:
            driver.quit()
            proc.stop()


def run(proc: Daemon, driver: Any, port: int, args: argparse.Namespace) -> None:
    print(f"{args.frontends} frontends x {args.backends} backends")
    baseline = min(data_baseline(port) for _attempt in range(3))
    renders = []
    for _attempt in range(3):
        page = Dashboard(driver, url(0, port), timeout=60).open(token=TOKEN)
        page.wait_live()
        renders.append(int(page.body("firstRenderMs")) / 1000)
    print(
        f"first render: best {min(renders):.3f} s, median {median(renders):.3f} s (target < 1 s); baseline "
        f"(Python reads the same two documents, no rendering): {baseline:.3f} s ({min(renders) / baseline:.1f}x)"
    )
    report_live(live_run(proc, page, args.seconds, args.frontends), args.seconds)
    driver.get("about:blank")  # no dashboard open: the baseline
    quiet, quiet_median, quiet_samples, quiet_cpu = lag_window(proc, args.lag_seconds, args.frontends)
    Dashboard(driver, url(0, port), timeout=60).open(token=TOKEN).wait_live()
    for tab in range(1, 10):
        driver.switch_to.new_window("tab")
        Dashboard(driver, url(tab, port), timeout=60).open(token=TOKEN).wait_live()
    loaded, loaded_median, loaded_samples, loaded_cpu = lag_window(proc, args.lag_seconds, args.frontends)
    snapshots = []
    for handle in driver.window_handles:
        driver.switch_to.window(handle)
        snapshots.append(
            driver.execute_script("return document.body.dataset.snapshots + '/' + (document.body.dataset.dropped || 0)")
        )
    print("  snapshots read / events dropped, per tab (1/0: no resync since it opened):", " ".join(snapshots))
    print(
        f"event-loop wait (GET /v1/version round trip) at {RATE} transitions/s with ten dashboards open: "
        f"p99 {loaded * 1000:.1f} ms, median {loaded_median * 1000:.1f} ms ({loaded_samples} samples; target p99 "
        f"< 50 ms); baseline, no dashboard: p99 {quiet * 1000:.1f} ms, median {quiet_median * 1000:.1f} ms "
        f"({quiet_samples} samples)"
    )
    print(
        f"maglevd's CPU at {RATE} transitions/s: {loaded_cpu * 100:.0f} % of a core with ten dashboards open; "
        f"baseline, no dashboard: {quiet_cpu * 100:.0f} % (the machine's other load shows in the waits above)"
    )


if __name__ == "__main__":
    main()
