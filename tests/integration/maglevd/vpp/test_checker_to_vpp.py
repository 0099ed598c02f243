"""The real checker (TCP probes against local servers) driving VPP (vppsim) through the VPP side.

Kill a backend's server -> its probe fails -> backend-transition on the bus -> per-VIP sync ->
vppsim receives the weight change. The VPP component is wired as maglevd wires it
(``Daemon.add_component``, ``Daemon.set_weight``). Synchronised on vppsim's call log only.
"""

from __future__ import annotations

import asyncio
import dataclasses
import socket

from ansible_collections.vpp.maglev.maglevd.checker import Checker
from ansible_collections.vpp.maglev.maglevd.daemon import Daemon, DaemonOptions
from ansible_collections.vpp.maglev.maglevd.events import EventBus
from ansible_collections.vpp.maglev.maglevd.vpp.component import VppComponent
from ansible_collections.vpp.maglev.maglevd.vpp.settings import VppSettings
from ansible_collections.vpp.maglev.plugins.module_utils.config import parse

ADDRESSES = {"a1": "127.0.0.2", "a2": "127.0.0.3", "b1": "127.0.0.4"}


def free_port() -> int:
    """A port free on every address we use (bind them all, then release)."""
    while True:
        with socket.socket() as first:
            first.bind((ADDRESSES["a1"], 0))
            port = first.getsockname()[1]
            others = []
            try:
                for address in list(ADDRESSES.values())[1:]:
                    sock = socket.socket()
                    others.append(sock)
                    sock.bind((address, port))
                return port
            except OSError:
                continue
            finally:
                for sock in others:
                    sock.close()


def config(port: int):
    return parse(
        {
            "maglev": {
                "vpp": {
                    "lb": {
                        "ipv4-src-address": "192.0.2.1",
                        "startup-min-delay": 0,
                        "startup-max-delay": 0,
                        "sync-interval": "1h",
                    }
                },
                "healthchecks": {
                    "tcp": {"type": "tcp", "port": port, "interval": "200ms", "timeout": "150ms", "rise": 1, "fall": 1}
                },
                "backends": {name: {"address": address, "healthcheck": "tcp"} for name, address in ADDRESSES.items()},
                "frontends": {
                    "web": {
                        "address": "192.0.2.10",
                        "protocol": "tcp",
                        "port": 80,
                        "pools": [
                            {"name": "main", "backends": {"a1": {}, "a2": {}}},
                            {"name": "backup", "backends": {"b1": {}}},
                        ],
                    }
                },
            }
        }
    )


class Servers:
    def __init__(self, port: int) -> None:
        self.port = port
        self.servers = {}

    async def handle(self, reader, writer) -> None:
        writer.close()

    async def start(self, name: str) -> None:
        self.servers[name] = await asyncio.start_server(self.handle, ADDRESSES[name], self.port)

    async def kill(self, name: str) -> None:
        server = self.servers.pop(name)
        server.close()
        await server.wait_closed()

    async def close(self) -> None:
        for name in list(self.servers):
            await self.kill(name)


async def off_loop(fn, *args, **kwargs):
    return await asyncio.get_running_loop().run_in_executor(None, lambda: fn(*args, **kwargs))


def test_probe_failures_fail_over_and_back_in_vpp(vppsim):
    async def main():
        port = free_port()
        servers = Servers(port)
        for name in ADDRESSES:
            await servers.start(name)
        cfg = config(port)
        bus = EventBus()
        checker = Checker(cfg, bus)
        daemon = Daemon(cfg, DaemonOptions(control_socket="", vpp_api_addr=vppsim.socket), checker=checker)
        settings = dataclasses.replace(VppSettings.from_flags(vppsim.socket), ping_interval=1, retry_min=0.05)
        side = VppComponent.for_daemon(daemon, settings)
        daemon.add_component(side)
        await checker.start()
        await side.start()
        seen = {}
        # all three up: a1, a2 at 100, b1 standby at 0
        await off_loop(vppsim.wait_for, "lb_add_del_as_v2", as_address="127.0.0.4")
        seq = vppsim.stats()["seq"]
        # a1 reaches 100 either when its AS is added (already up at the first sync) or by a
        # later set-weight (still unknown then): any call that carries weight 100 for it.
        seen["start"] = await off_loop(vppsim.wait_for, None, 20, as_address="127.0.0.2", weight=100)
        seq = vppsim.stats()["seq"]
        await servers.kill("a1")
        seen["a1_down"] = await off_loop(vppsim.wait_for, "lb_as_set_weight", 20, since=seq, as_address="127.0.0.2")
        seq = vppsim.stats()["seq"]
        await servers.kill("a2")
        seen["backup"] = await off_loop(
            vppsim.wait_for, "lb_as_set_weight", 20, since=seq, as_address="127.0.0.4", weight=100
        )
        seq = vppsim.stats()["seq"]
        await servers.start("a1")
        seen["failback"] = await off_loop(
            vppsim.wait_for, "lb_as_set_weight", 20, since=seq, as_address="127.0.0.4", weight=0
        )
        seq = vppsim.stats()["seq"]
        checker.disable("b1")  # operator action: standby at 0 -> disabled must still flush
        seen["disable"] = await off_loop(vppsim.wait_for, "lb_as_set_weight", 20, since=seq, as_address="127.0.0.4")
        seq = vppsim.stats()["seq"]
        daemon.set_weight("web", "main", "a1", 40)  # runtime weight -> that VIP only
        seen["weight"] = await off_loop(vppsim.wait_for, "lb_as_set_weight", 20, since=seq, as_address="127.0.0.2")
        state = await side.lb_state()
        await side.stop()
        await checker.stop()
        await servers.close()
        return seen, state

    seen, state = asyncio.run(asyncio.wait_for(main(), 90))
    assert (seen["a1_down"]["args"]["weight"], seen["a1_down"]["args"]["is_flush"]) == (0, True)
    assert not seen["backup"]["args"]["is_flush"]
    assert not seen["failback"]["args"]["is_flush"]
    assert (seen["disable"]["args"]["weight"], seen["disable"]["args"]["is_flush"]) == (0, True)
    assert seen["weight"]["args"]["weight"] == 40
    backends = {b["address"]: b["weight"] for b in state["vips"][0]["backends"]}
    assert backends == {"127.0.0.2": 40, "127.0.0.3": 0, "127.0.0.4": 0}
