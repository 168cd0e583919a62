"""The one place that knows where the lab lives: a shell plus the way to its Docker engine.

A task gets an invoke Context (or, in remote mode, a fabric Connection, which
is a Context). `target_for(ctx)` turns it into a Target: `target.sh(argv)`
runs a command on that machine with every argument quoted, and
`target.docker` is the connection to that machine's engine (made by
k8sm.engine.client). A Target says only *where*: every Docker operation,
execs included, is in k8sm.engine, which decides nothing about local and remote
beyond what the Target tells it.
"""

from __future__ import annotations

import shlex
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol

from k8sm.engine.client import API_TIMEOUT
from k8sm.engine.errors import ContainerUnavailable as ContainerUnavailable
from k8sm.engine.wire import ExecResult as ExecResult
from k8sm.engine.wire import Job as Job

# Re-exported for the callers of before: SSH failures are worded in k8sm.ssherrors.
from k8sm.ssherrors import _known_hosts_name as _known_hosts_name
from k8sm.ssherrors import ssh_error as ssh_error

if TYPE_CHECKING:
    from invoke import Context, Result

    from k8sm.engine.client import Client
    from k8sm.engine.socketapi import Connect
    from k8sm.topology import Node


class Target:
    """A machine running the lab: shell commands through `ctx`, its engine through the `docker` connection."""

    #: Whether the engine is on another machine, reached over SSH.
    remote = False
    #: Whether many execs go as one batch through the shell (k8sm.engine.execs.by_batch), not one API call each.
    batch_execs = False

    def __init__(self, ctx: Context, label: str = "local") -> None:
        self.ctx = ctx
        self.label = label
        self._client: Client | None = None
        self._lock = threading.RLock()

    def __repr__(self) -> str:
        return f"Target({self.label})"

    @property
    def docker(self) -> Client:
        """A connected, version-negotiated Docker API client (connects on first use)."""
        with self._lock:
            if self._client is None:
                self._client = self._connect()
            return self._client

    def _connect(self) -> Client:
        from k8sm.engine.client import connect_local

        return connect_local()

    def containers(self, filters: dict[str, str]) -> list[dict[str, Any]]:
        """Every container matching filters, running or not (k8sm.engine.listing)."""
        from k8sm.engine import listing

        return listing.containers(self, filters)

    def engine_socket(self) -> tuple[Connect, str] | None:
        """How to reach the engine's socket without the SDK, and its name; None when the SDK's connection
        is the way (it is made already, or the engine is not this machine's)."""
        from k8sm.engine import socketapi

        path = socketapi.local_socket()
        plain = type(self)._connect is Target._connect  # this machine's engine, not another way to one
        if path is None or self._client is not None or not plain:
            return None
        return socketapi.unix_socket(path, API_TIMEOUT), f"unix://{path}"

    def engine_socket_refused(self) -> None:
        """The socket engine_socket gave cannot be used: the SDK's connection is the way from now on."""

    def exec_each(self, jobs: Sequence[Job]) -> list[ExecResult]:
        """Run each argv in its container, in parallel (k8sm.engine.execs)."""
        from k8sm.engine import execs

        return execs.exec_each(self, jobs)

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

    remote = True
    batch_execs = True  # one SSH session for many execs, not a channel each

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

    def engine_socket(self) -> tuple[Connect, str] | None:
        """The host's engine socket through an SSH channel (direct-streamlocal), until the SDK is connected
        anyway; None once it is, or where the server refuses that channel."""
        from k8sm.engine import socketapi

        if self._client is not None or self._unix_refused:
            return None
        self.open()
        opener = getattr(self.ctx.client.get_transport(), "open_unix_socket", None)  # k8sm's transport has it
        if opener is None:
            self._unix_refused = True
            return None
        return (lambda: opener(socketapi.DEFAULT_SOCKET, timeout=self.timeout)), f"{self.label}:{socketapi.DEFAULT_SOCKET}"

    def engine_socket_refused(self) -> None:
        self._unix_refused = True

    def _connect(self) -> Client:
        from k8sm.engine.client import connect_over_ssh

        return connect_over_ssh(self)

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


def _env_docker_host() -> str | None:
    import os

    return os.environ.get("DOCKER_HOST")
