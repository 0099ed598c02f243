"""The control API drives the daemon only through ControlTarget; the real daemon implements it."""

from __future__ import annotations

import asyncio
import inspect

import pytest
from aiohttp.test_utils import TestClient, TestServer
from ansible_collections.vpp.maglev.maglevd.api import ControlTarget
from ansible_collections.vpp.maglev.maglevd.control_errors import NotFound
from ansible_collections.vpp.maglev.maglevd.daemon import Daemon, DaemonOptions
from ansible_collections.vpp.maglev.maglevd.runtime_weights import member_weight, with_member_weight
from ansible_collections.vpp.maglev.plugins.module_utils.weights import BackendState
from ansible_collections.vpp.maglev.tests.helpers.checker_fakes import make_config, until

TOKEN = "t0ken"
AUTH = {"Authorization": "Bearer " + TOKEN}


def operations(cls) -> dict:
    return {
        name: inspect.signature(member)
        for name, member in inspect.getmembers(cls, inspect.isfunction)
        if not name.startswith("_")
    }


def test_the_daemon_implements_every_operation_of_control_target_with_its_signature():
    wanted, daemon = operations(ControlTarget), operations(Daemon)
    assert wanted, "ControlTarget lists the operations"
    for name, signature in wanted.items():
        assert name in daemon, name
        assert list(daemon[name].parameters) == list(signature.parameters), name


class ErrorCode:
    """Equal to any error body with this code."""

    def __init__(self, code: str) -> None:
        self.code = code

    def __eq__(self, other: object) -> bool:
        return isinstance(other, dict) and other.get("error", {}).get("code") == self.code

    def __repr__(self) -> str:
        return "<error %s>" % self.code


def static_daemon() -> Daemon:
    """Static backends (up at once): a serves alone in frontend solo, b and c share web."""
    config = make_config(
        {"a": "10.0.0.1", "b": "10.0.0.2", "c": "10.0.0.3"},
        frontends={"solo": [["a"]], "web": [["b", "c"]]},
        checks=[],
    )
    return Daemon(config, DaemonOptions(control_socket="", vpp_api_addr=""))


async def with_api(body) -> None:
    daemon = static_daemon()
    await daemon.start()
    try:
        await until(lambda: all(s is BackendState.UP for s in daemon.checker.states().values()))
        async with TestClient(TestServer(daemon.api.build_app(TOKEN))) as client:
            await body(daemon, client)
    finally:
        await daemon.stop()


async def ask(client, method: str, url: str, **kwargs):
    """(status, JSON body) of one request."""
    response = await client.request(method, url, headers=AUTH, **kwargs)
    return response.status, await response.json()


def test_the_api_answers_through_the_real_daemon():
    async def body(daemon, client):
        assert (await (await client.get("/v1/states", headers=AUTH)).json()) == {"a": "up", "b": "up", "c": "up"}
        status = await (await client.get("/v1/status", headers=AUTH)).json()
        assert status["backends"] == {"up": 3} and "listeners" in status["api"]
        backend = await (await client.get("/v1/backends/b", headers=AUTH)).json()
        assert backend["frontends"] == ["web"] and backend["state"] == "up"
        frontend = await (await client.get("/v1/frontends/web", headers=AUTH)).json()
        assert frontend["active_pool"] == 0 and frontend["pools"][0]["active"]

        paused = await client.post("/v1/backends/b/pause", headers=AUTH)
        assert paused.status == 200 and (await paused.json())["changed"]
        again = await (await client.post("/v1/backends/b/pause", headers=AUTH)).json()
        assert again["changed"] is False and again["state"] == "paused"

        status, body = await ask(client, "POST", "/v1/backends/a/pause")
        assert (
            status == 409 and body["error"]["code"] == "last-serving-backend" and body["error"]["frontends"] == ["solo"]
        )
        assert daemon.checker.states()["a"] is BackendState.UP
        status, body = await ask(client, "POST", "/v1/backends/a/disable?force=1")
        assert status == 200 and body["state"] == "disabled"
        status, body = await ask(client, "POST", "/v1/backends/a/pause")
        assert status == 409 and body["error"]["code"] == "disabled"

    asyncio.run(with_api(body))


def test_the_api_maps_each_refusal_to_its_answer():
    async def body(daemon, client):
        status, body = await ask(client, "POST", "/v1/backends/b/explode")
        assert status == 404 and "pause, resume, disable, enable" in body["error"]["message"]
        assert await ask(client, "POST", "/v1/backends/nope/pause") == (404, ErrorCode("not-found"))
        url = "/v1/frontends/web/pools/pool0/backends/b/weight"
        for bad in (101, -1, True, "50", None):
            status, body = await ask(client, "PUT", url, json={"weight": bad})
            message = body["error"]["message"]
            assert status == 400 and message.startswith("weight: ") and "from 0 to 100" in message, bad
        status, body = await ask(client, "PUT", url, json={"weight": [7, 8]})
        assert body["error"]["message"].endswith("got a list: [7, 8]")  # what was sent, quoted
        status, body = await ask(client, "PUT", url, json={"weight": 40})
        assert body["changed"] and body["pools"][0]["backends"][0]["configured_weight"] == 40
        solo = "/v1/frontends/solo/pools/pool0/backends/a/weight"
        assert await ask(client, "PUT", solo, json={"weight": 0}) == (409, ErrorCode("last-serving-backend"))
        assert await ask(client, "GET", "/v1/events?frontend=nope") == (404, ErrorCode("not-found"))
        assert await ask(client, "GET", "/v1/vpp/info") == (503, ErrorCode("vpp-unavailable"))

    asyncio.run(with_api(body))


def test_the_event_stream_replays_then_follows_the_bus():
    async def body(daemon, client):
        stream = await client.get("/v1/events?backend=b&num=1", headers=AUTH)
        replay = await stream.content.readline()
        assert b'"replay":true' in replay and b'"backend":"b"' in replay
        await client.post("/v1/backends/b/pause", headers=AUTH)
        event = await stream.content.readline()
        assert b'"backend-transition"' in event and b'"to":"paused"' in event
        assert await stream.content.read() == b""  # num=1: the stream ends

    asyncio.run(with_api(body))


# -- runtime weights (pure) ---------------------------------------------------------------------


def test_with_member_weight_replaces_one_member_and_keeps_the_rest():
    config = make_config({"a": "10.0.0.1", "b": "10.0.0.2"}, frontends={"web": [["a", "b"], ["b"]]}, checks=[])
    new, old = with_member_weight(config, "web", "pool0", "b", 7)
    assert old == 100 and member_weight(new, "web", "pool0", "b") == 7
    assert member_weight(new, "web", "pool0", "a") == 100 and member_weight(new, "web", "pool1", "b") == 100
    assert member_weight(config, "web", "pool0", "b") == 100  # the running config is not changed in place
    same, old = with_member_weight(config, "web", "pool0", "a", 100)
    assert same is config and old == 100


@pytest.mark.parametrize(
    ("where", "missing"),
    [(("nope", "pool0", "a"), "frontend"), (("web", "nope", "a"), "pool"), (("web", "pool0", "zz"), "pool member")],
)
def test_member_weight_names_what_is_missing(where, missing):
    config = make_config({"a": "10.0.0.1"}, frontends={"web": [["a"]]}, checks=[])
    with pytest.raises(NotFound) as info:
        member_weight(config, *where)
    assert info.value.kind == missing
