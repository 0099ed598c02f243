"""`maglevd --check FILE`: validate a maglev.yaml without starting anything.

Exit codes: 0 valid, 1 the file cannot be read, is not YAML or is refused by a loader
limit (size, nesting depth, values counted with alias and merge expansion), 2 YAML but not
a valid maglev.yaml (an empty `maglev`, a CA file that cannot be loaded, ...). Each error
is one line, so the role's `validate:` step and CI logs show exactly what is wrong and where:

    FILE:LINE:COLUMN: not valid YAML: ...              (exit 1)
    FILE:LINE:COLUMN: nesting deeper than 64 levels    (exit 1)
    FILE:LINE: maglev.frontends.web.port: ...          (exit 2; LINE when known)

The same function (`load_checked`) serves `--check`, the daemon's start, its reloads and
the API's config check, so they accept and refuse exactly the same files.
"""

from __future__ import annotations

import sys
from typing import List, Optional, Tuple

from ..plugins.module_utils.config import (
    ConfigError,
    ConfigSyntaxError,
    MissingDependencyError,
    load_file,
)
from ..plugins.module_utils.config_model import Config
from .config_files import check_named_files

EXIT_OK = 0
EXIT_SYNTAX = 1
EXIT_SEMANTIC = 2


def summary(config: Config) -> str:
    return "%d frontends, %d backends, %d healthchecks" % (
        len(config.frontends),
        len(config.backends),
        len(config.healthchecks),
    )


def load_checked(path: str) -> Tuple[int, List[str], Optional[Config]]:
    """(exit code, error lines, the Config when valid) for one file; no exceptions for bad input."""
    try:
        config = load_file(path, rules=(check_named_files,))
    except ConfigSyntaxError as exc:
        return EXIT_SYNTAX, [str(exc)], None
    except MissingDependencyError as exc:
        return EXIT_SYNTAX, ["%s: %s" % (path, exc)], None
    except ConfigError as exc:
        lines = []
        for issue in exc.errors:
            where = "%s:%d" % (path, issue.line) if issue.line else str(path)
            lines.append("%s: %s" % (where, issue))
        return EXIT_SEMANTIC, lines, None
    return EXIT_OK, [], config


def check_file(path: str) -> Tuple[int, List[str]]:
    """(exit code, error lines) for one file; no output, no exceptions for bad input."""
    code, lines, _config = load_checked(path)
    return code, lines


def main_check(path: str) -> int:
    """Print errors to stderr (one per line) or a one-line summary to stdout; return the exit code."""
    code, errors, config = load_checked(path)
    for line in errors:
        print(line, file=sys.stderr)
    if config is not None:
        print("%s: OK (%s)" % (path, summary(config)))
    return code
