"""Reading hosts.yaml: a regular UTF-8 file of bounded size, then strict YAML, then the topology.

Every refusal is a TopologyError naming the file; the sections' problems come all at once
(k8sm.topology_reader).
"""

from __future__ import annotations

import codecs
import errno
import os
import stat
from pathlib import Path

from k8sm.errors import TopologyError, clip
from k8sm.topology import MAX_FILE_BYTES, Lab
from k8sm.topology_reader import LabReader

_NOT_REGULAR = ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISSOCK, "a socket"),
                (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"))


def load_file(file: Path) -> Lab:
    """Read and validate the hosts file; raise TopologyError naming every problem."""
    return parse_text(read_hosts_file(file), str(file))


def read_hosts_file(file: Path) -> str:
    """The text of a regular UTF-8 file of at most MAX_FILE_BYTES; TopologyError otherwise. Never blocks."""
    source = str(file)
    try:
        data = _read_regular(file, source)
    except FileNotFoundError:
        problem = ("is a symbolic link to a missing file" if os.path.islink(file)
                   else "file not found; create it (see README, 'Configuration') or set K8SM_HOSTS")
        raise TopologyError(source, [problem]) from None
    except OSError as exc:
        reason = "a symbolic link loop" if exc.errno == errno.ELOOP else (exc.strerror or str(exc))
        raise TopologyError(source, [f"cannot read it: {reason}"]) from None
    return _decode(data, source)


def _read_regular(file: Path, source: str) -> bytes:
    """The bytes of a regular file: stat first, open without blocking (a FIFO never waits), check again."""
    _check_regular(os.stat(file), source)
    fd = os.open(file, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC)
    try:
        _check_regular(os.fstat(fd), source)  # it may have been replaced since the stat
        chunks, size = [], 0
        while size <= MAX_FILE_BYTES and (chunk := os.read(fd, MAX_FILE_BYTES + 1 - size)):
            chunks.append(chunk)
            size += len(chunk)
    finally:
        os.close(fd)
    if size > MAX_FILE_BYTES:
        raise _too_large(source)
    return b"".join(chunks)


def _check_regular(st: os.stat_result, source: str) -> None:
    for test, kind in _NOT_REGULAR:
        if test(st.st_mode):
            raise TopologyError(source, [f"is {kind}, not a file; point K8SM_HOSTS at a hosts.yaml"])
    if not stat.S_ISREG(st.st_mode):
        raise TopologyError(source, ["is not a regular file; point K8SM_HOSTS at a hosts.yaml"])
    if st.st_size > MAX_FILE_BYTES:
        raise _too_large(source)


def _too_large(source: str) -> TopologyError:
    return TopologyError(source, [f"is larger than {MAX_FILE_BYTES >> 20} MiB; a hosts file is a few KB"])


def _decode(data: bytes, source: str) -> str:
    """UTF-8 text (a UTF-8 byte-order mark is allowed); UTF-16/32 and binary files are refused."""
    for boms, encoding in (((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE), "UTF-32"),
                           ((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE), "UTF-16")):
        if data.startswith(boms):
            raise TopologyError(source, [f"is {encoding} text, not UTF-8; save it as UTF-8"])
    if b"\0" in data:
        raise TopologyError(source, [f"is not UTF-8 text (a NUL byte at offset {data.index(0)}: binary, "
                                     "or UTF-16/32 without a byte-order mark); save it as UTF-8"])
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise TopologyError(source, [f"is not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start}); "
                                     "save it as UTF-8"]) from None


def parse_text(text: str, source: str = "hosts.yaml") -> Lab:
    """Validate YAML text into a Lab; raise TopologyError naming every problem."""
    import yaml

    from k8sm.yamlstrict import StrictLoader

    try:
        data = yaml.load(text, Loader=StrictLoader)  # noqa: S506 - StrictLoader is a SafeLoader
    except yaml.YAMLError as exc:
        raise TopologyError(source, [_yaml_problem(exc)]) from None
    except RecursionError:  # StrictLoader bounds nesting; this is the last guard
        raise TopologyError(source, ["not valid YAML: nested too deeply"]) from None
    if data is None:
        data = {}
    reader = LabReader()
    lab = reader.lab(data, source)
    if reader.problems:
        raise TopologyError(source, reader.problems)
    assert lab is not None
    return lab


def _yaml_problem(exc: Exception) -> str:
    """'not valid YAML: line L, column C: what', bounded."""
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or (str(exc).splitlines() or ["unreadable"])[0]
    where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
    return f"not valid YAML: {where}{clip(problem, 160)}"
