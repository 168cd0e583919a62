"""The one place that knows where the lab lives: a shell plus a Docker engine.

A task gets an invoke Context (or, in remote mode, a fabric Connection, which
is a Context). `target_for(ctx)` turns it into a Target: `target.sh(argv)`
runs a command on that machine with every argument quoted, and
`target.docker` is a low-level Docker API client for that machine's engine.
Nothing else in k8sm imports docker's connection machinery or decides
between local and remote.
"""

from __future__ import annotations

import secrets
import shlex
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol

from k8sm.errors import EngineError, K8smError, first_line
from k8sm.execwire import REPORT_EXIT, ExecResult, Job, batch_script, parse_batch, split_exit

# Re-exported for the callers of before: SSH failures are worded in k8sm.ssherrors.
from k8sm.ssherrors import _known_hosts_name as _known_hosts_name
from k8sm.ssherrors import ssh_error as ssh_error

if TYPE_CHECKING:
    from docker import APIClient
    from invoke import Context, Result

    from k8sm.topology import Node

#: Seconds a Docker API call may stay silent (builds stream, so this is per chunk).
API_TIMEOUT = 600
#: Parallel execs on a local engine (remote targets batch them in one SSH session instead).
EXEC_WORKERS = 6


class ContainerUnavailable(K8smError):
    """An exec found its container missing ("missing") or not running ("stopped")."""

    def __init__(self, container: str, state: str) -> None:
        super().__init__(f"container {container} is {'not there' if state == 'missing' else 'not running'}")
        self.container = container
        self.state = state


class Target:
    """A machine running the lab: shell commands through `ctx`, Docker through `docker`."""

    def __init__(self, ctx: Context, label: str = "local") -> None:
        self.ctx = ctx
        self.label = label
        self._client: APIClient | None = None
        self._lock = threading.RLock()

    def __repr__(self) -> str:
        return f"Target({self.label})"

    @property
    def docker(self) -> APIClient:
        """A connected, version-negotiated Docker API client (connects on first use)."""
        with self._lock:
            if self._client is None:
                self._client = self._connect()
            return self._client

    def _connect(self) -> APIClient:
        _import_docker_without_ssh()
        from docker import APIClient
        from docker.utils import kwargs_from_env

        where = _env_docker_host() or "unix:///var/run/docker.sock"
        try:
            client = APIClient(version="auto", timeout=API_TIMEOUT, **kwargs_from_env())
            client.ping()
        except Exception as exc:  # docker raises a zoo of types here
            raise engine_error(exc, where) from None
        return client

    def containers(self, filters: dict[str, str]) -> list[dict[str, Any]]:
        """Every container matching filters, running or not (one engine request). A local engine is
        asked over its socket directly until the SDK is loaded anyway: importing it costs more."""
        from k8sm import engineapi

        path = engineapi.local_socket()
        plain = type(self)._connect is Target._connect  # this machine's engine, not another way to one
        if path is None or self._client is not None or not plain:
            return self.docker.containers(all=True, filters=filters)
        try:
            return engineapi.containers(engineapi.unix_socket(path, API_TIMEOUT), filters, API_TIMEOUT)
        except OSError as exc:
            raise engine_error(exc, f"unix://{path}") from None

    def exec_each(self, jobs: Sequence[Job]) -> list[ExecResult]:
        """Run each argv in its container, in parallel, through the Docker API.

        Raises ContainerUnavailable for the first container that is missing or stopped.
        """
        from k8sm import parallel

        # execs mostly wait on the containers: more of them at once than for other engine work
        outcomes = parallel.each(lambda job: self._exec_api(*job), jobs, workers=EXEC_WORKERS)
        for o in outcomes:  # the first failure as it is: exec_on names its node
            if o.error is not None:
                raise o.error
        return [o.value for o in outcomes if o.value is not None]

    def _exec_api(self, container: str, argv: Sequence[str]) -> ExecResult:
        import docker.errors

        api = self.docker
        try:
            exec_id = api.exec_create(container, [*REPORT_EXIT, *argv])
            raw = api.exec_start(exec_id)
        except docker.errors.NotFound:
            raise ContainerUnavailable(container, "missing") from None
        except docker.errors.APIError as exc:
            if exc.status_code == 409 or "is not running" in str(exc.explanation or exc).lower():
                raise ContainerUnavailable(container, "stopped") from None
            raise engine_error(exc) from None
        except Exception as exc:
            if not is_engine_exception(exc):
                raise
            raise engine_error(exc) from None
        return split_exit(raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw))

    def sh(self, argv: Sequence[str], *, hide: bool | str = False, warn: bool = False, **kwargs: Any) -> Result:
        """Run argv on the target through its shell, each argument quoted."""
        return _ran(self.ctx.run(shlex.join(argv), hide=hide, warn=warn, in_stream=False, **kwargs))

    def attach(self, argv: Sequence[str], *, tty: bool) -> int:
        """Run argv with this terminal attached (stdin streamed in, a pty if tty); its exit code."""
        return int(_ran(self.ctx.run(shlex.join(argv), pty=tty, warn=True, hide=False)).exited)

    def pipeline(self, *commands: Sequence[str], hide: bool | str = False, warn: bool = False) -> Result:
        """Run `a | b | ...` on the target, each argv quoted; fails if any stage fails (bash's pipefail)."""
        line = " | ".join(shlex.join(argv) for argv in commands)
        return self.sh(["bash", "-c", f"set -o pipefail; {line}"], hide=hide, warn=warn)

    def has_command(self, name: str) -> bool:
        """Whether `name` is on the target's PATH."""
        return bool(self.sh(["sh", "-c", 'command -v "$1"', "sh", name], hide=True, warn=True).ok)

    def is_root(self) -> bool:
        result = self.sh(["id", "-u"], hide=True, warn=True)
        return result.ok and result.stdout.strip() == "0"

    def for_node(self, node: Node) -> Target:
        """The machine that runs node: this one (a multi-host lab's Placement answers per node)."""
        return self

    def open(self) -> None:
        """Make sure the target is reachable; a no-op for the local machine."""

    def open_tcp(self, ip: str, port: int, timeout: float) -> Any:
        """A TCP connection from the engine's machine to ip:port (a lab container's address), socket-like.

        Local: straight there (the host routes to its Docker networks). An engine elsewhere
        (DOCKER_HOST) is refused: its containers' addresses mean nothing from here.
        """
        import socket

        if (_env_docker_host() or "unix://").split("://", 1)[0] not in ("unix", ""):
            raise ConnectionRefusedError("the engine is not on this machine")
        return socket.create_connection((ip, port), timeout=timeout)

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None


class Where(Protocol):
    """Where a lab's nodes run: one Target, or a k8sm.placement.Placement with a Target per host.

    Node-level code (execs, files, daemons) needs only this: run execs in named containers, the
    Target of a node, and a TCP connection to a node's address (network probes).
    """

    @property
    def label(self) -> str: ...

    def exec_each(self, jobs: Sequence[Job]) -> list[ExecResult]: ...

    def for_node(self, node: Node) -> Target: ...

    def open_tcp(self, ip: str, port: int, timeout: float) -> Any: ...


#: Seconds to wait for an SSH host when neither -t nor the SSH config says.
DEFAULT_CONNECT_TIMEOUT = 10
#: The SSH reason code of a channel the server's configuration forbids (e.g. AllowTcpForwarding no).
ADMINISTRATIVELY_PROHIBITED = 1


class RemoteTarget(Target):
    """A physical host over SSH: shell through the Fabric connection, Docker through the same connection."""

    def __init__(self, conn: Any, label: str) -> None:
        super().__init__(conn, label)
        self._opened = False
        self._tcp_refused = False  # the server said it forwards no TCP connections
        self._unix_refused = False  # its engine socket could not be used through a channel

    @property
    def timeout(self) -> int:
        return int(self.ctx.connect_timeout or self.ctx.connect_kwargs.get("timeout") or DEFAULT_CONNECT_TIMEOUT)

    def open(self) -> None:
        """Connect, checking the host key of every hop (ProxyJump hosts too) against known_hosts."""
        import logging

        from k8sm.sshconnect import open_all

        # paramiko logs transport failures to stderr on its own; k8sm reports them as one line.
        logging.getLogger("paramiko").setLevel(logging.CRITICAL)
        with self._lock:
            if self._opened and self.ctx.is_connected:
                return
            accept = bool(self.ctx.config.get("k8sm", {}).get("accept_host_key"))
            open_all(self.ctx, self.label, accept, self.timeout)
            self._opened = True

    def open_tcp(self, ip: str, port: int, timeout: float) -> Any:
        """A `direct-tcpip` channel of the SSH connection: the host connects to ip:port for us.

        No session and no shell on the host; a server that forbids forwarding
        (AllowTcpForwarding no) is asked once, and every later call is refused at once.
        """
        import paramiko

        if self._tcp_refused:
            raise ConnectionRefusedError(f"{self.label} does not forward TCP connections")
        self.open()
        try:
            return self.ctx.client.get_transport().open_channel(
                "direct-tcpip", (ip, port), ("127.0.0.1", 0), timeout=timeout)
        except paramiko.ChannelException as exc:
            if exc.code == ADMINISTRATIVELY_PROHIBITED:
                self._tcp_refused = True
            raise

    def containers(self, filters: dict[str, str]) -> list[dict[str, Any]]:
        """The containers matching filters. Until the SDK is connected anyway, they are read from the
        host's engine socket through an SSH channel (direct-streamlocal: the SDK's import is spared)
        and kept if the host's docker CLI, the engine k8sm uses there, lists the same ones; else,
        and where the server refuses that channel, they are asked through the SDK."""
        from concurrent.futures import ThreadPoolExecutor

        if self._client is None and not self._unix_refused:
            self.open()
            with ThreadPoolExecutor(max_workers=1) as pool:  # the CLI's session and the socket's channel at once
                listed = pool.submit(self._cli_lists, filters)
                found = self._containers_by_socket(filters)
                if found and listed.result() == {c["Id"] for c in found}:
                    return found
            self._unix_refused = True
        return self.docker.containers(all=True, filters=filters)

    def _containers_by_socket(self, filters: dict[str, str]) -> list[dict[str, Any]]:
        """The containers as the engine at the host's default socket lists them; [] where it cannot be read."""
        import http.client

        import paramiko

        from k8sm import engineapi

        opener = getattr(self.ctx.client.get_transport(), "open_unix_socket", None)  # k8sm's transport has it
        if opener is None:
            return []
        try:
            return engineapi.containers(lambda: opener(engineapi.DEFAULT_SOCKET, timeout=self.timeout),
                                        filters, API_TIMEOUT)
        except (paramiko.SSHException, EngineError, OSError, ValueError, http.client.HTTPException):
            return []

    def _cli_lists(self, filters: dict[str, str]) -> set[str] | None:
        """The IDs of the containers the host's docker CLI lists for filters (one session); None if it fails."""
        argv = ["docker", "ps", "--all", "--quiet", "--no-trunc", *(f"--filter={k}={v}" for k, v in filters.items())]
        result = self.sh(argv, hide=True, warn=True)
        return set(result.stdout.split()) if result.ok else None

    def _connect(self) -> APIClient:
        from k8sm.sshdocker import api_client

        self.open()
        try:
            return api_client(self.ctx.client, self.ctx.open, API_TIMEOUT)
        except Exception as exc:
            if not is_engine_exception(exc) and not isinstance(exc, OSError):
                raise
            raise self._diagnose_engine() from None

    def exec_each(self, jobs: Sequence[Job]) -> list[ExecResult]:
        """All the execs in ONE SSH session: `docker exec` for each, in parallel, on the host.

        Every attached exec through the API costs a new SSH channel (about 0.1 s each, serialised
        by sshd); a batch costs one, whatever the number of jobs.
        """
        if not jobs:
            return []
        self.open()
        boundary = f"@@k8sm-job-{secrets.token_hex(8)}"
        result = self.sh(["sh", "-c", batch_script(jobs, boundary)], hide=True, warn=True)
        if not result.ok and boundary not in result.stdout:
            raise EngineError(f"running commands in the lab's containers on {self.label} failed: "
                              f"{first_line(Exception(result.stderr or result.stdout))}")
        results = parse_batch(result.stdout, boundary, len(jobs))
        for (container, _), r in zip(jobs, results, strict=True):
            if r.exit_code != 0 and r.output.startswith("Error response from daemon:"):
                text = r.output.lower()
                if "no such container" in text:
                    raise ContainerUnavailable(container, "missing")
                if "is not running" in text:
                    raise ContainerUnavailable(container, "stopped")
                raise EngineError(f"{container}: {r.output.strip()}")
        return results

    def _diagnose_engine(self) -> K8smError:
        """Why `docker system dial-stdio` found no engine, asked of the remote docker CLI."""
        result = self.sh(["docker", "version", "--format", "{{.Server.Version}}"], hide=True, warn=True)
        text = f"{result.stdout}\n{result.stderr}".lower()
        user = self.ctx.user
        if result.exited == 127 or "not found" in text:
            return EngineError(f"the docker CLI is not installed on {self.label}",
                               "install docker.io there; k8sm reaches the engine with `docker system dial-stdio`")
        if "permission denied" in text:
            return EngineError(f"permission denied on the Docker socket of {self.label}",
                               f"add {user} to the 'docker' group there (usermod -aG docker {user}) or connect as root")
        if "cannot connect to the docker daemon" in text or "is the docker daemon running" in text:
            return EngineError(f"no Docker engine is running on {self.label}",
                               "start it there (`systemctl start docker`)")
        detail = (result.stderr or result.stdout).strip().splitlines()
        return EngineError(f"cannot use the Docker engine on {self.label}"
                           f"{': ' + detail[-1] if detail else ''}")

    def close(self) -> None:
        super().close()
        self.ctx.close()


def _ran(result: Result | None) -> Result:
    """Context.run's result: None only for a disowned command, which k8sm never runs."""
    if result is None:
        raise RuntimeError("the command was disowned: no result")
    return result


_targets: dict[str, Target] = {}
_targets_lock = threading.Lock()


def is_remote(ctx: Context) -> bool:
    """Whether ctx is a Fabric Connection (checked without importing Fabric)."""
    return type(ctx).__module__.startswith("fabric") and hasattr(ctx, "host")


def target_for(ctx: Context) -> Target:
    """The Target for a task's context, reused by every task on the same machine in one command line."""
    label = f"{ctx.user}@{ctx.host}:{ctx.port}" if is_remote(ctx) else "local"
    with _targets_lock:
        target = _targets.get(label)
        if target is None:
            target = RemoteTarget(ctx, label) if is_remote(ctx) else Target(ctx, label)
            _targets[label] = target
        elif not is_remote(ctx):
            target.ctx = ctx
        return target


def close_all() -> None:
    """Close every connection this process opened."""
    with _targets_lock:
        for target in _targets.values():
            target.close()
        _targets.clear()


def _import_docker_without_ssh() -> None:
    """Import the docker SDK without its ssh:// transport, which pulls in paramiko (~50 ms).

    Local targets never use it; remote ones import paramiko (through Fabric) first, and
    k8sm.sshdocker imports docker's ssh adapter module directly.
    """
    import sys

    if "docker" in sys.modules or "paramiko" in sys.modules:
        return
    sys.modules["paramiko"] = None  # type: ignore[assignment]  # makes docker skip its ssh transport
    try:
        import docker  # noqa: F401
    finally:
        del sys.modules["paramiko"]


def _env_docker_host() -> str | None:
    import os

    return os.environ.get("DOCKER_HOST")


def engine_error(exc: BaseException, where: str = "") -> K8smError:
    """Turn a docker/requests exception into one clear message with what to do."""
    text = first_line(exc)
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


def is_engine_exception(exc: BaseException) -> bool:
    """Whether exc came from the Docker SDK or its HTTP transport.

    paramiko's errors are not: they are SSH failures (ssh_error), reported as such by the k8sm program.
    """
    module = type(exc).__module__ or ""
    return module.startswith(("docker.", "requests.", "urllib3."))
