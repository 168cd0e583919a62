"""Every Docker operation k8sm performs, on a target's engine (kind's provider, in Python).

The package is the one place that talks to Docker: `client` connects (locally or over SSH),
`errors` turns foreign exceptions into k8sm's errors (once), `cli` builds every `docker`
command line, `execs` runs commands in containers, `wire` reads and writes the marker lines
(`@@...`) that scripts and execs print. This module holds the operations themselves: images,
Swarm membership, networks, volumes, containers. Importing it loads no Docker SDK.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from k8sm.engine import cli
from k8sm.engine.cli import import_argv as import_argv
from k8sm.engine.client import import_sdk_without_ssh
from k8sm.engine.errors import ContainerUnavailable as ContainerUnavailable
from k8sm.engine.errors import EngineRefused as EngineRefused
from k8sm.engine.errors import NotFound as NotFound
from k8sm.engine.errors import engine_error as engine_error
from k8sm.engine.errors import is_engine_exception as is_engine_exception
from k8sm.engine.errors import translated
from k8sm.engine.errors import unavailable_state as unavailable_state
from k8sm.engine.objects import containers as containers
from k8sm.engine.objects import create_bridge as create_bridge
from k8sm.engine.objects import create_container as create_container
from k8sm.engine.objects import create_idle as create_idle
from k8sm.engine.objects import create_volume as create_volume
from k8sm.engine.objects import image_history as image_history
from k8sm.engine.objects import images as images
from k8sm.engine.objects import import_tar as import_tar
from k8sm.engine.objects import info as info
from k8sm.engine.objects import inspect_container as inspect_container
from k8sm.engine.objects import inspect_image as inspect_image
from k8sm.engine.objects import inspect_network as inspect_network
from k8sm.engine.objects import inspect_volume as inspect_volume
from k8sm.engine.objects import networks as networks
from k8sm.engine.objects import pull as pull
from k8sm.engine.objects import remove_container as remove_container
from k8sm.engine.objects import remove_image as remove_image
from k8sm.engine.objects import remove_volume as remove_volume
from k8sm.engine.objects import run_once as run_once
from k8sm.engine.objects import start_container as start_container
from k8sm.engine.objects import tag as tag
from k8sm.engine.objects import version as version
from k8sm.engine.objects import volumes as volumes
from k8sm.engine.streams import ExecStream as ExecStream
from k8sm.engine.streams import build as build
from k8sm.engine.streams import get_archive as get_archive
from k8sm.engine.streams import put_archive as put_archive
from k8sm.errors import K8smError

if TYPE_CHECKING:
    from k8sm.target import Target

T = TypeVar("T")


def inspect_image_id(target: Target, ref: str) -> str | None:
    data = inspect_image(target, ref)
    return data["Id"] if data else None


@contextlib.contextmanager
def saved_images(target: Target, refs: Sequence[str]) -> Iterator[str]:
    """`docker save` of refs into a temporary file on the target; yields its path, removes it after."""
    directory = target.sh(["mktemp", "-d", "/tmp/k8sm-images.XXXXXX"], hide=True).stdout.strip()
    archive = f"{directory}/images.tar"
    try:
        saved = target.sh(cli.save_argv(archive, refs), hide=True, warn=True)
        if not saved.ok:
            raise K8smError(f"docker save {' '.join(refs)} failed on {target.label}: "
                            f"{(saved.stderr or saved.stdout).strip()[:200]}")
        yield archive
    finally:
        target.sh(["rm", "-rf", "--one-file-system", directory], hide=True, warn=True)


def load_images_into(target: Target, container: str, archive: str) -> None:
    """Load a `docker save` archive on the target into the Docker engine inside a container."""
    loaded = target.sh(cli.load_into_argv(container, archive), hide=True, warn=True)
    if not loaded.ok:
        raise K8smError(f"loading images into the engine in {container} failed: "
                        f"{(loaded.stderr or loaded.stdout).strip()[:200]}")


def discard_image(target: Target, image_id: str) -> None:
    """Remove an image that nothing names and nothing runs any more (what a rebuild replaced).

    The engine refuses while a name points at it or a container (of any lab) uses it: then it stays.
    """
    import_sdk_without_ssh()  # as Target.docker does: no ssh transport, so no paramiko (~50 ms)
    if not image_id:
        return
    try:
        with translated():
            info = target.docker.inspect_image(image_id)
            if not info.get("RepoTags"):
                target.docker.remove_image(image_id, force=False)
    except EngineRefused:
        pass


# ------------------------------------------------------------------ calls


def call(target: Target, what: str, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """fn(*args, **kwargs) on target's engine; an engine error becomes EngineRefused (or the engine_error)."""
    import_sdk_without_ssh()  # as Target.docker does: no ssh transport, so no paramiko (~50 ms)
    with translated(what, target.label):
        return fn(*args, **kwargs)


# ------------------------------------------------------------------ Swarm


@dataclass(frozen=True)
class SwarmState:
    """One engine's place in a Docker Swarm, as `docker info` shows it."""

    engine_id: str
    state: str                   # inactive, pending, active, error, locked
    node_id: str = ""
    node_addr: str = ""
    manager: bool = False        # this engine can manage the Swarm (ControlAvailable)
    cluster_id: str = ""         # known on managers only
    managers: tuple[str, ...] = ()  # the managers' addresses, host:port
    error: str = ""


def swarm_state(target: Target) -> SwarmState:
    """Where target's engine stands in a Swarm (one `docker info`)."""
    info = call(target, "docker info", lambda: target.docker.info())
    swarm = info.get("Swarm") or {}
    return SwarmState(
        engine_id=str(info.get("ID") or ""),
        state=str(swarm.get("LocalNodeState") or "inactive"),
        node_id=str(swarm.get("NodeID") or ""),
        node_addr=str(swarm.get("NodeAddr") or ""),
        manager=bool(swarm.get("ControlAvailable")),
        cluster_id=str((swarm.get("Cluster") or {}).get("ID") or ""),
        managers=tuple(str(m.get("Addr")) for m in swarm.get("RemoteManagers") or [] if m.get("Addr")),
        error=str(swarm.get("Error") or ""),
    )


#: The port managers listen on for the Swarm's control traffic (and workers join through).
SWARM_PORT = 2377


def swarm_init(target: Target, advertise: str) -> None:
    """Make target's engine the manager of a new Swarm (listening on the advertise address, if given)."""
    listen = f"{advertise}:{SWARM_PORT}" if advertise else f"0.0.0.0:{SWARM_PORT}"
    call(target, "docker swarm init", target.docker.init_swarm, advertise_addr=advertise or None, listen_addr=listen)


def swarm_worker_token(target: Target) -> str:
    """The token workers join target's Swarm with (target is a manager)."""
    return str(call(target, "docker swarm join-token", target.docker.inspect_swarm)["JoinTokens"]["Worker"])


def swarm_node_ids(target: Target, *, live: bool = False) -> set[str]:
    """The IDs of the nodes of target's Swarm (target is a manager); with live, only those not down."""
    nodes = call(target, "docker node ls", target.docker.nodes)
    return {str(n["ID"]) for n in nodes if not live or (n.get("Status") or {}).get("State") != "down"}


def swarm_join(target: Target, managers: Sequence[str], token: str, advertise: str) -> None:
    """Join target's engine to a Swarm as a worker, through its managers' addresses."""
    listen = f"{advertise}:{SWARM_PORT}" if advertise else f"0.0.0.0:{SWARM_PORT}"
    call(target, "docker swarm join", target.docker.join_swarm, list(managers), token, listen_addr=listen,
         advertise_addr=advertise or None)


def swarm_leave(target: Target, *, force: bool) -> None:
    call(target, "docker swarm leave", target.docker.leave_swarm, force=force)


# ---------------------------------------------------------------- networks


def network_info(target: Target, name: str) -> dict[str, Any] | None:
    """The engine's data for the network called name (not a prefix match), or None."""
    for net in networks(target, names=[name]):
        if net.get("Name") == name:
            return dict(net)
    return None


def create_overlay(target: Target, name: str, subnet: str, labels: dict[str, str]) -> None:
    """An attachable overlay network with a fixed subnet, made on a Swarm manager."""
    from docker.types import IPAMConfig, IPAMPool

    ipam = IPAMConfig(pool_configs=[IPAMPool(subnet=subnet)])
    call(target, f"creating the overlay network {name}", target.docker.create_network, name, driver="overlay",
         attachable=True, ipam=ipam, labels=labels, check_duplicate=True)


#: Seconds a swarm-scoped network's removal is retried while workers still report endpoints on it.
NETWORK_DETACH_SECONDS = 30.0


def remove_network(target: Target, net_id: str, *, wait: float = 0.0) -> None:
    """Remove a network; retried for `wait` seconds while the engine says it is still in use."""
    import time

    deadline = time.monotonic() + wait
    while True:
        try:
            call(target, "docker network rm", target.docker.remove_network, net_id)
            return
        except EngineRefused as exc:
            if "not found" in exc.detail.lower():
                return
            if "in use" not in exc.detail.lower() or time.monotonic() >= deadline:
                raise
        time.sleep(1.0)
