"""The labelled listing: which containers exist (the labels, not a state file, are the truth).

Until the SDK is loaded anyway, the list is read straight from the engine's socket
(k8sm.engine.socketapi): importing the SDK costs more than the request. The Target says where
that socket is (Target.engine_socket); over SSH the socket's answer is kept only if the host's
docker CLI, the engine k8sm uses there, lists the same containers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from k8sm.engine import cli, socketapi
from k8sm.engine.client import API_TIMEOUT
from k8sm.engine.errors import engine_error

if TYPE_CHECKING:
    from k8sm.target import Target


def containers(target: Target, filters: dict[str, str]) -> list[dict[str, Any]]:
    """Every container matching filters, running or not (one engine request)."""
    way = target.engine_socket()
    if way is not None:
        connect, where = way
        if not target.remote:
            try:
                return socketapi.containers(connect, filters, API_TIMEOUT)
            except OSError as exc:
                raise engine_error(exc, where) from None
        found = _checked_by_cli(target, connect, filters)
        if found is not None:
            return found
        target.engine_socket_refused()
    return target.docker.containers(all=True, filters=filters)


def _checked_by_cli(target: Target, connect: socketapi.Connect,
                    filters: dict[str, str]) -> list[dict[str, Any]] | None:
    """The socket's list if the docker CLI lists the same containers (both asked at once), else None."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=1) as pool:  # the CLI's session and the socket's channel at once
        listed = pool.submit(_cli_lists, target, filters)
        found = _by_socket_or_nothing(connect, filters)
        if found and listed.result() == {c["Id"] for c in found}:
            return found
    return None


def _by_socket_or_nothing(connect: socketapi.Connect, filters: dict[str, str]) -> list[dict[str, Any]]:
    """The containers as the engine behind connect lists them; [] where it cannot be read."""
    import http.client

    import paramiko

    from k8sm.errors import EngineError

    try:
        return socketapi.containers(connect, filters, API_TIMEOUT)
    except (paramiko.SSHException, EngineError, OSError, ValueError, http.client.HTTPException):
        return []


def _cli_lists(target: Target, filters: dict[str, str]) -> set[str] | None:
    """The IDs of the containers the target's docker CLI lists for filters (one session); None if it fails."""
    result = target.sh(cli.ps_argv(filters, quiet=True, no_trunc=True), hide=True, warn=True)
    return set(result.stdout.split()) if result.ok else None
