"""Connecting to a Docker engine: this machine's (DOCKER_HOST) or a host's over an open SSH connection.

The SDK's low-level client is made here and nowhere else; k8sm.target keeps the connection it
returns (Target.docker) and says where the engine is. Nothing here imports the SDK at import time:
status's fast path never loads it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from k8sm.engine import cli
from k8sm.engine.errors import default_where, engine_error, is_engine_exception
from k8sm.errors import EngineError, K8smError

if TYPE_CHECKING:
    from docker import APIClient as Client

    from k8sm.target import RemoteTarget
else:
    Client = Any

#: Seconds a Docker API call may stay silent (builds stream, so this is per chunk).
API_TIMEOUT = 600


def import_sdk_without_ssh() -> None:
    """Import the docker SDK without its ssh:// transport, which pulls in paramiko (~50 ms).

    Local targets never use it; remote ones import paramiko (through Fabric) first, and
    k8sm.engine.sshchannel imports docker's ssh adapter module directly.
    """
    import sys

    if "docker" in sys.modules or "paramiko" in sys.modules:
        return
    sys.modules["paramiko"] = None  # type: ignore[assignment]  # makes docker skip its ssh transport
    try:
        import docker  # noqa: F401
    finally:
        del sys.modules["paramiko"]


def connect_local() -> Client:
    """A connected, version-negotiated client of the engine DOCKER_HOST names (this machine's by default)."""
    import_sdk_without_ssh()
    from docker import APIClient
    from docker.utils import kwargs_from_env

    try:
        client = APIClient(version="auto", timeout=API_TIMEOUT, **kwargs_from_env())
        client.ping()
    except Exception as exc:  # docker raises a zoo of types here
        raise engine_error(exc, default_where()) from None
    return client


def connect_over_ssh(target: RemoteTarget) -> Client:
    """A client whose requests travel over target's SSH connection (`docker system dial-stdio` there)."""
    from k8sm.engine.sshchannel import api_client

    target.open()
    try:
        return api_client(target.ctx.client, target.ctx.open, API_TIMEOUT)
    except Exception as exc:
        if not is_engine_exception(exc) and not isinstance(exc, OSError):
            raise
        raise diagnose_remote(target) from None


def diagnose_remote(target: RemoteTarget) -> K8smError:
    """Why `docker system dial-stdio` found no engine, asked of the remote docker CLI."""
    result = target.sh(cli.server_version_argv(), hide=True, warn=True)
    text = f"{result.stdout}\n{result.stderr}".lower()
    user = target.ctx.user
    if result.exited == 127 or "not found" in text:
        return EngineError(f"the docker CLI is not installed on {target.label}",
                           f"install {cli.DOCKER_CLI_PACKAGE} there; "
                           "k8sm reaches the engine with `docker system dial-stdio`")
    if "permission denied" in text:
        return EngineError(f"permission denied on the Docker socket of {target.label}",
                           f"add {user} to the 'docker' group there (usermod -aG docker {user}) or connect as root")
    if "cannot connect to the docker daemon" in text or "is the docker daemon running" in text:
        return EngineError(f"no Docker engine is running on {target.label}",
                           "start it there (`systemctl start docker`)")
    detail = (result.stderr or result.stdout).strip().splitlines()
    return EngineError(f"cannot use the Docker engine on {target.label}"
                       f"{': ' + detail[-1] if detail else ''}")
