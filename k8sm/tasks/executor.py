"""Hands the arguments after `--` to the kubectl task, exactly as typed.

Invoke keeps the text after `--` only as one space-joined string, which would
lose quoting (`-l 'app in (a, b)'`). The executors of `invoke` (through
invoke.yaml's tasks.executor_class) and of `k8sm` take the argv list itself.
"""

from __future__ import annotations

import sys
from typing import Any

import invoke
from invoke import Exit

#: The only task that accepts arguments after `--`.
TAKES_REMAINDER = "kubectl"


def args_after_dashes(argv: list[str]) -> list[str]:
    """The arguments after the first `--`, as invoke's parser splits them."""
    return argv[argv.index("--") + 1:] if "--" in argv else []


def override(config: Any, section: str, key: str, value: Any) -> None:
    """Set config section.key at the overrides level, which outlives the collection config each call
    merges in. The ONE place k8sm touches Invoke's private Config._overrides: Invoke's public
    load_overrides replaces the whole level (dropping -e, -w, --hide, Fabric's connect_kwargs), and
    Fabric's own Fab.update_config writes _overrides the same way. Used by cli.K8smProgram (prompted
    secrets, --accept-host-key), cli.K8smExecutor (swarm hosts) and RemainderMixin (`--` arguments)."""
    config._overrides.setdefault(section, {})[key] = value
    config.merge()


class RemainderMixin:
    """Stores the `--` arguments in config k8sm.remainder, for the kubectl task only."""

    core: Any
    config: Any

    def take_remainder(self, tasks: tuple[Any, ...]) -> None:
        args = args_after_dashes(sys.argv) if self.core and self.core.remainder else []
        names = {getattr(t, "name", t if isinstance(t, str) else "") for t in tasks}
        if args and TAKES_REMAINDER not in names:
            raise Exit(f"k8sm: text after -- is passed only to `{TAKES_REMAINDER}` "
                       f"(e.g. invoke {TAKES_REMAINDER} -- get pods)", code=1)
        override(self.config, "k8sm", "remainder", args)
        if self.core:
            self.core.remainder = ""  # Fabric would run it as a shell command on every host


class Executor(RemainderMixin, invoke.Executor):
    """invoke's executor for this checkout (see invoke.yaml)."""

    def execute(self, *tasks: Any) -> dict[Any, Any]:
        from k8sm.target import close_all

        self.take_remainder(tasks)
        try:
            return super().execute(*tasks)
        finally:
            close_all()  # a multi-host lab's SSH connections
