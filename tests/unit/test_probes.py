"""k8sm.probes against real sockets on 127.0.0.1: answers whole, cut, malformed, late or absent.

An answer that is not whole and well formed must come back as "no answer" (HTTP code 000,
or "" for a four-letter word), which the daemons' parsers read as not healthy.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator

import pytest

from k8sm import probes
from k8sm.daemons import etcd, zookeeper
from k8sm.probes import FourLetter, HttpGet

Handler = Callable[[socket.socket], None]


@pytest.fixture
def server() -> Iterator[Callable[[Handler], int]]:
    """serve(handler) -> a port on 127.0.0.1 whose every connection goes to handler (in a thread)."""
    listeners: list[socket.socket] = []

    def serve(handler: Handler) -> int:
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        listeners.append(listener)

        def loop() -> None:
            while True:
                try:
                    conn, _ = listener.accept()
                except OSError:
                    return
                threading.Thread(target=_handle, args=(handler, conn), daemon=True).start()

        threading.Thread(target=loop, daemon=True).start()
        return listener.getsockname()[1]

    yield serve
    for listener in listeners:
        listener.close()


def _handle(handler: Handler, conn: socket.socket) -> None:
    try:
        handler(conn)
    except OSError:
        pass
    finally:
        conn.close()


def replies(*parts: bytes, pause: float = 0.0, close: bool = True) -> Handler:
    """A handler that reads the request, then sends parts (pausing between them)."""
    def handle(conn: socket.socket) -> None:
        conn.recv(4096)
        for part in parts:
            conn.sendall(part)
            time.sleep(pause)
        if not close:
            time.sleep(5)
    return handle


def opener(ip: str, port: int, timeout: float) -> socket.socket:
    return socket.create_connection((ip, port), timeout=timeout)


def get(port: int, timeout: float = 1.0) -> str:
    return probes.ask_one(opener, HttpGet("127.0.0.1", port, "/v2/stats/self"), timeout)


BODY = b'{"state":"StateLeader","leaderInfo":{"leader":"a"}}'


def test_a_whole_answer_has_the_shape_of_the_exec_probe(server):
    port = server(replies(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(BODY) + BODY))
    answer = get(port)
    assert answer == BODY.decode() + "\n@@http 200\n"
    assert etcd.parse_probe(answer).healthy


def test_chunked_and_close_delimited_bodies_in_small_pieces(server):
    chunked = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + b"".join(
        b"%x\r\n%s\r\n" % (len(BODY[i:i + 7]), BODY[i:i + 7]) for i in range(0, len(BODY), 7)) + b"0\r\n\r\n"
    pieces = [chunked[i:i + 5] for i in range(0, len(chunked), 5)]
    assert get(server(replies(*pieces, pause=0.001))) == BODY.decode() + "\n@@http 200\n"
    assert get(server(replies(b"HTTP/1.0 307 Temporary Redirect\r\nLocation: //x/\r\n\r\n"))) == "\n@@http 307\n"


@pytest.mark.parametrize("answer", [
    b"HTTP/1.1 200 OK\r\nContent-Length: 500\r\n\r\n" + BODY,           # cut short
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10\r\n" + BODY[:16],  # chunked, cut short
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",     # a chunk size that is no number
    b"HTTP/1.1 200 OK\r\nContent-Le",                                   # cut inside the head
    b"garbage\x00\x01\r\n\r\n" + BODY,                                  # not HTTP
    b"HTTP/1.1 2x0 OK\r\n\r\n" + BODY,                                  # no status code
    b"HTTP/1.1 200 OK\r\nContent-Length: \xd9\xa4\r\n\r\n" + BODY,       # a non-ASCII length
    b"",                                                                # closed without a word
])
def test_a_cut_or_malformed_answer_is_no_answer(server, answer):
    result = get(server(replies(answer)))
    assert result == probes.NO_HTTP_ANSWER
    assert etcd.parse_probe(result).detail == "not answering"


def test_a_silent_server_is_no_answer_within_the_timeout(server):
    port = server(replies(b"HTTP/1.1 200 OK\r\nContent-Length: 500\r\n\r\n", close=False))
    started = time.monotonic()
    assert get(port, timeout=0.3) == probes.NO_HTTP_ANSWER
    assert time.monotonic() - started < 1.5


def test_a_closed_port_is_no_answer():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    assert get(port) == probes.NO_HTTP_ANSWER


def test_an_answer_over_the_size_cap_is_no_answer(server, monkeypatch):
    monkeypatch.setattr(probes, "MAX_ANSWER", 10)
    assert get(server(replies(b"HTTP/1.1 200 OK\r\n\r\n" + BODY))) == probes.NO_HTTP_ANSWER
    assert get(server(replies(b"HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\n01234567890"))) == probes.NO_HTTP_ANSWER


def test_four_letter_words(server):
    srvr = b"Zookeeper version: 3.8.0\nLatency min/avg/max: 0/0.0/0\nMode: follower\nNode count: 5\n"
    seen: list[bytes] = []

    def zk(conn: socket.socket) -> None:
        seen.append(conn.recv(16))
        conn.sendall(srvr)

    answer = probes.ask_one(opener, FourLetter("127.0.0.1", server(zk)), 1.0)
    assert seen == [b"srvr"] and answer == srvr.decode()
    assert zookeeper.parse_srvr(answer).detail == "follower"
    # an answer that never ends (no close) is no answer, not a partial one
    late = probes.ask_one(opener, FourLetter("127.0.0.1", server(replies(srvr, close=False))), 0.3)
    assert late == "" and zookeeper.parse_srvr(late).detail == "not answering"


def test_all_asked_at_once_and_kept_in_order(server):
    def slow(conn: socket.socket) -> None:
        conn.recv(4096)
        time.sleep(0.3)
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")

    ports = [server(slow) for _ in range(10)]
    started = time.monotonic()
    answers = probes.ask_all(opener, [HttpGet("127.0.0.1", p, "/healthz") for p in ports], 2.0)
    assert answers == ["ok\n@@http 200\n"] * 10
    assert time.monotonic() - started < 2.0  # not 10 x 0.3 s one after the other


def test_an_opener_that_raises_is_no_answer():
    def broken(ip: str, port: int, timeout: float) -> socket.socket:
        raise RuntimeError("ChannelException(2, 'Connect failed')")

    assert probes.ask_all(broken, [HttpGet("127.0.0.1", 1, "/"), FourLetter("127.0.0.1", 2)]) == [
        probes.NO_HTTP_ANSWER, ""]
