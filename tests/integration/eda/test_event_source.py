"""The event source plugin vpp.maglev.maglevd driven through `main(queue, args)` against a real
maglevd probing real local HTTP servers (docs/eda.md). The plugin is loaded the way
ansible-rulebook loads it: runpy on its path inside the installed collection.

Every wait is on a queue item or a daemon record, with a timeout; no sleeps.
"""

from __future__ import annotations

import asyncio
import runpy
import socket
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Tuple

import pytest
from ansible_collections.vpp.maglev.tests.helpers.http_backends import start_backend, stop_backend
from ansible_collections.vpp.maglev.tests.helpers.maglevd_process import LIVE, MaglevdProcess
from ansible_collections.vpp.maglev.tests.helpers.paths import COLLECTIONS
from ansible_collections.vpp.maglev.tests.helpers.sample_config import sample_yaml

pytestmark = pytest.mark.integration

PLUGIN = COLLECTIONS / "ansible_collections/vpp/maglev/extensions/eda/plugins/event_source/maglevd.py"
SOURCE = runpy.run_path(str(PLUGIN))
WAIT = 20.0  # seconds for one queue item: rise/fall 2 at 0.2 s probes, with room for a slow CI


def two_frontends(port1: int, port2: int) -> str:
    """web: web1 (127.0.0.1:port1) and web2 (127.0.0.2:port2); api: web2; old: spare (never up)."""
    probe = {"interval": "0.2s", "timeout": "0.15s", "rise": 2, "fall": 2}
    return sample_yaml(
        {
            "web1": {"address": "127.0.0.1", "healthcheck": "one"},
            "web2": {"address": "127.0.0.2", "healthcheck": "two"},
            "spare": {"address": "127.0.0.3", "healthcheck": "dead"},
        },
        [("primary", {"web1": {}, "web2": {}})],
        healthchecks={
            "one": {"type": "http", "port": port1, **probe},
            "two": {"type": "http", "port": port2, **probe},
            "dead": {"type": "tcp", "port": 1, **probe},
        },
        more_frontends={
            "api": {"address": "192.0.2.11", "protocol": "tcp", "port": 80, "pools": [_pool("web2")]},
            "old": {"address": "192.0.2.12", "protocol": "tcp", "port": 80, "pools": [_pool("spare")]},
        },
    )


def _pool(backend: str) -> Dict[str, Any]:
    return {"name": "main", "backends": {backend: {}}}


@pytest.fixture
def servers() -> Iterator[Tuple[Any, Any]]:
    """web1's and web2's HTTP servers, each on its own address so one can fail alone."""
    one, two = start_backend("127.0.0.1"), start_backend("127.0.0.2")
    yield one, two
    stop_backend(one)
    stop_backend(two)


@pytest.fixture
def config(servers) -> str:
    return two_frontends(servers[0].server_address[1], servers[1].server_address[1])


@pytest.fixture
def daemon(tmp_path: Path, config: str) -> Iterator[MaglevdProcess]:
    started = len(LIVE)
    d = start(tmp_path, config)
    d.wait_state("web1", "up")
    d.wait_state("web2", "up")
    yield d
    while len(LIVE) > started:
        LIVE.pop().stop()


def start(tmp_path: Path, config: str, *args: str, env: Any = None) -> MaglevdProcess:
    d = MaglevdProcess(tmp_path, config, *args, env=env)
    d.wait_ready()
    assert d.ready["event"] == "ready", d.ready
    return d


class Source:
    """main(queue, args) running as a task, read item by item."""

    def __init__(self, args: Dict[str, Any]) -> None:
        self.queue: asyncio.Queue = asyncio.Queue()
        self.task = asyncio.create_task(SOURCE["main"](self.queue, args))

    async def next(self) -> Dict[str, Any]:
        getter = asyncio.ensure_future(self.queue.get())
        done, _pending = await asyncio.wait({getter, self.task}, timeout=WAIT, return_when=asyncio.FIRST_COMPLETED)
        if getter not in done:
            getter.cancel()
            if self.task in done:
                raise AssertionError(f"the source ended: {self.task.exception()!r}")
            raise AssertionError(f"no event within {WAIT}s")
        return getter.result()

    async def until(self, match: Callable[[Dict[str, Any]], bool]) -> List[Dict[str, Any]]:
        """Every item up to and including the first that matches."""
        items = [await self.next()]
        while not match(items[-1]):
            items.append(await self.next())
        return items

    async def stop(self) -> None:
        self.task.cancel()
        await asyncio.gather(self.task, return_exceptions=True)


def run(test: Callable[[], Any]) -> None:
    asyncio.run(asyncio.wait_for(test(), 120))


def transition(backend: str, to: str) -> Callable[[Dict[str, Any]], bool]:
    def match(item: Dict[str, Any]) -> bool:
        event = item.get("maglevd", {})
        return event.get("backend") == backend and event.get("to") == to and not event.get("replay")

    return match


def stream_states(items: List[Dict[str, Any]]) -> List[str]:
    return [item["maglevd-stream"]["state"] for item in items if "maglevd-stream" in item]


def test_transitions_arrive_with_the_daemons_fields_and_the_hostname(daemon, servers):
    direct = daemon.client.events(backend="web1")  # the daemon's own stream
    assert next(direct)["replay"]  # subscribed

    async def test() -> None:
        source = Source({"socket": daemon.socket})
        first = await source.next()
        assert first == {
            "maglevd-stream": {"state": "connected", "where": daemon.socket},
            "meta": {"hostname": socket.gethostname()},
        }
        servers[0].healthy = False
        items = await source.until(transition("web1", "down"))
        await source.stop()
        own = await asyncio.to_thread(next, direct)
        while own["type"] != "backend-transition":
            own = await asyncio.to_thread(next, direct)
        assert items[-1] == {"maglevd": own, "meta": {"hostname": socket.gethostname()}}
        assert own["type"] == "backend-transition" and own["from"] == "up" and own["reason"] == "probe"
        assert stream_states(items) == []

    run(test)


def test_replay_sends_the_current_state_first_only_when_asked(daemon, servers):
    async def test() -> None:
        replaying = Source({"socket": daemon.socket, "replay": True})
        silent = Source({"socket": daemon.socket})
        assert stream_states([await replaying.next(), await silent.next()]) == ["connected", "connected"]
        servers[1].healthy = False
        replayed = await replaying.until(transition("web2", "down"))
        live = await silent.until(transition("web2", "down"))
        await replaying.stop()
        await silent.stop()
        current = {subject(e) for e in replayed if e["maglevd"].get("replay")}
        assert current == {"web1", "web2", "spare", "web", "api", "old"}
        assert all(e["maglevd"]["from"] == e["maglevd"]["to"] for e in replayed if e["maglevd"].get("replay"))
        assert not [e for e in live if e["maglevd"].get("replay")]
        assert len(live) < len(replayed)

    run(test)


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ({"types": ["frontend-transition"]}, {"web", "api", "old"}),
        ({"backends": ["web2"]}, {"web2"}),
        ({"frontends": ["api"]}, {"api", "web2"}),  # one frontend: maglevd filters
        ({"frontends": ["api", "old"]}, {"api", "old", "web2", "spare"}),  # several: the source filters
        ({"frontends": "api,old", "backends": "web2,spare"}, {"web2", "spare"}),  # both must match
    ],
)
def test_filters(daemon, servers, args, expected):
    """The current state (replay) of everything goes through the filters, then web2 going down
    (and with it api, the frontend only web2 serves) ends the test."""

    def end(item: Dict[str, Any]) -> bool:
        event = item.get("maglevd", {})
        return not event.get("replay") and event.get("to") == "down" and subject(item) in ("web2", "api")

    async def test() -> None:
        source = Source({"socket": daemon.socket, "replay": True, **args})
        assert stream_states([await source.next()]) == ["connected"]
        servers[1].healthy = False
        items = await source.until(end)
        await source.stop()
        assert {subject(e) for e in items if e["maglevd"].get("replay")} == expected
        assert {subject(e) for e in items} <= expected
        assert all(e["maglevd"]["type"] in ("backend-transition", "frontend-transition") for e in items)

    run(test)


def subject(item: Dict[str, Any]) -> str:
    return item["maglevd"].get("backend") or item["maglevd"]["frontend"]


def test_unknown_frontend_ends_the_source(daemon):
    async def test() -> None:
        for frontends in (["nope"], ["web", "nope"]):
            source = Source({"socket": daemon.socket, "frontends": frontends})
            with pytest.raises(SOURCE["SourceError"], match="nope"):
                await asyncio.wait_for(source.task, WAIT)
            assert source.queue.empty()

    run(test)


def test_daemon_restart_is_one_disconnected_then_one_connected(daemon, servers, tmp_path, config):
    async def test() -> None:
        source = Source({"socket": daemon.socket, "reconnect_delay": 0.02, "max_reconnect_delay": 0.05})
        assert stream_states([await source.next()]) == ["connected"]
        await asyncio.to_thread(daemon.stop)
        down = await source.next()
        assert down["maglevd-stream"]["state"] == "disconnected", down
        assert down["maglevd-stream"]["reason"] and down["meta"] == {"hostname": socket.gethostname()}
        # The source retries every 50 ms (quietly) while the new daemon starts, in another thread.
        again = await asyncio.to_thread(start, tmp_path, config)
        up = await source.next()
        assert up["maglevd-stream"]["state"] == "connected", up
        assert up["maglevd-stream"]["after"] > 0  # how long the watch was blind
        servers[0].healthy = False
        items = await source.until(
            lambda i: i.get("maglevd", {}).get("backend") == "web1" and i["maglevd"]["to"] == "down"
        )
        await source.stop()
        assert stream_states(items) == []
        assert again.proc.poll() is None

    run(test)


def test_tcp_listener_with_a_token_file(tmp_path, config):
    token_file = tmp_path / "token"
    token_file.write_text("s3cret\n")
    d = start(tmp_path, config, "--control-addr", "127.0.0.1:0", env={"MAGLEV_CONTROL_TOKEN": "s3cret"})
    url = "http://" + d.ready["control_addr"]

    async def test() -> None:
        source = Source({"url": url, "token_file": str(token_file), "replay": True, "backends": ["web1"]})
        first = await source.next()
        assert first == {"maglevd-stream": {"state": "connected", "where": url}, "meta": {"hostname": "127.0.0.1"}}
        replayed = await source.next()
        await source.stop()
        assert replayed["maglevd"]["backend"] == "web1" and replayed["maglevd"]["replay"] is True

    try:
        run(test)
    finally:
        d.stop()


def test_a_refused_token_ends_the_source_without_retrying(tmp_path, config):
    d = start(tmp_path, config, "--control-addr", "127.0.0.1:0", env={"MAGLEV_CONTROL_TOKEN": "s3cret"})
    url = "http://" + d.ready["control_addr"]

    async def test() -> None:
        source = Source({"url": url, "token": "wrong", "reconnect_delay": 0.01})
        with pytest.raises(SOURCE["SourceError"]) as info:
            await asyncio.wait_for(source.task, WAIT)
        assert url in str(info.value) and "401" in str(info.value) and "token_file" in str(info.value)
        assert source.queue.empty()

    try:
        run(test)
        assert d.listener("tcp")["accepted"] == 1  # one attempt, no retry
    finally:
        d.stop()


def test_vpp_connection_changes_arrive_as_maglevds_log_records(tmp_path, config, vppsim):
    """maglevd reports VPP going and coming back as log records only (docs/eda.md): the default
    types ask for them, and they pass unchanged."""
    d = start(tmp_path, config, "--vpp-api-addr", vppsim.socket)

    def vpp(name: str) -> Callable[[Dict[str, Any]], bool]:
        return lambda item: item.get("maglevd", {}).get("log_event") == name

    async def test() -> None:
        assert await asyncio.to_thread(d.wait_for, "vpp-connect"), "maglevd did not connect to vppsim"
        source = Source({"socket": d.socket})
        assert stream_states([await source.next()]) == ["connected"]
        await asyncio.to_thread(vppsim.restart)
        items = await source.until(vpp("vpp-connect"))
        await source.stop()
        lost = next(item["maglevd"] for item in items if vpp("vpp-disconnect")(item))
        assert lost["type"] == "log" and lost["level"] == "warn" and lost["socket"] == vppsim.socket
        assert items[-1]["maglevd"]["type"] == "log" and items[-1]["maglevd"]["connects"] == 2
        assert {item["maglevd"]["type"] for item in items} <= {"log", "backend-transition", "frontend-transition"}

    try:
        run(test)
    finally:
        d.stop()
