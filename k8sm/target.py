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
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from k8sm.errors import EngineError, HostUnreachable, K8smError

if TYPE_CHECKING:
    from docker import APIClient
    from invoke import Context, Result

    from k8sm.topology import Node

#: Seconds a Docker API call may stay silent (builds stream, so this is per chunk).
API_TIMEOUT = 600

#: Printed after an exec'd command's own output, followed by its exit code.
EXIT_MARK = "\n@@k8sm-exit "
#: Runs "$@" and reports its exit code after its output, without a shell parsing any argument.
#: This saves the exec-inspect request: an attached exec uses up its connection, and over
#: SSH every new connection is a new channel.
REPORT_EXIT = ("sh", "-c", '"$@"; printf "\\n@@k8sm-exit %d\\n" "$?"', "k8sm-exec")

Job = tuple[str, Sequence[str]]  # (container name, argv)
#: Parallel execs on a local engine (remote targets batch them in one SSH session instead).
EXEC_WORKERS = 6


@dataclass(frozen=True)
class ExecResult:
    exit_code: int
    output: str

    @property
    def ok(self) -> bool:
        return self.exit_code == 0


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
                              f"{_first_line(Exception(result.stderr or result.stdout))}")
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


def split_exit(text: str) -> ExecResult:
    """Separate the output of a REPORT_EXIT-wrapped command from its exit code."""
    output, mark, code = text.rpartition(EXIT_MARK)
    if not mark or not code.strip().isdigit():
        return ExecResult(exit_code=-1, output=text)
    return ExecResult(exit_code=int(code), output=output)


def batch_script(jobs: Sequence[Job], boundary: str) -> str:
    """A POSIX sh script running `docker exec CONTAINER ARGV...` for every job in parallel.

    Every value is quoted with shlex; the output is each job's exit code and output,
    after a line `BOUNDARY INDEX CODE`.
    """
    lines = ['d=$(mktemp -d) || exit 1', "trap 'rm -rf \"$d\"' EXIT"]
    for i, (container, argv) in enumerate(jobs):
        command = shlex.join(["docker", "exec", container, *argv])
        lines.append(f'( {command} > "$d/{i}" 2>&1 < /dev/null; echo $? > "$d/{i}.rc" ) &')
    lines.append("wait")
    indexes = " ".join(str(i) for i in range(len(jobs)))
    lines.append(f'for i in {indexes}; do echo "{boundary} $i $(cat "$d/$i.rc")"; cat "$d/$i"; echo; done')
    return "\n".join(lines) + "\n"


def parse_batch(stdout: str, boundary: str, count: int) -> list[ExecResult]:
    """batch_script's output -> one ExecResult per job, in order."""
    results: dict[int, ExecResult] = {}
    index, code, lines = -1, -1, []  # type: ignore[var-annotated]

    def close() -> None:
        if index >= 0:
            while lines and lines[-1] == "":
                lines.pop()
            results[index] = ExecResult(code, "\n".join(lines))

    for line in stdout.split("\n"):
        words = line.split()
        if len(words) == 3 and words[0] == boundary and words[1].isdigit():
            close()
            index, code, lines = int(words[1]), int(words[2]) if words[2].isdigit() else -1, []
        elif index >= 0:
            lines.append(line)
    close()
    return [results.get(i, ExecResult(-1, "no result")) for i in range(count)]


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


def ssh_error(exc: BaseException, label: str, timeout: int, *, key_problem: K8smError | None = None,
              jump_for: str | None = None) -> K8smError:
    """Turn an SSH failure into one clear message with what to do.

    key_problem says why a configured key cannot be used (see sshconnect.key_problem);
    jump_for names the final host when the failing hop is a ProxyJump host.
    """
    import socket

    import paramiko

    bare = label.split("@", 1)[-1]
    host = _display(bare) + (f" (the jump host to {jump_for})" if jump_for else "")
    shown = label.split("@", 1)[0] + "@" + _display(bare) if "@" in label else _display(bare)
    found = _host_key_error(exc, host, bare)
    if found is not None:
        return found
    if isinstance(exc, paramiko.ssh_exception.NoValidConnectionsError) or isinstance(exc, ConnectionRefusedError):
        return HostUnreachable(f"{host} refused the SSH connection", "check the host and port, and that sshd runs there")
    if isinstance(exc, socket.gaierror):
        return HostUnreachable(f"cannot resolve the host name in {shown}", "check the spelling, or use an IP address")
    text = str(exc).lower()
    if isinstance(exc, (socket.timeout, TimeoutError)) or any(
            s in text for s in ("banner", "timed out", "no existing session")):
        return HostUnreachable(f"{host} did not answer within {timeout}s", "check that the host is up and reachable "
                         "(raise the limit with -t SECONDS)")
    if key_problem is not None and isinstance(exc, paramiko.SSHException):
        return key_problem
    if isinstance(exc, paramiko.AuthenticationException):
        return HostUnreachable(f"SSH authentication failed for {shown}",
                         "check the key (-i KEY), your ssh-agent, or the user name (user@host)")
    if isinstance(exc, OSError):
        return HostUnreachable(f"cannot connect to {host}: {exc.strerror or exc}")
    return HostUnreachable(f"SSH error with {shown}: {_first_line(exc) if str(exc) else type(exc).__name__}")


def _host_key_error(exc: BaseException, host: str, bare: str) -> K8smError | None:
    """The message for a host key that is revoked, changed or unknown; None for other failures."""
    import paramiko

    from k8sm import sshkeys

    name = getattr(exc, "host", None) or _known_hosts_name(bare)
    recorded = getattr(exc, "where", "")  # sshkeys' errors say where the key was recorded
    where = f" ({recorded})" if recorded else ""
    if isinstance(exc, sshkeys.HostKeyRevoked):
        return HostUnreachable(f"the host key of {host} is marked as REVOKED in known_hosts{where}: refusing to connect, "
                         "a revoked key may be a stolen one used to impersonate the host",
                         "ask the host's administrator for its new key")
    if isinstance(exc, (sshkeys.HostKeyChanged, paramiko.BadHostKeyException)):
        return HostUnreachable(f"the host key of {host} has CHANGED since it was recorded in known_hosts{where}: "
                         "someone may be intercepting the connection",
                         f"if the change is expected, remove the old key (ssh-keygen -R '{name}') "
                         "and verify the new one")
    if isinstance(exc, sshkeys.HostKeyUnknown) or (
            isinstance(exc, paramiko.SSHException) and "known_hosts" in str(exc)):
        return HostUnreachable(f"the host key of {host} is not in known_hosts",
                         "verify it and add it (ssh once, or ssh-keyscan -p PORT HOST >> ~/.ssh/known_hosts), "
                         "or pass --accept-host-key to trust it for this run")
    return None


def _display(host_port: str) -> str:
    """`h:p`, `::1:p` or `[::1]:p` as ssh prints it: IPv6 in brackets."""
    from k8sm.sshaddr import display

    name, colon, port = host_port.rpartition(":")
    if not colon:
        return host_port
    return display(name.strip("[]"), port)


def _known_hosts_name(host: str) -> str:
    """The known_hosts name of `host:port`: `host` on port 22, else `[host]:port`."""
    name, colon, port = host.rpartition(":")
    name = name.strip("[]")
    return host if not colon else name if port == "22" else f"[{name}]:{port}"


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
    """Whether exc came from the Docker SDK or its HTTP transport.

    paramiko's errors are not: they are SSH failures (ssh_error), reported as such by the k8sm program.
    """
    module = type(exc).__module__ or ""
    return module.startswith(("docker.", "requests.", "urllib3."))
