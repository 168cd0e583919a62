"""The lab's images: what they are and how they are built.

Every image is built FROM a parent (the base image for `node`, `node` for
the role images) and labelled with a hash of everything that goes into it:
its build context, its build arguments, its parent's image ID and the IDs of
the distributions it takes in (k8sm.dists). An image whose label matches is
up to date and is not built again.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from k8sm import dists, engine
from k8sm.archive import tar_bytes
from k8sm.engine import discard_image, inspect_image, inspect_image_id
from k8sm.errors import ImageMissing, K8smError
from k8sm.labels import DISTS, IMAGE, IMAGE_HASH
from k8sm.output import Say
from k8sm.resources import dockerfiles_dir, scripts_dir
from k8sm.target import Target
from k8sm.topology import Lab

#: Scripts copied into every role image (see scripts/).
ROLE_SCRIPTS = ("k8sm-daemon", "k8sm-dind", "k8sm-mesos-agent", "k8sm-zk-leader", "k8sm-framework-check",
           "etcd-cluster.sh", "mesos.sh", "k8sm.sh", "seed-cli.sh")


@dataclass(frozen=True)
class ImageSpec:
    """One image: its Dockerfile directory, its parent, what it is for."""

    name: str
    parent: str | None  # None: built FROM the base image
    scripts: tuple[str, ...]  # files of scripts/ it takes in (as scripts/NAME in its context)
    summary: str
    dists: tuple[str, ...] = ()  # distributions it takes in (see k8sm.dists)

    @property
    def directory(self) -> Path:
        return dockerfiles_dir() / self.name


IMAGES: dict[str, ImageSpec] = {
    spec.name: spec
    for spec in (
        ImageSpec("node", None, (), "shared layer: base image + common tools"),
        ImageSpec("etcd", "node", ROLE_SCRIPTS, "etcd cluster member"),
        ImageSpec("mesos-master", "node", ROLE_SCRIPTS, "ZooKeeper + Mesos master", ("mesos",)),
        ImageSpec("framework", "node", ROLE_SCRIPTS, "kubernetes-mesos framework (km) + kubectl", ("kubernetes",)),
        ImageSpec("minion", "node", ROLE_SCRIPTS, "Mesos agent + Docker engine (+ km for executors)",
                  ("mesos", "kubernetes")),
        ImageSpec("client", "node", ROLE_SCRIPTS, "kubectl client", ("kubernetes",)),
        ImageSpec("mesos-builder", "node", ("k8sm-build-mesos",),
                  "tools to build Apache Mesos from source (build.mesos only)"),
        # workloads: loaded into the minions' own engines (k8sm.workloads), never run as lab nodes
        ImageSpec("busybox", "node", (), "tiny shell image for Mesos's Docker tasks (workload)"),
        ImageSpec("pause", "busybox", (), "pod infrastructure container for km's kubelets (workload)"),
        ImageSpec("nginx", None, (), "the example pod's web server, Debian's nginx (workload)"),
        ImageSpec("k8s-builder", "node", ("k8sm-build-k8s",),
                  "Debian's Go, to build km and kubectl from Kubernetes source (build.k8s only)"),
    )
}


def plan(names: Iterable[str]) -> list[ImageSpec]:
    """The images to consider for `names`, parents first, each once."""
    ordered: list[ImageSpec] = []
    for name in names:
        if name not in IMAGES:
            raise K8smError(f"unknown image {name!r}", f"images are: {', '.join(IMAGES)}")
        chain = []
        spec: ImageSpec | None = IMAGES[name]
        while spec is not None:
            chain.append(spec)
            spec = IMAGES[spec.parent] if spec.parent else None
        for spec in reversed(chain):
            if spec not in ordered:
                ordered.append(spec)
    return ordered


#: The workload images, loaded into every minion's engine (see k8sm.workloads).
WORKLOAD_IMAGES = ("busybox", "pause", "nginx")


def role_images(lab: Lab) -> list[str]:
    """The images the lab's enabled nodes run, in IMAGES order."""
    wanted = {n.image_name for n in lab.nodes}
    return [name for name in IMAGES if name in wanted]


def images_for(lab: Lab) -> list[str]:
    """What `build` and `up` build for the lab: its role images, and the workloads if it has minions."""
    wanted = set(role_images(lab))
    if "minion" in wanted:
        wanted.update(WORKLOAD_IMAGES)
    return [name for name in IMAGES if name in wanted]


def context_files(spec: ImageSpec) -> dict[str, tuple[bytes, int]]:
    """The build context: the image's directory, plus the scripts/ files it takes in."""
    files: dict[str, tuple[bytes, int]] = {}
    if not (spec.directory / "Dockerfile").is_file():
        raise K8smError(f"missing {spec.directory / 'Dockerfile'}", "restore dockerfiles/ from the checkout")
    for path in sorted(spec.directory.rglob("*")):
        if path.is_file():
            files[path.relative_to(spec.directory).as_posix()] = (path.read_bytes(), _mode(path))
    for name in spec.scripts:
        path = scripts_dir() / name
        files[f"scripts/{name}"] = (path.read_bytes(), _mode(path))
    return files


def _mode(path: Path) -> int:
    return 0o755 if path.stat().st_mode & 0o111 else 0o644


def context_hash(files: dict[str, tuple[bytes, int]], buildargs: dict[str, str], parent_id: str,
                 labels: dict[str, str] | None = None) -> str:
    """A digest of everything that decides the image's content (and of the labels it must carry)."""
    h = hashlib.sha256()
    for name in sorted(files):
        data, mode = files[name]
        h.update(f"{name}\0{mode:o}\0{len(data)}\0".encode())
        h.update(data)
    for key in sorted(buildargs):
        h.update(f"arg\0{key}={buildargs[key]}\0".encode())
    h.update(f"parent\0{parent_id}".encode())
    for key in sorted(labels or {}):
        h.update(f"\0label\0{key}={(labels or {})[key]}".encode())
    return h.hexdigest()[:32]


def context_tar(files: dict[str, tuple[bytes, int]]) -> bytes:
    return tar_bytes(files)


@dataclass(frozen=True)
class BuildResult:
    name: str
    ref: str
    action: str  # "built", "tagged" (shared with an image of the same inputs) or "up to date"
    seconds: float = 0.0


class Builder:
    """Builds the lab's images on a target, skipping those that are up to date."""

    def __init__(self, target: Target, lab: Lab, say: Say, *, no_cache: bool = False, verbose: bool = False,
                 pull: bool = False) -> None:
        self.target = target
        self.lab = lab
        self.say = say
        self.no_cache = no_cache
        self.verbose = verbose
        self.pull = pull
        self.dist_ids: dict[str, str] = {}
        self.built_dists: set[str] = set()  # the distributions that are built (not the empty stand-in)

    def build(self, names: Sequence[str]) -> list[BuildResult]:
        specs = plan(names)
        base_id = self.base_image_id()
        self.dist_ids = self.resolve_dists({d for spec in specs for d in spec.dists})
        ids: dict[str | None, str] = {None: base_id}
        results = []
        for spec in specs:
            result, image_id = self.build_one(spec, ids[spec.parent])
            ids[spec.name] = image_id
            results.append(result)
        return results

    def resolve_dists(self, names: set[str]) -> dict[str, str]:
        """The dist image each wanted distribution comes from (an empty one where not built)."""
        chosen = {}
        for name in sorted(names):
            image_id, described = dists.resolve(self.target, self.lab, dists.DISTS[name])
            self.say(f"{name}: {described}")
            chosen[name] = image_id
            if described == dists.DISTS[name].ref(self.lab):
                self.built_dists.add(name)
        return chosen

    def base_image_id(self) -> str:
        """The base image's ID, pulling a registry image if asked to; else a clear error."""
        ref = self.lab.images.base
        image_id = inspect_image_id(self.target, ref)
        if image_id:
            return image_id
        locally_made = ref.startswith(self.lab.images.prefix)
        if self.pull and not locally_made:
            self.say(f"pulling base image {ref} ...")
            try:
                engine.pull(self.target, ref)
            except K8smError as exc:
                raise ImageMissing(f"base image {ref} is missing and cannot be pulled ({exc.message})",
                                   "run `invoke build.base` to make it from Debian packages") from None
            image_id = inspect_image_id(self.target, ref)
            if image_id:
                return image_id
        how = ("run `invoke build.base` to make it from Debian packages (debootstrap)" if locally_made else
               "run `invoke build --pull` to pull it, or `invoke build.base` to make it from Debian packages")
        raise ImageMissing(f"base image {ref} is missing on {self.target.label}", how)

    def build_one(self, spec: ImageSpec, parent_id: str) -> tuple[BuildResult, str]:
        ref = self.lab.images.ref(spec.name)
        files = context_files(spec)
        arg = "BASE_IMAGE" if spec.parent is None else "NODE_IMAGE"
        buildargs = {arg: parent_id, **{dists.DISTS[d].arg: self.dist_ids[d] for d in spec.dists}}
        # role images say which distributions they hold: `status` knows a program is not installed without exec
        extra = {DISTS: ",".join(d for d in spec.dists if d in self.built_dists)} if spec.dists else {}
        digest = context_hash(files, buildargs, parent_id, extra)
        existing = inspect_image(self.target, ref)
        labels = (existing.get("Config") or {}).get("Labels") or {} if existing else {}
        if existing and not self.no_cache and labels.get(IMAGE_HASH) == digest:
            self.say(f"[{spec.name}] {ref} is up to date")
            return BuildResult(spec.name, ref, "up to date"), existing["Id"]
        same = None if self.no_cache else self.same_content(spec.name, digest)
        if same is not None:  # another lab (another image prefix) built these very inputs: share the image
            self.tag(same, ref)
            self.say(f"[{spec.name}] {ref}: the same inputs as an image already built; tagged, not rebuilt")
            return BuildResult(spec.name, ref, "tagged"), same
        self.say(f"[{spec.name}] building {ref} ...")
        started = time.monotonic()
        # no lab name among the labels: an image is shared by content between the labs that want it
        new_labels = {IMAGE: spec.name, IMAGE_HASH: digest, **extra}
        image_id = self._stream_build(spec.name, ref, context_tar(files), buildargs, new_labels)
        if existing and existing["Id"] != image_id:
            discard_image(self.target, existing["Id"])  # the image this build replaced, if nothing uses it
        seconds = time.monotonic() - started
        self.say(f"[{spec.name}] built {ref} in {seconds:.0f}s")
        return BuildResult(spec.name, ref, "built", seconds), image_id

    def same_content(self, name: str, digest: str) -> str | None:
        """The ID of an image k8sm built from exactly these inputs, under any name, if there is one.

        Labels are inherited: an image built FROM ours carries our digest too. Such descendants
        (another candidate appears in their history) are never taken.
        """
        found = [i["Id"] for i in engine.images(self.target, {"label": f"{IMAGE_HASH}={digest}"})
                 if (i.get("Labels") or {}).get(IMAGE) == name]
        for image_id in found:
            ancestors = {layer.get("Id") for layer in engine.image_history(self.target, image_id)[1:]}
            if not ancestors.intersection(found):
                return image_id
        return None

    def tag(self, image_id: str, ref: str) -> None:
        engine.tag(self.target, image_id, ref)

    def _stream_build(self, name: str, ref: str, tar: bytes, buildargs: dict[str, str], labels: dict[str, str]) -> str:
        tail: list[str] = []
        step = ""
        image_id = ""
        for chunk in engine.build(self.target, tar, ref, buildargs, labels, nocache=self.no_cache):
            if "error" in chunk:
                detail = chunk.get("errorDetail", {}).get("message") or chunk["error"]
                raise BuildFailed(name, ref, step, detail.strip(), tail)
            aux = chunk.get("aux")
            if isinstance(aux, dict) and aux.get("ID"):
                image_id = aux["ID"]
            text = chunk.get("stream", "")
            for line in text.splitlines():
                line = line.rstrip()
                if not line:
                    continue
                tail = (tail + [line])[-20:]
                if line.startswith("Step "):
                    step = line
                    if self.verbose or _SHOWN_STEP.search(line):
                        self.say(f"[{name}] {_shorten(line)}")
                elif self.verbose:
                    self.say(f"[{name}]   {line}")
        return image_id or inspect_image_id(self.target, ref) or ""


class BuildFailed(K8smError):
    """A docker build failed: names the image, the step and the engine's message."""

    def __init__(self, name: str, ref: str, step: str, detail: str, tail: Sequence[str]) -> None:
        where = f" at {_shorten(step)}" if step else ""
        output = "\n".join(f"    {line}" for line in tail[-10:])
        message = f"building {ref} failed{where}: {detail}"
        if output:
            message += f"\n  last output:\n{output}"
        super().__init__(message, f"fix the cause, then `invoke build --image {name}` again (add --verbose for all output)")


#: Build steps worth showing by default: the ones that do work.
_SHOWN_STEP = re.compile(r"^Step \d+/\d+ : (RUN|COPY|ADD) ")


def _shorten(line: str, width: int = 100) -> str:
    return line if len(line) <= width else line[: width - 3] + "..."


def image_ids(target: Target, lab: Lab) -> dict[str, str | None]:
    """The engine's image ID for each of the lab's role images (None where missing)."""
    return {ref: inspect_image_id(target, ref) for ref in (lab.images.ref(name) for name in role_images(lab))}
