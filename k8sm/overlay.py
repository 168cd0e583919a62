"""A multi-host lab's network, containers and removal, across the hosts of one Docker Swarm.

The first host (a Swarm manager) makes one attachable overlay network with the
lab's subnet; each host's engine attaches its own nodes' containers to it with
their fixed IPs, so the daemons reach each other across hosts at the same
addresses as on one host. Removal takes the containers off every host that
can be reached, then the network off the first host; the Swarm stays.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from k8sm import engine, labels, swarm
from k8sm.errors import K8smError
from k8sm.output import Say
from k8sm.placement import Placement
from k8sm.topology import Lab

if TYPE_CHECKING:
    from k8sm.lab import Removal


def ensure_network(placement: Placement, lab: Lab, say: Say) -> None:
    """The lab's overlay network on the first host; every host must be in its Swarm."""
    swarm.require_joined(swarm.survey(placement.targets))
    name, subnet = lab.network.name, lab.network.subnet
    first, *others = placement.targets
    info = engine.network_info(placement.manager, name)
    if info is None:
        say(f"network {name} ({subnet}, overlay across hosts {', '.join(placement.targets)})")
        try:
            engine.create_overlay(placement.manager, name, subnet, {labels.LAB: lab.name})
        except engine.EngineRefused as exc:
            if "overlap" in exc.detail.lower():
                raise K8smError(f"cannot create network {name}: subnet {subnet} overlaps a network of the Swarm",
                                "choose another network.subnet in hosts.yaml") from None
            raise
    elif info.get("Driver") != "overlay":
        raise K8smError(f"network {name} on host {first} is a {info.get('Driver')} network, not the overlay a "
                        "multi-host lab needs (the lab ran on one host before?)",
                        "remove the lab there (`k8sm -H HOST rm` with its old hosts.yaml), then run it again")
    else:
        subnets = [c.get("Subnet") for c in (info.get("IPAM") or {}).get("Config") or []]
        if subnet not in subnets:
            raise K8smError(f"network {name} has subnet {', '.join(map(str, subnets))}, hosts.yaml says {subnet}",
                            "remove the lab with `invoke rm` and run it again")
    for host in others:
        local = engine.network_info(placement.targets[host], name)
        if local is not None and local.get("Driver") != "overlay":
            raise K8smError(f"host {host} has a {local.get('Driver')} network called {name}, which would take the "
                            "lab's containers there instead of the overlay",
                            f"remove it on {host} (`docker network rm {name}`) or choose another network.name")


def placed_containers(placement: Placement, lab: Lab, say: Say, *, recreate: bool) -> dict[str, dict[str, Any]]:
    """The lab's containers by node, each from its own host; a container on another host than hosts.yaml
    says is removed with recreate (its volumes stay there), else refused."""
    from k8sm.lab import list_containers

    nodes = {n.name: n for n in lab.nodes}
    listings = placement.each_host(lambda host: list_containers(placement.targets[host], lab))
    found: dict[str, dict[str, Any]] = {}
    for host, containers in listings.items():
        for c in containers:
            node = nodes.get(c["Labels"].get(labels.NODE, ""))
            if node is None:
                continue
            wanted = placement.host_of(node)
            if wanted == host:
                found[node.name] = c
            elif recreate:
                engine.remove_container(placement.targets[host], c["Id"])
                say(f"  {node.name}: removed from host {host}: hosts.yaml places it on host {wanted}")
            else:
                raise K8smError(f"node {node.name} has its container on host {host}, but hosts.yaml places it on "
                                f"host {wanted}", "`invoke run --recreate` (or `invoke up`) moves it; its volumes "
                                f"stay on {host}")
    return found


def remove(placement: Placement, lab: Lab, say: Say, *, volumes: bool, images: bool) -> Removal:
    """The lab's containers on every host, its overlay network, then images and volumes per host.

    A host that cannot be reached is left as it is and named at the end (K8smError), after the rest is done.
    """
    from k8sm.lab import Removal, describe_removal, remove_containers, remove_images, remove_networks, remove_volumes

    done = Removal()
    failed: dict[str, K8smError] = {}

    def on_host(host: str) -> Say:
        return lambda line: say(f"{line} (host {host})")

    def on_each(step: Callable[[Any, Say], None]) -> None:
        for host, target in placement.targets.items():
            if host in failed:
                continue
            try:
                step(target, on_host(host))
            except K8smError as exc:
                failed[host] = exc

    on_each(lambda target, tell: remove_containers(target, lab, tell, done))
    first = next(iter(placement.targets))
    if first not in failed:
        wait = 0.0 if failed else engine.NETWORK_DETACH_SECONDS  # an unreachable host keeps its endpoints
        try:
            remove_networks(placement.manager, lab, lambda line: say(f"{line} (host {first})"), done, wait=wait)
        except K8smError as exc:
            failed.setdefault(first, exc)
    on_each(lambda target, tell: remove_images(target, lab, tell, done, tagged=images))
    if volumes:
        on_each(lambda target, tell: remove_volumes(target, lab, tell, done))
    if failed:
        say(describe_removal(done, lab, volumes))
        host, error = next(iter(failed.items()))
        raise K8smError(f"host {host}: {error.message}; what is there stays",
                        "run `invoke rm` again once it can be reached")
    return done
