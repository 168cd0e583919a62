"""GET requests to the local Docker engine over its unix socket, without the Docker SDK.

For the one read-only request on `status`'s path (the lab's container list): importing
the SDK (requests, urllib3, docker) costs several times more than the request itself.
Everything else uses the SDK through Target.docker.
"""

from __future__ import annotations

import http.client
import json
import os
import socket
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


class _UnixConnection(http.client.HTTPConnection):
    def __init__(self, path: str, timeout: float) -> None:
        super().__init__("docker", timeout=timeout)
        self.socket_path = path

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        try:
            sock.connect(self.socket_path)
        except OSError:
            sock.close()
            raise
        self.sock = sock


def get_json(socket_path: str, path: str, query: dict[str, str], timeout: float) -> Any:
    """GET path?query from the engine; its JSON answer. Raises OSError when the engine cannot be
    reached, EngineError when it answers with an error."""
    conn = _UnixConnection(socket_path, timeout)
    try:
        conn.request("GET", f"{path}?{urlencode(query)}")
        response = conn.getresponse()
        body = response.read()
    finally:
        conn.close()
    if response.status != 200:
        try:
            message = json.loads(body).get("message", "")
        except (ValueError, AttributeError):
            message = body[:200].decode("utf-8", "replace")
        raise EngineError(f"Docker engine error: {response.status} {message}".strip())
    return json.loads(body)


def containers(socket_path: str, filters: dict[str, str], timeout: float) -> list[dict[str, Any]]:
    """Every container (running or not) matching filters, as the SDK's APIClient.containers(all=True) gives them."""
    query = {"all": "1", "filters": json.dumps({key: [value] for key, value in filters.items()})}
    return get_json(socket_path, "/containers/json", query, timeout)
