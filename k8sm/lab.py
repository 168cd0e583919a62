"""The lab on an engine: its network, its containers, their labels; listing and removal.

`run` is safe to repeat: it creates what is missing, starts what is stopped
and leaves running containers alone. `remove` finds the lab by its labels
and touches nothing else.
"""

from __future__ import annotations

import hashlib
import json
import shlex
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from k8sm import daemons, labels, parallel
from k8sm.errors import EngineError, ImageMissing, K8smError
from k8sm.images import image_ids
from k8sm.node import File
from k8sm.target import Target, engine_error
from k8sm.topology import Lab, Node

Say = Callable[[str], None]

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
    return f"{lab.name}-{node.name}-{purpose}"


def container_spec(lab: Lab, node: Node) -> ContainerSpec:
    """The container settings for node: static IP, names of every peer, labels, volumes."""
    volumes = {volume_name(lab, node, "data"): "/var/lib/k8sm"}
    if node.role == "minion":
        volumes[volume_name(lab, node, "docker")] = "/var/lib/docker"
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
    import io
    import tarfile

    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        for path in sorted(files):
            data = files[path].content.encode()
            info = tarfile.TarInfo(path.lstrip("/"))
            info.size, info.mode, info.mtime = len(data), files[path].mode, 0
            tar.addfile(info, io.BytesIO(data))
    return base64.b64encode(buf.getvalue()).decode()


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
        "    ports:\n    - containerPort: 80\n"
    )


#: Roles whose nodes run kubectl against the lab's apiserver.
KUBECTL_ROLES = ("framework", "client")


def node_files(lab: Lab, node: Node) -> dict[str, File]:
    """Everything `run` writes into a node: identity, peers, its daemons' command lines and configs."""
    files = {"/etc/k8sm/node.env": File(node_env(lab, node)), "/etc/k8sm/peers": File(peers_file(lab))}
    if node.role in KUBECTL_ROLES and lab.framework is not None:
        files["/root/.kube/config"] = File(kubeconfig(lab), 0o600)
        files["/opt/nginx.yaml"] = File(nginx_example(lab))
    for daemon in daemons.for_role(node.role):
        files.update(daemon.node_files(lab, node))
    return files


# ------------------------------------------------------------------------ run


@dataclass(frozen=True)
class NodeAction:
    node: str
    action: str  # created, recreated, started, running
    note: str = ""

    @property
    def changed(self) -> bool:
        return self.action != "running"


def summarize(actions: list[NodeAction]) -> str:
    """'2 created, 1 started': how many containers each action touched."""
    counts: dict[str, int] = {}
    for a in actions:
        counts[a.action] = counts.get(a.action, 0) + 1
    return ", ".join(f"{n} {action}" for action, n in counts.items())


def run(target: Target, lab: Lab, say: Say, *, recreate: bool = False) -> list[NodeAction]:
    """Create the network and every container; start stopped ones; leave running ones alone."""
    images = image_ids(target, lab)
    missing = [ref for ref, image_id in images.items() if image_id is None]
    if missing:
        raise ImageMissing(f"missing image{'s' if len(missing) > 1 else ''} on {target.label}: {', '.join(missing)}",
                           "build them with `invoke build`")
    ensure_network(target, lab, say)
    existing = {c["Labels"].get(labels.NODE): c for c in list_containers(target, lab)}

    def one(node: Node) -> NodeAction:
        return ensure_container(target, lab, node, existing.get(node.name), images, recreate=recreate)

    outcomes = parallel.each(one, lab.nodes)
    actions = [o.value for o in outcomes if o.ok and o.value is not None]
    for a in actions:
        if a.changed or a.note:
            say(f"  {a.node}: {a.action}{f'; {a.note}' if a.note else ''}")
    parallel.raise_first(outcomes)
    return actions


def ensure_network(target: Target, lab: Lab, say: Say) -> None:
    import docker.errors
    from docker.types import IPAMConfig, IPAMPool

    api = target.docker
    name, subnet = lab.network.name, lab.network.subnet
    try:
        info = api.inspect_network(name)
    except docker.errors.NotFound:
        info = None
    if info is not None:
        owner = (info.get("Labels") or {}).get(labels.LAB)
        if owner != lab.name:
            raise K8smError(f"Docker network {name} exists and is not lab {lab.name}'s"
                            f"{f' (it is lab {owner!r})' if owner else ''}",
                            "choose another network.name in hosts.yaml")
        subnets = [c.get("Subnet") for c in (info.get("IPAM") or {}).get("Config") or []]
        if subnet not in subnets:
            raise K8smError(f"network {name} has subnet {', '.join(map(str, subnets))}, hosts.yaml says {subnet}",
                            "remove the lab with `invoke rm` and run it again")
        return
    say(f"network {name} ({subnet})")
    ipam = IPAMConfig(pool_configs=[IPAMPool(subnet=subnet)])
    try:
        api.create_network(name, driver="bridge", ipam=ipam, labels={labels.LAB: lab.name}, check_duplicate=True)
    except docker.errors.APIError as exc:
        text = str(exc.explanation or exc)
        if "overlap" in text.lower():
            raise K8smError(f"cannot create network {name}: subnet {subnet} overlaps a network already on the engine",
                            "choose another network.subnet in hosts.yaml") from None
        raise engine_error(exc) from None


def ensure_container(target: Target, lab: Lab, node: Node, current: dict[str, Any] | None,
                     images: dict[str, str | None], *, recreate: bool) -> NodeAction:
    """Create node's container if missing, start it if stopped; recreate it on drift if asked."""
    spec = container_spec(lab, node)
    if current is None:
        _refuse_foreign_container(target, lab, node)
    action, note = "created", ""
    drift = drift_of(current, spec, images.get(spec.image)) if current is not None else ""
    if drift:
        if recreate:
            target.docker.remove_container(current["Id"], force=True)
            current, action = None, "recreated"
        else:
            note = f"{drift} (`invoke run --recreate` applies it; volumes stay)"
    if current is not None:
        if current["State"] == "running":
            return NodeAction(node.name, "running", note)
        _start(target, lab, node, current["Id"])
        return NodeAction(node.name, "started", note)
    container_id = create_container(target, lab, node, spec)
    try:
        _start(target, lab, node, container_id)
    except BaseException:
        # a container without its files would pass for a good one on the next run
        _remove_quietly(target, container_id)
        raise
    return NodeAction(node.name, action)


def _remove_quietly(target: Target, container_id: str) -> None:
    import docker.errors

    try:
        target.docker.remove_container(container_id, force=True)
    except docker.errors.NotFound:
        pass


def drift_of(current: dict[str, Any], spec: ContainerSpec, image_id: str | None) -> str:
    """Why a container no longer matches hosts.yaml and the images, or "" if it does."""
    if current["Labels"].get(labels.SPEC) != spec.labels[labels.SPEC]:
        return "its settings differ from hosts.yaml"
    if image_id and current.get("ImageID") != image_id:
        return f"its image {spec.image} was rebuilt"
    return ""


def _refuse_foreign_container(target: Target, lab: Lab, node: Node) -> None:
    """Raise if a container of the node's name exists that this lab did not create."""
    import docker.errors

    try:
        info = target.docker.inspect_container(node.container)
    except docker.errors.NotFound:
        return
    owner = (info["Config"].get("Labels") or {}).get(labels.LAB)
    raise K8smError(f"a container named {node.container} exists and is not part of lab {lab.name}"
                    f"{f' (it is lab {owner!r})' if owner else ''}",
                    "remove it yourself, or set lab.container_prefix in hosts.yaml")


def create_container(target: Target, lab: Lab, node: Node, spec: ContainerSpec) -> str:
    api = target.docker
    for volume, _ in spec.volumes.items():
        api.create_volume(volume, labels={labels.LAB: lab.name, labels.NODE: node.name})
    host_config = api.create_host_config(
        binds={volume: {"bind": mount, "mode": "rw"} for volume, mount in spec.volumes.items()},
        port_bindings={port: [binding] for port, binding in spec.ports.items()},
        extra_hosts=spec.extra_hosts,
        privileged=spec.privileged,
        cap_add=list(spec.cap_add) or None,
        security_opt=list(spec.security_opt) or None,
        init=True,
        tmpfs=spec.tmpfs or None,
    )
    networking = api.create_networking_config({
        spec.network: api.create_endpoint_config(ipv4_address=spec.ip, aliases=list(spec.aliases) or None)
    })
    created = api.create_container(
        spec.image, command=list(spec.command), name=spec.name, hostname=spec.hostname, labels=spec.labels,
        environment=spec.environment or None,
        host_config=host_config, networking_config=networking, ports=list(spec.ports) or None, detach=True,
    )
    return created["Id"]


def _start(target: Target, lab: Lab, node: Node, container_id: str) -> None:
    import docker.errors

    try:
        target.docker.start(container_id)
    except docker.errors.APIError as exc:
        text = str(exc.explanation or exc)
        if container_spec(lab, node).privileged and ("apply caps" in text or "operation not permitted" in text):
            raise EngineError(f"the Docker engine on {target.label} refused a privileged container for {node.name}",
                              "set `lab.security: capabilities` in hosts.yaml") from None
        if "port is already allocated" in text or "address already in use" in text:
            raise K8smError(f"{node.name}: a published port is already in use on {target.label} ({_first_line(text)})",
                            "change its `publish` entry in hosts.yaml or free the port") from None
        raise engine_error(exc) from None


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else ""


# ------------------------------------------------------------------- listing


def list_containers(target: Target, lab: Lab) -> list[dict[str, Any]]:
    """This lab's containers as the engine lists them (one API call)."""
    return target.docker.containers(all=True, filters=labels.lab_filter(lab.name))


# ------------------------------------------------------------------- removal


@dataclass
class Removal:
    containers: list[str] = field(default_factory=list)
    networks: list[str] = field(default_factory=list)
    volumes: list[str] = field(default_factory=list)
    images: list[str] = field(default_factory=list)


def remove(target: Target, lab: Lab, say: Say, *, volumes: bool = False, images: bool = False) -> Removal:
    """Remove exactly this lab's objects, found by label; nothing else."""
    import docker.errors

    api = target.docker
    done = Removal()
    containers = list_containers(target, lab)

    def remove_container(c: dict[str, Any]) -> str:
        api.remove_container(c["Id"], force=True)
        return c["Names"][0].lstrip("/")

    outcomes = parallel.each(remove_container, containers)
    done.containers = [o.value for o in outcomes if o.ok and o.value]
    for o in outcomes:
        if not o.ok and not isinstance(o.error, docker.errors.NotFound):
            raise engine_error(o.error) from None  # type: ignore[arg-type]
    for name in done.containers:
        say(f"  removed container {name}")
    for net in api.networks(filters=labels.lab_filter(lab.name)):
        api.remove_network(net["Id"])
        done.networks.append(net["Name"])
        say(f"  removed network {net['Name']}")
    image_filters: dict[str, Any] = labels.lab_filter(lab.name)
    if not images:
        image_filters = {**image_filters, "dangling": True}
    for image in api.images(filters=image_filters):
        name = (image.get("RepoTags") or ["<none>"])[0]
        if name == "<none>:<none>":
            name = image["Id"][7:19]
        try:
            api.remove_image(image["Id"], force=False)
        except docker.errors.APIError as exc:
            say(f"  kept image {name}: {_first_line(str(exc.explanation or exc))}")
            continue
        done.images.append(name)
        say(f"  removed image {name}")
    if volumes:
        for volume in (api.volumes(filters=labels.lab_filter(lab.name)) or {}).get("Volumes") or []:
            api.remove_volume(volume["Name"])
            done.volumes.append(volume["Name"])
            say(f"  removed volume {volume['Name']}")
    return done


def describe_removal(done: Removal, lab: Lab, volumes: bool) -> str:
    parts = [f"{len(done.containers)} containers", f"{len(done.networks)} networks", f"{len(done.images)} images"]
    if volumes:
        parts.append(f"{len(done.volumes)} volumes")
    return f"lab {lab.name}: removed " + ", ".join(parts)
