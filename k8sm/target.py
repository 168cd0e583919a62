"""The one place that knows where the lab lives: a shell plus a Docker engine.

A task gets an invoke Context (or, in remote mode, a fabric Connection, which
is a Context). `target_for(ctx)` turns it into a Target: `target.sh(argv)`
runs a command on that machine with every argument quoted, and
`target.docker` is a low-level Docker API client for that machine's engine.
Nothing else in k8sm imports docker's connection machinery or decides
between local and remote.
"""

from __future__ import annotations

import shlex
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from k8sm.errors import EngineError, K8smError

if TYPE_CHECKING:
    import docker
    from invoke import Context, Result

#: Seconds a Docker API call may stay silent (builds stream, so this is per chunk).
API_TIMEOUT = 600


class Target:
    """A machine running the lab: shell commands through `ctx`, Docker through `docker`."""

    def __init__(self, ctx: Context, label: str = "local", docker_url: str | None = None) -> None:
        self.ctx = ctx
        self.label = label
        self._docker_url = docker_url
        self._client: docker.APIClient | None = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"Target({self.label})"

    @property
    def docker(self) -> docker.APIClient:
        """A connected, version-negotiated Docker API client (connects on first use)."""
        with self._lock:
            if self._client is None:
                self._client = self._connect()
            return self._client

    def _connect(self) -> docker.APIClient:
        import docker
        from docker.utils import kwargs_from_env

        where = self._docker_url or _env_docker_host() or "unix:///var/run/docker.sock"
        try:
            kwargs: dict[str, Any] = {} if self._docker_url else kwargs_from_env()
            if self._docker_url:
                kwargs["base_url"] = self._docker_url
            client = docker.APIClient(version="auto", timeout=API_TIMEOUT, **kwargs)
            client.ping()
        except Exception as exc:  # docker raises a zoo of types here
            raise engine_error(exc, where) from None
        return client

    def sh(self, argv: Sequence[str], *, hide: bool | str = False, warn: bool = False,
           env: dict[str, str] | None = None, **kwargs: Any) -> Result:
        """Run argv on the target through its shell, each argument quoted."""
        return self.ctx.run(shlex.join(argv), hide=hide, warn=warn, env=env or {}, in_stream=False, **kwargs)

    def pipeline(self, *commands: Sequence[str], hide: bool | str = False, warn: bool = False) -> Result:
        """Run `a | b | ...` on the target, each argv quoted; fails if any stage fails."""
        line = " | ".join(shlex.join(argv) for argv in commands)
        return self.ctx.run(f"set -o pipefail; {line}", hide=hide, warn=warn, in_stream=False)

    def has_command(self, name: str) -> bool:
        """Whether `name` is on the target's PATH."""
        return bool(self.sh(["sh", "-c", 'command -v "$1"', "sh", name], hide=True, warn=True).ok)

    def is_root(self) -> bool:
        result = self.sh(["id", "-u"], hide=True, warn=True)
        return result.ok and result.stdout.strip() == "0"


_targets: dict[str, Target] = {}
_targets_lock = threading.Lock()


def target_for(ctx: Context) -> Target:
    """The Target for a task's context, reused by every task of one command line."""
    label = "local"
    with _targets_lock:
        target = _targets.get(label)
        if target is None:
            target = _targets[label] = Target(ctx, label)
        else:
            target.ctx = ctx
        return target


def _env_docker_host() -> str | None:
    import os

    return os.environ.get("DOCKER_HOST")


def engine_error(exc: BaseException, where: str = "") -> K8smError:
    """Turn a docker/requests exception into one clear message with what to do."""
    text = _first_line(exc)
    lowered = text.lower()
    where = where or _env_docker_host() or "unix:///var/run/docker.sock"
    if "permission denied" in lowered:
        return EngineError(f"permission denied on the Docker engine at {where}",
                           "run as root or add your user to the 'docker' group")
    if any(s in lowered for s in ("connection refused", "no such file", "connection aborted", "failed to establish",
                                  "error while fetching server api version", "max retries exceeded",
                                  "connection reset")):
        return EngineError(f"cannot reach the Docker engine at {where}",
                           "start it (`systemctl start docker`, or `dockerd &` where there is no systemd) "
                           "or point DOCKER_HOST at a running one")
    if "read timed out" in lowered or "timed out" in lowered:
        return EngineError(f"the Docker engine at {where} did not answer in time ({text})",
                           "check that it is healthy (`docker info`)")
    return EngineError(f"Docker engine error: {text}")


def _first_line(exc: BaseException) -> str:
    explanation = getattr(exc, "explanation", None)
    text = str(explanation or exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def is_engine_exception(exc: BaseException) -> bool:
    """Whether exc came from the Docker SDK or its HTTP transport."""
    module = type(exc).__module__ or ""
    return module.startswith(("docker.", "requests.", "urllib3.", "paramiko."))
