"""The lab on an engine: its network, its containers, their labels; listing and removal.

What each container is (settings, volumes, files) is k8sm.labspec.

`run` is safe to repeat: it creates what is missing, starts what is stopped
and leaves running containers alone. `remove` finds the lab by its labels
and touches nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from k8sm import engine, labels, parallel
from k8sm.engine import inspect_image
from k8sm.errors import EngineError, ImageMissing, K8smError

# The `X as X` names are re-exported for the callers of before: what a container is, is k8sm.labspec.
from k8sm.labspec import ELEVATED_CAPS as ELEVATED_CAPS
from k8sm.labspec import ELEVATED_SECURITY_OPT as ELEVATED_SECURITY_OPT
from k8sm.labspec import KUBECTL_ROLES as KUBECTL_ROLES
from k8sm.labspec import ContainerSpec, container_spec, volumes_of
from k8sm.labspec import node_env as node_env
from k8sm.labspec import node_files as node_files
from k8sm.labspec import peers_file as peers_file
from k8sm.labspec import volume_name as volume_name
from k8sm.output import Say
from k8sm.placement import Placement, placed
from k8sm.target import Target, Where
from k8sm.topology import Lab, Node

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


def run(where: Where, lab: Lab, say: Say, *, recreate: bool = False) -> list[NodeAction]:
    """Create the network and every container; start stopped ones; leave running ones alone.

    A multi-host lab's containers are made on their own hosts' engines, on the overlay network
    of the hosts' Swarm (k8sm.overlay).
    """
    from k8sm import overlay

    placement = placed(where, lab)
    images = placement.each_host(lambda host: host_images(placement.targets[host], placement.view(host)))
    for host, target in placement.targets.items():
        refuse_foreign_names(target, placement.view(host))
    if placement.multi_host:
        overlay.ensure_network(placement, lab, say)
        existing = overlay.placed_containers(placement, lab, say, recreate=recreate)
    else:
        ensure_network(placement.manager, lab, say)
        existing = {c["Labels"].get(labels.NODE): c for c in list_containers(placement.manager, lab)}

    def one(node: Node) -> NodeAction:
        return ensure_container(placement.for_node(node), lab, node, existing.get(node.name),
                                images[placement.host_of(node)], recreate=recreate)

    outcomes = parallel.each(one, lab.nodes)
    actions = [o.value for o in outcomes if o.ok and o.value is not None]
    for a in actions:
        if a.changed or a.note:
            say(f"  {a.node}: {a.action}{f'; {a.note}' if a.note else ''}")
    parallel.raise_first(outcomes)
    return actions


def host_images(target: Target, lab: Lab) -> dict[str, str | None]:
    """The image ID of each role image the lab's nodes run on target; ImageMissing if one is not there."""
    from k8sm.images import image_ids  # only bring-up needs it: status does not load the image builder

    images = image_ids(target, lab)
    missing = [ref for ref, image_id in images.items() if image_id is None]
    if missing:
        raise ImageMissing(f"missing image{'s' if len(missing) > 1 else ''} on {target.label}: {', '.join(missing)}",
                           "build them with `invoke build`")
    return images


def refuse_foreign_names(target: Target, lab: Lab) -> None:
    """Raise, before anything is created, if a network, container or volume the lab would use
    already exists and belongs to another lab (its lab label says whose) or to no lab."""
    wanted: list[tuple[str, str]] = [("network", lab.network.name)]
    for node in lab.nodes:
        wanted.append(("container", node.container))
        wanted += [("volume", name) for name in volumes_of(lab, node)]
    found: dict[tuple[str, str], dict[str, str]] = {}
    for net in engine.networks(target, names=[lab.network.name]):
        if net.get("Name") == lab.network.name:
            found[("network", net["Name"])] = net.get("Labels") or {}
    for c in engine.containers(target):
        for name in c.get("Names") or []:
            found[("container", name.lstrip("/"))] = c.get("Labels") or {}
    for volume in engine.volumes(target):
        found[("volume", volume["Name"])] = volume.get("Labels") or {}
    for kind, name in wanted:
        owner = found.get((kind, name), {labels.LAB: lab.name}).get(labels.LAB)
        if owner != lab.name:
            whose = f"lab {owner!r}" if owner else "no k8sm lab"
            setting = {"network": "network.name", "container": "lab.container_prefix", "volume": "lab.name"}[kind]
            raise K8smError(f"the Docker {kind} {name} already exists and belongs to {whose}, not to lab {lab.name}",
                            f"choose another {setting} in hosts.yaml, or remove that {kind} yourself")


def ensure_network(target: Target, lab: Lab, say: Say) -> None:
    name, subnet = lab.network.name, lab.network.subnet
    info = engine.inspect_network(target, name)
    if info is not None:  # ours: refuse_foreign_names ran first
        subnets = [c.get("Subnet") for c in (info.get("IPAM") or {}).get("Config") or []]
        if subnet not in subnets:
            raise K8smError(f"network {name} has subnet {', '.join(map(str, subnets))}, hosts.yaml says {subnet}",
                            "remove the lab with `invoke rm` and run it again")
        return
    say(f"network {name} ({subnet})")
    try:
        engine.create_bridge(target, name, subnet, {labels.LAB: lab.name})
    except engine.EngineRefused as exc:
        if "overlap" in exc.detail.lower():
            raise K8smError(f"cannot create network {name}: subnet {subnet} overlaps a network already on the engine",
                            "choose another network.subnet in hosts.yaml") from None
        raise


def ensure_container(target: Target, lab: Lab, node: Node, current: dict[str, Any] | None,
                     images: dict[str, str | None], *, recreate: bool) -> NodeAction:
    """Create node's container if missing, start it if stopped; recreate it on drift if asked."""
    spec = container_spec(lab, node)
    action, note = "created", ""
    drift = drift_of(current, spec, images.get(spec.image)) if current is not None else ""
    if drift and current is not None:
        if recreate:
            engine.remove_container(target, current["Id"])
            engine.discard_image(target, current.get("ImageID", ""))
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
        engine.remove_container(target, container_id)
        raise
    return NodeAction(node.name, action)


def drift_of(current: dict[str, Any], spec: ContainerSpec, image_id: str | None) -> str:
    """Why a container no longer matches hosts.yaml and the images, or "" if it does."""
    if current["Labels"].get(labels.SPEC) != spec.labels[labels.SPEC]:
        return "its settings differ from hosts.yaml"
    if image_id and current.get("ImageID") != image_id:
        return f"its image {spec.image} was rebuilt"
    return ""


def create_container(target: Target, lab: Lab, node: Node, spec: ContainerSpec) -> str:
    return engine.create_container(target, spec, {labels.LAB: lab.name, labels.NODE: node.name})


def _start(target: Target, lab: Lab, node: Node, container_id: str) -> None:
    try:
        engine.start_container(target, container_id)
    except engine.EngineRefused as exc:
        text = exc.detail
        if container_spec(lab, node).privileged and ("apply caps" in text or "operation not permitted" in text):
            raise EngineError(f"the Docker engine on {target.label} refused a privileged container for {node.name}",
                              "set `lab.security: capabilities` in hosts.yaml") from None
        if "port is already allocated" in text or "address already in use" in text:
            raise K8smError(f"{node.name}: a published port is already in use on {target.label} ({_first_line(text)})",
                            "change its `publish` entry in hosts.yaml or free the port") from None
        raise


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else ""


# ------------------------------------------------------------------- listing


def list_containers(where: Where, lab: Lab) -> list[dict[str, Any]]:
    """This lab's containers as the engine lists them (one API call; one per host of a multi-host lab,
    each keeping the containers of its own nodes)."""
    if isinstance(where, Target):
        return where.containers(labels.lab_filter(lab.name))
    placement = placed(where, lab)
    found = placement.each_host(lambda host: list_containers(placement.targets[host], lab))
    return [c for host, containers in found.items() for c in on_own_host(placement, host, containers)]


def on_own_host(placement: Placement, host: str, containers: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The containers of host's listing whose nodes hosts.yaml places on that host."""
    nodes = {n.name: n for n in placement.lab.nodes}
    return [c for c in containers
            if c["Labels"].get(labels.NODE) in nodes and placement.host_of(nodes[c["Labels"][labels.NODE]]) == host]


# ------------------------------------------------------------------- removal


@dataclass
class Removal:
    containers: list[str] = field(default_factory=list)
    networks: list[str] = field(default_factory=list)
    volumes: list[str] = field(default_factory=list)
    images: list[str] = field(default_factory=list)


def remove(where: Where, lab: Lab, say: Say, *, volumes: bool = False, images: bool = False) -> Removal:
    """Remove exactly this lab's objects, found by label; nothing else (on every host of a multi-host lab)."""
    from k8sm import overlay

    placement = placed(where, lab)
    if placement.multi_host:
        return overlay.remove(placement, lab, say, volumes=volumes, images=images)
    target, done = placement.manager, Removal()
    remove_containers(target, lab, say, done)
    remove_networks(target, lab, say, done)
    remove_images(target, lab, say, done, tagged=images)
    if volumes:
        remove_volumes(target, lab, say, done)
    return done


def remove_containers(target: Target, lab: Lab, say: Say, done: Removal) -> None:
    """Every container of the lab on target, at once."""
    containers = list_containers(target, lab)

    def remove_container(c: dict[str, Any]) -> str:
        return c["Names"][0].lstrip("/") if engine.remove_container(target, c["Id"]) else ""

    outcomes = parallel.each(remove_container, containers)
    removed = [o.value for o in outcomes if o.ok and o.value]
    done.containers += removed
    for o in outcomes:
        if o.error is not None:
            raise o.error
    for name in removed:
        say(f"  removed container {name}")


def remove_networks(target: Target, lab: Lab, say: Say, done: Removal, *, wait: float = 0.0) -> None:
    """The lab's networks on target (wait: seconds to retry one that hosts still use, see engine.remove_network)."""
    for net in engine.networks(target, filters=labels.lab_filter(lab.name)):
        engine.remove_network(target, net["Id"], wait=wait)
        done.networks.append(net["Name"])
        say(f"  removed network {net['Name']}")


def remove_volumes(target: Target, lab: Lab, say: Say, done: Removal) -> None:
    for volume in engine.volumes(target, filters=labels.lab_filter(lab.name)):
        engine.remove_volume(target, volume["Name"])
        done.volumes.append(volume["Name"])
        say(f"  removed volume {volume['Name']}")


def remove_images(target: Target, lab: Lab, say: Say, done: Removal, *, tagged: bool) -> None:
    """Dangling images labelled with this lab; with tagged, also the lab's own image names.

    Images are shared by content between labs, so a name is removed only while no other lab
    takes images under the same prefix. Removing a name deletes the image only when no other
    name points at it and no container runs it (the engine's rules: such images are kept and
    said so); the base image always stays.
    """
    # images are no longer labelled with a lab (builds discard what they replace themselves,
    # see Builder.build_one); older k8sm builds were, and their leftovers go here
    leftovers = {i["Id"]: i for i in engine.images(target, {**labels.lab_filter(lab.name), "dangling": True})}
    doomed: list[tuple[str, str]] = [(image_id, image_id[7:19]) for image_id in leftovers]
    kept: list[str] = []
    if tagged:
        users = other_labs_prefixes(target, lab)
        for ref in lab_image_refs(lab):
            info = inspect_image(target, ref)
            if info is None:
                continue
            who = users.get(lab.images.prefix)
            if who:
                kept.append(f"{ref} (lab {who} uses it)")
            else:
                doomed.append((ref, ref))
    for key, name in doomed:
        try:
            engine.remove_image(target, key)
        except engine.NotFound:
            continue
        except engine.EngineRefused as exc:
            kept.append(f"{name} ({_first_line(exc.detail)})")
            continue
        done.images.append(name)
        say(f"  removed image {name}")
    for what in kept:
        say(f"  kept image {what}")


def lab_image_refs(lab: Lab) -> list[str]:
    """Every image name a lab's builds give: role images, node, builders, distributions."""
    from k8sm import dists
    from k8sm.images import IMAGES

    return ([lab.images.ref(name) for name in reversed(list(IMAGES))] +
            [d.ref(lab) for d in dists.DISTS.values()] + [dists.empty_ref(lab)])


def other_labs_prefixes(target: Target, lab: Lab) -> dict[str, str]:
    """The image prefixes other labs' containers were made from -> that lab's name."""
    from k8sm.topology import ROLE_IMAGES

    users: dict[str, str] = {}
    for c in engine.containers(target, {"label": labels.LAB}):
        owner = (c.get("Labels") or {}).get(labels.LAB)
        if not owner or owner == lab.name:
            continue
        image_name = ROLE_IMAGES.get((c.get("Labels") or {}).get(labels.ROLE, ""), "")
        ref = c.get("Image", "")
        if image_name and f"{image_name}:" in ref:
            users[ref[: ref.rindex(f"{image_name}:")]] = owner
    return users


def describe_removal(done: Removal, lab: Lab, volumes: bool) -> str:
    """'lab x: removed 11 containers, 1 network, 0 images' (and the volumes, if they were removed)."""
    counts = {"container": done.containers, "network": done.networks, "image": done.images}
    if volumes:
        counts["volume"] = done.volumes
    return f"lab {lab.name}: removed " + ", ".join(
        f"{len(items)} {noun}{'' if len(items) == 1 else 's'}" for noun, items in counts.items())
