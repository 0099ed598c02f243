"""maglevc: the command-line client of maglevd (one-shot or interactive).

    maglevc show backends
    maglevc --json show frontend web
    maglevc set backend web1 pause
    maglevc                       # interactive shell: tab completion, `?` help, prefix matching

Keywords and names may be abbreviated to any unique prefix; an exact match wins. The commands
are listed by `maglevc --help`, `help` in the shell and the man page, all from command_tree.py.

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
