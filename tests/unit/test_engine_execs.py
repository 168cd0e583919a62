"""k8sm.engine.execs: one interface, two ways there (the API, one shell batch), the same results and errors."""

from __future__ import annotations

import subprocess
from types import SimpleNamespace

import docker.errors
import pytest
import requests

from k8sm.engine import execs, wire
from k8sm.engine.errors import ContainerUnavailable
from k8sm.engine.wire import ExecResult
from k8sm.errors import EngineError


class ApiTarget:
    """A local target whose engine runs each exec's argv here (REPORT_EXIT included), or refuses it."""

    label = "local"
    batch_execs = False

    def __init__(self, refusal: Exception | None = None) -> None:
        self.refusal = refusal
        self.docker = self

    def exec_create(self, container: str, argv: list[str]) -> list[str]:
        if self.refusal is not None:
            raise self.refusal
        return argv

    def exec_start(self, argv: list[str]) -> bytes:
        return subprocess.run(argv, capture_output=True).stdout


class BatchTarget:
    """A remote target whose shell runs the batch with a `docker` that answers as the engine would."""

    label = "root@h:22"
    batch_execs = True

    def __init__(self, tmp_path, answer: str) -> None:
        fake = tmp_path / "docker"
        fake.write_text(answer)
        fake.chmod(0o755)
        self.path = f"{tmp_path}:/usr/bin:/bin"

    def open(self) -> None:
        pass

    def sh(self, argv, hide=True, warn=True):
        done = subprocess.run(argv, capture_output=True, text=True, env={"PATH": self.path})
        return SimpleNamespace(ok=done.returncode == 0, stdout=done.stdout, stderr=done.stderr)


RUNS = '#!/bin/sh\nshift 2; "$@"\n'  # docker exec CONTAINER ARGV... -> ARGV...
MISSING = '#!/bin/sh\necho "Error response from daemon: No such container: $2" >&2; exit 1\n'
STOPPED = '#!/bin/sh\necho "Error response from daemon: container $2 is not running" >&2; exit 1\n'


def not_found() -> Exception:
    response = requests.Response()
    response.status_code = 404
    return docker.errors.NotFound("404", response=response, explanation="No such container: c1")


def conflict() -> Exception:
    response = requests.Response()
    response.status_code = 409
    return docker.errors.APIError("409", response=response, explanation="container c1 is not running")


JOBS = [("c1", ["sh", "-c", "echo one; exit 3"]), ("c2", ["echo", "two"])]


def test_both_ways_give_the_same_results(tmp_path):
    expected = [ExecResult(3, "one"), ExecResult(0, "two")]
    api = execs.exec_each(ApiTarget(), JOBS)
    batch = execs.exec_each(BatchTarget(tmp_path, RUNS), JOBS)
    assert [(r.exit_code, r.output.strip()) for r in api] == [(r.exit_code, r.output) for r in expected]
    assert [(r.exit_code, r.output.strip()) for r in batch] == [(r.exit_code, r.output) for r in expected]
    assert execs.exec_each(ApiTarget(), []) == [] == execs.exec_each(BatchTarget(tmp_path, RUNS), [])


@pytest.mark.parametrize(("refusal", "answer", "state"), [(not_found(), MISSING, "missing"),
                                                          (conflict(), STOPPED, "stopped")])
def test_both_ways_say_a_container_is_missing_or_stopped_alike(tmp_path, refusal, answer, state):
    with pytest.raises(ContainerUnavailable) as by_api:
        execs.exec_each(ApiTarget(refusal), JOBS)
    with pytest.raises(ContainerUnavailable) as by_batch:
        execs.exec_each(BatchTarget(tmp_path, answer), JOBS)
    assert (by_api.value.container, by_api.value.state) == (by_batch.value.container, by_batch.value.state) == ("c1", state)


def test_another_refusal_is_an_engine_error_either_way(tmp_path):
    response = requests.Response()
    response.status_code = 500
    with pytest.raises(EngineError, match="Docker engine error: OCI runtime exec failed"):
        execs.exec_each(ApiTarget(docker.errors.APIError("500", response=response,
                                                         explanation="OCI runtime exec failed")), JOBS)
    failing = '#!/bin/sh\necho "Error response from daemon: OCI runtime exec failed" >&2; exit 126\n'
    with pytest.raises(EngineError, match="c1: Error response from daemon: OCI runtime exec failed"):
        execs.exec_each(BatchTarget(tmp_path, failing), JOBS)


def test_the_exit_mark_is_the_wire_modules():
    assert wire.REPORT_EXIT[2].endswith('printf "\\n@@k8sm-exit %d\\n" "$?"') and wire.EXIT_MARK == "\n@@k8sm-exit "
