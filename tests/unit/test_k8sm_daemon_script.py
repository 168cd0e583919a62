"""scripts/k8sm-daemon, run for real on this machine: pid files, logs, kill, no shell evaluation."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.cli import ROOT

SCRIPT = ROOT / "scripts" / "k8sm-daemon"


class Daemons:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.argv_dir, self.run_dir, self.log_dir = root / "argv", root / "run", root / "log"
        self.argv_dir.mkdir()
        self.env = {**os.environ, "K8SM_ARGV_DIR": str(self.argv_dir), "K8SM_RUN_DIR": str(self.run_dir),
                    "K8SM_LOG_DIR": str(self.log_dir), "K8SM_START_GRACE": "0.3"}

    def configure(self, name: str, argv: list[str]) -> None:
        (self.argv_dir / f"{name}.argv").write_text("\n".join(argv) + "\n")

    def __call__(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["bash", str(SCRIPT), *args], env=self.env, capture_output=True, text=True,
                              timeout=30)

    def pid(self, name: str) -> int:
        return int((self.run_dir / f"{name}.pid").read_text().split()[0])

    def pids(self) -> list[int]:
        return [int(p.read_text().split()[0]) for p in self.run_dir.glob("*.pid")] if self.run_dir.exists() else []


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    return state != "Z"


@pytest.fixture
def daemons(tmp_path):
    d = Daemons(tmp_path)
    yield d
    for pid in d.pids():  # only processes this test started, by the pid files it made
        try:
            os.killpg(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def test_start_status_repeat_kill(daemons):
    daemons.configure("sleeper", ["sleep", "300"])
    started = daemons("start", "sleeper")
    assert started.returncode == 0, started.stderr
    pid = daemons.pid("sleeper")
    assert started.stdout.strip().endswith(f"done (pid {pid})")
    assert alive(pid) and Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[:2] == [b"sleep", b"300"]
    assert os.getpgid(pid) == pid  # leads its own group, so kill reaches its children too

    status = daemons("status", "sleeper")
    assert (status.returncode, status.stdout.strip()) == (0, f"running {pid}")
    again = daemons("start", "sleeper")
    assert again.returncode == 0 and f"already running (pid {pid})" in again.stdout
    assert daemons.pid("sleeper") == pid

    killed = daemons("kill", "sleeper")
    assert killed.returncode == 0 and "done" in killed.stdout
    deadline = time.monotonic() + 5
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not alive(pid)
    stopped = daemons("status", "sleeper")
    assert (stopped.returncode, stopped.stdout.strip()) == (3, "stopped")
    assert daemons("kill", "sleeper").stdout.strip() == "sleeper is not running"


def test_arguments_are_never_evaluated_by_a_shell(daemons, tmp_path):
    out, pwned = tmp_path / "out", tmp_path / "pwned"
    hostile = f"$(touch {pwned}); `touch {pwned}` & touch {pwned}"
    daemons.configure("echoer", ["bash", "-c", 'printf %s "$1" > "$2"; sleep 300', "_", hostile, str(out)])
    assert daemons("start", "echoer").returncode == 0
    deadline = time.monotonic() + 5
    while not out.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert out.read_text() == hostile
    assert not pwned.exists()


def test_explicit_argv_after_double_dash(daemons):
    result = daemons("start", "adhoc", "--", "sleep", "301")
    assert result.returncode == 0, result.stderr
    assert Path(f"/proc/{daemons.pid('adhoc')}/cmdline").read_bytes().split(b"\0")[1] == b"301"


def test_a_daemon_that_dies_at_once_is_reported_with_its_log(daemons):
    daemons.configure("crasher", ["bash", "-c", "echo 'bad flag --foo' >&2; exit 2"])
    result = daemons("start", "crasher")
    assert result.returncode == 1
    assert "crasher exited right after starting" in result.stderr and "bad flag --foo" in result.stderr
    assert daemons("status", "crasher").returncode == 3
    assert "bad flag --foo" in daemons("log", "crasher").stdout


def test_missing_program_exits_127(daemons):
    daemons.configure("ghost", ["no-such-program-k8sm", "--flag"])
    result = daemons("start", "ghost")
    assert result.returncode == 127 and "no-such-program-k8sm is not installed" in result.stderr


def test_unconfigured_and_invalid_names(daemons):
    assert "not configured on this node" in daemons("start", "nothing").stderr
    assert daemons("start", "../etc").returncode == 1
    assert daemons("bogus").returncode == 2


def test_stale_pid_file_is_not_trusted(daemons):
    # A pid file naming a live process that this tool did not start (wrong start time).
    daemons.run_dir.mkdir()
    (daemons.run_dir / "stale.pid").write_text(f"{os.getpid()} 1\n")
    assert daemons("status", "stale").returncode == 3
    assert daemons("kill", "stale").stdout.strip() == "stale is not running"
    assert alive(os.getpid())


def test_kill_escalates_when_term_is_ignored(daemons):
    daemons.configure("stubborn", ["bash", "-c", "trap '' TERM; while :; do sleep 0.1; done"])
    assert daemons("start", "stubborn").returncode == 0
    pid = daemons.pid("stubborn")
    result = daemons("kill", "stubborn", "1")
    assert "did not stop in 1s; sending KILL" in result.stdout
    time.sleep(0.3)
    assert not alive(pid)


def test_list_names_configured_daemons(daemons):
    daemons.configure("etcd", ["etcd"])
    daemons.configure("zookeeper", ["java"])
    assert daemons("list").stdout.split() == ["etcd", "zookeeper"]


def test_check_reports_state_and_probe_in_one_call(daemons, tmp_path):
    daemons.configure("alpha", ["sleep", "300"])
    (daemons.argv_dir / "alpha.probe").write_text("printf\n%s|%s\nhealthy\n$(reboot)\n")
    daemons.configure("beta", ["sleep", "300"])
    assert daemons("start", "alpha").returncode == 0
    result = daemons("check", "alpha", "beta")
    assert result.returncode == 0
    pid = daemons.pid("alpha")
    assert result.stdout == (f"@@daemon alpha running {pid}\n@@probe\nhealthy|$(reboot)\n@@end alpha\n"
                             "@@daemon beta stopped\n@@end beta\n")
    assert daemons("check", "../x").returncode == 1


def test_missing_and_absent_follow_the_requires_file(daemons):
    daemons.configure("ghostly", ["sleep", "300"])
    (daemons.argv_dir / "ghostly.requires").write_text("no-such-k8sm-program|also-not-there\nsleep\n")
    assert daemons("missing", "ghostly").stdout == "ghostly no-such-k8sm-program|also-not-there\n"
    assert daemons("check", "ghostly").stdout == ("@@daemon ghostly absent no-such-k8sm-program|also-not-there\n"
                                                  "@@end ghostly\n")
    (daemons.argv_dir / "ghostly.requires").write_text("no-such-k8sm-program|sleep\n")
    assert daemons("missing", "ghostly").stdout == ""
    assert daemons("check", "ghostly").stdout == "@@daemon ghostly stopped\n@@end ghostly\n"


def start_time(pid: int) -> str:
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19]


def test_a_pid_file_naming_a_live_process_that_is_not_the_daemon_is_not_running(daemons):
    # e.g. PID 1 with its real start time: alive, the right start time, but not the daemon
    daemons.configure("etcd", ["etcd", "--name", "x"])
    daemons.run_dir.mkdir()
    other = os.getppid()  # a live process of this machine that this test did not start and never signals
    (daemons.run_dir / "etcd.pid").write_text(f"{other} {start_time(other)}\n")
    status = daemons("status", "etcd")
    assert (status.returncode, status.stdout.strip()) == (3, "stopped")
    check = daemons("check", "etcd")
    assert check.stdout.splitlines()[0] == "@@daemon etcd stopped"
    killed = daemons("kill", "etcd")  # and kill must never signal that process
    assert killed.returncode == 0 and "not running" in killed.stdout
    assert alive(other)


def test_a_daemon_is_recognised_by_its_environment_marker(daemons):
    daemons.configure("sleeper", ["env", "A=1", "sleep", "300"])
    assert daemons("start", "sleeper").returncode == 0
    pid = daemons.pid("sleeper")
    environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    assert b"K8SM_DAEMON=sleeper" in environ
    # another daemon's pid file pointing at it does not make that one running
    daemons.configure("other", ["sleep", "300"])
    (daemons.run_dir / "other.pid").write_text(f"{pid} {start_time(pid)}\n")
    assert daemons("status", "other").stdout.strip() == "stopped"
    assert daemons("status", "sleeper").stdout.strip() == f"running {pid}"


def test_check_ends_every_section_and_names_unconfigured_daemons(daemons):
    daemons.configure("sleeper", ["sleep", "300"])
    (daemons.argv_dir / "sleeper.probe").write_text("echo\nprobe-output\n")
    assert daemons("start", "sleeper").returncode == 0
    pid = daemons.pid("sleeper")
    check = daemons("check", "sleeper", "ghost")
    assert check.returncode == 0
    assert check.stdout.splitlines() == [f"@@daemon sleeper running {pid}", "@@probe", "probe-output", "",
                                         "@@end sleeper", "@@daemon ghost unconfigured", "@@end ghost"]
