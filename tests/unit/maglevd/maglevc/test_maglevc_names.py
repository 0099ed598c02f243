"""maglevc's pure parts: names resolved like keywords, and `show frontends NAME`."""

from __future__ import annotations

import pytest
from ansible_collections.vpp.maglev.maglevd.maglevc.command_parser import MAX_LISTED, UsageError, parse, resolve_name

NAMES = ["web-1", "web-10", "web-2", "db-main"]


@pytest.mark.parametrize(
    "word, expected",
    [("web-1", "web-1"), ("web-2", "web-2"), ("db", "db-main"), ("web-10", "web-10"), ("nope", "nope")],
)
def test_exact_wins_then_a_unique_prefix(word, expected):
    assert resolve_name("backend", word, NAMES) == expected


def test_an_ambiguous_prefix_lists_the_candidates_in_one_line():
    with pytest.raises(UsageError) as info:
        resolve_name("backend", "web", NAMES)
    assert str(info.value) == "backend 'web' is ambiguous: web-1, web-10, web-2"


def test_a_long_ambiguous_list_is_cut_and_the_word_quoted_short():
    names = [f"b{i:03d}" for i in range(50)]
    with pytest.raises(UsageError) as info:
        resolve_name("backend", "b", names)
    message = str(info.value)
    assert message.count(",") == MAX_LISTED - 1 and "(40 more)" in message and "\n" not in message
    with pytest.raises(UsageError) as info:
        resolve_name("backend", "b" + "0" * 5000, ["b" + "0" * 5000 + "1", "b" + "0" * 5000 + "2"])
    assert len(str(info.value).split(" is ambiguous", maxsplit=1)[0]) < 230


@pytest.mark.parametrize(
    "words, handler, values",
    [
        (["show", "frontends", "web"], "show_frontend", {"frontend": "web"}),
        (["show", "frontends"], "show_frontends", {}),
        (["show", "frontend", "web"], "show_frontend", {"frontend": "web"}),
        (["sh", "fr", "web"], "show_frontend", {"frontend": "web"}),
        (["sh", "fr"], "show_frontends", {}),
        (["show", "backends", "web-1"], "show_backend", {"backend": "web-1"}),
        (["show", "healthchecks", "http"], "show_healthcheck", {"healthcheck": "http"}),
    ],
)
def test_the_plural_takes_an_optional_name(words, handler, values):
    assert parse(words)[:2] == (handler, values)
