"""Distributions: Mesos and Kubernetes binaries, kept as images on the lab's engine.

`build.mesos` and `build.k8s` (k8sm.release) end by importing a directory tree
on the target (an install of Mesos under /opt/mesos; km and kubectl under
/opt/kubernetes/bin) as a files-only image, e.g. k8sm/mesos-dist:1.11.0. The
role images copy a dist image's whole tree in (`COPY --from=dist / /`). So the
binaries never travel between machines: in remote mode they are built,
imported and used on the remote host. Where a dist is absent, an empty one
stands in and the images build without it.
"""

from __future__ import annotations

import io
import re
import tarfile
from dataclasses import dataclass

from k8sm import engine
from k8sm.engine import inspect_image, inspect_image_id
from k8sm.errors import K8smError
from k8sm.target import Target
from k8sm.topology import Lab

DIST_LABEL = "io.k8sm.dist"
DIST_VERSION_LABEL = "io.k8sm.dist-version"
#: "upstream" when the dist holds the real programs (Apache Mesos, Kubernetes's km), else "other"
#: (e.g. the test stand-ins): the opt-in real-chain tests run only on upstream dists.
DIST_ORIGIN_LABEL = "io.k8sm.dist-origin"


@dataclass(frozen=True)
class Dist:
    """One kind of distribution: which build task makes it, what it must contain."""

    name: str         # mesos, kubernetes
    build_task: str   # the task that makes it
    binaries: tuple[str, ...]  # programs it must hold ("a|b": either path)
    arg: str          # the Dockerfile build argument naming it
    upstream_check: str  # sh script, $1 = the tree's root: exits 0 when it holds the upstream programs

    def version(self, lab: Lab) -> str:
        raw = lab.mesos.version if self.name == "mesos" else lab.kubernetes.ref
        return re.sub(r"[^A-Za-z0-9_.-]", "-", raw)[:128]

    def ref(self, lab: Lab) -> str:
        return f"{lab.images.prefix}{self.name}-dist:{self.version(lab)}"


MESOS = Dist("mesos", "build.mesos", ("/opt/mesos/sbin/mesos-master|/usr/sbin/mesos-master",), "MESOS_DIST",
             # Apache Mesos's daemons are linked against its library
             'for f in "$1"/opt/mesos/lib/libmesos-*.so "$1"/usr/lib/libmesos-*.so; do [ -e "$f" ] && exit 0; done; exit 1')
KUBERNETES = Dist("kubernetes", "build.k8s", ("/opt/kubernetes/bin/km", "/opt/kubernetes/bin/kubectl"),
                  "KUBERNETES_DIST",
                  # a Go binary built from Kubernetes's contrib/mesos carries its package paths
                  'grep -q "contrib/mesos/pkg/executor" "$1/opt/kubernetes/bin/km"')
DISTS = {d.name: d for d in (MESOS, KUBERNETES)}


def empty_ref(lab: Lab) -> str:
    return f"{lab.images.prefix}dist-empty:latest"


def resolve(target: Target, lab: Lab, dist: Dist) -> tuple[str, str]:
    """(image ID, description) of the dist the images should take in: the built one, else the empty one."""
    ref = dist.ref(lab)
    image_id = inspect_image_id(target, ref)
    if image_id:
        return image_id, ref
    return ensure_empty(target, lab), f"none ({dist.build_task} provides {dist.name})"


def origin(target: Target, lab: Lab, dist: Dist) -> str | None:
    """The dist's origin label (upstream, other), or None when it is not built."""
    info = inspect_image(target, dist.ref(lab))
    if info is None:
        return None
    return ((info.get("Config") or {}).get("Labels") or {}).get(DIST_ORIGIN_LABEL, "other")


def present(target: Target, lab: Lab, dist: Dist) -> bool:
    return inspect_image(target, dist.ref(lab)) is not None


def ensure_empty(target: Target, lab: Lab) -> str:
    """The empty dist image (a root directory and nothing else), made once per engine and shared by
    every lab (under each lab's name), so that images built without a dist are the same for all."""
    ref = empty_ref(lab)
    image_id = inspect_image_id(target, ref)
    if image_id:
        return image_id
    existing = engine.images(target, {"label": f"{DIST_LABEL}=empty"})
    if existing:
        engine.tag(target, existing[0]["Id"], ref)
        return existing[0]["Id"]
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        info = tarfile.TarInfo("opt")
        info.type, info.mode = tarfile.DIRTYPE, 0o755
        tar.addfile(info)
    engine.import_tar(target, buf.getvalue(), ref, [f"LABEL {DIST_LABEL}=empty"])  # the same for every lab
    image_id = inspect_image_id(target, ref)
    if not image_id:
        raise K8smError(f"could not create the empty distribution image {ref} on {target.label}")
    return image_id
