"""Workload images in the minions' own Docker engines: what Mesos's Docker tasks and km's pods run.

No registry is asked, ever: k8sm builds the images on the lab's engine (k8sm.images:
busybox, pause, nginx), saves them once to a file on the target and loads that file
into every minion's engine, under the names the workloads ask for (the example pod's
`kubernetes.nginx_image`, km's `kubernetes.pause_image`, BUSYBOX for `mesos.smoke`).
A minion that already holds an image of the same ID is left alone.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from k8sm import engine, parallel
from k8sm.daemons.dind import SOCKET_PATH
from k8sm.engine import cli
from k8sm.errors import K8smError
from k8sm.node import exec_on
from k8sm.output import Say
from k8sm.target import Target
from k8sm.topology import Lab, Node

#: The shell image Mesos's Docker tasks run (`invoke mesos.smoke`).
BUSYBOX = "k8sm/busybox:latest"


@dataclass(frozen=True)
class Workload:
    image: str                        # the k8sm image (k8sm.images.IMAGES) it is made from
    name: Callable[[Lab], str]        # its name inside the minions' engines


WORKLOADS: tuple[Workload, ...] = (
    Workload("busybox", lambda lab: BUSYBOX),
    Workload("pause", lambda lab: lab.kubernetes.pause_image),
    Workload("nginx", lambda lab: lab.kubernetes.nginx_image),
)


@dataclass(frozen=True)
class Wanted:
    source: str     # the image's name on the lab's engine
    image_id: str
    name: str       # its name inside a minion's engine


def wanted(target: Target, lab: Lab) -> list[Wanted]:
    """Every workload with its ID on the lab's engine; raises if one was never built."""
    found = []
    for w in WORKLOADS:
        source = lab.images.ref(w.image)
        image_id = engine.inspect_image_id(target, source)
        if not image_id:
            raise K8smError(f"the workload image {source} is missing on {target.label}",
                            f"build it with `invoke build --image {w.image}`")
        found.append(Wanted(source, image_id, w.name(lab)))
    return found


#: In a minion: its own engine's images (/images/json on its socket). curl, not the docker CLI: a
#: third of the CPU, and one request for every name.
LIST_ARGV = ["curl", "-s", "--max-time", "10", "--unix-socket", SOCKET_PATH, "http://docker/images/json"]


def tagged(output: str) -> dict[str, str] | None:
    """An engine's /images/json -> {repository:tag: image ID}; None when the output is not that list."""
    try:
        images = json.loads(output)
    except ValueError:
        return None
    if not isinstance(images, list):
        return None
    return {tag: image.get("Id", "") for image in images if isinstance(image, dict)
            for tag in image.get("RepoTags") or [] if isinstance(tag, str)}


def reference(name: str) -> str:
    """A name as the engine lists it among RepoTags: with its tag (":latest" when it has none), without
    Docker Hub's implicit prefixes."""
    for implicit in ("docker.io/library/", "docker.io/"):
        if name.startswith(implicit):
            name = name[len(implicit):]
            break
    return name if ":" in name.rsplit("/", 1)[-1] else f"{name}:latest"


def missing_on(target: Target, minions: Sequence[Node], want: Sequence[Wanted]) -> dict[str, list[Wanted]]:
    """Per minion (by name), the workloads its engine lacks or holds in another version (all of them
    where its engine's list could not be read)."""
    results = exec_on(target, [(m, LIST_ARGV) for m in minions])
    missing = {}
    for minion, result in zip(minions, results, strict=True):
        tags = tagged(result.output) if result.ok else None
        lacking = [w for w in want if tags is None or tags.get(reference(w.name)) != w.image_id]
        if lacking:
            missing[minion.name] = lacking
    return missing


Missing = dict[str, list[Wanted]]  # per minion (by name), the workloads its engine lacks


def missing(target: Target, lab: Lab) -> Missing:
    """Per minion, the workloads its engine lacks (one exec per minion)."""
    return missing_on(target, lab.role("minion"), wanted(target, lab))


def load(target: Target, lab: Lab, say: Say, found: Missing | None = None) -> int:
    """Load the workloads into every minion's engine that lacks them; returns how many minions got them.
    found: what `missing` gave a moment ago, when it was asked alongside other checks."""
    if not lab.role("minion"):
        return 0
    lacking = found if found is not None else missing(target, lab)
    if not lacking:
        return 0
    minions = lab.role("minion")
    images = sorted({w.source for ws in lacking.values() for w in ws})
    say(f"workload images: loading {', '.join(images)} into {len(lacking)} minion engine(s)")
    with engine.saved_images(target, images) as archive:
        by_name = {m.name: m for m in minions}

        def one(name: str) -> None:
            node = by_name[name]
            engine.load_images_into(target, node.container, archive)
            tags = [(w.source, w.name) for w in lacking[name] if w.name != w.source]
            if tags:
                result = exec_on(target, [(node, cli.tag_pairs_argv(tags))])[0]
                if not result.ok:
                    raise K8smError(f"{name}: tagging the workload images failed: {result.output.strip()[:200]}")

        parallel.raise_first(parallel.each(one, sorted(lacking)))
    return len(lacking)
