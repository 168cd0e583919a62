"""Small queries of a target's Docker engine that several modules share."""

from __future__ import annotations

from typing import Any

from k8sm.target import Target, engine_error, is_engine_exception


def inspect_image(target: Target, ref: str) -> dict[str, Any] | None:
    """The engine's inspect data for ref, or None if it is not there."""
    import docker.errors

    try:
        return target.docker.inspect_image(ref)
    except docker.errors.ImageNotFound:
        return None
    except docker.errors.NotFound:
        return None
    except Exception as exc:
        if not is_engine_exception(exc):
            raise
        raise engine_error(exc) from None


def inspect_image_id(target: Target, ref: str) -> str | None:
    data = inspect_image(target, ref)
    return data["Id"] if data else None


def import_argv(ref: str, changes: list[str]) -> list[str]:
    """`docker import` of a tar stream on stdin as ref, with Dockerfile-style changes (LABEL, ENV, CMD)."""
    argv = ["docker", "import"]
    for change in changes:
        argv += ["--change", change]
    return [*argv, "-", ref]
