"""Builder containers for the long source builds: start one, run a build script in it, show its progress.

A build script marks its stages, each compatibility edit it makes to the source
and results worth showing with progress markers (k8sm.engine.wire.parse_progress);
everything else is shown with --verbose, or as a heartbeat every 30 seconds.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from k8sm import engine
from k8sm.engine import wire
from k8sm.errors import K8smError
from k8sm.labels import LAB
from k8sm.output import Say
from k8sm.target import Target
from k8sm.topology import Lab

#: Seconds between heartbeat lines when a build prints no stage.
HEARTBEAT = 30


def cache_volume(target: Target, lab: Lab, purpose: str) -> str:
    """The lab's volume `{lab}-{purpose}` (kept by `rm`; removed by `rm --volumes`), made if missing."""
    name = f"{lab.name}-{purpose}"
    volume = engine.inspect_volume(target, name)
    if volume is None:
        engine.create_volume(target, name, {LAB: lab.name})
        return name
    owner = (volume.get("Labels") or {}).get(LAB)
    if owner != lab.name:
        raise K8smError(f"the Docker volume {name} already exists and belongs to "
                        f"{f'lab {owner!r}' if owner else 'no k8sm lab'}, not to lab {lab.name}",
                        "choose another lab.name in hosts.yaml, or remove that volume yourself")
    return name


def cores(target: Target, jobs: int | None) -> int:
    """The parallel jobs of a build: as asked, else the target's processors."""
    return jobs or int(target.sh(["nproc"], hide=True).stdout.strip() or 1)


def finish(target: Target, name: str, say: Say, *, keep: bool) -> None:
    """After a build: remove the builder container, or, kept, say how to remove it."""
    if keep:
        say(f"kept the builder container {name} (remove it with `docker rm -f {name}`)")
    else:
        engine.remove_container(target, name)


def start(target: Target, lab: Lab, image: str, name: str, binds: Sequence[str] = (), *, network: bool = True) -> None:
    """A fresh builder container `name` of the lab's image, idle until builds are exec'd in it.

    Without network it has no interface but loopback: a build in it cannot fetch anything.
    """
    engine.remove_container(target, name)
    engine.create_idle(target, lab.images.ref(image), name, {LAB: lab.name}, binds, network=network)


@dataclass(frozen=True)
class Script:
    """A build script run in a builder container: what its lines are tagged with, what it is called."""

    tag: str    # e.g. "k8s": lines show as "[k8s] ..."
    title: str  # e.g. "Kubernetes": errors say "the Kubernetes build failed"


def stream(target: Target, container: str, argv: list[str], script: Script, say: Say, *,
           verbose: bool = False, environment: Mapping[str, str] | None = None) -> None:
    """Run argv in the container, showing stages, edits and a heartbeat (or all output); raise on failure."""
    tail: list[str] = []
    execution = engine.ExecStream(target, container, argv, environment)
    last_beat = started = time.monotonic()
    pending = ""
    for chunk in execution.chunks():
        pending += chunk.decode("utf-8", "replace")
        *lines, pending = pending.split("\n")
        for line in lines:
            tail = (tail + [line])[-25:]
            shown = progress_line(line, script.tag, time.monotonic() - started, verbose)
            if shown is not None:
                say(shown)
                last_beat = time.monotonic()
        if time.monotonic() - last_beat > HEARTBEAT:
            latest = next((line for line in reversed(tail) if not wire.is_marker(line)), "")
            say(f"[{script.tag}] ... {time.monotonic() - started:.0f}s: {latest[:100]}")
            last_beat = time.monotonic()
    code = execution.exit_code()
    if code != 0:
        shown = "\n".join(f"    {line}" for line in tail[-15:])
        raise K8smError(f"the {script.title} build failed (exit {code}); last output:\n{shown}",
                        "fix the cause; --verbose shows all output, --keep-builder keeps the container to look into")


def progress_line(line: str, tag: str, seconds: float, verbose: bool) -> str | None:
    """What to show for one line of a build script's output (None: nothing)."""
    progress = wire.parse_progress(line)
    if progress is None:
        return f"[{tag}] {line}" if verbose else None
    kind, text = progress
    if kind == "stage":
        return f"[{tag}] {text} ({seconds:.0f}s)"
    return f"[{tag}] compatibility edit: {text}" if kind == "edit" else f"[{tag}] {text}"
