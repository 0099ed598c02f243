"""Typed words -> (handler, slot values): keywords and names matched by unique prefix.

Pure: no I/O. The names a slot may take come from the caller (the daemon's lists), so the
same rules serve one-shot commands, the shell and its completion.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence, Tuple

from .command_tree import TREE, WATCH_OPTIONS, Node

MAX_LISTED = 10  # candidates named in an "ambiguous" error


class UsageError(Exception):
    """A command maglevc cannot run as typed (exit 64, EX_USAGE)."""


def match_keyword(word: str, nodes: Sequence[Node]) -> Tuple[Optional[Node], List[Node]]:
    """Exact match wins, then a unique prefix; returns (node or None, candidates)."""
    keywords = [n for n in nodes if n.kind is None]
    for node in keywords:
        if node.word == word:
            return node, [node]
    candidates = [n for n in keywords if n.word.startswith(word)]
    if len(candidates) == 1:
        return candidates[0], candidates
    return None, candidates


def _pick_by_what_follows(candidates: List[Node], more: bool) -> Optional[Node]:
    """ "fr": frontend vs frontends. When one is a prefix of the others, more words pick the
    one that takes them, no more words pick the one that ends the command."""
    shortest = min(candidates, key=lambda n: len(n.word))
    if not all(n.word.startswith(shortest.word) for n in candidates):
        return None
    fitting = [n for n in candidates if (n.children if more else n.run)]
    if shortest in fitting:  # both fit ("fr NAME"): the shorter word, as typed
        fitting = [shortest]
    return fitting[0] if len(fitting) == 1 else None


def _slot_or_error(node: Node, word: str, candidates: List[Node], consumed: List[str]) -> Node:
    """The slot that takes `word` after `node`, or the UsageError that says why none does."""
    slots = [n for n in node.children if n.kind is not None]
    if slots and not candidates:
        return slots[0]
    where = " ".join(consumed) or "the start"
    options = ", ".join(n.word for n in (candidates or node.children)) or "nothing more"
    if candidates:
        raise UsageError(f"{word!r} is ambiguous after {where}: {options}")
    raise UsageError(f"unknown word {word!r} after {where}: expected {options}")


def parse(words: List[str]) -> Tuple[str, Dict[str, str], List[str]]:
    """words -> (handler, slot values, trailing words for `watch events`). Raises UsageError."""
    node, values, consumed = TREE, {}, []
    for index, word in enumerate(words):
        if node.run == "watch_events":
            return node.run, values, words[index:]
        found, candidates = match_keyword(word, node.children)
        if found is None and len(candidates) > 1:
            found = _pick_by_what_follows(candidates, index + 1 < len(words))
        if found is not None:
            node = found
            word = found.word
        else:
            node = _slot_or_error(node, word, candidates, consumed)
            values[node.kind] = word  # type: ignore[index]
        consumed.append(word)
    if node.run is None:
        options = ", ".join(n.word if n.kind is None or not n.help else f"{n.word} ({n.help})" for n in node.children)
        raise UsageError(f"incomplete command {' '.join(consumed)!r}: expected {options}")
    return node.run, values, []


def resolve_name(kind: str, word: str, names: Sequence[str]) -> str:
    """A name as keywords are matched: exact wins, then a unique prefix. An unknown name is
    returned as typed (the daemon says it is not found); an ambiguous one is a UsageError."""
    if word in names:
        return word
    matches = [n for n in names if n.startswith(word)]
    if len(matches) == 1:
        return matches[0]
    if matches:
        listed = ", ".join(matches[:MAX_LISTED]) + (
            f" ... ({len(matches) - MAX_LISTED} more)" if len(matches) > MAX_LISTED else ""
        )
        raise UsageError(f"{kind} {word[:200]!r} is ambiguous: {listed}")
    return word


def parse_watch(words: List[str]) -> Dict[str, Any]:
    """`watch events` options -> {option: value or True}; `num` as an int."""
    options: Dict[str, Any] = {}
    index = 0
    while index < len(words):
        matches = [k for k in WATCH_OPTIONS if k.startswith(words[index])]
        exact = [k for k in matches if k == words[index]]
        if len(exact) == 1:
            matches = exact
        if len(matches) != 1:
            raise UsageError(f"watch events: unknown option {words[index]!r}: expected {', '.join(WATCH_OPTIONS)}")
        key = matches[0]
        if WATCH_OPTIONS[key] is None:
            options[key] = True
            index += 1
            continue
        if index + 1 >= len(words):
            raise UsageError(f"watch events: {key} needs a value")
        options[key] = words[index + 1]
        index += 2
    if "num" in options:
        if not str(options["num"]).isdigit():
            raise UsageError("watch events: num must be a positive integer")
        options["num"] = int(options["num"])
    return options
