"""The pure parts behind the API hardening: quote(), the last-serving-backend guard, the
MAGLEV_API_* limits and the event bus's bounded, freeable subscriptions."""

from __future__ import annotations

import asyncio

import pytest
from ansible_collections.vpp.maglev.maglevd import guard
from ansible_collections.vpp.maglev.maglevd.api import ApiError, decode_json
from ansible_collections.vpp.maglev.maglevd.events import MAX_QUEUE, EventBus, SubscriptionClosed
from ansible_collections.vpp.maglev.maglevd.listeners import ListenerLimits, limits_from_env
from ansible_collections.vpp.maglev.plugins.module_utils.quoting import QUOTE_LIMIT, clip, quote
from ansible_collections.vpp.maglev.plugins.module_utils.weights import BackendState
from ansible_collections.vpp.maglev.tests.helpers.checker_fakes import make_config

UP, DOWN, PAUSED, DISABLED = BackendState.UP, BackendState.DOWN, BackendState.PAUSED, BackendState.DISABLED


# -- quote -------------------------------------------------------------------------------------


def deep(levels: int) -> list:
    value: list = []
    for _level in range(levels):
        value = [value]
    return value


@pytest.mark.parametrize(
    "value",
    [
        "x" * 200_000,
        b"\xff" * 200_000,
        10**20_000,
        list(range(100_000)),
        {str(i): "v" * 300 for i in range(1000)},
        deep(50_000),
    ],
    ids=["str", "bytes", "int", "list", "dict", "nested"],
)
def test_quote_is_short_for_any_value(value):
    text = quote(value)
    assert len(text) <= QUOTE_LIMIT + 40 and "\n" not in text


def test_quote_keeps_small_values_exact():
    assert [quote(v) for v in ("web1", 12, None, True, [1, "a"], {"a": 1})] == [
        "'web1'",
        "12",
        "None",
        "True",
        "[1, 'a']",
        "{'a': 1}",
    ]
    assert quote("x" * 500).endswith("... (500 characters)")
    assert clip("y" * 5000).endswith("(5000 characters)") and len(clip("y" * 5000)) < 1100


# -- JSON bodies -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [b"1" * 5000, b"[" * 100_000 + b"]" * 100_000, b"\xff", b"{", b"[]", b'"text"', b"", b"nul\x00"],
    ids=["long-int", "deep", "utf8", "truncated", "array", "string", "empty", "garbage"],
)
def test_any_undecodable_body_is_invalid_json(raw):
    with pytest.raises(ApiError) as info:
        decode_json(raw)
    assert (info.value.status, info.value.code) == (400, "invalid-json") and len(info.value.message) < 200


# -- the guard ---------------------------------------------------------------------------------


CONFIG = make_config(
    {"a": "10.0.0.1", "b": "10.0.0.2", "s": "10.0.0.3"},
    frontends={"web": [["a", "b"], ["s"]], "solo": [["a"]]},
)


@pytest.mark.parametrize(
    ("states", "backend", "action", "dark"),
    [
        ({"a": UP, "b": UP, "s": UP}, "a", "pause", ["solo"]),  # web keeps b
        ({"a": UP, "b": DOWN, "s": UP}, "a", "pause", ["solo"]),  # web: the backup pool takes over
        ({"a": UP, "b": DOWN, "s": DOWN}, "a", "disable", ["solo", "web"]),
        ({"a": UP, "b": DOWN, "s": DOWN}, "b", "pause", []),  # b serves nothing
        ({"a": DOWN, "b": DOWN, "s": DOWN}, "a", "pause", []),  # already dark: nothing to protect
        ({"a": UP, "b": UP, "s": UP}, "a", "resume", []),  # only pause/disable take weight away
        ({"a": DISABLED, "b": DOWN, "s": DOWN}, "a", "pause", []),  # refused by the state machine instead
        ({"a": PAUSED, "b": DOWN, "s": DOWN}, "a", "disable", []),  # paused already weighs 0
    ],
)
def test_emptied_by_action(states, backend, action, dark):
    assert guard.emptied_by_action(CONFIG, states, backend, action) == dark


def test_emptied_by_weight():
    states = {"a": UP, "b": DOWN, "s": UP}
    # a up keeps the primary pool active, so its weight 0 leaves web with nothing (the backup waits).
    assert guard.emptied_by_weight(CONFIG, states, "web", "pool0", "a", 0) == ["web"]
    assert guard.emptied_by_weight(CONFIG, {"a": UP, "b": UP, "s": UP}, "web", "pool0", "a", 0) == []
    assert guard.emptied_by_weight(CONFIG, states, "web", "pool0", "a", 1) == []
    assert guard.emptied_by_weight(CONFIG, states, "nope", "pool0", "a", 0) == []
    assert "frontends solo, web" in guard.refusal_message("pause backend a", ["solo", "web"])


# -- limits -------------------------------------------------------------------------------------


def test_limits_from_env():
    assert limits_from_env({}) == ListenerLimits()
    limits = limits_from_env({"MAGLEV_API_MAX_CONNECTIONS": "4", "MAGLEV_API_IDLE_TIMEOUT": "0.5"})
    assert (limits.max_connections, limits.idle_timeout) == (4, 0.5)
    for name, value in [
        ("MAGLEV_API_MAX_CONNECTIONS", "0"),
        ("MAGLEV_API_MAX_CONNECTIONS", "1.5"),
        ("MAGLEV_API_IDLE_TIMEOUT", "nan"),
        ("MAGLEV_API_MAX_BODY", "z" * 10_000),
    ]:
        with pytest.raises(ValueError) as info:
            limits_from_env({name: value})
        assert str(info.value).startswith(name) and len(str(info.value)) < 300


# -- subscriptions ------------------------------------------------------------------------------


def test_subscription_queue_is_capped_and_freed_on_close():
    async def go():
        bus = EventBus()
        greedy = bus.subscribe(maxsize=100_000_000)
        assert greedy.maxsize == MAX_QUEUE
        for i in range(MAX_QUEUE + 10):
            bus.publish("weight-change", n=i)
        assert len(greedy.queue) == MAX_QUEUE + 1  # the events, then one `dropped` marker
        waiting = bus.subscribe()
        reader = asyncio.ensure_future(waiting.get())
        await asyncio.sleep(0)  # let the reader block on the empty queue
        greedy.close()
        waiting.close()
        with pytest.raises(SubscriptionClosed):
            await asyncio.wait_for(reader, 5)
        return bus, greedy

    bus, greedy = asyncio.run(go())
    assert not greedy.queue and bus.subscriptions == []


# -- maglevc --force ------------------------------------------------------------------------------


class RecordingClient:
    """Records the two actions; any other call fails as an unreachable daemon would."""

    def __init__(self) -> None:
        self.calls: list = []

    def __getattr__(self, name):
        from ansible_collections.vpp.maglev.plugins.module_utils.maglevd_client import MaglevdError

        def unavailable(*args, **kwargs):
            raise MaglevdError(f"{name}: not in this test")

        return unavailable

    def backend_action(self, name, action, force=False):
        self.calls.append(("action", name, action, force))
        return {"name": name, "state": "paused", "changed": True}

    def set_weight(self, frontend, pool, backend, weight, force=False):
        self.calls.append(("weight", frontend, pool, backend, weight, force))
        return {}


def test_maglevc_force_reaches_the_client_only_where_it_applies():
    from ansible_collections.vpp.maglev.maglevd.maglevc.command_parser import UsageError
    from ansible_collections.vpp.maglev.maglevd.maglevc.runner import Runner

    client = RecordingClient()
    runner = Runner(client, as_json=True, out=lambda _text: None)  # type: ignore[arg-type]
    runner.execute(["set", "backend", "web1", "pause"])
    runner.execute(["set", "backend", "web1", "--force", "pause"])
    runner.execute(["set", "frontend", "web", "pool", "p", "backend", "web1", "weight", "0", "--force"])
    assert client.calls == [
        ("action", "web1", "pause", False),
        ("action", "web1", "pause", True),
        ("weight", "web", "p", "web1", 0, True),
    ]
    with pytest.raises(UsageError, match="--force applies only"):
        runner.execute(["show", "backends", "--force"])
