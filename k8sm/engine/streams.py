"""What flows to and from the engine in pieces: streamed execs, image builds, file archives.

Iterators translate the engine's exceptions as they are read (k8sm.engine.errors), so a
caller's loop sees only k8sm's errors, and its own exceptions pass through unchanged.
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from k8sm.engine.errors import NotFound, translated

if TYPE_CHECKING:
    from k8sm.target import Target


class ExecStream:
    """An exec whose output is read as it comes (`chunks`), then its exit code (`exit_code`)."""

    def __init__(self, target: Target, container: str, argv: Sequence[str],
                 environment: Mapping[str, str] | None = None) -> None:
        self._api = target.docker
        with translated():
            self._id = self._api.exec_create(container, list(argv), environment=dict(environment or {}) or None)

    def chunks(self) -> Iterator[bytes]:
        with translated():
            yield from self._api.exec_start(self._id, stream=True)

    def exit_code(self) -> int:
        with translated():
            return int(self._api.exec_inspect(self._id)["ExitCode"])


def build(target: Target, context_tar: bytes, ref: str, buildargs: Mapping[str, str], labels: Mapping[str, str], *,
          nocache: bool) -> Iterator[dict[str, Any]]:
    """`docker build` of a tar context as ref, from images on the engine only (no pull); its decoded messages."""
    with translated():
        yield from target.docker.build(fileobj=io.BytesIO(context_tar), custom_context=True, tag=ref,
                                       buildargs=dict(buildargs), labels=dict(labels), nocache=nocache, rm=True,
                                       forcerm=True, decode=True, pull=False)


def put_archive(target: Target, container: str, path: str, data: bytes) -> None:
    """Unpack a tar into the container at path."""
    with translated():
        target.docker.put_archive(container, path, data)


def get_archive(target: Target, container: str, path: str) -> bytes | None:
    """A tar of path in the container; None if the path (or the container) is not there."""
    try:
        with translated():
            stream, _ = target.docker.get_archive(container, path)
            return b"".join(stream)
    except NotFound:
        return None
