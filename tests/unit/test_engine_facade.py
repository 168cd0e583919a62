"""k8sm.engine is the one module that talks to Docker (issue 11's checks, as a test).

Outside k8sm/engine/: no Docker SDK client or exception type, no `docker` command line (an
argv beginning with the docker CLI and one of its commands, or a shell string running one),
no marker of the exec/build/daemon protocol written or parsed by hand.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from k8sm.engine import cli

PACKAGE = Path(__file__).resolve().parents[2] / "k8sm"
ENGINE = PACKAGE / "engine"
#: The docker CLI's commands k8sm could run (an argv ["docker", one of these, ...] is a shell-out).
COMMANDS = {"exec", "ps", "cp", "save", "load", "import", "version", "info", "run", "rm", "build", "inspect",
            "network", "volume", "image", "images", "swarm", "node", "system", "start", "stop", "kill", "logs", "tag"}
#: A shell string running the docker CLI: `docker COMMAND` then an option or a quoted argument
#: (not one shown to the user in backquotes).
SHELL_DOCKER = re.compile(r"(?<!`)\bdocker (" + "|".join(sorted(COMMANDS)) + r") +[-\"'$]")


def outside_engine() -> list[Path]:
    return [p for p in sorted(PACKAGE.rglob("*.py")) if ENGINE not in p.parents]


def test_the_engine_package_and_the_other_modules_are_found():
    assert (ENGINE / "__init__.py").is_file() and len(outside_engine()) > 20


def test_no_sdk_client_or_exception_type_outside_the_engine():
    found = [f"{p.relative_to(PACKAGE.parent)}:{n}" for p in outside_engine()
             for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
             if "APIClient" in line or "docker.errors" in line or re.search(r"^\s*(import|from) docker\b", line)]
    assert not found, f"the Docker SDK used outside k8sm/engine: {found}"


def docker_argvs(path: Path) -> list[str]:
    """Where path builds a `docker` argv or shell string."""
    return [f"{path.relative_to(PACKAGE.parent)}:{line}" for line in docker_argv_lines(path.read_text(encoding="utf-8"))]


def docker_argv_lines(source: str) -> list[int]:
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.List, ast.Tuple)) and len(node.elts) >= 2:
            first, second = node.elts[0], node.elts[1]
            if (isinstance(first, ast.Constant) and first.value == cli.DOCKER_CLI
                    and isinstance(second, ast.Constant) and second.value in COMMANDS):
                found.append(node.lineno)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and SHELL_DOCKER.search(node.value):
            found.append(node.lineno)
    return found


def test_no_docker_command_line_outside_the_engine():
    found = [where for p in outside_engine() for where in docker_argvs(p)]
    assert not found, f"docker command lines built outside k8sm/engine/cli.py: {found}"


def test_the_argv_check_sees_shell_outs_and_only_them():
    shell_outs = 'a = ["docker", "exec", c]\nb = ("docker", "ps")\nc = \'docker exec -i "$1" docker load -q\'\n'
    assert docker_argv_lines(shell_outs) == [1, 2, 3]
    others = 'a = ("docker", "mesos")\nb = "docker import of the base image failed"\nc = "run `docker rm -f x`"\n'
    assert docker_argv_lines(others) == []


def test_markers_are_written_and_read_in_the_wire_module_only():
    marker = re.compile(r"@@(k8sm-exit|k8sm-job|daemon|end|probe|http|stage|edit|note|healthz|name|frameworks)\b")
    found = [f"{p.relative_to(PACKAGE.parent)}:{n}" for p in outside_engine()
             for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1) if marker.search(line)]
    assert not found, f"markers outside k8sm/engine/wire.py: {found}"
