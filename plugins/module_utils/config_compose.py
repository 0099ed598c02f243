# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vpp.maglev engineers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Build plain data from a YAML parser's events, within limits.

PyYAML's own composer recurses once per nesting level (in C with libyaml: ~40,000 nested
``[`` overflow the C stack and kill the process), and its merge of ``<<: [*m, *m, ...]``
copies every merged key at every level (a 1 KB file runs for minutes). Here the events are
read in a loop with an explicit stack, so nothing recurses, and before anything is built:

- the nesting depth is checked at each collection start, and at each alias as the depth it
  would have once expanded (the alias's own depth plus the height of what it names), so
  anchors cannot build data deeper than the limit either;
- every value built is counted, an alias at the full size of what it names and a merge at
  the full size of what it merges, so the data, once expanded (as JSON for a module, or by a
  walk over it), is never larger than the limit; a recursive alias is refused;
- merges are applied once per mapping, keys deduplicated (own keys win, then the first
  listed mapping), as YAML's merge key specifies.

It also finds duplicate keys (PyYAML keeps the last silently) and the line of each YAML
path. Pure: the caller hands it a parser (an object with ``get_event()``); no I/O.

Paths and lines are only needed to report an issue, and building them is a third of the
load (a path string and a dict entry per key; docs/performance.md). With ``paths=False`` the
composer builds neither and raises ``PathsNeeded`` at the first duplicate key; the caller
composes again with paths when anything is to be reported (config_yaml.load_yaml). Plain
scalars are resolved once per distinct text: a 64,000-member pool repeats ``weight`` and
``100`` 64,000 times.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Tuple

from .config_errors import ConfigIssue
from .config_errors import join_path as _join

_TAG = "tag:yaml.org,2002:"
STR_TAG, NULL_TAG, BOOL_TAG, MERGE_TAG, VALUE_TAG = (_TAG + kind for kind in ("str", "null", "bool", "merge", "value"))
_PLAIN_COLLECTION_TAGS = (None, "!", _TAG + "map", _TAG + "seq")


@dataclass(frozen=True)
class Limits:
    """What one maglev.yaml may hold. A 200,000-backend file is ~15 MB, ~1.6 million values
    and 7 levels deep; each limit is several times that, and far below what hurts a host."""

    max_bytes: int = 64 * 1024 * 1024
    max_depth: int = 64
    max_nodes: int = 5_000_000


class LimitError(ValueError):
    """The text is refused: too deep, too many values, or a structure that cannot be built.
    ``line`` and ``column`` are 1-based (None when unknown)."""

    def __init__(self, message: str, line: Optional[int] = None, column: Optional[int] = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column


class _Frame:
    """An open collection: its data so far, and what its parent needs when it closes."""

    __slots__ = ("anchor", "data", "expect_key", "height", "is_map", "key", "key_lines", "merges", "path", "size")

    def __init__(self, is_map: bool, anchor: Optional[str], path: str) -> None:
        self.is_map = is_map
        self.data: Any = {} if is_map else []
        self.anchor = anchor
        self.path = path
        self.size = 1  # values built or referenced, this one included
        self.height = 1  # nesting levels, this one included
        self.expect_key = True
        self.key: Any = None  # the pending key; _SKIP for a duplicate, _MERGE for <<
        self.key_lines: Dict[Any, int] = {}
        self.merges: List[Tuple[Any, int]] = []


_SKIP = object()
_MERGE = object()
_MISS = object()


class PathsNeeded(Exception):
    """A duplicate key found while composing without paths: compose again with them."""


def _line(event: Any) -> int:
    return event.start_mark.line + 1


def _where(event: Any) -> Tuple[int, int]:
    return event.start_mark.line + 1, event.start_mark.column + 1


def _not_a_single_value(event: Any) -> LimitError:
    line, column = _where(event)
    return LimitError("a mapping key must be a single value, not a mapping or a list", line, column)


class Composer:
    """compose(parser) -> (data, duplicate-key issues, line of each YAML path, values counted).

    ``yaml`` is the PyYAML module (for its event and node classes); ``loader`` resolves plain
    scalars to tags and constructs them (the same object as the parser, for PyYAML loaders).
    """

    def __init__(self, yaml: Any, loader: Any, limits: Limits, paths: bool = True) -> None:
        self.yaml = yaml
        self.loader = loader
        self.limits = limits
        self.paths = paths
        self.plain: Dict[str, Any] = {}  # plain scalar text -> its value (immutable: str, int, ...)
        self.nodes = 0
        self.lines: Dict[str, int] = {}
        self.duplicates: List[ConfigIssue] = []
        self.anchors: Dict[str, Tuple[Any, int, int]] = {}  # name -> (data, size, height)
        self.open_anchors: set = set()
        self.constructors = loader.yaml_constructors

    # -- the document ------------------------------------------------------------------------

    def compose(self) -> Any:
        yaml, loader = self.yaml, self.loader
        loader.get_event()  # stream start
        if loader.check_event(yaml.StreamEndEvent):
            loader.get_event()
            return None
        loader.get_event()  # document start
        data = self._document()
        loader.get_event()  # document end
        if not loader.check_event(yaml.StreamEndEvent):
            line, column = _where(loader.peek_event())
            raise LimitError("expected a single document, but found another one", line, column)
        loader.get_event()
        return data

    def _document(self) -> Any:
        yaml, get_event = self.yaml, self.loader.get_event
        scalar_event, alias_event = yaml.ScalarEvent, yaml.AliasEvent
        seq_start, map_start = yaml.SequenceStartEvent, yaml.MappingStartEvent
        stack: List[_Frame] = []
        max_nodes, max_depth = self.limits.max_nodes, self.limits.max_depth
        while True:
            event = get_event()
            kind = type(event)
            top = stack[-1] if stack else None
            if top is not None and top.is_map and top.expect_key and kind is not yaml.MappingEndEvent:
                self._key(top, event, kind)
                continue
            path = self._child_path(top, event)
            if kind is scalar_event:
                self.nodes += 1
                if self.nodes > max_nodes:
                    raise self._too_many(event)
                value, size, height = self._scalar(event), 1, 0
                if event.anchor is not None:
                    self.anchors[event.anchor] = (value, 1, 0)
            elif kind is alias_event:
                value, size, height = self._alias(event, len(stack))
            elif kind is seq_start or kind is map_start:
                if len(stack) >= max_depth:
                    line, column = _where(event)
                    raise LimitError(
                        "nesting deeper than %d levels (a maglev.yaml needs about 8); refused before reading on"
                        % max_depth,
                        line,
                        column,
                    )
                if event.tag not in _PLAIN_COLLECTION_TAGS:
                    line, column = _where(event)
                    raise LimitError(
                        "tag %s is not supported; maglev.yaml holds plain mappings and lists" % event.tag, line, column
                    )
                self.nodes += 1
                if self.nodes > max_nodes:
                    raise self._too_many(event)
                stack.append(_Frame(kind is map_start, event.anchor, path))
                if event.anchor is not None:
                    self.open_anchors.add(event.anchor)
                continue
            else:  # the end of a collection
                frame = stack.pop()
                value, size, height = self._close(frame, event), frame.size, frame.height
            if not stack:
                return value
            self._add(stack[-1], value, size, height, event)

    # -- values ------------------------------------------------------------------------------

    def _scalar(self, event: Any) -> Any:
        tag = event.tag
        if tag is None and event.implicit[0]:
            value = self.plain.get(event.value, _MISS)
            if value is _MISS:
                value = self.plain[event.value] = self._resolved(event, None)
            return value
        return self._resolved(event, tag)

    def _resolved(self, event: Any, tag: Optional[str]) -> Any:
        if tag is None or tag == "!":
            tag = self.loader.resolve(self.yaml.ScalarNode, event.value, event.implicit)
        if tag in (STR_TAG, VALUE_TAG):
            return event.value
        if tag == NULL_TAG:
            return None
        if tag == BOOL_TAG:
            return event.value.lower() == "true"
        if tag == MERGE_TAG:
            return _MERGE
        constructor = self.constructors.get(tag, self.constructors.get(None))
        node = self.yaml.ScalarNode(tag, event.value, event.start_mark, event.end_mark, event.style)
        return constructor(self.loader, node)

    def _alias(self, event: Any, depth: int) -> Tuple[Any, int, int]:
        name = event.anchor
        line, column = _where(event)
        if name in self.open_anchors and name not in self.anchors:
            raise LimitError(
                "alias *%s refers to a value that contains it (a recursive structure)" % name, line, column
            )
        if name not in self.anchors:
            raise LimitError(
                "not valid YAML: found undefined alias *%s (no anchor &%s before it)" % (name, name), line, column
            )
        value, size, height = self.anchors[name]
        if depth + height > self.limits.max_depth:
            raise LimitError(
                "alias *%s would nest deeper than %d levels once expanded" % (name, self.limits.max_depth), line, column
            )
        self.nodes += size
        if self.nodes > self.limits.max_nodes:
            raise self._too_many(event)
        return value, size, height

    def _too_many(self, event: Any) -> LimitError:
        line, column = _where(event)
        return LimitError(
            "more than %s values (each alias and merge counted at the size of what it names); "
            "a maglev.yaml of 200,000 backends has about 1,600,000" % format(self.limits.max_nodes, ","),
            line,
            column,
        )

    # -- collections -------------------------------------------------------------------------

    def _child_path(self, parent: Optional[_Frame], event: Any) -> str:
        """The YAML path of the value that starts with ``event``; records its line."""
        if parent is None or not self.paths:
            return ""
        if parent.is_map:
            key = parent.key
            return parent.path if key is _MERGE or key is _SKIP else _join(parent.path, key)
        where = "%s[%d]" % (parent.path, len(parent.data))
        self.lines.setdefault(where, _line(event))
        return where

    def _key(self, frame: _Frame, event: Any, kind: type) -> None:
        if kind is self.yaml.ScalarEvent:
            self.nodes += 1
            if self.nodes > self.limits.max_nodes:
                raise self._too_many(event)
            key = self._scalar(event)
            if event.anchor is not None:
                self.anchors[event.anchor] = (key, 1, 0)
        elif kind is self.yaml.AliasEvent:
            key = self._alias(event, 0)[0]
        else:
            raise _not_a_single_value(event)
        frame.expect_key = False
        frame.size += 1
        if key is _MERGE:
            frame.key = _MERGE
            return
        if not self.paths:
            try:
                if key in frame.data:
                    raise PathsNeeded()
            except TypeError:
                raise _not_a_single_value(event) from None
            frame.key = key
            return
        try:
            first = frame.key_lines.get(key)
        except TypeError:
            raise _not_a_single_value(event) from None
        line = _line(event)
        where = _join(frame.path, key)
        if first is not None:
            self.duplicates.append(
                ConfigIssue(
                    where,
                    "duplicate key (first at line %d, again at line %d); each name may appear once" % (first, line),
                    line,
                )
            )
            frame.key = _SKIP
            return
        frame.key_lines[key] = line
        self.lines.setdefault(where, line)
        frame.key = key

    def _add(self, frame: _Frame, value: Any, size: int, height: int, event: Any) -> None:
        frame.size += size
        if height + 1 > frame.height:
            frame.height = height + 1
        if not frame.is_map:
            frame.data.append(value)
            return
        key = frame.key
        frame.expect_key = True
        frame.key = None
        if key is _MERGE:
            frame.merges.append((value, _line(event)))
        elif key is not _SKIP:
            frame.data[key] = value

    def _close(self, frame: _Frame, event: Any) -> Any:
        data = frame.data
        if frame.merges:
            merged: Dict[Any, Any] = {}
            for value, line in frame.merges:
                sources = value if isinstance(value, list) else [value]
                for source in reversed(sources):  # the first listed mapping wins
                    if not isinstance(source, dict):
                        raise LimitError("a merge (<<) takes a mapping or a list of mappings", line)
                    merged.update(source)
            merged.update(data)  # the mapping's own keys win
            data = merged
        frame.key_lines = {}
        if frame.anchor is not None:
            self.anchors[frame.anchor] = (data, frame.size, frame.height)
            self.open_anchors.discard(frame.anchor)
        return data
