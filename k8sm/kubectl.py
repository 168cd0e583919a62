"""kubectl where the seed runs it: in the framework container (or the client node), via `docker exec`."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from k8sm.engine import cli
from k8sm.errors import K8smError
from k8sm.lab import KUBECTL_ROLES
from k8sm.node import exec_on
from k8sm.target import Where
from k8sm.topology import Lab, Node

#: Prints where kubectl comes from and its client version.
_WHICH = ('p=$(command -v kubectl) || { echo "no kubectl"; exit 1; }; '
          'v=$(kubectl version --client --short 2>/dev/null || kubectl version --client 2>/dev/null | head -n 1); '
          'printf "%s\\n%s\\n" "$p" "$v"')


def kubectl_node(lab: Lab, name: str | None = None) -> Node:
    """The node kubectl runs on: --node, else the client node if enabled, else the framework node."""
    if name is not None:
        node = lab.node(name)
        if node.role not in KUBECTL_ROLES:
            raise K8smError(f"node {name!r} has no kubectl (it is a {node.role} node)",
                            "use the framework or the client node")
        return node
    found = next(iter(lab.role("client")), None) or lab.framework
    if found is None:
        raise K8smError(f"lab {lab.name!r} has no framework or client node to run kubectl on",
                        f"add one in {lab.source}")
    return found


def exec_argv(node: Node, args: Sequence[str], tty: bool) -> list[str]:
    """kubectl ARGS in the node's container (an exec with stdin, and a TTY if tty): the arguments exactly as given."""
    return cli.exec_argv(node.container, ["kubectl", *args], interactive=True, tty=tty)


def run(target: Where, node: Node, args: Sequence[str]) -> int:
    """Run kubectl with stdin passed through (create -f -), a TTY when interactive; its exit code."""
    tty = sys.stdin.isatty() and sys.stdout.isatty()
    return target.for_node(node).attach(exec_argv(node, args, tty), tty=tty)


def which(target: Where, node: Node) -> str:
    """Which kubectl the node has: the release's (build.k8s) or Debian's kubernetes-client."""
    result = exec_on(target, [(node, ["sh", "-c", _WHICH])])[0]
    lines = result.output.strip().splitlines()
    if not result.ok or len(lines) < 1:
        return f"{node.name}: no kubectl found"
    path, version = lines[0], (lines[1] if len(lines) > 1 else "")
    origin = ("from `invoke build.k8s` (the release's own)" if path.startswith("/opt/kubernetes/")
              else "Debian's kubernetes-client (no build.k8s release in this image)")
    return f"{node.name}: {path} {origin}; {version}".strip()


#: Kubernetes-on-Mesos lived in the Kubernetes tree up to v1.2 (contrib/mesos): every km
#: apiserver speaks an API that today's kubectl (Debian's 1.20) cannot use.
_DEBIAN_KUBECTL_NOTE = ("note: this is Debian's kubectl ({version}); km's apiserver is Kubernetes {server}, "
                        "older than it can talk to (\"no matches for kind ...\"): `invoke build.k8s` brings "
                        "the kubectl of km's own tree, which `invoke up` puts in the images")


def mismatch_note(target: Where, lab: Lab, node: Node) -> str | None:
    """After a failed kubectl: a note when the node's kubectl is Debian's and the apiserver is km's."""
    import json

    from k8sm.daemons.base import http_probe, parse_http

    framework = lab.framework
    if framework is None:
        return None
    url = f"http://{framework.ip}:{lab.ports.apiserver}/version"
    kubectl, version = exec_on(target, [(node, ["sh", "-c", _WHICH]), (node, http_probe(url))])
    lines = kubectl.output.strip().splitlines()
    if not kubectl.ok or not lines or lines[0].startswith("/opt/kubernetes/"):
        return None
    code, body = parse_http(version.output)
    try:
        server = json.loads(body).get("gitVersion") if code == 200 else None
    except (ValueError, AttributeError):
        server = None
    if not isinstance(server, str) or not server:
        return None
    client = lines[1].strip() if len(lines) > 1 else "its version unknown"
    return _DEBIAN_KUBECTL_NOTE.format(version=client[:80], server=server[:60])
