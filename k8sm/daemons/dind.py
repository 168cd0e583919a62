"""The minions' own Docker engines (Docker-in-Docker), which the Mesos agents use."""

from __future__ import annotations

import json

from k8sm.daemons.base import Daemon, Health, parse_http
from k8sm.topology import Lab, Node

SOCKET_PATH = "/var/run/docker.sock"
SOCKET = f"unix://{SOCKET_PATH}"


def argv(lab: Lab, node: Node) -> list[str]:
    # k8sm-dind makes /sys and the cgroups writable where the container is not privileged.
    return ["k8sm-dind", f"--host={SOCKET}", "--data-root=/var/lib/docker"]


def probe_argv(lab: Lab, node: Node) -> list[str]:
    """GET /version on the engine's socket (curl is far lighter than the docker CLI)."""
    return ["curl", "-s", "--max-time", "3", "--unix-socket", SOCKET_PATH, "-w", "\\n@@http %{http_code}\\n",
            "http://docker/version"]


def parse_probe(output: str) -> Health:
    code, body = parse_http(output)
    if code != 200:
        return Health(False, "not answering" if code == 0 else f"HTTP {code}")
    try:
        return Health(True, f"engine {json.loads(body)['Version']}")
    except (ValueError, KeyError, TypeError):
        return Health(False, "unreadable /version")


DOCKER = Daemon(name="docker", title="Docker (in the minions)", role="minion", task="mesos.docker", argv=argv,
                probe_argv=probe_argv, parse_probe=parse_probe, requires=("dockerd",))
