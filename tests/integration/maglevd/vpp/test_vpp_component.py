"""The VPP side plugged into the real Daemon (in-process): API routes, reload, status."""

from __future__ import annotations

import asyncio

import aiohttp
from ansible_collections.vpp.maglev.tests.helpers.vpp_side_rig import daemon_with_vpp

CONFIG = """
maglev:
  vpp:
    lb: {ipv4-src-address: 192.0.2.1, startup-min-delay: 0, startup-max-delay: 0, sync-interval: 1h}
  healthchecks:
    always: {type: static}
  backends:
    a1: {address: 10.0.0.1, healthcheck: always}
    a2: {address: 10.0.0.2, healthcheck: always}
  frontends:
    web:
      address: 192.0.2.10
      protocol: tcp
      port: 80
      pools: [{name: main, backends: {a1: {}, a2: {}}}]
    dns:
      address: 192.0.2.53
      protocol: udp
      port: 53
      pools: [{name: main, backends: {a2: {}}}]
"""


def test_daemon_with_vpp_component_serves_the_vpp_section_and_follows_reloads(vppsim, tmp_path):
    path = tmp_path / "maglev.yaml"
    path.write_text(CONFIG)
    socket_path = str(tmp_path / "maglevd.sock")

    async def main():
        daemon, synced = daemon_with_vpp(path, socket_path, vppsim, ping_interval=0.5, retry_min=0.05)
        events = daemon.bus.subscribe()
        await daemon.start()
        loop = asyncio.get_running_loop()
        up = set()
        while up != {"a1", "a2"}:  # static checks: both come up on their first probe
            event = await events.get()
            if event.type == "backend-transition" and event.data["to"] == "up":
                up.add(event.data["backend"])
        await synced  # VPP connects in the background; the API is up before it
        async with aiohttp.ClientSession(connector=aiohttp.UnixConnector(path=socket_path)) as http:

            async def call(method, url):
                async with http.request(method, "http://maglevd" + url) as response:
                    return response.status, await response.json()

            info = await call("GET", "/v1/vpp/info")
            sync = await call("POST", "/v1/vpp/lb/sync")  # after both came up: VPP has them at 100
            state = await call("GET", "/v1/vpp/lb/state")
            # invalid reload: the old config keeps running and VPP is not touched
            seq = vppsim.stats()["seq"]
            path.write_text(CONFIG.replace("port: 53", "port: 99999"))
            bad = await daemon.reload("test")
            bad_calls = [
                c for c in vppsim.calls(since=seq) if c["message"].startswith("lb_") and "dump" not in c["message"]
            ]
            # valid reload: dns goes away, a2 leaves web
            path.write_text(CONFIG.split("    dns:", maxsplit=1)[0].replace(", a2: {}", ""))
            good = await daemon.reload("test")
            await loop.run_in_executor(None, lambda: vppsim.wait_for("lb_add_del_vip_v2", 20, since=seq, is_del=True))
            await loop.run_in_executor(
                None, lambda: vppsim.wait_for("lb_add_del_as_v2", 20, since=seq, as_address="10.0.0.2", is_del=True)
            )
            status = await call("GET", "/v1/status")
        await daemon.stop()
        return info, state, sync, bad, bad_calls, good, status

    info, state, sync, bad, bad_calls, good, status = asyncio.run(asyncio.wait_for(main(), 60))
    assert info[0] == 200 and info[1]["connected"] and info[1]["version"].startswith("26.10")
    assert state[0] == 200 and [v["vip"] for v in state[1]["vips"]] == ["192.0.2.10/32", "192.0.2.53/32"]
    assert sync[0] == 200 and sync[1]["result"] == "ok"
    web = {b["address"]: b["weight"] for b in state[1]["vips"][0]["backends"]}
    assert web == {"10.0.0.1": 100, "10.0.0.2": 100}
    assert not bad["ok"] and bad_calls == []
    assert good["ok"]
    assert status[1]["vpp"]["connected"] is True
