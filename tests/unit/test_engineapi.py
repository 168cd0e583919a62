"""k8sm.engine.socketapi and Target.containers (engine.listing): the container list without the SDK, against a fake engine
on a unix socket of the test's own."""

from __future__ import annotations

import json
import socket
import threading
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
from invoke import Context

from k8sm.engine import socketapi as engineapi
from k8sm.errors import EngineError
from k8sm.target import Target

LISTING = [{"Id": "abc", "State": "running", "Labels": {"io.k8sm.lab": "t", "io.k8sm.node": "etcd-0"}}]


def serving(path: str, answer) -> socket.socket:
    """A unix socket at path whose every connection gets answer(request text) and is closed; close it to stop."""
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path)
    server.listen(8)

    def serve() -> None:
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            with conn:
                conn.sendall(answer(conn.recv(65536).decode("utf-8", "replace")))

    threading.Thread(target=serve, daemon=True).start()
    return server


@pytest.fixture
def engine(tmp_path: Path):
    """A fake engine: answers each request with (status, body) from `answer`, and records the paths asked."""
    state = {"asked": [], "requests": [], "answer": (200, json.dumps(LISTING)), "path": str(tmp_path / "docker.sock")}

    def answer(request: str) -> bytes:
        state["asked"].append(request.split()[1])
        state["requests"].append(request)
        if "raw" in state:  # the whole answer as given, then the connection closes
            return state["raw"]
        code, body = state["answer"]
        return (f"HTTP/1.1 {code} X\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n"
                f"Connection: close\r\n\r\n{body}").encode()

    server = serving(state["path"], answer)
    yield state
    server.close()


def test_the_list_is_asked_for_every_container_of_the_filter(engine, monkeypatch):
    monkeypatch.setenv("DOCKER_HOST", f"unix://{engine['path']}")
    target = Target(Context())
    found = target.containers({"label": "io.k8sm.lab=t"})
    assert found == LISTING
    asked = urlparse(engine["asked"][0])
    assert asked.path == "/containers/json"
    query = parse_qs(asked.query)
    assert query["all"] == ["1"] and json.loads(query["filters"][0]) == {"label": ["io.k8sm.lab=t"]}
    assert target._client is None  # no SDK client was made


def test_an_engine_error_and_an_absent_engine_are_one_line_each(engine, monkeypatch, tmp_path):
    engine["answer"] = (500, json.dumps({"message": "something broke"}))
    with pytest.raises(EngineError, match="Docker engine error: 500 something broke"):
        engineapi.containers(engineapi.unix_socket(engine["path"], 5), {}, 5)
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path / 'nothing.sock'}")
    with pytest.raises(EngineError, match="cannot reach the Docker engine at unix://"):
        Target(Context()).containers({})


def test_an_engine_elsewhere_is_asked_through_the_sdk(monkeypatch):
    monkeypatch.setenv("DOCKER_HOST", "tcp://127.0.0.1:1")
    assert engineapi.local_socket() is None
    asked = []

    class FakeSdk:
        def containers(self, all: bool, filters: dict) -> list:  # noqa: A002 - the SDK's own keyword
            asked.append((all, filters))
            return []

    target = Target(Context())
    target._client = FakeSdk()  # type: ignore[assignment]
    assert target.containers({"label": "x"}) == [] and asked == [(True, {"label": "x"})]


def test_one_get_that_closes_and_a_chunked_answer_in_pieces(engine):
    body = json.dumps(LISTING).encode()
    chunks = b"".join(b"%x\r\n%s\r\n" % (len(body[i:i + 7]), body[i:i + 7]) for i in range(0, len(body), 7))
    engine["raw"] = (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
                     + chunks + b"0\r\n\r\n")
    assert engineapi.containers(engineapi.unix_socket(engine["path"], 5), {"label": "x"}, 5) == LISTING
    request = engine["requests"][0]
    assert request.startswith("GET /containers/json?") and request.endswith("\r\n\r\n")
    assert request.split("\r\n")[0].endswith(" HTTP/1.1") and "Connection: close\r\n" in request


@pytest.mark.parametrize("raw", [
    b"HTTP/1.1 200 OK\r\nContent-Length: 500\r\n\r\n[{}]",  # cut short
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\n[{}]",  # no last chunk
    b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n[{]",  # not JSON
    b"SSH-2.0-OpenSSH\r\n\r\n",  # not HTTP
    b"",  # closed at once
])
def test_a_cut_or_malformed_answer_is_an_engine_error_and_local_status_says_it_in_one_line(engine, monkeypatch, raw):
    engine["raw"] = raw
    with pytest.raises(EngineError, match="Docker engine error: its answer"):
        engineapi.containers(engineapi.unix_socket(engine["path"], 5), {}, 5)
    monkeypatch.setenv("DOCKER_HOST", f"unix://{engine['path']}")
    with pytest.raises(EngineError, match="Docker engine error: its answer"):
        Target(Context()).containers({})


def test_a_silent_engine_is_a_timeout(tmp_path):
    path = str(tmp_path / "silent.sock")
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path)
    server.listen(1)
    try:
        with pytest.raises(OSError):  # socket.timeout: Target.containers makes it the engine's one line
            engineapi.containers(engineapi.unix_socket(path, 0.2), {}, 0.2)
    finally:
        server.close()


# ------------------------------------------------ reads and exec without the SDK (a no-op `up`'s path)


@pytest.fixture
def scripted(tmp_path: Path):
    """A fake engine answering each connection with the next raw answer of state["answers"]; records requests."""
    state: dict = {"answers": [], "requests": [], "path": str(tmp_path / "docker.sock")}

    def answer(request: str) -> bytes:
        state["requests"].append(request)
        return state["answers"].pop(0) if state["answers"] else b""

    server = serving(state["path"], answer)
    yield state
    server.close()


def answer(code: int, body: bytes, content_type: str = "application/json", length: bool = True) -> bytes:
    head = f"HTTP/1.1 {code} X\r\nContent-Type: {content_type}\r\n"
    if length:
        head += f"Content-Length: {len(body)}\r\n"
    return head.encode() + b"\r\n" + body


def frame(stream: int, data: bytes) -> bytes:
    return bytes([stream, 0, 0, 0]) + len(data).to_bytes(4, "big") + data


def test_exec_creates_then_starts_and_joins_both_streams_in_order(scripted, monkeypatch):
    monkeypatch.setenv("DOCKER_HOST", f"unix://{scripted['path']}")
    stream = frame(1, b"out\n") + frame(2, b"err\n") + frame(1, b"\n@@k8sm-exit 3\n")
    scripted["answers"] += [answer(201, b'{"Id": "e1"}'),
                            answer(200, stream, "application/vnd.docker.raw-stream", length=False)]
    result = Target(Context()).exec_each([("k8smt-etcd-0", ["sh", "-c", "exit 3"])])[0]
    create, start = scripted["requests"]
    assert create.startswith("POST /containers/k8smt-etcd-0/exec HTTP/1.1")
    assert json.loads(create.split("\r\n\r\n", 1)[1])["Cmd"][-3:] == ["sh", "-c", "exit 3"]
    assert start.startswith("POST /exec/e1/start HTTP/1.1")
    assert json.loads(start.split("\r\n\r\n", 1)[1]) == {"Detach": False, "Tty": False}
    assert (result.output, result.exit_code) == ("out\nerr\n", 3)


@pytest.mark.parametrize("code, message, state", [
    (404, "No such container: k8smt-etcd-0", "missing"),
    (409, "Container abc is not running", "stopped"),
])
def test_exec_in_a_missing_or_stopped_container_says_which(scripted, monkeypatch, code, message, state):
    from k8sm.engine import ContainerUnavailable

    monkeypatch.setenv("DOCKER_HOST", f"unix://{scripted['path']}")
    scripted["answers"].append(answer(code, json.dumps({"message": message}).encode()))
    with pytest.raises(ContainerUnavailable) as caught:
        Target(Context()).exec_each([("k8smt-etcd-0", ["true"])])
    assert caught.value.state == state


def test_a_cut_exec_stream_keeps_what_arrived_and_has_no_exit_code(scripted, monkeypatch):
    monkeypatch.setenv("DOCKER_HOST", f"unix://{scripted['path']}")
    stream = frame(1, b"partial\n") + frame(1, b"\n@@k8sm-exit 0\n")[:10]
    scripted["answers"] += [answer(201, b'{"Id": "e2"}'), answer(200, stream, "application/vnd.docker.raw-stream",
                                                                 length=False)]
    result = Target(Context()).exec_each([("c", ["true"])])[0]
    assert result.output.startswith("partial\n")
    assert not result.ok


def test_lookups_through_the_socket_answer_as_the_sdk_does(scripted, monkeypatch):
    from k8sm import engine

    monkeypatch.setenv("DOCKER_HOST", f"unix://{scripted['path']}")
    scripted["answers"] += [answer(404, b'{"message": "no such image: k8sm/x:latest"}'),
                            answer(200, b'{"Id": "sha256:1"}'),
                            answer(200, b'[{"Name": "n"}]'),
                            answer(500, b'{"message": "boom"}'),
                            answer(404, b'{"message": "network m not found"}')]
    target = Target(Context())
    assert engine.inspect_image(target, "k8sm/x:latest") is None
    assert engine.inspect_image_id(target, "k8sm/y:latest") == "sha256:1"
    assert engine.networks(target, names=["n"], filters={"label": "io.k8sm.lab=t", "dangling": True}) == [{"Name": "n"}]
    with pytest.raises(engine.EngineRefused, match="500 boom"):
        engine.volumes(target)
    assert engine.inspect_network(target, "m") is None
    asked = [r.split()[1] for r in scripted["requests"]]
    assert asked[0] == "/images/k8sm/x:latest/json"
    listed = urlparse(asked[2])
    assert listed.path == "/networks"
    assert json.loads(parse_qs(listed.query)["filters"][0]) == {"name": ["n"], "label": ["io.k8sm.lab=t"],
                                                                "dangling": ["true"]}


def test_reads_and_execs_on_a_local_engine_never_load_the_sdk(scripted, tmp_path):
    """The no-op `up` path: inspects, lists and execs on this machine's engine without importing docker."""
    import subprocess
    import sys

    scripted["answers"] += [answer(200, b'{"Id": "sha256:1"}'), answer(200, b'{"Volumes": []}'),
                            answer(201, b'{"Id": "e3"}'),
                            answer(200, frame(1, b"\n@@k8sm-exit 0\n"), "application/vnd.docker.raw-stream", False)]
    code = ("import sys; from invoke import Context; from k8sm import engine; from k8sm.target import Target\n"
            "t = Target(Context()); assert engine.inspect_image_id(t, 'k8sm/x') == 'sha256:1'\n"
            "assert engine.volumes(t) == []; assert t.exec_each([('c', ['true'])])[0].ok\n"
            "print('docker' in sys.modules, 'requests' in sys.modules, 'http.client' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                          env={"DOCKER_HOST": f"unix://{scripted['path']}", "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["False", "False", "False"]
