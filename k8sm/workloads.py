"""Workload images in the minions' own Docker engines: what Mesos's Docker tasks and km's pods run.

No registry is asked, ever: k8sm builds the images on the lab's engine (k8sm.images:
busybox, pause, nginx), saves them once to a file on the target and loads that file
into every minion's engine, under the names the workloads ask for (the example pod's
`kubernetes.nginx_image`, km's `kubernetes.pause_image`, BUSYBOX for `mesos.smoke`).
A minion that already holds an image of the same ID is left alone.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from k8sm import engine, parallel
from k8sm.errors import K8smError
from k8sm.node import exec_on
from k8sm.target import Target
from k8sm.topology import Lab, Node

Say = Callable[[str], None]

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


def inspect_argv(names: Sequence[str]) -> list[str]:
    """In a minion: each name's image ID in its own engine, one line each (an empty line if absent)."""
    script = 'for n; do docker image inspect -f "{{.Id}}" "$n" 2>/dev/null || echo; done'
    return ["sh", "-c", script, "k8sm-workloads", *names]


def missing_on(target: Target, minions: Sequence[Node], want: Sequence[Wanted]) -> dict[str, list[Wanted]]:
    """Per minion (by name), the workloads its engine lacks or holds in another version."""
    results = exec_on(target, [(m, inspect_argv([w.name for w in want])) for m in minions])
    missing = {}
    for minion, result in zip(minions, results, strict=True):
        ids = result.output.split("\n") if result.ok else []
        lacking = [w for i, w in enumerate(want) if i >= len(ids) or ids[i].strip() != w.image_id]
        if lacking:
            missing[minion.name] = lacking
    return missing


def load(target: Target, lab: Lab, say: Say) -> int:
    """Load the workloads into every minion's engine that lacks them; returns how many minions got them."""
    minions = lab.role("minion")
    if not minions:
        return 0
    want = wanted(target, lab)
    missing = missing_on(target, minions, want)
    if not missing:
        return 0
    images = sorted({w.source for ws in missing.values() for w in ws})
    say(f"workload images: loading {', '.join(images)} into {len(missing)} minion engine(s)")
    with engine.saved_images(target, images) as archive:
        by_name = {m.name: m for m in minions}

        def one(name: str) -> None:
            node = by_name[name]
            engine.load_images_into(target, node.container, archive)
            tags = [(w.source, w.name) for w in missing[name] if w.name != w.source]
            if tags:
                script = 'while [ $# -gt 1 ]; do docker tag "$1" "$2" || exit 1; shift 2; done'
                argv = ["sh", "-c", script, "k8sm-tag", *[x for pair in tags for x in pair]]
                result = exec_on(target, [(node, argv)])[0]
                if not result.ok:
                    raise K8smError(f"{name}: tagging the workload images failed: {result.output.strip()[:200]}")

        parallel.raise_first(parallel.each(one, sorted(missing)))
    return len(missing)
