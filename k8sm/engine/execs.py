"""Commands run in lab containers: one interface (exec_each), two ways there, one reader of their results.

Through the API (a local engine): one attached exec per job, in parallel, its exit code after a
mark (wire.REPORT_EXIT); straight through the engine's socket while the SDK is not loaded
(k8sm.engine.socketapi: the same two requests, without the SDK's import). Through one SSH
session (a remote host): `docker exec` for every job in one shell script (wire.batch_script).
Every way gives one ExecResult per job, read by wire, and reports a missing or stopped container
the same way (errors.unavailable_state), so a fault cannot live in one mode only.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from typing import TYPE_CHECKING

from k8sm.engine import socketapi, wire
from k8sm.engine.client import API_TIMEOUT
from k8sm.engine.errors import ContainerUnavailable, EngineRefused, engine_error, translated, unavailable_state
from k8sm.engine.wire import ExecResult, Job
from k8sm.errors import EngineError, first_line

if TYPE_CHECKING:
    from k8sm.target import Target

#: Parallel execs on a local engine (remote targets batch them in one SSH session instead).
EXEC_WORKERS = 6


def exec_each(target: Target, jobs: Sequence[Job]) -> list[ExecResult]:
    """Run each argv in its container, in parallel; one ExecResult per job, in order.

    Raises ContainerUnavailable for the first container that is missing or stopped.
    """
    if not jobs:
        return []
    return by_batch(target, jobs) if target.batch_execs else by_api(target, jobs)


def by_api(target: Target, jobs: Sequence[Job]) -> list[ExecResult]:
    """Each job as one attached exec through the engine's API."""
    from k8sm import parallel

    # execs mostly wait on the containers: more of them at once than for other engine work
    outcomes = parallel.each(lambda job: _exec_api(target, *job), jobs, workers=EXEC_WORKERS)
    for o in outcomes:  # the first failure as it is: exec_on names its node
        if o.error is not None:
            raise o.error
    return [o.value for o in outcomes if o.value is not None]


def _exec_api(target: Target, container: str, argv: Sequence[str]) -> ExecResult:
    way = None if target.remote else target.engine_socket()
    if way is not None:
        return _exec_socket(way, container, argv)
    api = target.docker
    try:
        with translated():
            exec_id = api.exec_create(container, [*wire.REPORT_EXIT, *argv])
            raw = api.exec_start(exec_id)
    except EngineRefused as exc:
        state = unavailable_state(exc.detail, exc.status)
        if state:
            raise ContainerUnavailable(container, state) from None
        raise EngineError(exc.message, exc.hint) from None
    return wire.split_exit(raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw))


def _exec_socket(way: tuple[socketapi.Connect, str], container: str, argv: Sequence[str]) -> ExecResult:
    """_exec_api through this machine's engine socket, without the SDK: the same requests and answers."""
    connect, where = way
    try:
        raw = socketapi.exec_run(connect, container, [*wire.REPORT_EXIT, *argv], API_TIMEOUT)
    except socketapi.Refused as exc:
        state = unavailable_state(exc.detail, exc.status)
        if state:
            raise ContainerUnavailable(container, state) from None
        raise EngineError(exc.message) from None
    except OSError as exc:
        raise engine_error(exc, where) from None
    return wire.split_exit(raw.decode("utf-8", "replace"))


def by_batch(target: Target, jobs: Sequence[Job]) -> list[ExecResult]:
    """All the jobs in ONE shell session on the target: `docker exec` for each, in parallel.

    Every attached exec through the API costs a new SSH channel (about 0.1 s each, serialised
    by sshd); a batch costs one, whatever the number of jobs.
    """
    target.open()
    boundary = f"{wire.JOB_MARK}{secrets.token_hex(8)}"
    result = target.sh(["sh", "-c", wire.batch_script(jobs, boundary)], hide=True, warn=True)
    if not result.ok and boundary not in result.stdout:
        raise EngineError(f"running commands in the lab's containers on {target.label} failed: "
                          f"{first_line(Exception(result.stderr or result.stdout))}")
    results = wire.parse_batch(result.stdout, boundary, len(jobs))
    for (container, _), r in zip(jobs, results, strict=True):
        if r.exit_code != 0 and r.output.startswith("Error response from daemon:"):
            state = unavailable_state(r.output)
            if state:
                raise ContainerUnavailable(container, state)
            raise EngineError(f"{container}: {r.output.strip()}")
    return results
