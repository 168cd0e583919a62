"""The engine's objects: containers, volumes, networks, images; made, looked up, removed.

Each function is one or a few requests, its foreign exceptions translated (k8sm.engine.errors):
an object that is not there is NotFound (or None, where the function says so), any other
refusal EngineRefused, an engine that cannot be reached EngineError. What a refusal means to
the lab (a subnet overlap, a port in use) is decided by the caller, from the engine's detail.

Lookups on this machine's engine go straight to its socket while the SDK is not loaded
(k8sm.engine.socketapi; `read`): a no-op `up` then never imports the SDK, which costs more than
all of its requests. They give what the SDK's methods give, errors included.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from k8sm.engine import socketapi
from k8sm.engine.client import API_TIMEOUT
from k8sm.engine.errors import EngineRefused, NotFound, engine_error, translated

if TYPE_CHECKING:
    from k8sm.labspec import ContainerSpec
    from k8sm.target import Target


def local_socket(target: Target) -> tuple[socketapi.Connect, str] | None:
    """This machine's engine socket and its name while the SDK is not loaded; None for a remote
    target (its listing is checked against its docker CLI: k8sm.engine.listing) or once it is."""
    return None if target.remote else target.engine_socket()


def read(way: tuple[socketapi.Connect, str], path: str, query: Mapping[str, Any] | None = None, *,
         missing: bool = False) -> Any:
    """GET path through way's socket: its JSON answer (None for a 404 if missing). Errors as the SDK's
    are translated: NotFound, EngineRefused, EngineError for an engine that cannot be reached."""
    connect, where = way
    sent = {key: value if isinstance(value, str) else json.dumps(value) for key, value in (query or {}).items()}
    try:
        return socketapi.get_json(connect, path, sent, API_TIMEOUT)
    except socketapi.Refused as exc:
        if exc.status == 404 and missing:
            return None
        raise (NotFound if exc.status == 404 else EngineRefused)(exc.message, exc.detail, status=exc.status) from None
    except OSError as exc:
        raise engine_error(exc, where) from None


def _listed(target: Target, path: str, query: Mapping[str, Any], sdk: Callable[[Any], Any]) -> Any:
    """A list's answer: GET path?query through the local socket, or sdk(the SDK's client)."""
    way = local_socket(target)
    if way is not None:
        return read(way, path, query)
    with translated():
        return sdk(target.docker)


def _looked_up(target: Target, path: str, sdk: Callable[[Any], Any]) -> dict[str, Any] | None:
    """One object's data (GET path through the local socket, or sdk(the SDK's client)); None if there is none."""
    way = local_socket(target)
    if way is not None:
        return read(way, path, missing=True)
    try:
        with translated():
            return dict(sdk(target.docker))
    except NotFound:
        return None


def _filters(filters: Mapping[str, Any] | None) -> dict[str, Any]:
    """filters as the API takes them (the SDK's convert_filters): every value a list of strings."""
    def values(v: Any) -> list[str]:
        items = v if isinstance(v, (list, tuple)) else [v]
        return [("true" if i else "false") if isinstance(i, bool) else str(i) for i in items]
    return {"filters": {key: values(value) for key, value in (filters or {}).items()}} if filters else {}


def version(target: Target) -> dict[str, Any]:
    """The engine's version data (`docker version`)."""
    with translated():
        return dict(target.docker.version())


def info(target: Target) -> dict[str, Any]:
    """The engine's system data (`docker info`)."""
    with translated():
        return dict(target.docker.info())


def containers(target: Target, filters: Mapping[str, Any] | None = None, *, all: bool = True) -> list[dict[str, Any]]:
    """The containers matching filters (running ones only unless all)."""
    return list(_listed(target, "/containers/json", {"all": "1" if all else "0", **_filters(filters)},
                        lambda api: api.containers(all=all, **_given(filters=filters))))


def inspect_container(target: Target, container: str) -> dict[str, Any]:
    with translated():
        return dict(target.docker.inspect_container(container))


def create_container(target: Target, spec: ContainerSpec, volume_labels: Mapping[str, str]) -> str:
    """spec's volumes (labelled) and container, not started; its ID."""
    with translated():
        api = target.docker
        for volume in spec.volumes:
            api.create_volume(volume, labels=dict(volume_labels))
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
    return str(created["Id"])


def create_idle(target: Target, image: str, name: str, labels: Mapping[str, str], binds: Sequence[str] = (), *,
                network: bool = True) -> str:
    """A started container `name` that sleeps until execs are run in it (without network: loopback only)."""
    with translated():
        api = target.docker
        host_config = api.create_host_config(init=True, binds=list(binds), network_mode=None if network else "none")
        created = api.create_container(image, ["sleep", "infinity"], name=name, labels=dict(labels),
                                       host_config=host_config)
        api.start(created["Id"])
    return str(created["Id"])


def start_container(target: Target, container: str) -> None:
    with translated():
        target.docker.start(container)


def remove_container(target: Target, container: str) -> bool:
    """Remove a container, running or not; False if it was not there (gone already is fine)."""
    try:
        with translated(f"removing container {container}", target.label):
            target.docker.remove_container(container, force=True)
    except NotFound:
        return False
    return True


def run_once(target: Target, image: str, argv: Sequence[str], labels: Mapping[str, str],
             **host_config: Any) -> str:
    """Run a throwaway container to its end (30 s at most) and remove it; its output."""
    with translated():
        api = target.docker
        container = api.create_container(image, list(argv), labels=dict(labels),
                                         host_config=api.create_host_config(**host_config) if host_config else None)
        try:
            api.start(container)
            api.wait(container, timeout=30)
            return bytes(api.logs(container)).decode(errors="replace")
        finally:
            api.remove_container(container, force=True)


# ------------------------------------------------------------------ volumes


def volumes(target: Target, filters: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
    found = _listed(target, "/volumes", _filters(filters), lambda api: api.volumes(**_given(filters=filters)))
    return list((found or {}).get("Volumes") or [])


def inspect_volume(target: Target, name: str) -> dict[str, Any] | None:
    """The volume's data, or None if there is none of that name."""
    return _looked_up(target, f"/volumes/{name}", lambda api: api.inspect_volume(name))


def create_volume(target: Target, name: str, labels: Mapping[str, str]) -> None:
    with translated():
        target.docker.create_volume(name, labels=dict(labels))


def remove_volume(target: Target, name: str) -> None:
    with translated():
        target.docker.remove_volume(name)


# ----------------------------------------------------------------- networks


def networks(target: Target, *, names: Sequence[str] = (), filters: Mapping[str, Any] | None = None
             ) -> list[dict[str, Any]]:
    """The networks (of those names, or matching filters, or all)."""
    query = _filters({**({"name": list(names)} if names else {}), **(filters or {})})
    return list(_listed(target, "/networks", query, lambda api: api.networks(**_given(names=names, filters=filters))))


def inspect_network(target: Target, name: str) -> dict[str, Any] | None:
    """The network's data, or None if there is none of that name."""
    return _looked_up(target, f"/networks/{name}", lambda api: api.inspect_network(name))


def create_bridge(target: Target, name: str, subnet: str, labels: Mapping[str, str]) -> None:
    """A bridge network with a fixed subnet."""
    from docker.types import IPAMConfig, IPAMPool

    with translated():
        ipam = IPAMConfig(pool_configs=[IPAMPool(subnet=subnet)])
        target.docker.create_network(name, driver="bridge", ipam=ipam, labels=dict(labels), check_duplicate=True)


# ------------------------------------------------------------------- images


def images(target: Target, filters: Mapping[str, Any]) -> list[dict[str, Any]]:
    return list(_listed(target, "/images/json", _filters(filters), lambda api: api.images(filters=dict(filters))))


def inspect_image(target: Target, ref: str) -> dict[str, Any] | None:
    """The engine's inspect data for ref, or None if it is not there."""
    return _looked_up(target, f"/images/{ref}/json", lambda api: api.inspect_image(ref))


def image_history(target: Target, image_id: str) -> list[dict[str, Any]]:
    with translated():
        return list(target.docker.history(image_id))


def tag(target: Target, image_id: str, ref: str) -> None:
    """Give image_id the name ref (repository:tag), taking it from any image that had it."""
    repository, _, tag = ref.rpartition(":")
    with translated():
        target.docker.tag(image_id, repository, tag, force=True)


def remove_image(target: Target, ref: str) -> None:
    """Remove an image name (the image too when nothing else names or runs it); NotFound if there is none."""
    with translated():
        target.docker.remove_image(ref, force=False)


def pull(target: Target, ref: str) -> None:
    with translated():
        target.docker.pull(ref)


def import_tar(target: Target, data: bytes, ref: str, changes: Sequence[str]) -> None:
    """An image of a tar's files (`docker import`), with Dockerfile-style changes."""
    repository, _, tag = ref.rpartition(":")
    with translated():
        target.docker.import_image_from_data(data, repository=repository, tag=tag, changes=list(changes))


def _given(**options: Any) -> dict[str, Any]:
    """The options that have a value, as the SDK takes them (the others are not sent)."""
    return {key: (dict(value) if isinstance(value, Mapping) else list(value)) for key, value in options.items() if value}
