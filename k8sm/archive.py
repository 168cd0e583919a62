"""Tar archives of files made in memory: for put_archive, a build context, a spec digest."""

from __future__ import annotations

import io
import tarfile
from collections.abc import Mapping


def tar_bytes(files: Mapping[str, tuple[bytes, int]], *, mtime: float = 0,
              format: int = tarfile.DEFAULT_FORMAT) -> bytes:
    """A tar of regular files, name -> (data, mode), in name order; the same files give the same bytes
    (mtime 0 unless given)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=format) as tar:
        for name in sorted(files):
            data, mode = files[name]
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = len(data), mode, mtime
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()
