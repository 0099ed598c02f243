"""VPP's debug-CLI parser: how ``vlib_cli_input`` reads a command line and dispatches it.

Pure: a command line in, the CLI's output text and retval out. It reproduces the behaviour
docs/vppsim.md#cli_inband-text describes: words match sub-commands by unique prefix (an exact
word wins over longer ones), a command whose sub-commands do not match runs its own function
with the rest of the line, the root loop dispatches again until the input is used up, and an
error ends the output with ``path: unknown input `rest'`` and retval -1.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Set, Tuple

# unformat's index once the input is exhausted: it sticks, so a failed parse that ran into
# the end does not rewind (docs/vppsim.md#cli_inband-text).
END = -1
WHITE = " \t\n\r"
# Shown of the unparsed input in an error message, then "..." (format_unformat_error).
ERROR_INPUT_CHARS = 30


class CliInput:
    """An unformat_input_t over one command string."""

    def __init__(self, text: str) -> None:
        self.buffer = text
        self.index = 0

    def at_end(self) -> bool:
        """unformat_check_input: true (and the index sticks at END) once exhausted."""
        if self.index != END and self.index >= len(self.buffer):
            self.index = END
        return self.index == END

    def get(self) -> Optional[str]:
        """The next character, or None at the end."""
        if self.at_end():
            return None
        char = self.buffer[self.index]
        self.index += 1
        return char

    def skip_white(self) -> int:
        count = 0
        while True:
            char = self.get()
            if char is None:
                return count
            if char not in WHITE:
                self.index -= 1
                return count
            count += 1

    def parse(self, parser: Callable[[CliInput], bool]) -> bool:
        """unformat_user: on failure the index goes back, unless the input ran out."""
        mark = self.index
        if parser(self):
            return True
        if self.index != END:
            self.index = mark
        return False

    def word(self, literal: str) -> bool:
        """unformat(input, "literal"): a prefix match (``verbosely`` matches ``verbose``)
        that also eats the white space after it; any failure rewinds."""
        mark = self.index
        self.skip_white()
        for expected in literal:
            if self.get() != expected:
                self.index = mark
                return False
        self.skip_white()
        return True

    def eof(self) -> bool:
        """unformat(input, "%U", unformat_eof): only white space is left."""
        mark = self.index
        self.skip_white()
        if self.at_end():
            return True
        self.index = mark
        return False

    def line(self) -> Optional[str]:
        """unformat_line_input: the rest of the line; None (and a rewind) when it is empty."""

        def read(source: CliInput) -> bool:
            chars: List[str] = []
            while True:
                char = source.get()
                if char is None or char == "\n":
                    break
                chars.append(char)
            found.append("".join(chars))
            return bool(chars)

        found: List[str] = []
        return found[0] if self.parse(read) else None

    def error_text(self) -> str:
        """format_unformat_error: what is left, at most 30 characters then ``...``."""
        if self.index == END or self.index >= len(self.buffer):
            return ""
        rest = self.buffer[self.index :]
        shown = rest[:ERROR_INPUT_CHARS]
        if len(rest) <= ERROR_INPUT_CHARS:
            shown = shown.rstrip(WHITE)
        shown = shown.replace("\r", "\\r").replace("\n", "\\n").replace("\t", "\\t")
        return shown + ("..." if len(rest) > ERROR_INPUT_CHARS else "")


# A command's function: reads what it wants of the input, appends output, returns an error
# message (VPP's clib_error_t) or None.
Function = Callable[[CliInput, "Output"], Optional[str]]


class Output:
    """What the command printed: vlib_cli_output ends each call with a newline if it has none."""

    def __init__(self) -> None:
        self.parts: List[str] = []

    def write(self, text: str) -> None:
        if text and not text.endswith("\n"):
            text += "\n"
        self.parts.append(text)

    def text(self) -> str:
        return "".join(self.parts)


@dataclass
class Command:
    """One node of the command tree: ``path`` is the full command ("" for the root)."""

    path: str
    function: Optional[Function] = None
    subs: Dict[str, Command] = field(default_factory=dict)

    def add(self, path: str, function: Optional[Function]) -> None:
        """Register ``path`` (words from this node) with its function, creating the nodes
        between, as VLIB_CLI_COMMAND does."""
        node = self
        for word in path.split():
            if word not in node.subs:
                node.subs[word] = Command((node.path + " " + word).strip())
            node = node.subs[word]
        node.function = function


def _sub_command(parent: Command, source: CliInput) -> Optional[Command]:
    """vlib_cli_sub_command_match: the one sub-command the next word abbreviates, else None."""
    source.skip_white()
    candidates: Optional[Set[str]] = None
    position = 0
    while True:
        char = source.get()
        if char is not None and ((char.isascii() and char.isalnum()) or char in "-_"):
            pool = parent.subs if candidates is None else candidates
            candidates = {name for name in pool if len(name) > position and name[position] == char}
            if not candidates:
                return None
            position += 1
            continue
        if char is None or char in WHITE:
            if candidates is not None and len(candidates) > 1:
                candidates = {name for name in candidates if len(name) == position}
        else:
            source.index -= 1
        break
    if candidates is None or len(candidates) != 1:
        return None
    return parent.subs[next(iter(candidates))]


def _unknown(parent: Command, source: CliInput) -> str:
    if parent.path:
        return "%s: unknown input `%s'" % (parent.path, source.error_text())
    return "unknown input `%s'" % source.error_text()


def dispatch(parent: Command, source: CliInput, out: Output) -> Optional[str]:
    """vlib_cli_dispatch_sub_commands: run the command the input names below ``parent``."""
    found: List[Command] = []

    def match(src: CliInput) -> bool:
        command = _sub_command(parent, src)
        if command is not None:
            found.append(command)
        return command is not None

    if not source.parse(match):
        return _unknown(parent, source)
    command = found[0]
    # unformat_vlib_cli_sub_input: a "{ ... }" block would be the sub-input (not simulated);
    # looking for it eats the white space, and rewinds unless the input ran out.
    source.parse(lambda src: src.skip_white() < 0)
    error = dispatch(command, source, out) if command.subs else None
    if command.subs and error is None:
        return None
    if command.function is not None:
        source.skip_white()
        failure = command.function(source, out)
        return None if failure is None else "%s: %s" % (command.path, failure)
    return error or "%s: no sub-commands" % command.path


def run_line(root: Command, text: str) -> Tuple[str, int]:
    """vlib_cli_input as cli_inband calls it: (output text, retval). Commands run one after
    another until the input is used up; the first error is printed last and makes retval -1."""
    source = CliInput(text)
    out = Output()
    while True:
        error = dispatch(root, source, out)
        if error is not None or source.eof():
            break
    if error is not None:
        out.write(error)
        return out.text(), -1
    return out.text(), 0
