"""The one error family users see: each carries what is wrong and what to do."""

from __future__ import annotations

import reprlib
from collections.abc import Sequence
from typing import Any

#: At most this many of a file's problems are listed; the rest are counted.
MAX_PROBLEMS = 20
#: Characters of one problem line (a last bound: quoted values are bounded already).
MAX_LINE = 300

_REPR = reprlib.Repr()
_REPR.maxlevel, _REPR.maxlist, _REPR.maxtuple, _REPR.maxdict, _REPR.maxset = 2, 4, 4, 4, 4
_REPR.maxstring = _REPR.maxother = _REPR.maxlong = 60


def shown(value: Any, limit: int = 60) -> str:
    """repr(value) in at most `limit` characters, ending in '…' when cut; huge values are never expanded."""
    try:
        text = repr(value[: limit + 1]) if isinstance(value, str) else _REPR.repr(value)
    except (ValueError, RecursionError):  # an int too long to print, a pathological structure
        text = f"<{type(value).__name__}>"
    return text if len(text) <= limit else text[: limit - 1] + "…"


def first_line(exc: BaseException) -> str:
    """The first line of an exception's explanation (a Docker API error's own) or text, else its type's name."""
    explanation = getattr(exc, "explanation", None)
    text = str(explanation or exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def clip(text: str, limit: int = MAX_LINE) -> str:
    """text as one printable line of at most `limit` characters (control characters escaped)."""
    printable = "".join(c if c.isprintable() else repr(c)[1:-1] for c in text[: limit + 1])
    return printable if len(printable) <= limit else printable[: limit - 1] + "…"


class K8smError(Exception):
    """A failure shown to the user as one clear message, never as a traceback."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message}; {self.hint}" if self.hint else self.message


class TopologyError(K8smError):
    """hosts.yaml is missing, unreadable or invalid; lists every problem at once (the first MAX_PROBLEMS)."""

    def __init__(self, source: str, problems: Sequence[str]) -> None:
        self.source = source
        self.problems = list(problems)
        name = clip(source, 200)
        lines = [clip(p) for p in self.problems[:MAX_PROBLEMS]]
        if len(self.problems) == 1:
            message = f"{name}: {lines[0]}"
        else:
            more = len(self.problems) - len(lines)
            lines += [f"and {more} more"] if more else []
            message = f"{name} has {len(self.problems)} problems:\n" + "\n".join(f"  - {line}" for line in lines)
        super().__init__(message)


class EngineError(K8smError):
    """The Docker engine is unreachable or refused an operation."""


class HostUnreachable(K8smError):
    """A host the lab runs on cannot be reached over SSH, or refused the connection."""


class ImageMissing(K8smError):
    """An image the lab needs is not on the engine."""


class ExecError(K8smError):
    """A command inside a lab container failed."""

    def __init__(self, node: str, argv: Sequence[str], exit_code: int, output: str) -> None:
        tail = "\n".join(output.strip().splitlines()[-8:])
        cmd = " ".join(argv)
        message = f"{node}: `{cmd}` exited with {exit_code}"
        if tail:
            message += f"; last output:\n{tail}"
        super().__init__(message)
        self.node = node
        self.argv = list(argv)
        self.exit_code = exit_code
        self.output = output


class DaemonError(K8smError):
    """A lab daemon did not start, stop or become healthy."""
