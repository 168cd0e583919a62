"""What every task shares: the error boundary, the topology, the target, output."""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from invoke import Exit, task

from k8sm.errors import EngineError, HostUnreachable, K8smError
from k8sm.tasks._args import K8smTask

if TYPE_CHECKING:
    from invoke import Context

    from k8sm.target import Target, Where
    from k8sm.topology import Lab

F = TypeVar("F", bound=Callable[..., Any])


def k8sm_task(*, unreachable_code: int = 1, **kwargs: Any) -> Callable[[F], Any]:
    """invoke's @task, plus: a K8smError or engine failure becomes one line on stderr and exit 1.

    unreachable_code: the exit code when the target's SSH host or Docker engine cannot be
    reached (`status` gives that its own code). Set K8SM_DEBUG=1 to see the traceback instead.
    """

    def decorate(fn: F) -> Any:
        @functools.wraps(fn)
        def guarded(c: Context, *args: Any, **kw: Any) -> Any:
            try:
                try:
                    _open_if_remote(c)
                except K8smError as exc:  # the SSH host cannot be reached or refuses us
                    raise HostUnreachable(exc.message, exc.hint) from None
                return fn(c, *args, **kw)
            except K8smError as exc:
                if os.environ.get("K8SM_DEBUG"):
                    raise
                code = unreachable_code if isinstance(exc, (EngineError, HostUnreachable)) else 1
                raise Exit(f"k8sm: {exc}", code=code) from None
            except KeyboardInterrupt:
                raise Exit("k8sm: interrupted; running the task again finishes the job", code=130) from None
            except Exception as exc:
                from k8sm.engine.errors import engine_error, is_engine_exception

                if not is_engine_exception(exc) or os.environ.get("K8SM_DEBUG"):
                    raise
                raise Exit(f"k8sm: {engine_error(exc)}", code=unreachable_code) from None

        kwargs.setdefault("auto_shortflags", False)  # short flags that never shift as options are added
        return task(klass=K8smTask, **kwargs)(guarded)

    return decorate


def _open_if_remote(c: Context) -> None:
    """Connect to a remote host up front, so SSH problems are the first and only error."""
    from k8sm.target import is_remote, target_for

    if is_remote(c):
        target_for(c).open()


_labs: dict[str, Lab] = {}


def hosts_file(config: Any) -> Path:
    """$K8SM_HOSTS, else config k8sm.hosts_file, else ./hosts.yaml, else the checkout's."""
    from k8sm import topology

    return topology.default_hosts_file((config.get("k8sm") or {}).get("hosts_file"))


def lab_of(c: Context) -> Lab:
    """The topology of hosts_file(), loaded once per process."""
    from k8sm import topology

    path = hosts_file(c.config)
    key = os.path.realpath(path)  # unlike Path.resolve(), never raises (a symlink loop is load's to report)
    if key not in _labs:
        _labs[key] = topology.load(path)
    return _labs[key]


def target_of(c: Context) -> Target:
    """The machine a task runs on: local, or the -H host."""
    from k8sm.target import target_for

    return target_for(c)


def where_of(c: Context) -> Where:
    """Where the lab's nodes run: the task's machine, or, for a multi-host lab, a Placement with a Target
    per host of hosts.yaml (k8sm connects to each itself, so -H is refused there)."""
    from k8sm.placement import open_lab
    from k8sm.target import is_remote

    lab = lab_of(c)
    if not lab.multi_host:
        return target_of(c)
    if is_remote(c):
        hosts = ", ".join(h.name for h in lab.lab_hosts)
        raise K8smError(f"lab {lab.name} places its nodes on several hosts ({hosts}) and k8sm connects to each "
                        "of them itself, from hosts.yaml", "run the task without -H")
    return open_lab(c.config, lab)


def say(message: str) -> None:
    """Progress for people, on stdout, flushed at once."""
    print(message, flush=True)


def warn(message: str) -> None:
    print(f"k8sm: {message}", file=sys.stderr, flush=True)


def one_action(**flags: bool) -> str | None:
    """The one action flag that is set (--start/--kill/--status), or an error if several are."""
    chosen = [name for name, value in flags.items() if value]
    if len(chosen) > 1:
        raise K8smError(f"choose one of {', '.join('--' + n for n in flags)}, not {len(chosen)}")
    return chosen[0] if chosen else None
