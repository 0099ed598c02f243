"""One way to put a client's value into an error message: quoted, and never more than ~200 characters.

Shared by maglevd and the modules (no Ansible imports). Every control API and module input
error quotes what the client sent through `quote`, so a 200 KB address
or name gives a short one-line error, not a 200 KB echo (and a log line or a terminal full of it).
"""

from __future__ import annotations

from typing import Any

QUOTE_LIMIT = 200  # characters of the value itself; the marker of what was cut comes on top
MESSAGE_LIMIT = 1000  # a whole error message, the backstop for texts that did not use quote()
MAX_DEPTH = 4  # nesting levels rendered
BRACKETS = {list: ("[", "]"), tuple: ("(", ")")}


def quote(value: Any, limit: int = QUOTE_LIMIT, _depth: int = 0) -> str:
    """repr() of value cut to `limit` characters, saying how much was left out.

    Built without repr() of the whole value: a huge list or a huge integer must not be rendered
    in full only to be cut (and int's repr refuses more than 4300 digits).
    """
    if isinstance(value, (str, bytes)):
        text = repr(value[: limit + 1])
        total = len(value)
    elif isinstance(value, bool) or value is None or isinstance(value, float):
        return repr(value)
    elif isinstance(value, int):
        if value.bit_length() <= 3 * limit:  # at most ~limit digits: cheap and exact
            text = repr(value)
            if len(text) <= limit:
                return text
        return f"<an integer of about {int(value.bit_length() * 0.30103) + 1} digits>"
    elif isinstance(value, (list, tuple, dict, set)):
        if _depth >= MAX_DEPTH:  # a deeply nested value: show its kind, not its depth
            return f"<a {type(value).__name__} of {len(value)} items>"
        text = _container(value, limit, _depth + 1)
        total = len(value)
        return text if len(text) <= limit else text[:limit] + f"... ({total} items)"
    else:
        text = repr(value)[: limit + 1]
        total = -1
    if len(text) <= limit:
        return text
    more = f" ({total} characters)" if total >= 0 else ""
    return text[:limit] + "..." + more


def _container(value: Any, limit: int, depth: int) -> str:
    """A prefix of the container's repr, rendering only as many items as fit."""
    opener, closer = BRACKETS.get(type(value), ("{", "}"))
    if isinstance(value, dict):
        items = (f"{quote(k, limit, depth)}: {quote(v, limit, depth)}" for k, v in value.items())
    else:
        items = (quote(v, limit, depth) for v in value)
    parts = []
    length = 1
    for item in items:
        parts.append(item)
        length += len(item) + 2
        if length > limit:
            return opener + ", ".join(parts)  # cut: the caller adds the marker
    return opener + ", ".join(parts) + closer


def clip(message: str, limit: int = MESSAGE_LIMIT) -> str:
    """A whole message cut to `limit` characters (the backstop in the API's error response)."""
    if len(message) <= limit:
        return message
    return message[:limit] + f"... ({len(message)} characters)"
