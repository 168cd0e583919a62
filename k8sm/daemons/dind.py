"""The minions' own Docker engines (Docker-in-Docker), which the Mesos agents use.

Each engine's API listens on a unix socket inside its minion only; no TCP API is
opened. What the network sees is the engine's read-only Prometheus metrics
(`--metrics-addr`, on the minion's lab address): `engine_daemon_engine_info` is
set once the engine has started, and names its version. That answer is enough
to call it healthy; anything else is checked inside the minion (its /version).
"""

from __future__ import annotations

import json
import re

from k8sm.daemons.base import Daemon, Health, NetProbe, http_probe, parse_http
from k8sm.probes import HttpGet
from k8sm.topology import Lab, Node

SOCKET_PATH = "/var/run/docker.sock"
SOCKET = f"unix://{SOCKET_PATH}"
#: The engine's metrics port (Docker's usual one), on the minion's lab address; metrics only, no API.
METRICS_PORT = 9323
_ENGINE_INFO = re.compile(r'^engine_daemon_engine_info\{[^}\n]*\bversion="([^"\n]{1,100})"[^}\n]*\} 1\s*$', re.M)


def argv(lab: Lab, node: Node) -> list[str]:
    # k8sm-dind makes /sys and the cgroups writable where the container is not privileged.
    # Shareable IPC: km's kubelet (2015) puts a pod's containers into its pause container's IPC
    # namespace, which engines since Docker 18.09 refuse unless that container is shareable.
    return ["k8sm-dind", f"--host={SOCKET}", "--data-root=/var/lib/docker", f"--metrics-addr={node.ip}:{METRICS_PORT}",
            "--default-ipc-mode=shareable"]


def probe_argv(lab: Lab, node: Node) -> list[str]:
    """GET /version on the engine's socket (curl is far lighter than the docker CLI)."""
    return http_probe("http://docker/version", unix_socket=SOCKET_PATH)


def net_probe(lab: Lab, node: Node) -> NetProbe:
    """GET the engine's metrics on the minion's lab address."""
    return NetProbe((HttpGet(node.ip, METRICS_PORT, "/metrics"),))


def parse_probe(output: str) -> Health:
    """/version JSON (from inside the minion) or the engine's metrics (from the network) -> health."""
    code, body = parse_http(output)
    if code != 200:
        return Health(False, "not answering" if code == 0 else f"HTTP {code}")
    if not body.lstrip().startswith("{"):
        found = _ENGINE_INFO.search(body)
        return Health(True, f"engine {found.group(1)}") if found else Health(False, "engine not started")
    try:
        return Health(True, f"engine {json.loads(body)['Version']}")
    except (ValueError, KeyError, TypeError):
        return Health(False, "unreadable /version")


DOCKER = Daemon(name="docker", title="Docker (in the minions)", role="minion", task="mesos.docker", argv=argv,
                probe_argv=probe_argv, parse_probe=parse_probe, requires=("dockerd",), net_probe=net_probe)
