"""The exit codes of maglevd and maglevc: one table for both programs.

Both `--help` epilogs and both man pages print it from here; docs/maglevd.md ("Exit codes")
is its one description in the docs. `--check` keeps vpp-maglev's contract (0 valid, 1 not
YAML, 2 invalid); a command-line usage error has a code of its own, sysexits' EX_USAGE.

Pure: no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import List, Tuple

# `--check`'s contract (check.py has the same three; a unit test pins them equal). Not
# imported from there: maglevc imports this table and must not load the YAML reader.
EXIT_OK, EXIT_SYNTAX, EXIT_SEMANTIC = 0, 1, 2
EX_USAGE = 64  # sysexits.h: the command was used incorrectly (a flag, a command word)
EXIT_UNAVAILABLE = 3  # maglevc: maglevd cannot be reached
EXIT_INTERRUPTED = 130  # maglevc: Ctrl-C during a one-shot command (128 + SIGINT)

PROGRAMS = ("maglevd", "maglevc")


@dataclass(frozen=True)
class ExitCode:
    """One code and what it means for each program ("" = that program never returns it)."""

    code: int
    maglevd: str
    maglevc: str


EXIT_CODES: Tuple[ExitCode, ...] = (
    ExitCode(EXIT_OK, "clean stop (SIGTERM, SIGINT); --check: the file is valid", "done"),
    ExitCode(
        EXIT_SYNTAX,
        "cannot start (listener, netns, token, a MAGLEV_API_* value) or crashed;"
        " --check: unreadable, not YAML or over a loader limit",
        "maglevd refused the request (or config check/reload found errors)",
    ),
    ExitCode(EXIT_SEMANTIC, "invalid configuration at start; --check: YAML but not a valid maglev.yaml", ""),
    ExitCode(EXIT_UNAVAILABLE, "", "maglevd not reachable"),
    ExitCode(
        EX_USAGE,
        "usage error: an unknown flag or a bad flag value",
        "usage error: an unknown flag or command word, an ambiguous name",
    ),
    ExitCode(EXIT_INTERRUPTED, "", "interrupted (Ctrl-C)"),
)


def exit_codes(program: str) -> List[Tuple[int, str]]:
    """(code, meaning) for one program, in order."""
    if program not in PROGRAMS:
        raise ValueError(f"unknown program {program!r}: expected one of {', '.join(PROGRAMS)}")
    return [(row.code, getattr(row, program)) for row in EXIT_CODES if getattr(row, program)]
