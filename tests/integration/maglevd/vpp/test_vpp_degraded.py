"""A VPP that stops answering makes the daemon say `degraded`, in the API, metrics and maglevc.

The real Daemon with its VPP component (in-process) against vppsim; vppsim is frozen with
SIGSTOP (a hung VPP: the socket stays open, nothing answers) and thawed with SIGCONT. The
age of the last successful round trip (`last_ok_age`) grows past 3 ping intervals, and
`/v1/status`, `/v1/vpp/info`, `maglev_vpp_degraded`, `maglev_vpp_last_ok_age_seconds` and
`maglevc show vpp info` all say so; after the thaw everything is `ok` again.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import os
import signal

import aiohttp
from ansible_collections.vpp.maglev.maglevd import maglevc
from ansible_collections.vpp.maglev.tests.helpers.vpp_side_rig import daemon_with_vpp

PING = 0.2  # degraded after 3 x PING without a successful round trip

CONFIG = """
maglev:
  vpp:
    lb: {ipv4-src-address: 192.0.2.1, startup-min-delay: 0, startup-max-delay: 0, sync-interval: 1h}
  healthchecks:
    always: {type: static}
  backends:
    a1: {address: 10.0.0.1, healthcheck: always}
  frontends:
    web:
      address: 192.0.2.10
      protocol: tcp
      port: 80
      pools: [{name: main, backends: {a1: {}}}]
"""


def maglevc_show_vpp_info(socket_path: str) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = maglevc.main(["--socket", socket_path, "show", "vpp", "info"])
    assert code == 0, out.getvalue()
    return out.getvalue()


def test_a_hung_vpp_turns_the_daemon_degraded_and_back(vppsim, tmp_path):
    path = tmp_path / "maglev.yaml"
    path.write_text(CONFIG)
    socket_path = str(tmp_path / "maglevd.sock")

    async def main():
        daemon, synced = daemon_with_vpp(path, socket_path, vppsim, ping_interval=PING, retry_min=0.05, retry_max=0.5)
        await daemon.start()
        await synced
        loop = asyncio.get_running_loop()
        registry = daemon.metrics.registry
        seen = {}
        async with aiohttp.ClientSession(connector=aiohttp.UnixConnector(path=socket_path)) as http:

            async def get(url):
                async with http.get("http://maglevd" + url) as response:
                    assert response.status == 200
                    return await response.json()

            async def until(condition, timeout=20.0):
                deadline = loop.time() + timeout
                while loop.time() < deadline:
                    info = await get("/v1/vpp/info")
                    if condition(info):
                        return info
                    await asyncio.sleep(0.02)
                raise AssertionError("condition not met; last /v1/vpp/info: %r" % info)

            seen["ok"] = await until(lambda i: i["state"] == "ok" and i["last_ok_age"] is not None)
            seen["ok_status"] = await get("/v1/status")
            seen["ok_metrics"] = registry.get_sample_value("maglev_vpp_degraded")
            seen["ok_cli"] = await loop.run_in_executor(None, maglevc_show_vpp_info, socket_path)
            os.kill(vppsim.process.pid, signal.SIGSTOP)
            try:
                # A loaded machine may see the connection drop ("not connected") before the age passes the
                # limit; wait for both, which a hung VPP always reaches.
                seen["hung"] = await until(lambda i: i["state"] == "degraded" and (i["last_ok_age"] or 0) > 3 * PING)
                seen["hung_status"] = await get("/v1/status")
                seen["hung_metrics"] = (
                    registry.get_sample_value("maglev_vpp_degraded"),
                    registry.get_sample_value("maglev_vpp_last_ok_age_seconds"),
                )
                seen["hung_cli"] = await loop.run_in_executor(None, maglevc_show_vpp_info, socket_path)
            finally:
                os.kill(vppsim.process.pid, signal.SIGCONT)
            seen["back"] = await until(lambda i: i["state"] == "ok" and i["connected"])
            seen["back_status"] = await get("/v1/status")
        await daemon.stop()
        return seen

    seen = asyncio.run(asyncio.wait_for(main(), 60))
    ok, hung, back = seen["ok"], seen["hung"], seen["back"]
    assert ok["last_ok_age"] <= 3 * PING and ok["degraded_reason"] is None
    assert seen["ok_status"]["state"] == "ok" and seen["ok_status"]["degraded"] == {}
    assert seen["ok_status"]["vpp"]["state"] == "ok"
    assert seen["ok_metrics"] == 0.0
    cli = {line.split("  ")[0]: line.split("  ", 1)[1].strip() for line in seen["ok_cli"].splitlines()}
    assert cli["state"] == "ok" and cli["last ok"].endswith("s ago)"), seen["ok_cli"]

    assert "last successful VPP round trip" in hung["degraded_reason"] or "not connected" in hung["degraded_reason"]
    assert hung["last_ok_age"] > 3 * PING
    assert seen["hung_status"]["state"] == "degraded"
    assert seen["hung_status"]["degraded"]["vpp"] == seen["hung_status"]["vpp"]["degraded_reason"]
    assert seen["hung_metrics"][0] == 1.0 and seen["hung_metrics"][1] > 3 * PING
    assert "\nstate            degraded: " in seen["hung_cli"], seen["hung_cli"]

    assert back["degraded_reason"] is None and back["last_ok_age"] <= 3 * PING
    assert seen["back_status"]["state"] == "ok"
