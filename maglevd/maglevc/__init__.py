"""maglevc: the command-line client of maglevd (one-shot or interactive).

    maglevc show backends
    maglevc --json show frontend web
    maglevc set backend web1 pause
    maglevc                       # interactive shell: tab completion, `?` help, prefix matching

Commands (keywords and names may be abbreviated to any unique prefix; an exact match wins):

    show version | status
    show frontends | frontend NAME     (show frontends NAME works too)
    show backends | backend NAME       (show backends NAME too)
    show healthchecks | healthcheck NAME
    show vpp info | show vpp lb state
    set backend NAME pause|resume|enable|disable [--force]
    set frontend NAME pool POOL backend NAME weight 0-100 [--force]
    watch events [num N] [log [level LEVEL]] [probes] [backend NAME] [frontend NAME]
    config check | config reload
    sync vpp lb state
    quit | exit

maglevd refuses to pause, disable or zero-weight the last backend that serves a frontend;
`--force` does it anyway.

Exit codes: 0 ok, 1 maglevd refused the request, 3 maglevd not reachable, 64 usage error
(exit_codes.py, one table for maglevd and maglevc).

The package, one job per file: command_tree.py (the words), command_parser.py (words ->
handler), render.py (answers -> text), runner.py (one command against the daemon), shell.py
(the interactive shell), completion.py (bash and zsh completion), main.py (flags and the
process's exit).
"""

from .main import main

__all__ = ["main"]
