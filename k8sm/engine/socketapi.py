"""Requests to a Docker engine's unix socket without the Docker SDK: reads, and execs.

For the paths that run most often on a running lab (`status`'s container list; a no-op `up`'s
lookups and its checks inside the minions): importing the SDK (requests, urllib3, docker) costs
several times more than the requests themselves, and so does http.client (with the email package
it loads; answers are read by k8sm.probes.read_http_bytes, which the network probes use too). The
socket is this machine's, or the -H host's through an SSH channel (k8sm.engine.listing). Every
other request, and every one once the SDK is loaded, goes through the SDK (Target.docker).
"""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Callable
from typing import Any
from urllib.parse import quote, urlencode

from k8sm.errors import EngineError

DEFAULT_SOCKET = "/var/run/docker.sock"
#: The largest exec output read (k8sm's execs print far less: probes, checks, image lists).
MAX_EXEC_OUTPUT = 64 << 20


class Refused(EngineError):
    """The engine answered with an error status; `detail` is its own explanation."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(f"Docker engine error: {status} {detail}".strip())
        self.status = status
        self.detail = detail


def local_socket() -> str | None:
    """The engine's unix socket when it is on this machine (DOCKER_HOST unset or unix://), else None."""
    host = os.environ.get("DOCKER_HOST", "")
    if not host:
        return DEFAULT_SOCKET
    if host.startswith("unix://"):
        return host[len("unix://"):]
    return None


Connect = Callable[[], Any]  # -> a connected stream (a socket, a paramiko channel)


def unix_socket(path: str, timeout: float) -> Connect:
    """How to reach a unix socket of this machine."""
    def connect() -> socket.socket:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(timeout)
        try:
            sock.connect(path)
        except OSError:
            sock.close()
            raise
        return sock
    return connect


def request(connect: Connect, method: str, path: str, timeout: float, *, query: dict[str, str] | None = None,
            body: Any = None, limit: int = 0) -> tuple[int, bytes]:
    """One HTTP request to the engine: (status, body), a body of at most limit bytes (0: the probes'
    limit). Raises OSError (or the connection's own errors) when the engine cannot be reached or goes
    silent for timeout seconds, EngineError when its answer is cut short, malformed or too long."""
    from k8sm.probes import read_http_bytes

    data = b"" if body is None else json.dumps(body).encode("utf-8")
    head = (f"{method} {quote(path, safe='/:@')}{'?' + urlencode(query) if query else ''} HTTP/1.1\r\n"
            "Host: docker\r\nUser-Agent: k8sm\r\nAccept: application/json\r\nConnection: close\r\n")
    if body is not None:
        head += f"Content-Type: application/json\r\nContent-Length: {len(data)}\r\n"
    conn = connect()
    try:
        conn.settimeout(timeout)
        conn.sendall(head.encode("ascii") + b"\r\n" + data)
        answer = read_http_bytes(lambda: conn.recv(65536), limit)
    finally:
        conn.close()
    if answer is None:
        raise EngineError("Docker engine error: its answer was cut short or malformed")
    return answer


def _refused(status: int, body: bytes) -> Refused:
    try:
        detail = str(json.loads(body).get("message", ""))
    except (ValueError, AttributeError):
        detail = body[:200].decode("utf-8", "replace")
    return Refused(status, detail)


def _json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except ValueError:
        raise EngineError("Docker engine error: its answer is not JSON") from None


def get_json(connect: Connect, path: str, query: dict[str, str], timeout: float) -> Any:
    """GET path?query from the engine; its JSON answer. Raises OSError (or the connection's own
    errors) when the engine cannot be reached or goes silent, Refused when it answers with an error
    (404: no such object), EngineError when its answer is cut short or malformed."""
    status, body = request(connect, "GET", path, timeout, query=query)
    if status != 200:
        raise _refused(status, body)
    return _json(body)


def exec_run(connect: Connect, container: str, argv: list[str], timeout: float) -> bytes:
    """Run argv in container (stdout and stderr, no TTY, no stdin) and return its output as the SDK's
    exec_start does: both streams, in the order written. Errors as get_json's (Refused 404: no such
    container, 409: it is not running)."""
    status, body = request(connect, "POST", f"/containers/{container}/exec", timeout,
                           body={"AttachStdout": True, "AttachStderr": True, "Cmd": argv})
    if status != 201:
        raise _refused(status, body)
    created = _json(body)
    exec_id = created.get("Id") if isinstance(created, dict) else None
    if not isinstance(exec_id, str) or not exec_id.isalnum():
        raise EngineError("Docker engine error: its answer to an exec has no ID")
    status, body = request(connect, "POST", f"/exec/{exec_id}/start", timeout, body={"Detach": False, "Tty": False},
                           limit=MAX_EXEC_OUTPUT)
    if status != 200:
        raise _refused(status, body)
    return demux(body)


def demux(stream: bytes) -> bytes:
    """The payloads of a multiplexed exec stream (8-byte frame headers: stream, 0, 0, 0, size), joined;
    a frame cut short keeps what arrived of it."""
    out, pos = bytearray(), 0
    while pos + 8 <= len(stream):
        size = int.from_bytes(stream[pos + 4:pos + 8], "big")
        out += stream[pos + 8:pos + 8 + size]
        pos += 8 + size
    return bytes(out)


def containers(connect: Connect, filters: dict[str, str], timeout: float) -> list[dict[str, Any]]:
    """Every container (running or not) matching filters, as the SDK's APIClient.containers(all=True) gives them."""
    query = {"all": "1", "filters": json.dumps({key: [value] for key, value in filters.items()})}
    return get_json(connect, "/containers/json", query, timeout)
