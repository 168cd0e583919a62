"""A handle on one lab container: exec argv inside it, put files into it."""

from __future__ import annotations

import io
import tarfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from k8sm.errors import ExecError, K8smError
from k8sm.target import Target, engine_error, is_engine_exception
from k8sm.topology import Node


@dataclass(frozen=True)
class ExecResult:
    exit_code: int
    output: str

    @property
    def ok(self) -> bool:
        return self.exit_code == 0


@dataclass(frozen=True)
class File:
    """A file to place in a container."""

    content: str
    mode: int = 0o644


class NodeHandle:
    """One node's container on a target; all access is by exec, so it works remotely too."""

    def __init__(self, target: Target, node: Node) -> None:
        self.target = target
        self.node = node

    def __repr__(self) -> str:
        return f"NodeHandle({self.node.container})"

    def exec(self, argv: Sequence[str], *, check: bool = True, env: Mapping[str, str] | None = None) -> ExecResult:
        """Run argv in the container; raise ExecError on a non-zero exit when check is set."""
        api = self.target.docker
        try:
            exec_id = api.exec_create(self.node.container, list(argv), environment=dict(env or {}))
            raw = api.exec_start(exec_id)
            code = api.exec_inspect(exec_id)["ExitCode"]
        except Exception as exc:
            if not is_engine_exception(exc):
                raise
            raise self._explain(exc) from None
        output = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
        result = ExecResult(exit_code=code if code is not None else -1, output=output)
        if check and not result.ok:
            raise ExecError(self.node.name, argv, result.exit_code, output)
        return result

    def put_files(self, files: Mapping[str, File]) -> None:
        """Write files (absolute paths) into the container, creating their directories."""
        if not files:
            return
        buf = io.BytesIO()
        now = time.time()
        with tarfile.open(fileobj=buf, mode="w") as tar:
            for path in sorted(files):
                if not path.startswith("/"):
                    raise ValueError(f"container path must be absolute: {path}")
                data = files[path].content.encode()
                info = tarfile.TarInfo(path.lstrip("/"))
                info.size, info.mode, info.mtime = len(data), files[path].mode, now
                tar.addfile(info, io.BytesIO(data))
        try:
            self.target.docker.put_archive(self.node.container, "/", buf.getvalue())
        except Exception as exc:
            if not is_engine_exception(exc):
                raise
            raise self._explain(exc) from None

    def _explain(self, exc: Exception) -> K8smError:
        """A missing or stopped container, in words that say what to do."""
        text = str(getattr(exc, "explanation", "") or exc).lower()
        status = getattr(getattr(exc, "response", None), "status_code", None)
        if status == 404 or "no such container" in text:
            return K8smError(f"node {self.node.name} has no container ({self.node.container})",
                             "create the lab with `invoke run`")
        if status == 409 or "is not running" in text:
            return K8smError(f"node {self.node.name} is not running", "start it with `invoke run`")
        return engine_error(exc)
