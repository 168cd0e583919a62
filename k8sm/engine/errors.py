"""The one place where foreign exceptions (docker, requests, urllib3) become k8sm's errors.

`translate(exc, what, where)` is the whole mapping; `translated(...)` applies it to a block and
`call(...)` to one request. SSH failures (paramiko) are worded in k8sm.ssherrors, the one place
for those; an engine reached over SSH that fails is diagnosed by k8sm.engine.client.
Nothing here imports the Docker SDK until an exception has to be recognised.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from k8sm.errors import EngineError, K8smError, first_line

T = TypeVar("T")


class EngineRefused(K8smError):
    """The engine answered a request with an error (it is reachable); `detail` is its explanation."""

    def __init__(self, message: str, detail: str, hint: str | None = None, status: int | None = None) -> None:
        super().__init__(message, hint)
        self.detail = detail
        self.status = status


class NotFound(EngineRefused):
    """The engine has no such object (container, image, network, volume)."""


class ContainerUnavailable(K8smError):
    """An exec found its container missing ("missing") or not running ("stopped")."""

    def __init__(self, container: str, state: str) -> None:
        super().__init__(f"container {container} is {'not there' if state == 'missing' else 'not running'}")
        self.container = container
        self.state = state


def unavailable_state(text: str, status: int | None = None) -> str | None:
    """"missing" or "stopped" when an engine's answer to an exec says its container is so, else None.

    The one reader of these answers, whichever way the exec went (the API's error, the CLI's output).
    """
    lowered = text.lower()
    if status == 404 or "no such container" in lowered:
        return "missing"
    if status == 409 or "is not running" in lowered:
        return "stopped"
    return None


def is_engine_exception(exc: BaseException) -> bool:
    """Whether exc came from the Docker SDK or its HTTP transport.

    paramiko's errors are not: they are SSH failures (ssh_error), reported as such by the k8sm program.
    """
    module = type(exc).__module__ or ""
    return module.startswith(("docker.", "requests.", "urllib3."))


def default_where() -> str:
    """The engine this machine's Docker SDK talks to."""
    return os.environ.get("DOCKER_HOST") or "unix:///var/run/docker.sock"


def engine_error(exc: BaseException, where: str = "") -> K8smError:
    """Turn a docker/requests exception into one clear message with what to do."""
    text = first_line(exc)
    lowered = text.lower()
    where = where or default_where()
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


def translate(exc: BaseException, what: str = "", where: str = "") -> K8smError | None:
    """exc as k8sm's error, or None if it is not the engine's.

    An answer of the engine (docker.errors.APIError) becomes EngineRefused (NotFound for a 404)
    worded "WHAT on WHERE: explanation" (with no what, as engine_error words it); anything else
    from the SDK or its transport becomes engine_error's EngineError.
    """
    if not is_engine_exception(exc):
        return None
    import docker.errors

    if isinstance(exc, docker.errors.APIError):
        detail = str(exc.explanation or exc).strip()
        status = exc.status_code
        kind = NotFound if isinstance(exc, docker.errors.NotFound) or status == 404 else EngineRefused
        if what:
            return kind(f"{what} on {where or default_where()}: {detail.splitlines()[0] if detail else exc}",
                        detail, status=status)
        plain = engine_error(exc, where)
        return kind(plain.message, detail, plain.hint, status=status)
    return engine_error(exc, where)


@contextlib.contextmanager
def translated(what: str = "", where: str = "") -> Iterator[None]:
    """Within the block, an engine exception is raised as translate makes it (others pass unchanged)."""
    try:
        yield
    except Exception as exc:
        error = translate(exc, what, where)
        if error is None:
            raise
        raise error from None


def call(where: str, what: str, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """fn(*args, **kwargs), its engine exceptions translated (see translate)."""
    with translated(what, where):
        return fn(*args, **kwargs)
