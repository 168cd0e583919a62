"""The k8sm and invoke command lines: one line for a malformed -H value or number, prompts that
need a terminal, and no secret in any output."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from k8sm.cli import Secret, redact
from tests.cli import ROOT, invoke, k8sm

# ------------------------------------------------------------ secrets


def test_secrets_never_show_in_a_repr_or_a_log_line():
    secret = Secret("S3cret pass")
    assert secret == "S3cret pass" and "S3cret" not in repr({"passphrase": secret})
    config_dump = repr({"connect_kwargs": {"passphrase": "S3cret pass", "password": 'o"ne', "key_filename": ["/k"]}})
    assert "S3cret" not in redact(config_dump) and 'o"ne' not in redact(config_dump) and "/k" in redact(config_dump)
    assert redact("got S3cret pass here", {"S3cret pass"}) == "got *** here"
    key = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXk=\n-----END OPENSSH PRIVATE KEY-----\n"
    assert "b3BlbnNzaC1rZXk" not in redact(f"loaded {key}")


def test_prompting_without_a_terminal_is_one_line(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("K8SM_HOSTS", "K8SM_DEBUG")}
    for flag in ("--prompt-for-passphrase", "--prompt-for-login-password", "--prompt-for-sudo-password"):
        proc = subprocess.run([sys.executable, "-m", "k8sm", flag, "-H", "root@127.0.0.1:9", "status"], cwd=ROOT,
                              env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL,
                              start_new_session=True, timeout=60)  # no controlling terminal
        assert proc.returncode == 1, proc
        assert proc.stderr.strip().startswith(f"k8sm: {flag} needs a terminal to ask on, and there is none; "
                                              "run k8sm from a terminal"), proc.stderr
        assert len(proc.stderr.strip().splitlines()) == 1


# ------------------------------------------------------------ the command line


@pytest.mark.parametrize("host", ["127.0.0.1:$(id)", "root@host:22x", "root@host:99999", "a;b", "root@[::1]:x",
                                  "root@[::1]:22,root@h:0"])
def test_bad_h_values_are_one_line_and_connect_nowhere(host):
    run = k8sm("-H", host, "status", timeout=60)
    assert run.code == 1, run
    assert "Traceback" not in run.stderr and run.stdout == ""
    assert len(run.stderr.strip().splitlines()) == 1 and run.stderr.startswith("k8sm: -H '"), run


@pytest.mark.parametrize(("program", "args"), [
    (invoke, ("logs", "etcd-0", "--lines", "x")),
    (invoke, ("logs", "etcd-0", "--lines", "٤٥")),
    (invoke, ("status", "--interval", "1.5")),
    (k8sm, ("-t", "x", "status")),
    (k8sm, ("logs", "etcd-0", "--lines", "1e3")),
])
def test_a_non_integer_option_is_one_line(program, args):
    run = program(*args, timeout=60)
    assert run.code == 1, run
    assert "Traceback" not in run.stderr
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and "takes a whole number, not '" in lines[0], run
