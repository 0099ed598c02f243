"""A VPP that comes back is reconnected at once, however long the backoff has grown: the
supervisor watches the API socket reappear (maglevd/vpp/reconnect.py). A real vppsim process
is stopped and started again on the same path, as a VPP restart does."""

from __future__ import annotations

import asyncio
from typing import Any, Callable

import pytest
from ansible_collections.vpp.maglev.maglevd.vpp.settings import VppSettings
from ansible_collections.vpp.maglev.maglevd.vpp.supervisor import VppConnection

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]


async def until(predicate: Callable[[], Any], what: str, timeout: float = 30.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("timed out waiting for " + what)
        await asyncio.sleep(0.01)


async def off_loop(fn: Callable[[], Any]) -> Any:
    return await asyncio.get_running_loop().run_in_executor(None, fn)


def test_vpp_back_after_a_restart_is_reconnected_without_waiting_out_the_backoff(vppsim):
    # A backoff of ten minutes: only the socket watch can reconnect within the test's minute.
    settings = VppSettings(api_socket=vppsim.socket, api_dir=vppsim.api_dir, retry_min=600, retry_max=1200)
    conn = VppConnection(settings)

    async def main() -> None:
        conn.start()
        try:
            await until(lambda: conn.connects == 1, "the first connection")
            await off_loop(vppsim.stop)  # VPP goes away, its socket with it
            await until(lambda: not conn.connected, "the loss to be noticed")
            await off_loop(vppsim.start)  # a new VPP binds the socket anew
            await until(lambda: conn.connects == 2, "the reconnect")
        finally:
            await conn.stop()

    asyncio.run(main())
    assert conn.version  # the new VPP answered show_version on the new connection
