"""Small queries of a target's Docker engine that several modules share."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from typing import Any

from k8sm.errors import K8smError
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


@contextlib.contextmanager
def saved_images(target: Target, refs: Sequence[str]) -> Iterator[str]:
    """`docker save` of refs into a temporary file on the target; yields its path, removes it after."""
    directory = target.sh(["mktemp", "-d", "/tmp/k8sm-images.XXXXXX"], hide=True).stdout.strip()
    archive = f"{directory}/images.tar"
    try:
        saved = target.sh(["docker", "save", "-o", archive, *refs], hide=True, warn=True)
        if not saved.ok:
            raise K8smError(f"docker save {' '.join(refs)} failed on {target.label}: "
                            f"{(saved.stderr or saved.stdout).strip()[:200]}")
        yield archive
    finally:
        target.sh(["rm", "-rf", "--one-file-system", directory], hide=True, warn=True)


def load_images_into(target: Target, container: str, archive: str) -> None:
    """Load a `docker save` archive on the target into the Docker engine inside a container."""
    script = 'docker exec -i "$1" docker load -q < "$2"'
    loaded = target.sh(["sh", "-c", script, "k8sm-load", container, archive], hide=True, warn=True)
    if not loaded.ok:
        raise K8smError(f"loading images into the engine in {container} failed: "
                        f"{(loaded.stderr or loaded.stdout).strip()[:200]}")


def discard_image(target: Target, image_id: str) -> None:
    """Remove an image that nothing names and nothing runs any more (what a rebuild replaced).

    The engine refuses while a name points at it or a container (of any lab) uses it: then it stays.
    """
    import docker.errors

    if not image_id:
        return
    try:
        info = target.docker.inspect_image(image_id)
        if not info.get("RepoTags"):
            target.docker.remove_image(image_id, force=False)
    except docker.errors.APIError:
        pass
