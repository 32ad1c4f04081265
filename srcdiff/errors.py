"""One exception family for problems in user code, each pointing at the source."""
from dataclasses import dataclass
from typing import Optional


@dataclass(frozen=True)
class Loc:
    """Where a construct sits in the user's file (1-based line, 0-based column)."""

    filename: str
    line: int
    col: int = 0
    text: str = ""

    def __str__(self):
        return f"{self.filename}:{self.line}"


DEFAULT_HINT = "hint: grammar.md lists what srcdiff differentiates, and how to rewrite the rest."


class SrcdiffError(Exception):
    """Base class: the message names file, line and construct and says what to do."""

    def __init__(self, message: str, loc: Optional[Loc] = None, hint: str = ""):
        self.message = message
        self.loc = loc
        if hint and not hint.startswith("hint:"):
            hint = "hint: " + hint
        self.hint = hint or (DEFAULT_HINT if loc is not None else "")
        super().__init__(self._render())

    def _render(self):
        parts = []
        head = f"{self.loc}: " if self.loc else ""
        parts.append(head + self.message)
        if self.loc and self.loc.text:
            parts.append("    " + self.loc.text.rstrip())
            parts.append("    " + " " * self.loc.col + "^")
        if self.hint:
            parts.append(self.hint)
        return "\n".join(parts)


class UnsupportedSyntaxError(SrcdiffError):
    """A Python construct outside the subset srcdiff differentiates (see grammar.md)."""


class UnknownCallableError(SrcdiffError):
    """A call to something with neither Python source nor a registered rule."""


class NonDifferentiableError(SrcdiffError):
    """A construct srcdiff understands but cannot differentiate as written."""


class SourceUnavailableError(SrcdiffError):
    """inspect could not find the function's source (built-ins, exec'd strings, the REPL)."""
