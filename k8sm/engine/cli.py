"""Every `docker` command line k8sm runs: on a target's shell, or inside a lab container.

The API (k8sm.engine) does the work where it can; the CLI is used where a stream must flow
from a shell (`git archive | docker cp -`), where a terminal is attached (kubectl), for many
execs in one SSH session (k8sm.engine.wire.batch_script), and inside minions, whose own engine
is reached with their docker CLI. Each function returns an argv; nothing here runs it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

#: The docker CLI's program name (for require_commands and has_command checks too).
DOCKER_CLI = "docker"
#: The Debian package that installs it, as hints name it.
DOCKER_CLI_PACKAGE = "docker.io"


def exec_argv(container: str, argv: Sequence[str], *, interactive: bool = False, tty: bool = False) -> list[str]:
    """`docker exec [-i|-it] CONTAINER ARGV...`."""
    flags = ["-it" if tty else "-i"] if interactive or tty else []
    return [DOCKER_CLI, "exec", *flags, container, *argv]


def ps_argv(filters: Mapping[str, str], *, all: bool = True, format: str = "", quiet: bool = False,
            no_trunc: bool = False) -> list[str]:
    """`docker ps` of the containers matching every filter (key=value)."""
    argv = [DOCKER_CLI, "ps", *(["--all"] if all else []), *(["--quiet"] if quiet else []),
            *(["--no-trunc"] if no_trunc else [])]
    argv += [f"--filter={key}={value}" for key, value in filters.items()]
    return [*argv, *(["--format", format] if format else [])]


def cp_argv(source: str, destination: str) -> list[str]:
    """`docker cp SOURCE DEST` (one side `CONTAINER:PATH`; SOURCE `-` is a tar stream on stdin)."""
    return [DOCKER_CLI, "cp", source, destination]


def import_argv(ref: str, changes: Sequence[str]) -> list[str]:
    """`docker import` of a tar stream on stdin as ref, with Dockerfile-style changes (LABEL, ENV, CMD)."""
    argv = [DOCKER_CLI, "import"]
    for change in changes:
        argv += ["--change", change]
    return [*argv, "-", ref]


def save_argv(archive: str, refs: Sequence[str]) -> list[str]:
    """`docker save -o ARCHIVE REFS...`."""
    return [DOCKER_CLI, "save", "-o", archive, *refs]


def load_into_argv(container: str, archive: str) -> list[str]:
    """Load a `docker save` archive of the target into the engine inside container (its own docker CLI)."""
    script = f'{DOCKER_CLI} exec -i "$1" {DOCKER_CLI} load -q < "$2"'
    return ["sh", "-c", script, "k8sm-load", container, archive]


def tag_pairs_argv(pairs: Sequence[tuple[str, str]]) -> list[str]:
    """`docker tag SOURCE NAME` for each pair, in one shell (run inside a minion, by its own docker CLI)."""
    script = f'while [ $# -gt 1 ]; do {DOCKER_CLI} tag "$1" "$2" || exit 1; shift 2; done'
    return ["sh", "-c", script, "k8sm-tag", *[x for pair in pairs for x in pair]]


def server_version_argv() -> list[str]:
    """`docker version` of the engine only: fails, with the CLI's reason, when it cannot be used."""
    return [DOCKER_CLI, "version", "--format", "{{.Server.Version}}"]
