"""k8sm.engine.execs: one interface, three ways there (the SDK's API, the engine's socket without the SDK,
one shell batch), the same results and errors."""

from __future__ import annotations

import json
import socket
import subprocess
import threading
from types import SimpleNamespace

import docker.errors
import pytest
import requests

from k8sm.engine import execs, wire
from k8sm.engine.errors import ContainerUnavailable
from k8sm.engine.wire import ExecResult
from k8sm.errors import EngineError


class ApiTarget:
    """A local target whose engine runs each exec's argv here (REPORT_EXIT included), or refuses it."""

    label = "local"
    batch_execs = False
    remote = False

    def __init__(self, refusal: Exception | None = None) -> None:
        self.refusal = refusal
        self.docker = self

    def engine_socket(self) -> None:
        return None  # the SDK is loaded: its connection is the way

    def exec_create(self, container: str, argv: list[str]) -> list[str]:
        if self.refusal is not None:
            raise self.refusal
        return argv

    def exec_start(self, argv: list[str]) -> bytes:
        return subprocess.run(argv, capture_output=True).stdout


class SocketTarget:
    """A local target whose engine (a unix socket of the test's own) runs each exec's argv here, framed as
    the engine's raw stream, or refuses it with (status, message)."""

    label = "local"
    batch_execs = False
    remote = False

    def __init__(self, tmp_path, refusal: tuple[int, str] | None = None) -> None:
        from k8sm.engine import socketapi

        path = str(tmp_path / "engine.sock")
        self.server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.server.bind(path)
        self.server.listen(8)
        self.refusal = refusal
        self.way = (socketapi.unix_socket(path, 10), f"unix://{path}")
        self.commands: dict[str, list[str]] = {}
        threading.Thread(target=self._serve, daemon=True).start()

    def engine_socket(self):
        return self.way

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            with conn:
                head, _, body = conn.recv(65536).partition(b"\r\n\r\n")
                path = head.split()[1].decode()
                conn.sendall(self._answer(path, json.loads(body)))

    def _answer(self, path: str, body: dict) -> bytes:
        if self.refusal is not None:
            status, message = self.refusal
            data = json.dumps({"message": message}).encode()
            return f"HTTP/1.1 {status} X\r\nContent-Length: {len(data)}\r\n\r\n".encode() + data
        if path.endswith("/exec"):
            exec_id = f"e{len(self.commands)}"
            self.commands[exec_id] = body["Cmd"]
            data = json.dumps({"Id": exec_id}).encode()
            return f"HTTP/1.1 201 Created\r\nContent-Length: {len(data)}\r\n\r\n".encode() + data
        done = subprocess.run(self.commands[path.split("/")[2]], capture_output=True)
        frames = b"".join(bytes([n, 0, 0, 0]) + len(out).to_bytes(4, "big") + out
                          for n, out in ((2, done.stderr), (1, done.stdout)) if out)
        return b"HTTP/1.1 200 OK\r\nContent-Type: application/vnd.docker.raw-stream\r\n\r\n" + frames


class BatchTarget:
    """A remote target whose shell runs the batch with a `docker` that answers as the engine would."""

    label = "root@h:22"
    batch_execs = True

    def __init__(self, tmp_path, answer: str) -> None:
        fake = tmp_path / "docker"
        fake.write_text(answer)
        fake.chmod(0o755)
        self.path = f"{tmp_path}:/usr/bin:/bin"

    def open(self) -> None:
        pass

    def sh(self, argv, hide=True, warn=True):
        done = subprocess.run(argv, capture_output=True, text=True, env={"PATH": self.path})
        return SimpleNamespace(ok=done.returncode == 0, stdout=done.stdout, stderr=done.stderr)


RUNS = '#!/bin/sh\nshift 2; "$@"\n'  # docker exec CONTAINER ARGV... -> ARGV...
MISSING = '#!/bin/sh\necho "Error response from daemon: No such container: $2" >&2; exit 1\n'
STOPPED = '#!/bin/sh\necho "Error response from daemon: container $2 is not running" >&2; exit 1\n'


def not_found() -> Exception:
    response = requests.Response()
    response.status_code = 404
    return docker.errors.NotFound("404", response=response, explanation="No such container: c1")


def conflict() -> Exception:
    response = requests.Response()
    response.status_code = 409
    return docker.errors.APIError("409", response=response, explanation="container c1 is not running")


JOBS = [("c1", ["sh", "-c", "echo one; exit 3"]), ("c2", ["echo", "two"])]


def test_both_ways_give_the_same_results(tmp_path):
    expected = [ExecResult(3, "one"), ExecResult(0, "two")]
    api = execs.exec_each(ApiTarget(), JOBS)
    batch = execs.exec_each(BatchTarget(tmp_path, RUNS), JOBS)
    by_socket = execs.exec_each(SocketTarget(tmp_path), JOBS)
    assert [(r.exit_code, r.output.strip()) for r in api] == [(r.exit_code, r.output) for r in expected]
    assert [(r.exit_code, r.output.strip()) for r in batch] == [(r.exit_code, r.output) for r in expected]
    assert [(r.exit_code, r.output.strip()) for r in by_socket] == [(r.exit_code, r.output) for r in expected]
    assert execs.exec_each(ApiTarget(), []) == [] == execs.exec_each(BatchTarget(tmp_path, RUNS), [])


@pytest.mark.parametrize(("refusal", "answer", "socket_answer", "state"), [
    (not_found(), MISSING, (404, "No such container: c1"), "missing"),
    (conflict(), STOPPED, (409, "Container c1 is not running"), "stopped"),
])
def test_every_way_says_a_container_is_missing_or_stopped_alike(tmp_path, refusal, answer, socket_answer, state):
    with pytest.raises(ContainerUnavailable) as by_api:
        execs.exec_each(ApiTarget(refusal), JOBS)
    with pytest.raises(ContainerUnavailable) as by_batch:
        execs.exec_each(BatchTarget(tmp_path, answer), JOBS)
    with pytest.raises(ContainerUnavailable) as by_socket:
        execs.exec_each(SocketTarget(tmp_path, socket_answer), JOBS[:1])
    assert ((by_api.value.container, by_api.value.state) == (by_batch.value.container, by_batch.value.state)
            == (by_socket.value.container, by_socket.value.state) == ("c1", state))


def test_another_refusal_is_an_engine_error_every_way(tmp_path):
    response = requests.Response()
    response.status_code = 500
    with pytest.raises(EngineError, match="Docker engine error: OCI runtime exec failed"):
        execs.exec_each(ApiTarget(docker.errors.APIError("500", response=response,
                                                         explanation="OCI runtime exec failed")), JOBS)
    with pytest.raises(EngineError, match="Docker engine error: 500 OCI runtime exec failed"):
        execs.exec_each(SocketTarget(tmp_path, (500, "OCI runtime exec failed")), JOBS[:1])
    failing = '#!/bin/sh\necho "Error response from daemon: OCI runtime exec failed" >&2; exit 126\n'
    with pytest.raises(EngineError, match="c1: Error response from daemon: OCI runtime exec failed"):
        execs.exec_each(BatchTarget(tmp_path, failing), JOBS)


def test_the_exit_mark_is_the_wire_modules():
    assert wire.REPORT_EXIT[2].endswith('printf "\\n@@k8sm-exit %d\\n" "$?"') and wire.EXIT_MARK == "\n@@k8sm-exit "
