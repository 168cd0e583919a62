"""GET requests to a Docker engine's unix socket, without the Docker SDK.

For the one read-only request on `status`'s path (the lab's container list): importing
the SDK (requests, urllib3, docker) costs several times more than the request itself,
and so does http.client (with the email package it loads; the answer is read by
k8sm.probes.read_http, which the network probes use too). The socket is this machine's,
or the -H host's through an SSH channel (k8sm.engine.listing). Everything else uses the
SDK through Target.docker.
"""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from k8sm.errors import EngineError

DEFAULT_SOCKET = "/var/run/docker.sock"


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


def get_json(connect: Connect, path: str, query: dict[str, str], timeout: float) -> Any:
    """GET path?query from the engine; its JSON answer. Raises OSError (or the connection's own
    errors) when the engine cannot be reached or goes silent, EngineError when it answers with an
    error or its answer is cut short or malformed."""
    from k8sm.probes import read_http

    conn = connect()
    try:
        conn.settimeout(timeout)
        conn.sendall(f"GET {path}?{urlencode(query)} HTTP/1.1\r\nHost: docker\r\nUser-Agent: k8sm\r\n"
                     "Accept: application/json\r\nConnection: close\r\n\r\n".encode("ascii"))
        answer = read_http(lambda: conn.recv(65536))
    finally:
        conn.close()
    if answer is None:
        raise EngineError("Docker engine error: its answer was cut short or malformed")
    status, body = answer
    if status != 200:
        try:
            message = json.loads(body).get("message", "")
        except (ValueError, AttributeError):
            message = body[:200]
        raise EngineError(f"Docker engine error: {status} {message}".strip())
    try:
        return json.loads(body)
    except ValueError:
        raise EngineError("Docker engine error: its answer is not JSON") from None


def containers(connect: Connect, filters: dict[str, str], timeout: float) -> list[dict[str, Any]]:
    """Every container (running or not) matching filters, as the SDK's APIClient.containers(all=True) gives them."""
    query = {"all": "1", "filters": json.dumps({key: [value] for key, value in filters.items()})}
    return get_json(connect, "/containers/json", query, timeout)
