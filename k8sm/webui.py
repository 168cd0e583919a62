"""The lab's web UIs (Mesos master, Kubernetes apiserver) and the seed's nginx reverse proxy."""

from __future__ import annotations

import re
from dataclasses import dataclass

from k8sm.errors import K8smError, shown
from k8sm.topology import Lab, Node

_SERVER_NAME = re.compile(r"(\*\.)?[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*")


@dataclass(frozen=True)
class WebUI:
    title: str
    nodes: tuple[Node, ...]  # the containers that serve it
    port: int                # inside the containers

    def lab_url(self, node: Node) -> str:
        return f"http://{node.ip}:{self.port}/"

    def published_url(self, lab: Lab) -> str | None:
        """The URL on the Docker host, if hosts.yaml publishes the port."""
        for node in self.nodes:
            for mapping in node.publish:
                if mapping.container_port == self.port:
                    return f"http://{lab.publish_address}:{mapping.host_port}/"
        return None


def web_uis(lab: Lab) -> list[WebUI]:
    uis = [WebUI("Mesos master", lab.role("mesos-master"), lab.ports.mesos_master)]
    if lab.framework is not None:
        uis.append(WebUI("Kubernetes apiserver", (lab.framework,), lab.ports.apiserver))
    return uis


def describe(lab: Lab, leader_ip: str | None = None) -> str:
    """One line per UI: the published URL if any, and the lab-network URLs (reachable from the Docker host),
    the leading Mesos master's marked."""
    lines = []
    for ui in web_uis(lab):
        published = ui.published_url(lab)
        inside = ", ".join(f"{ui.lab_url(n)} ({n.name}{', leading' if n.ip == leader_ip else ''})" for n in ui.nodes)
        lines.append(f"{ui.title + ':':22} {published or 'not published (add publish: to its node)'}")
        lines.append(f"{'':22} on the lab network: {inside}")
    return "\n".join(lines)


def nginx_config(lab: Lab, mesos_server_name: str, kubernetes_server_name: str, listen: int = 80) -> str:
    """The seed's reverse-proxy server blocks, for the nginx of the Docker host, built from the topology."""
    for flag, name in (("--mesos-name", mesos_server_name), ("--kubernetes-name", kubernetes_server_name)):
        if not _SERVER_NAME.fullmatch(name):
            raise K8smError(f"{flag} {shown(name)} is not a valid server name")
    if not 1 <= listen <= 65535:
        raise K8smError(f"--listen {listen} is not a port number")
    blocks = [f"# nginx reverse proxy for lab {lab.name}, written by `invoke proxy` from {lab.source}"]
    for ui, server_name in zip(web_uis(lab), (mesos_server_name, kubernetes_server_name), strict=False):
        upstream = f"k8sm_{lab.name}_{ui.title.split()[0].lower()}".replace("-", "_").replace(".", "_")
        servers = "".join(f"    server {n.ip}:{ui.port};\n" for n in ui.nodes)
        blocks.append(
            f"# {ui.title} web UI\n"
            f"upstream {upstream} {{\n{servers}}}\n\n"
            "server {\n"
            f"    listen {listen};\n"
            f"    server_name {server_name};\n\n"
            "    location / {\n"
            "        proxy_set_header Host $host;\n"
            "        proxy_set_header X-Forwarded-Host $host;\n"
            "        proxy_set_header X-Forwarded-Server $host;\n"
            "        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;\n"
            f"        proxy_pass http://{upstream};\n"
            "        client_max_body_size 10M;\n"
            "    }\n"
            "}\n"
        )
    return "\n".join(blocks)
