"""maglevc's interactive shell: tab completion of keywords and the daemon's names, `?` help.

The shell walks the same command tree as the parser; names come from the running daemon.
`candidates` is also what bash and zsh complete with (`maglevc __complete`, completion.py).
"""

from __future__ import annotations

import cmd
import shlex
from typing import Dict, List

from .command_parser import UsageError, match_keyword, resolve_name
from .command_tree import TREE, WATCH_HELP, WATCH_OPTIONS
from .runner import Runner, run_line


def candidates(runner: Runner, words: List[str], partial: str) -> List[str]:
    """What may follow `words`, starting with `partial`: keywords, then the daemon's names.
    The shell's Tab and `maglevc __complete` (bash and zsh completion) both ask this."""
    node, values = TREE, {}
    for word in words:
        if node.run == "watch_events":
            break
        found, _candidates = match_keyword(word, node.children)
        if found is None:
            slots = [n for n in node.children if n.kind is not None]
            if not slots:
                return []
            found = slots[0]
            values[found.kind] = word
        node = found
    if node.run == "watch_events":
        return [k for k in WATCH_OPTIONS if k.startswith(partial)]
    result = [n.word for n in node.children if n.kind is None and n.word.startswith(partial)]
    names = runner.names
    for slot in (n for n in node.children if n.kind is not None):
        if slot.kind == "pool":  # an abbreviated frontend names its pools too
            values["frontend"] = resolve_name("frontend", values["frontend"], names("frontend", values))
        result += [name for name in names(slot.kind, values) if name.startswith(partial)]
    return result


class Shell(cmd.Cmd):
    prompt = "maglevc> "

    def __init__(self, runner: Runner) -> None:
        super().__init__()
        self.runner = runner
        self.identchars += "-."
        self._names: Dict[str, List[str]] = {}

    def preloop(self) -> None:
        # Names have hyphens (web-1) and dots: only whitespace separates words, or readline
        # would complete just the part after the last "-".
        try:
            import readline
        except ImportError:  # no readline: no completion to configure
            return
        readline.set_completer_delims(" \t\n")

    def candidates(self, words: List[str], partial: str) -> List[str]:
        """What may follow `words`, starting with `partial`: keywords, then the daemon's names."""
        return candidates(self.runner, words, partial)

    def complete_line(self, line: str) -> List[str]:
        """Completions of the last word of `line` (the text before the cursor), each a whole word."""
        try:
            words = shlex.split(line)
        except ValueError:  # an open quote: nothing sensible to offer
            return []
        partial = "" if not line or line[-1].isspace() else words.pop()
        try:
            return [w + " " for w in self.candidates(words, partial)]
        except UsageError:
            return []

    def _complete(self, text: str, line: str, begidx: int, endidx: int) -> List[str]:
        # readline replaces only `text` (from begidx); our words start at the last whitespace.
        # They differ when readline's own delimiters split a name ("-"): cut the part it keeps.
        before = line[:endidx]
        start = len(before) - len(before.split()[-1]) if before and not before[-1].isspace() else endidx
        keep = max(0, begidx - start)
        return [c[keep:] for c in self.complete_line(before) if c.startswith(before[start:begidx])]

    def completenames(self, text, line="", begidx=0, endidx=None, *ignored):
        line = line or text
        return self._complete(text, line, begidx, len(line) if endidx is None else endidx)

    def completedefault(self, text, line, begidx, endidx):
        return self._complete(text, line, begidx, endidx)

    def default(self, line: str) -> bool:
        line = line.strip()
        if line.endswith("?"):
            self.help_line(line[:-1])
            return False
        try:
            run_line(self.runner, line)
        except SystemExit:
            return True
        return False

    def help_line(self, line: str) -> None:
        """birdc-style `?`: echo the line, then list what may follow."""
        print(f"{self.prompt}{line}?")
        words = shlex.split(line)
        partial = "" if not line or line.endswith(" ") else words.pop()
        node = TREE
        for word in words:
            found, _candidates = match_keyword(word, node.children)
            if found is None:
                slots = [n for n in node.children if n.kind is not None]
                if not slots:
                    print(f"  (unknown word {word!r})")
                    return
                found = slots[0]
            node = found
        if node.run == "watch_events":
            print(f"  {WATCH_HELP}")
            return
        for child in node.children:
            if child.word.startswith(partial) or child.kind is not None:
                print(f"  {child.word:<14} {child.help}")
        if node.run is not None:
            print("  <enter>        run it")

    def do_help(self, arg: str) -> None:  # cmd's own help lists do_* methods; ours lists the tree
        self.default("help")

    def emptyline(self) -> bool:
        return False

    def do_EOF(self, arg: str) -> bool:
        print()
        return True
