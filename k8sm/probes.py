"""Ask the lab's daemons over the network: HTTP GETs and ZooKeeper four-letter words, all at once.

Every answer comes back as text in the shape the daemon's in-container probe prints, so
the daemons' own parse functions read both: an HTTP answer is its body, then an HTTP
marker line (k8sm.engine.wire.http_answer; code 000 when nothing answered or the answer was cut short or malformed); a
four-letter word's answer is its text ("" when nothing answered). The connections go
from this process to the containers' IPs: straight there on the machine that runs the
engine, or through `direct-tcpip` channels of the lab's SSH connection (see
Target.open_tcp). No shell, no session, no exec.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Protocol

from k8sm.engine.wire import NO_HTTP_ANSWER, http_answer

#: Seconds one ask may take in all (connect, request, answer). The daemons answer within
#: milliseconds; one that does not is checked by exec instead (which tells stopped from hung).
TIMEOUT = 1.5
#: Bytes of an answer at most (a busy Mesos master's state is the largest); a longer one is no answer.
MAX_ANSWER = 16 << 20
#: Asks in flight at once.
WORKERS = 32


class Conn(Protocol):
    """A connected stream: a socket, or a paramiko channel."""

    def settimeout(self, value: float | None) -> None: ...
    def sendall(self, data: bytes) -> None: ...
    def recv(self, size: int) -> bytes: ...
    def close(self) -> None: ...


#: (ip, port, timeout) -> a connection; raises when it cannot connect.
Opener = Callable[[str, int, float], Conn]


@dataclass(frozen=True)
class HttpGet:
    """GET http://ip:port/path, answered as http_probe's curl prints it (k8sm.engine.wire.http_answer)."""

    ip: str
    port: int
    path: str


@dataclass(frozen=True)
class FourLetter:
    """A ZooKeeper four-letter word on ip:port, answered with its text."""

    ip: str
    port: int
    word: str = "srvr"


Ask = HttpGet | FourLetter


def no_answer(ask: Ask) -> str:
    return NO_HTTP_ANSWER if isinstance(ask, HttpGet) else ""


def ask_all(opener: Opener, asks: Sequence[Ask], timeout: float = TIMEOUT) -> list[str]:
    """Every ask's answer, in order; all asked at once, each within timeout seconds."""
    if not asks:
        return []
    if len(asks) == 1:
        return [ask_one(opener, asks[0], timeout)]
    with ThreadPoolExecutor(max_workers=min(WORKERS, len(asks))) as pool:
        return list(pool.map(lambda a: ask_one(opener, a, timeout), asks))


def ask_one(opener: Opener, ask: Ask, timeout: float = TIMEOUT) -> str:
    """One ask's answer; never raises: whatever goes wrong is no answer."""
    deadline = time.monotonic() + timeout
    try:
        conn = opener(ask.ip, ask.port, timeout)
    except Exception:  # refused, unreachable, timed out, an SSH channel refused: all "no answer"
        return no_answer(ask)
    try:
        if isinstance(ask, HttpGet):
            conn.sendall(_request(ask))
            answer = read_http(lambda: _recv(conn, deadline))
            return NO_HTTP_ANSWER if answer is None else http_answer(answer[0], answer[1])
        conn.sendall(ask.word.encode("ascii"))
        data = _read_to_eof(lambda: _recv(conn, deadline))
        return "" if data is None else data.decode("utf-8", "replace")
    except Exception:  # reset, timed out, channel closed: the answer is lost, which is no answer
        return no_answer(ask)
    finally:
        try:
            conn.close()
        except Exception:  # closing a broken connection may fail too; nothing is left to do
            pass


def _request(ask: HttpGet) -> bytes:
    return (f"GET {ask.path} HTTP/1.1\r\nHost: {ask.ip}:{ask.port}\r\nUser-Agent: k8sm\r\n"
            "Accept: */*\r\nConnection: close\r\n\r\n").encode("ascii")


def _recv(conn: Conn, deadline: float) -> bytes:
    left = deadline - time.monotonic()
    if left <= 0:
        raise TimeoutError("no complete answer in time")
    conn.settimeout(left)
    return conn.recv(65536)


Reader = Callable[[], bytes]  # the next bytes; b"" at the end


def _read_to_eof(read: Reader, data: bytes = b"", limit: int = MAX_ANSWER) -> bytes | None:
    buf = bytearray(data)
    while len(buf) <= limit and (chunk := read()):
        buf += chunk
    return bytes(buf) if len(buf) <= limit else None


def read_http(read: Reader) -> tuple[int, str] | None:
    """(status code, body) of an HTTP/1.x response; None when it is cut short or malformed."""
    answer = read_http_bytes(read)
    return None if answer is None else (answer[0], answer[1].decode("utf-8", "replace"))


def read_http_bytes(read: Reader, limit: int = 0) -> tuple[int, bytes] | None:
    """(status code, body bytes) of an HTTP/1.x response, a body of at most limit bytes (0: MAX_ANSWER);
    None when it is cut short, malformed or longer."""
    buf = bytearray()
    while (end := buf.find(b"\r\n\r\n")) < 0:
        chunk = read()
        if not chunk or len(buf) > 65536:
            return None
        buf += chunk
    head, rest = bytes(buf[:end]).decode("iso-8859-1"), bytes(buf[end + 4:])
    lines = head.split("\r\n")
    status = lines[0].split(" ", 2)
    if len(status) < 2 or not status[0].startswith("HTTP/1.") or not (
            len(status[1]) == 3 and status[1].isascii() and status[1].isdigit()):
        return None
    headers = {}
    for line in lines[1:]:
        name, colon, value = line.partition(":")
        if not colon:
            return None
        headers[name.strip().lower()] = value.strip()
    body = _body(read, rest, headers, limit or MAX_ANSWER)
    return None if body is None else (int(status[1]), body)


def _body(read: Reader, rest: bytes, headers: dict[str, str], limit: int) -> bytes | None:
    if "chunked" in headers.get("transfer-encoding", "").lower():
        return _dechunk(read, rest, limit)
    length = headers.get("content-length")
    if length is None:
        return _read_to_eof(read, rest, limit)
    if not (length.isascii() and length.isdigit()) or int(length) > limit:
        return None
    buf = bytearray(rest)
    while len(buf) < int(length):
        chunk = read()
        if not chunk:
            return None
        buf += chunk
    return bytes(buf[: int(length)])


def _dechunk(read: Reader, data: bytes, limit: int) -> bytes | None:
    """A chunked body, read to its last chunk; None when it ends early or is malformed."""
    buf, body, pos = bytearray(data), bytearray(), 0
    while True:
        line_end = buf.find(b"\r\n", pos)
        if line_end < 0:
            if not _more(read, buf):
                return None
            continue
        size_text = bytes(buf[pos:line_end]).split(b";")[0].strip()
        try:
            size = int(size_text, 16)
        except ValueError:
            return None
        if size < 0:
            return None
        if size == 0:
            return bytes(body)
        if len(body) + size > limit:
            return None
        while len(buf) < line_end + 2 + size + 2:
            if not _more(read, buf):
                return None
        body += buf[line_end + 2: line_end + 2 + size]
        pos = line_end + 2 + size + 2


def _more(read: Reader, buf: bytearray) -> bool:
    chunk = read()
    buf += chunk
    return bool(chunk)
