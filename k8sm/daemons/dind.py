"""The minions' own Docker engines (Docker-in-Docker), which the Mesos agents use."""

from __future__ import annotations

from k8sm.daemons.base import Daemon, Health
from k8sm.topology import Lab, Node

SOCKET = "unix:///var/run/docker.sock"


def argv(lab: Lab, node: Node) -> list[str]:
    # k8sm-dind makes /sys and the cgroups writable where the container is not privileged.
    return ["k8sm-dind", f"--host={SOCKET}", "--data-root=/var/lib/docker"]


def probe_argv(lab: Lab, node: Node) -> list[str]:
    return ["timeout", "8", "docker", "--host", SOCKET, "info", "--format", "engine {{.ServerVersion}}"]


def parse_probe(output: str) -> Health:
    for line in output.splitlines():
        if line.startswith("engine ") and len(line.split()) == 2:
            return Health(True, line)
    last = output.strip().splitlines()[-1] if output.strip() else "no answer"
    return Health(False, last[:80])


DOCKER = Daemon(name="docker", title="Docker (in the minions)", role="minion", task="mesos.docker", argv=argv,
                probe_argv=probe_argv, parse_probe=parse_probe, requires=("dockerd",))
