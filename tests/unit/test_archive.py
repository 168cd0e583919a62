"""k8sm.archive.tar_bytes: the one in-memory tar."""

from __future__ import annotations

import io
import tarfile

from k8sm.archive import tar_bytes


def test_tar_bytes_is_deterministic_and_keeps_modes():
    files = {"b": (b"2", 0o600), "a/x": (b"1", 0o755)}
    assert tar_bytes(files) == tar_bytes(dict(reversed(list(files.items()))))
    with tarfile.open(fileobj=io.BytesIO(tar_bytes(files, format=tarfile.USTAR_FORMAT))) as tar:
        members = tar.getmembers()
        assert [(m.name, m.mode, m.mtime) for m in members] == [("a/x", 0o755, 0), ("b", 0o600, 0)]
        assert tar.extractfile("b").read() == b"2"
