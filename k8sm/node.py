"""A handle on one lab container: exec argv inside it, put files into it."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from k8sm import engine
from k8sm.archive import tar_bytes
from k8sm.engine.errors import ContainerUnavailable
from k8sm.engine.wire import ExecResult
from k8sm.errors import ExecError, K8smError
from k8sm.target import Where

__all__ = ["LOST", "ExecResult", "File", "NodeHandle", "exec_on"]
from k8sm.topology import Node


@dataclass(frozen=True)
class File:
    """A file to place in a container."""

    content: str
    mode: int = 0o644


class NodeHandle:
    """One node's container on a target (or on its host's, in a multi-host lab); all access is by exec,
    so it works remotely too."""

    def __init__(self, target: Where, node: Node) -> None:
        self.target = target
        self.node = node

    def __repr__(self) -> str:
        return f"NodeHandle({self.node.container})"

    def exec(self, argv: Sequence[str], *, check: bool = True) -> ExecResult:
        """Run argv in the container; raise ExecError on a non-zero exit when check is set."""
        result = exec_on(self.target, [(self.node, argv)])[0]
        if result.exit_code == LOST:
            raise K8smError(f"{self.node.name}: the output of `{' '.join(argv)[:80]}` was lost twice by the engine",
                            "run the command again")
        if check and not result.ok:
            raise ExecError(self.node.name, argv, result.exit_code, result.output)
        return result

    def put_files(self, files: Mapping[str, File]) -> None:
        """Write files (absolute paths) into the container, creating their directories."""
        if not files:
            return
        relative = [path for path in files if not path.startswith("/")]
        if relative:
            raise ValueError(f"container path must be absolute: {sorted(relative)[0]}")
        archive = tar_bytes({path.lstrip("/"): (f.content.encode(), f.mode) for path, f in files.items()},
                            mtime=time.time())
        try:
            engine.put_archive(self.target.for_node(self.node), self.node.container, "/", archive)
        except engine.EngineRefused as exc:
            state = engine.unavailable_state(exc.detail, exc.status)
            if not state:
                raise
            raise unavailable(self.node, state) from None


def exec_on(target: Where, jobs: Sequence[tuple[Node, Sequence[str]]], *,
            retry_lost: bool = True) -> list[ExecResult]:
    """Run each argv on its node, all at once (one SSH session on a remote target).

    An exec whose output came back without its exit code (the engine lost part of the
    stream) is run once more when retry_lost is set; if that is lost too, its result keeps
    exit_code LOST. Every k8sm command run this way may safely run twice.
    """
    results = _exec_each(target, jobs)
    lost = [i for i, r in enumerate(results) if r.exit_code == LOST] if retry_lost else []
    if lost:
        for i, again in zip(lost, _exec_each(target, [jobs[i] for i in lost]), strict=True):
            results[i] = again
    return results


#: The exit code of an exec whose output arrived without its exit code.
LOST = -1


def _exec_each(target: Where, jobs: Sequence[tuple[Node, Sequence[str]]]) -> list[ExecResult]:
    try:
        return list(target.exec_each([(node.container, argv) for node, argv in jobs]))
    except ContainerUnavailable as exc:
        node = next(n for n, _ in jobs if n.container == exc.container)
        raise unavailable(node, exc.state) from None


def unavailable(node: Node, state: str) -> K8smError:
    if state == "missing":
        return K8smError(f"node {node.name} has no container ({node.container})", "create the lab with `invoke run`")
    return K8smError(f"node {node.name} is not running", "start it with `invoke run`")
