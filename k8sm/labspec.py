"""What a node's container is, from the topology alone: its settings, volumes and files.

The spec's digest (a label) tells `run` when a container no longer matches hosts.yaml;
the files travel in the container's settings and are unpacked at every start.
"""

from __future__ import annotations

import hashlib
import json
import shlex
from dataclasses import asdict, dataclass, field, replace

from k8sm import daemons, labels, plan
from k8sm.node import File
from k8sm.topology import Lab, Node

#: Capabilities that replace --privileged where the engine refuses it: enough for a
#: Docker engine inside the container (see ENVIRONMENT notes in the README).
ELEVATED_CAPS = ("SYS_ADMIN", "NET_ADMIN")
ELEVATED_SECURITY_OPT = ("seccomp=unconfined", "apparmor=unconfined")


@dataclass(frozen=True)
class ContainerSpec:
    """Everything `run` sets on a node's container, derived from the topology."""

    name: str
    image: str
    hostname: str
    ip: str
    network: str
    labels: dict[str, str]
    extra_hosts: dict[str, str]
    volumes: dict[str, str]          # volume name -> mount point
    ports: dict[int, tuple[str, int]]  # container port -> (host ip, host port)
    privileged: bool = False
    cap_add: tuple[str, ...] = ()
    security_opt: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    command: tuple[str, ...] = ("sleep", "infinity")
    tmpfs: dict[str, str] = field(default_factory=dict)
    environment: dict[str, str] = field(default_factory=dict)

    @property
    def digest(self) -> str:
        data = asdict(self)
        data["labels"] = {k: v for k, v in self.labels.items() if k != labels.SPEC}
        return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:16]


def volume_name(lab: Lab, node: Node, purpose: str) -> str:
    """LAB_NODE_PURPOSE: node names and purposes have no "_", so no two (lab, node) pairs share a name."""
    return f"{lab.name}_{node.name}_{purpose}"


def volumes_of(lab: Lab, node: Node) -> dict[str, str]:
    """The volumes node's container mounts: name -> mount point."""
    volumes = {volume_name(lab, node, "data"): "/var/lib/k8sm"}
    if node.role == "minion":
        volumes[volume_name(lab, node, "docker")] = "/var/lib/docker"
    return volumes


def container_spec(lab: Lab, node: Node) -> ContainerSpec:
    """The container settings for node: static IP, names of every peer, labels, volumes."""
    volumes = volumes_of(lab, node)
    privileged = node.elevated and lab.security == "privileged"
    elevated_caps = node.elevated and lab.security == "capabilities"
    spec = ContainerSpec(
        name=node.container,
        image=lab.images.ref(node.image_name),
        hostname=node.name,
        ip=node.ip,
        network=lab.network.name,
        labels={labels.LAB: lab.name, labels.NODE: node.name, labels.ROLE: node.role},
        extra_hosts={n.name: n.ip for n in lab.nodes if n.name != node.name},
        volumes=volumes,
        ports={p.container_port: (lab.publish_address, p.host_port) for p in node.publish},
        privileged=privileged,
        cap_add=ELEVATED_CAPS if elevated_caps else (),
        security_opt=ELEVATED_SECURITY_OPT if elevated_caps else (),
        aliases=(node.name,) if node.container != node.name else (),
        command=UNPACK_AND_SLEEP,
        environment={FILES_VARIABLE: pack_files(node_files(lab, node))},
    )
    return replace(spec, labels={**spec.labels, labels.SPEC: spec.digest})


#: The container's command: write the node's files (carried in FILES_VARIABLE), then idle.
#: Carrying them in the container's settings saves a copy request per container at `run`,
#: and puts them back after every restart of the container.
FILES_VARIABLE = "K8SM_NODE_FILES"
UNPACK_AND_SLEEP = ("sh", "-c", f'printf %s "${FILES_VARIABLE}" | base64 -d | tar -x -m -C / && exec sleep infinity',
                    "k8sm-node")


def pack_files(files: dict[str, File]) -> str:
    """The files as a base64 tar archive (paths relative to /), deterministic for the spec digest."""
    import base64
    import tarfile

    from k8sm.archive import tar_bytes

    entries = {path.lstrip("/"): (f.content.encode(), f.mode) for path, f in files.items()}
    return base64.b64encode(tar_bytes(entries, format=tarfile.USTAR_FORMAT)).decode()


def node_env(lab: Lab, node: Node) -> str:
    """/etc/k8sm/node.env: who this node is, as shell-quoted KEY=value lines."""
    values = {
        "K8SM_LAB": lab.name,
        "K8SM_NODE": node.name,
        "K8SM_ROLE": node.role,
        "K8SM_IP": node.ip,
        "K8SM_DAEMONS": " ".join(d.name for d in daemons.for_role(node.role)),
    }
    return "# written by `invoke run` from hosts.yaml\n" + "".join(
        f"{k}={shlex.quote(v)}\n" for k, v in values.items())


def plan_file() -> str:
    """/etc/k8sm/plan: the start plan (k8sm.plan), which k8sm-daemon order|task reads for the seed scripts."""
    return plan.plan_file({d.name: d.role for d in daemons.ALL}, {d.name: d.task for d in daemons.ALL})


def peers_file(lab: Lab) -> str:
    """/etc/k8sm/peers: every node of the lab, `name ip role` per line."""
    return "".join(f"{n.name} {n.ip} {n.role}\n" for n in lab.nodes)


def kubeconfig(lab: Lab) -> str:
    """~/.kube/config for the kubectl nodes: the lab's apiserver, so kubectl's own arguments stay untouched."""
    from k8sm.daemons.km import api_url

    return (
        "# written by `invoke run` from hosts.yaml\n"
        "apiVersion: v1\nkind: Config\n"
        f"clusters:\n- name: {lab.name}\n  cluster:\n    server: {api_url(lab)}\n"
        f"contexts:\n- name: {lab.name}\n  context:\n    cluster: {lab.name}\n"
        f"current-context: {lab.name}\n"
    )


def nginx_example(lab: Lab) -> str:
    """The seed's example pod, /opt/nginx.yaml (`invoke kubectl -- create -f /opt/nginx.yaml`)."""
    return (
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: nginx\n  labels:\n    app: nginx\n"
        f"spec:\n  containers:\n  - name: nginx\n    image: {lab.kubernetes.nginx_image}\n"
        "    imagePullPolicy: IfNotPresent\n"  # k8sm loaded it into every minion's engine: never pulled
        "    ports:\n    - containerPort: 80\n"
    )


#: Roles whose nodes run kubectl against the lab's apiserver.
KUBECTL_ROLES = ("framework", "client")


def node_files(lab: Lab, node: Node) -> dict[str, File]:
    """Everything `run` writes into a node: identity, peers, its daemons' command lines and configs."""
    files = {"/etc/k8sm/node.env": File(node_env(lab, node)), "/etc/k8sm/peers": File(peers_file(lab)),
             plan.PLAN_PATH: File(plan_file())}
    if node.role in KUBECTL_ROLES and lab.framework is not None:
        files["/root/.kube/config"] = File(kubeconfig(lab), 0o600)
        files["/opt/nginx.yaml"] = File(nginx_example(lab))
    for daemon in daemons.for_role(node.role):
        files.update(daemon.node_files(lab, node))
    return files
