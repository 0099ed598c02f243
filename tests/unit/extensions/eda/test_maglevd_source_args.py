"""The event source's pure parts: its arguments and its filters (docs/eda.md, "Arguments").

The daemon-facing behaviour is in tests/integration/eda/test_event_source.py."""

from __future__ import annotations

import runpy
import socket

import pytest
import yaml
from ansible_collections.vpp.maglev.plugins.module_utils.maglevd_client import DEFAULT_SOCKET
from ansible_collections.vpp.maglev.tests.helpers.paths import COLLECTIONS

SOURCE = runpy.run_path(
    str(COLLECTIONS / "ansible_collections/vpp/maglev/extensions/eda/plugins/event_source/maglevd.py")
)
parse_args, wanted, SourceError = SOURCE["parse_args"], SOURCE["wanted"], SOURCE["SourceError"]


def test_defaults():
    settings = parse_args({})
    assert settings.socket == DEFAULT_SOCKET and settings.server is None and settings.replay is False
    assert settings.hostname == socket.gethostname()
    documented = "backend-transition frontend-transition frontend-blackhole config-reload-failed vpp-connect"
    assert settings.types == set(documented.split()) | {"vpp-disconnect"}
    assert (settings.reconnect_delay, settings.max_reconnect_delay) == (1.0, 30.0)
    assert settings.path() == "/v1/events?log=1&level=info&noreplay=1"  # vpp-* are log records


def test_tcp_and_filters_in_the_query():
    settings = parse_args({"url": "http://[::1]:9090", "token": "t", "frontends": "web", "types": ["dropped"]})
    assert (settings.server, settings.hostname, settings.where) == ("[::1]:9090", "::1", "http://[::1]:9090")
    assert settings.path() == "/v1/events?frontend=web&noreplay=1"
    assert parse_args({"frontends": ["a", "b"], "replay": "True"}).path() == "/v1/events?log=1&level=info"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"url": "https://lb:9090", "token": "t"}, "expected http://host:port"),
        ({"url": "http://lb", "token": "t"}, "expected http://host:port"),
        ({"url": "http://lb:9090"}, "needs token or token_file"),
        ({"url": "http://lb:9090", "token_file": "/nonexistent/token"}, "cannot read /nonexistent/token"),
        ({"types": [1]}, "types: expected a list of names"),
        ({"types": "backend-transitions"}, "no event type 'backend-transitions' .did you mean backend-transition"),
        ({"types": ["probe"]}, "no event type 'probe'; known: backend-transition, config-reload, "),
        ({"replay": "maybe"}, "replay: expected true or false"),
        ({"reconnect_delay": 0}, "reconnect_delay: expected seconds above 0"),
        ({"max_reconnect_delay": "soon"}, "max_reconnect_delay: expected seconds"),
    ],
)
def test_bad_arguments_name_the_argument(args, message):
    with pytest.raises(SourceError, match=message):
        parse_args(args)


def test_an_empty_token_file_is_an_error(tmp_path):
    path = tmp_path / "token"
    path.write_text("\n")
    with pytest.raises(SourceError, match="is empty"):
        parse_args({"url": "http://lb:9090", "token_file": str(path)})


def test_filters_keep_daemon_wide_events_and_only_vpp_log_records():
    settings = parse_args({"backends": ["web1"], "frontends": ["web"]})
    members = frozenset({"web1", "web2"})
    assert wanted(settings, members, {"type": "backend-transition", "backend": "web1"})
    assert not wanted(settings, members, {"type": "backend-transition", "backend": "web2"})
    assert not wanted(settings, members, {"type": "frontend-transition", "frontend": "web"})  # no backend named
    assert wanted(settings, members, {"type": "config-reload-failed", "path": "/etc/maglev.yaml"})
    assert wanted(settings, members, {"type": "log", "log_event": "vpp-disconnect", "reason": "ping failed"})
    asking = parse_args({"types": ["config-reload", "vpp-connect"]})
    assert not wanted(asking, members, {"type": "log", "log_event": "config-reload"})  # only the event passes
    assert wanted(asking, members, {"type": "config-reload", "path": "/etc/maglev.yaml"})
    assert not wanted(settings, members, {"type": "weight-change", "backend": "web1", "frontend": "web"})


def test_the_documentation_matches_the_defaults():
    options = yaml.safe_load(SOURCE["DOCUMENTATION"])["options"]
    assert yaml.safe_load(SOURCE["EXAMPLES"])[0]["sources"][0] == {
        "vpp.maglev.maglevd": {"socket": DEFAULT_SOCKET, "types": ["backend-transition", "frontend-transition"]}
    }
    settings = parse_args({})
    assert options["socket"]["default"] == settings.socket
    assert set(options["types"]["default"]) == settings.types
    assert (options["replay"]["default"], options["reconnect_delay"]["default"]) == (settings.replay, 1)
    assert options["max_reconnect_delay"]["default"] == settings.max_reconnect_delay
    assert set(options) == {"socket", "url", "token", "token_file", "types", "frontends", "backends", "replay"} | {
        "hostname",
        "reconnect_delay",
        "max_reconnect_delay",
    }
