"""What a lab daemon is: its command line, its files, its health probe."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from k8sm.engine.wire import http_probe as http_probe  # the marker protocol's writers and readers, for the daemons
from k8sm.engine.wire import parse_http as parse_http
from k8sm.engine.wire import parse_http_all as parse_http_all
from k8sm.node import File
from k8sm.probes import Ask, HttpGet
from k8sm.topology import Lab, Node

#: Where k8sm-daemon (scripts/) reads a daemon's command line from.
ARGV_DIR = "/etc/k8sm/daemons"
#: Data of all daemons lives under this directory, on the node's volume.
DATA_ROOT = "/var/lib/k8sm"
LOG_DIR = "/var/log/k8sm"


@dataclass(frozen=True)
class Health:
    """Result of a health probe inside the container."""

    healthy: bool
    detail: str = ""


def _only_answer(answers: Sequence[str]) -> str:
    return answers[0]


@dataclass(frozen=True)
class NetProbe:
    """How k8sm asks a daemon from outside its container (k8sm.probes): what to ask, all at once,
    and how the answers become the text its in-container probe prints, which parse_probe reads."""

    asks: tuple[Ask, ...]
    combine: Callable[[Sequence[str]], str] = _only_answer


def http_net_probe(port_of: str, path: str) -> Callable[[Lab, Node], NetProbe]:
    """A NetProbe that GETs http://NODE_IP:PORT/path (PORT: the `ports:` entry port_of)."""
    def probe(lab: Lab, node: Node) -> NetProbe:
        return NetProbe((HttpGet(node.ip, getattr(lab.ports, port_of), path),))
    return probe


@dataclass(frozen=True)
class Daemon:
    """A daemon of the lab, run on every enabled node of one role."""

    name: str    # k8sm-daemon's name for it: pid file, log file, argv file
    title: str   # for people: "etcd", "ZooKeeper"
    role: str    # which nodes run it
    task: str    # the invoke task that controls it
    argv: Callable[[Lab, Node], list[str]]
    probe_argv: Callable[[Lab, Node], list[str]]  # run inside the container while the daemon runs
    parse_probe: Callable[[str], Health]          # its output -> health
    files: Callable[[Lab, Node], Mapping[str, File]] = field(default=lambda lab, node: {})
    quorum: bool = False  # healthy only while a majority of its nodes run
    requires: tuple[str, ...] = ()  # commands its image must have ("a|b": either)
    provided_by: str = "invoke build"  # what to run when they are missing
    dist: str | None = None  # the distribution (k8sm.dists) that installs it; None: the image's own packages
    #: How to ask it over the network (k8sm.daemons.health); None: only its in-container probe tells
    net_probe: Callable[[Lab, Node], NetProbe] | None = None

    def node_files(self, lab: Lab, node: Node) -> dict[str, File]:
        """The argv and probe files and the config files this daemon needs on node."""
        files = {
            f"{ARGV_DIR}/{self.name}.argv": argv_file(self.argv(lab, node)),
            f"{ARGV_DIR}/{self.name}.probe": argv_file(self.probe_argv(lab, node)),
            f"{ARGV_DIR}/{self.name}.requires": File("".join(f"{r}\n" for r in self.requires)),
        }
        files.update(self.files(lab, node))
        return files

    def majority(self, lab: Lab) -> int:
        return len(lab.role(self.role)) // 2 + 1


def argv_file(argv: list[str]) -> File:
    """An argv as k8sm-daemon reads it: one argument per line."""
    for arg in argv:
        if "\n" in arg or "\0" in arg or arg == "":
            raise ValueError(f"argument {arg!r} cannot be written to an argv file")
    return File("\n".join(argv) + "\n")


@dataclass(frozen=True)
class DaemonState:
    """A daemon on one node: is its process running, and is it healthy."""

    node: str
    daemon: str
    running: bool
    pid: int | None = None
    healthy: bool | None = None
    detail: str = ""
    installed: bool = True
    #: Why its state could not be read (output lost or malformed, twice): the state is unknown,
    #: which is neither running nor stopped.
    probe_error: str = ""
    configured: bool = True  # False: its files (argv, probe, requires) are missing on the node
    #: A daemon it needs is not installed (e.g. km scheduler without Mesos): it cannot run here.
    blocked_by: str = ""
    #: Where the state came from: "exec" (pid file and in-container probe), "network" (it answered
    #: healthy from outside; no pid then) or "image" (its program is not in the node's image).
    via: str = "exec"

    @property
    def known(self) -> bool:
        return not self.probe_error

    @property
    def stopped(self) -> bool:
        """Known not to run (an unknown state is not stopped)."""
        return self.known and not self.running

    @property
    def counts(self) -> bool:
        """Whether its health counts for its layer: installed, runnable here, and its state known."""
        return self.known and self.installed and not (self.blocked_by and not self.running)

    @property
    def word(self) -> str:
        """One word for its state: not installed, unknown, stopped, healthy or unhealthy."""
        if not self.known:
            return "unknown"
        if not self.installed:
            return "not installed"
        if self.blocked_by and not self.running:
            return "blocked"
        if not self.running:
            return "stopped"
        return "healthy" if self.healthy else "unhealthy"

    @property
    def summary(self) -> str:
        if not self.known:
            return f"unknown (probe failed: {self.probe_error})"
        if not self.installed:
            return "not installed"
        if self.blocked_by and not self.running:
            return f"blocked (needs {self.blocked_by}, which is not installed)"
        if not self.running:
            return "stopped" if not self.detail else self.detail
        state = "healthy" if self.healthy else "unhealthy"
        return f"{state} ({self.detail})" if self.detail else state
