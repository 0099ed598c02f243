# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vpp.maglev engineers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Parse and validate maglev.yaml into the value types of config_model.

Public API:
    parse(data) -> Config              plain data (dicts/lists from YAML or module args)
    load_text(text, source) -> Config  YAML text
    load_file(path) -> Config          a file
    parse_duration(value) -> float     '2s', '500ms', '1m30s', 1.5 -> seconds
    ConfigError(issues)                semantic errors; .errors lists every ConfigIssue
    ConfigSyntaxError                  the text is not YAML (with line/column)
    MissingDependencyError             PyYAML is not installed (parse() does not need it)

Every issue carries the YAML path (``maglev.frontends.web.pools[1].backends.b3.weight``)
and says what is allowed. Nothing stops at the first error: each section is read in full,
then the rules that span sections run on whatever was readable, so one run reports all.

The reader is split by responsibility: config_reader (the walker that maps a rule's issue to
its YAML path), config_settings, config_healthchecks, config_backends and config_frontends
(one per section, calling the rules of rules/*.py), config_cross (rules across sections).

Only the stdlib is imported at module level; PyYAML is imported when text is loaded, so
modules on target hosts can import this file to validate data they already have.
"""

from __future__ import annotations

from typing import Any, Callable, Dict, Iterable, Optional, Sequence, Tuple

from .config_backends import read_backends
from .config_cross import check_src_addresses, check_vips
from .config_errors import ConfigError, ConfigIssue, ConfigSyntaxError, MissingDependencyError
from .config_frontends import read_frontends
from .config_healthchecks import read_healthchecks
from .config_model import Config
from .config_reader import Reader, parse_duration
from .config_settings import read_healthchecker, read_vpp
from .config_yaml import LIMITS, load_yaml, with_lines

SECTIONS = ("healthchecker", "vpp", "healthchecks", "backends", "frontends")


# A rule that needs more than the data (e.g. maglevd's check that the files a config names
# can be read): called with the valid Config, it returns issues that get the YAML line too.
Rule = Callable[[Config], Iterable[ConfigIssue]]


def _parse(
    data: Any,
    source: str,
    issues: Sequence[ConfigIssue] = (),
    lines: Optional[Dict[str, int]] = None,
    rules: Sequence[Rule] = (),
) -> Config:
    r = Reader()
    r.issues.extend(issues)
    r.failed.update(issue.path for issue in issues)
    top = r.mapping(data, "", ("maglev",), required=("maglev",), what="a mapping with the key 'maglev'")
    if top and "maglev" in top and top["maglev"] in (None, {}):
        # Everything under maglev: commented out reads as null: running that would remove
        # every VIP (vpp_lb_state overridden) or every backend (a reload), so it is refused.
        what = "null: nothing under it, or all of it commented out" if top["maglev"] is None else "{}"
        r.error("maglev", "is empty (%s); it needs at least one of %s" % (what, ", ".join(SECTIONS)))
    root = r.mapping(top["maglev"], "maglev", SECTIONS) if top and "maglev" in top else None
    root = root or {}
    healthchecker = read_healthchecker(r, root.get("healthchecker"), "maglev.healthchecker")
    lb = read_vpp(r, root.get("vpp"), "maglev.vpp")
    healthchecks, check_names = read_healthchecks(r, root.get("healthchecks"), "maglev.healthchecks")
    backends, backend_names = read_backends(r, root.get("backends"), "maglev.backends", check_names)
    frontends, vips = read_frontends(r, root.get("frontends"), "maglev.frontends", backends, backend_names)
    check_vips(r, vips)
    check_src_addresses(r, vips, lb, "maglev.vpp.lb")
    if r.issues:
        raise ConfigError(with_lines(r.issues, lines), source)
    config = Config(
        healthchecker=healthchecker, vpp_lb=lb, healthchecks=healthchecks, backends=backends, frontends=frontends
    )
    issues = [issue for rule in rules for issue in rule(config)]
    if issues:
        raise ConfigError(with_lines(issues, lines), source)
    return config


def parse(data: Any) -> Config:
    """Validate plain data (as yaml.safe_load returns it) and build the Config.

    Raises ConfigError listing every issue.
    """
    return _parse(data, "<data>")


def load_text_data(text: str, source: str = "<string>", rules: Sequence[Rule] = ()) -> Tuple[Any, Config]:
    """Parse YAML text; return the plain data and the Config validated from it (for callers
    that forward exactly the validated data, e.g. the state module's action plugin)."""
    data, duplicates, lines = load_yaml(text, source, paths=False)
    try:
        return data, _parse(data, source, duplicates, lines, rules)
    except ConfigError:
        if lines is not None:
            raise
    # The lines are built only when there is something to report (docs/performance.md).
    data, duplicates, lines = load_yaml(text, source)
    return data, _parse(data, source, duplicates, lines, rules)


def load_text(text: str, source: str = "<string>", rules: Sequence[Rule] = ()) -> Config:
    """Parse YAML text. ConfigSyntaxError if it is not YAML (or a loader limit refuses it);
    ConfigError if it is not valid."""
    return load_text_data(text, source, rules)[1]


def read_text(path: str, max_bytes: int = LIMITS.max_bytes) -> str:
    """A config file's text; an unreadable or too large file raises ConfigSyntaxError.

    At most max_bytes + 1 bytes are read, so neither a huge file nor an endless one
    (/dev/zero) is ever held in memory."""
    try:
        with open(path, "rb") as handle:
            raw = handle.read(max_bytes + 1)
        if len(raw) > max_bytes:
            raise ConfigSyntaxError(
                "the file is larger than the limit of %d MiB for a maglev.yaml" % (max_bytes >> 20), path
            )
        return raw.decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigSyntaxError("cannot read the file: %s" % (exc.strerror if isinstance(exc, OSError) else exc), path)


def load_file(path: str, rules: Sequence[Rule] = ()) -> Config:
    """Read and parse a maglev.yaml. An unreadable file raises ConfigSyntaxError too."""
    return load_text(read_text(path), str(path), rules)


__all__ = [
    "ConfigError",
    "ConfigIssue",
    "ConfigSyntaxError",
    "MissingDependencyError",
    "load_file",
    "load_text",
    "load_text_data",
    "parse",
    "parse_duration",
    "read_text",
]
