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


@pytest.fixture
def engine(tmp_path: Path):
    """A fake engine: answers each request with (status, body) from `answer`, and records the paths asked."""
    path = str(tmp_path / "docker.sock")
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path)
    server.listen(4)
    state = {"asked": [], "requests": [], "answer": (200, json.dumps(LISTING))}

    def serve() -> None:
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            with conn:
                request = conn.recv(65536).decode()
                state["asked"].append(request.split()[1])
                state["requests"].append(request)
                if "raw" in state:  # the whole answer as given, then the connection closes
                    conn.sendall(state["raw"])
                    continue
                code, body = state["answer"]
                conn.sendall(f"HTTP/1.1 {code} X\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n"
                             f"Connection: close\r\n\r\n{body}".encode())

    threading.Thread(target=serve, daemon=True).start()
    state["path"] = path
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
    engine["raw"] = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n" + chunks + b"0\r\n\r\n"
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
