"""The marker protocol: every `@@` line k8sm's execs, probes and scripts print, written and read here.

A marker is a line beginning with `@@` in output that is otherwise the command's own:
- `@@k8sm-exit CODE` after an exec's output (REPORT_EXIT, split_exit); `@@k8sm-job-TOKEN INDEX CODE`
  before each job of a batch run in one SSH session (batch_script, parse_batch);
- `@@http CODE` after an HTTP answer's body, 000 for none (http_probe's curl, http_answer, parse_http);
- `@@daemon NAME STATE [PID]`, `@@probe`, `@@end NAME`: `k8sm-daemon check`'s sections (parse_check);
- `@@healthz TEXT`, `@@name NAME`, `@@frameworks [none]`: `k8sm-framework-check` (framework_check, parse_framework_check);
- `@@stage NAME`, `@@edit WHAT`, `@@note WHAT`: a build script's progress (parse_progress).
The scripts under scripts/ print the same lines; their format is fixed by these readers.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Sequence
from dataclasses import dataclass

from k8sm.engine import cli

#: Begins the boundary line of a batch's job (followed by a random token, the job's index and exit code).
JOB_MARK = "@@k8sm-job-"
#: Printed after an exec'd command's own output, followed by its exit code.
EXIT_MARK = "\n@@k8sm-exit "
#: Runs "$@" and reports its exit code after its output, without a shell parsing any argument.
#: This saves the exec-inspect request: an attached exec uses up its connection, and over
#: SSH every new connection is a new channel.
REPORT_EXIT = ("sh", "-c", '"$@"; printf "\\n@@k8sm-exit %d\\n" "$?"', "k8sm-exec")

Job = tuple[str, Sequence[str]]  # (container name, argv)


@dataclass(frozen=True)
class ExecResult:
    exit_code: int
    output: str

    @property
    def ok(self) -> bool:
        return self.exit_code == 0


def split_exit(text: str) -> ExecResult:
    """Separate the output of a REPORT_EXIT-wrapped command from its exit code."""
    output, mark, code = text.rpartition(EXIT_MARK)
    if not mark or not code.strip().isdigit():
        return ExecResult(exit_code=-1, output=text)
    return ExecResult(exit_code=int(code), output=output)


def batch_script(jobs: Sequence[Job], boundary: str) -> str:
    """A POSIX sh script running `docker exec CONTAINER ARGV...` for every job in parallel.

    Every value is quoted with shlex; the output is each job's exit code and output,
    after a line `BOUNDARY INDEX CODE`.
    """
    lines = ['d=$(mktemp -d) || exit 1', "trap 'rm -rf \"$d\"' EXIT"]
    for i, (container, argv) in enumerate(jobs):
        command = shlex.join(cli.exec_argv(container, argv))
        lines.append(f'( {command} > "$d/{i}" 2>&1 < /dev/null; echo $? > "$d/{i}.rc" ) &')
    lines.append("wait")
    indexes = " ".join(str(i) for i in range(len(jobs)))
    lines.append(f'for i in {indexes}; do echo "{boundary} $i $(cat "$d/$i.rc")"; cat "$d/$i"; echo; done')
    return "\n".join(lines) + "\n"


def parse_batch(stdout: str, boundary: str, count: int) -> list[ExecResult]:
    """batch_script's output -> one ExecResult per job, in order."""
    results: dict[int, ExecResult] = {}
    index, code, lines = -1, -1, []  # type: ignore[var-annotated]

    def close() -> None:
        if index >= 0:
            while lines and lines[-1] == "":
                lines.pop()
            results[index] = ExecResult(code, "\n".join(lines))

    for line in stdout.split("\n"):
        words = line.split()
        if len(words) == 3 and words[0] == boundary and words[1].isdigit():
            close()
            index, code, lines = int(words[1]), int(words[2]) if words[2].isdigit() else -1, []
        elif index >= 0:
            lines.append(line)
    close()
    return [results.get(i, ExecResult(-1, "no result")) for i in range(count)]


def is_marker(line: str) -> bool:
    return line.startswith("@@")


# --------------------------------------------------------------------- HTTP

#: Printed after an HTTP answer's body, followed by its status code (000: no answer).
HTTP_MARK = "@@http "
_HTTP_MARK = re.compile(r"\n?@@http (\d{3})\n?")


def http_probe(url: str, *more_urls: str, seconds: int = 3, unix_socket: str | None = None) -> list[str]:
    """A probe that GETs url (through unix_socket, if given) and reports the body, then `@@http CODE`
    (000: no answer); with more_urls, one curl asks each in turn, each body with its own line."""
    # curl expands the \n escapes of -w itself: the argv file holds no newline
    through = ["--unix-socket", unix_socket] if unix_socket else []
    return ["curl", "-s", "--max-time", str(seconds), *through, "-w", "\\n@@http %{http_code}\\n", url, *more_urls]


def http_answer(code: int, body: str) -> str:
    """An answer as http_probe prints it: `BODY\\n@@http CODE\\n` (code 0: nothing answered)."""
    return f"{body}\n{HTTP_MARK}{code:03d}\n"


#: The answer of an HTTP ask that got no (complete, well-formed) answer.
NO_HTTP_ANSWER = http_answer(0, "")


def parse_http_all(output: str) -> list[tuple[int, str]]:
    """http_probe output of several URLs -> each (status code, body), in order."""
    parts = _HTTP_MARK.split(output)
    return [(int(parts[i + 1]), parts[i]) for i in range(0, len(parts) - 1, 2)]


def parse_http(output: str) -> tuple[int, str]:
    """http_probe output -> (status code, body); code 0 when nothing answered."""
    body, mark, code = output.rpartition("\n" + HTTP_MARK)
    if not mark:
        body, mark, code = output.rpartition(HTTP_MARK)
    code = code.strip()
    return (int(code) if code.isdigit() else 0), body


# ------------------------------------------------------------ daemon check


@dataclass
class Report:
    """One daemon's section of `k8sm-daemon check` output."""

    running: bool = False
    pid: int | None = None
    probe_output: str | None = None  # None: no probe ran
    installed: bool = True
    configured: bool = True
    complete: bool = False  # its closing "@@end NAME" line arrived


def parse_check(output: str) -> dict[str, Report]:
    """`k8sm-daemon check` output -> a Report per daemon named in it."""
    reports: dict[str, Report] = {}
    current: Report | None = None
    probe_lines: list[str] | None = None
    for line in output.splitlines():
        words = line.split()
        if line.startswith("@@daemon ") and len(words) >= 3:
            running = words[2] == "running" and len(words) == 4 and words[3].isascii() and words[3].isdigit()
            current = reports[words[1]] = Report(running, int(words[3]) if running else None,
                                                 installed=words[2] != "absent",
                                                 configured=words[2] != "unconfigured")
            probe_lines = None
        elif line.startswith("@@end ") and current is not None and words[1:] == [_name_of(reports, current)]:
            current.complete = True
            current, probe_lines = None, None
        elif line == "@@probe" and current is not None:
            probe_lines = []
            current.probe_output = ""
        elif probe_lines is not None and current is not None:
            probe_lines.append(line)
            current.probe_output = "\n".join(probe_lines)
    return reports


def _name_of(reports: dict[str, Report], report: Report) -> str:
    return next(name for name, r in reports.items() if r is report)


# --------------------------------------------------------- framework check


def framework_check(healthz: str, name: str, frameworks: str | None) -> str:
    """What k8sm-framework-check prints: the /healthz body, the framework's name, then the
    leading master's /master/frameworks (None: no master answered)."""
    lines = [f"@@healthz {healthz}", f"@@name {name}"]
    return "\n".join([*lines, "@@frameworks", frameworks] if frameworks is not None else [*lines, "@@frameworks none"])


def parse_framework_check(output: str) -> tuple[str, str | None]:
    """k8sm-framework-check output -> (the /healthz body, the /master/frameworks body or None)."""
    lines = output.splitlines()
    healthz = next((line[len("@@healthz "):].strip() for line in lines if line.startswith("@@healthz ")), "")
    if "@@frameworks" not in lines:
        return healthz, None
    return healthz, "\n".join(lines[lines.index("@@frameworks") + 1:])


# ---------------------------------------------------------------- builds


#: The progress markers of a build script: `@@stage NAME`, `@@edit WHAT`, `@@note WHAT`.
PROGRESS = ("stage", "edit", "note")


def parse_progress(line: str) -> tuple[str, str] | None:
    """A build script's progress line -> (kind, text); None for any other line."""
    for kind in PROGRESS:
        if line.startswith(f"@@{kind} "):
            return kind, line.split(" ", 1)[1]
    return None
