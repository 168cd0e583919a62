"""The one error family users see: each carries what is wrong and what to do."""

from __future__ import annotations

from collections.abc import Sequence


class K8smError(Exception):
    """A failure shown to the user as one clear message, never as a traceback."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message}; {self.hint}" if self.hint else self.message


class TopologyError(K8smError):
    """hosts.yaml is missing, unreadable or invalid; lists every problem at once."""

    def __init__(self, source: str, problems: Sequence[str]) -> None:
        self.source = source
        self.problems = list(problems)
        if len(self.problems) == 1:
            message = f"{source}: {self.problems[0]}"
        else:
            lines = "\n".join(f"  - {p}" for p in self.problems)
            message = f"{source} has {len(self.problems)} problems:\n{lines}"
        super().__init__(message)


class EngineError(K8smError):
    """The Docker engine is unreachable or refused an operation."""


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
