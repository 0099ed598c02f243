"""The dashboard as docs/dashboard.md shows it: a real maglevd connected to a real vppsim, reading
its traffic, with a few frontends carrying flows: one backend down (its TCP check meets a closed
port), one paused by the operator (web-b), one frontend black-holed (legacy: its only backend is
down while packets keep arriving), one frontend expanded.

    take_screenshot(driver, Path("docs/dashboard.png"), workdir)

scripts/dashboard_screenshot.py regenerates the docs' picture with it; a browser test takes the
same screenshot, so the picture cannot drift from what the page really shows. Every wait is on
the page's DOM (or vppsim's state), never a sleep.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Dict, Tuple

from ansible_collections.vpp.maglev.tests.helpers.browser import Dashboard
from ansible_collections.vpp.maglev.tests.helpers.maglevd_process import MaglevdProcess
from ansible_collections.vpp.maglev.tests.helpers.sample_config import sample_yaml
from ansible_collections.vpp.maglev.vppsim.harness import VppSim

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
STATS_INTERVAL = "0.5"  # seconds between maglevd's reads of vppsim's traffic counters
# frontend -> (VIP, protocol, port, flows, seed): the clients each frontend serves.
TRAFFIC: Dict[str, Tuple[str, str, int, int, int]] = {
    "api": ("192.0.2.20", "tcp", 443, 60, 1),
    "dns": ("192.0.2.53", "udp", 53, 25, 2),
    "legacy": ("192.0.2.30", "tcp", 8080, 15, 3),
    "www": ("192.0.2.10", "tcp", 80, 140, 4),
}
BLACK_HOLED = "legacy"


def demo_config() -> str:
    static = {"healthcheck": "static"}
    backends = {
        "web-a": {"address": "10.0.1.1", **static},
        "web-b": {"address": "10.0.1.2", **static},
        "web-c": {"address": "127.0.0.1", "healthcheck": "closed"},  # down: nothing listens on port 1
        "spare-a": {"address": "10.0.2.1", **static},
        "api-a": {"address": "10.0.3.1", **static},
        "api-b": {"address": "10.0.3.2", **static},
        "old-a": {"address": "127.0.0.2", "healthcheck": "closed"},  # down too: legacy's only backend
    }
    more = {
        "api": {
            "address": "192.0.2.20",
            "protocol": "tcp",
            "port": 443,
            "pools": [{"name": "main", "backends": {"api-a": {}, "api-b": {"weight": 50}}}],
        },
        "dns": {
            "address": "192.0.2.53",
            "protocol": "udp",
            "port": 53,
            "pools": [{"name": "main", "backends": {"api-b": {}}}],
        },
        "legacy": {
            "address": "192.0.2.30",
            "protocol": "tcp",
            "port": 8080,
            "pools": [{"name": "main", "backends": {"old-a": {}}}],
        },
    }
    return sample_yaml(
        backends,
        [("primary", {"web-a": {}, "web-b": {}, "web-c": {}}), ("backup", {"spare-a": {}})],
        lb={"ipv4-src-address": "192.0.2.254", "startup-min-delay": "0s", "startup-max-delay": "0s"},
        healthchecks={
            "static": {"type": "static"},
            "closed": {"type": "tcp", "port": 1, "interval": "0.2s", "timeout": "0.1s", "fall": 1},
        },
        name="www",
        address="192.0.2.10",
        more_frontends=more,
    )


def vip_weights(sim: VppSim) -> Dict[str, Dict[str, int]]:
    """vppsim's own VIPs (address -> {AS address: weight}), not maglevd's view of them."""
    found: Dict[str, Dict[str, int]] = {}
    for vip in sim.state()["vips"]:
        if vip["used"]:
            found[vip["prefix"].split("/")[0]] = {a["address"]: a["weight"] for a in vip["ases"] if a["used"]}
    return found


def send_traffic(sim: VppSim) -> None:
    """Every frontend's clients send a packet on each of their flows (the same flows each time:
    the first call opens them, later ones keep them going)."""
    for vip, protocol, port, flows, seed in TRAFFIC.values():
        sim.traffic(vip, protocol, port, flows=flows, seed=seed)


def with_traffic(sim: VppSim, check: Callable[[], bool]) -> Callable[[Any], bool]:
    """A page condition that first sends traffic: packets flow for as long as the wait polls, so
    every traffic read maglevd makes meanwhile sees a rate."""

    def condition(driver: Any) -> bool:
        send_traffic(sim)
        return check()

    return condition


def cell(page: Dashboard, frontend: str, selector: str) -> str:
    return page.js(
        "const c = document.querySelector('tr.frontend[data-frontend=\"' + CSS.escape(arguments[0]) + '\"] '"
        " + arguments[1]); return c ? c.textContent : ''",
        frontend,
        selector,
    )


def traffic_shown(page: Dashboard) -> bool:
    """Flows and a packet rate on every frontend's row, and the black-hole mark on legacy's."""
    for name in TRAFFIC:
        if name != BLACK_HOLED and cell(page, name, ".flows") in ("", "-", "0"):
            return False
        if cell(page, name, ".rate") in ("", "-", "0"):
            return False
    return "BLACK HOLE" in cell(page, BLACK_HOLED, ".blackhole")


def take_screenshot(driver: Any, out: Path, workdir: Path) -> Path:
    """Start vppsim and the demo daemon in workdir, bring the scene onto the page, save the PNG
    at out."""
    with VppSim(workdir) as sim:
        proc = MaglevdProcess(
            workdir,
            demo_config(),
            "--web-addr", "127.0.0.1:0",
            "--vpp-api-addr", sim.socket,
            "--vpp-stats-addr", sim.stats_socket,
            "--vpp-stats-interval", STATS_INTERVAL,
            env={"MAGLEV_CONTROL_TOKEN": "demo"},
        )  # fmt: skip
        try:
            _stage(driver, out, sim, proc)
        finally:
            proc.stop()
    return out


def _stage(driver: Any, out: Path, sim: VppSim, proc: MaglevdProcess) -> None:
    ready = proc.wait_ready()
    if ready["event"] != "ready":
        raise RuntimeError(f"maglevd did not start: {ready}")
    page = Dashboard(driver, "http://%s/" % ready["web_addr"]).open(token="demo")
    page.wait_live()
    page.expand("www")
    page.wait(lambda d: (page.member("www", "web-c") or {}).get("state") == "down", "web-c down")
    page.wait(lambda d: (page.member("legacy", "old-a") or {}).get("state") != "up", "old-a not up", 30)
    vips = {vip for vip, *_rest in TRAFFIC.values()}
    page.wait(lambda d: vips <= set(vip_weights(sim)), "every VIP in vppsim", 30)
    page.wait(lambda d: vip_weights(sim)["192.0.2.10"].get("10.0.1.2") == 100, "web-b serving in vppsim", 30)
    paused = proc.maglevc("set", "backend", "web-b", "pause")
    if paused.returncode != 0:
        raise RuntimeError(f"maglevc could not pause web-b: {paused.stderr}")
    page.wait(lambda d: (page.member("www", "web-b") or {}).get("state") == "paused", "web-b paused")
    page.wait(lambda d: "web-b" in page.js("return document.getElementById('timeline').textContent"), "the pause")
    page.wait(lambda d: vip_weights(sim)["192.0.2.10"].get("10.0.1.2") == 0, "web-b at weight 0 in vppsim", 30)
    # The first burst opens the flows, each poll of the page sends the next one: traffic flows
    # without a gap (a gap would clear legacy's alarm) until maglevd's reads have reached the
    # page: every row with a rate, legacy with its black hole.
    for _attempt in range(3):
        page.wait(with_traffic(sim, lambda: traffic_shown(page)), "flows, rates and the black hole", 30)
        page.js("window.scrollTo(0, 0)")
        driver.save_screenshot(str(out))
        # No traffic since the check: the page can only have lost a rate or the mark meanwhile,
        # never regained it, so if they are still there, the picture shows them.
        if traffic_shown(page):
            return
    raise RuntimeError("the page lost its rates while the screenshot was taken, three times")
