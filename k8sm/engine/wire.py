"""What an exec's output carries besides its own: the exit code after a mark, and a batch's results.

One exec through the API: REPORT_EXIT runs the command and prints EXIT_MARK and its exit code
after its output (split_exit). Many execs in one SSH session: batch_script runs them all and
prints each one's code and output after a boundary line (parse_batch).
"""

from __future__ import annotations

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
