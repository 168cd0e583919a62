"""The target seam: exec batching for SSH, exit-code framing, SSH error messages."""

from __future__ import annotations

import socket
import subprocess

import paramiko
import pytest

from k8sm.engine.wire import REPORT_EXIT, ExecResult, batch_script, parse_batch, split_exit
from k8sm.target import ssh_error


def test_report_exit_wrapper_keeps_arguments_literal_and_reports_the_code():
    hostile = "$(touch /tmp/k8sm-pwned); `id` | tee"
    out = subprocess.run([*REPORT_EXIT, "sh", "-c", 'printf %s "$1"; exit 7', "_", hostile],
                         capture_output=True, text=True).stdout
    assert split_exit(out) == ExecResult(7, hostile)
    assert split_exit("no marker at all") == ExecResult(-1, "no marker at all")


def test_batch_script_quotes_every_value(tmp_path):
    fake = tmp_path / "docker"  # prints its argv, one per line, to check the quoting (not a docker stand-in)
    fake.write_text('#!/bin/sh\nfor a in "$@"; do printf "[%s]\\n" "$a"; done\n[ "$3" = fail ] && exit 4\nexit 0\n')
    fake.chmod(0o755)
    jobs = [("c1", ["echo", "a b", "$(reboot)", "x;y"]), ("c 2", ["fail"]), ("c3", [])]
    script = batch_script(jobs, "@@B")
    run = subprocess.run(["sh", "-c", script], capture_output=True, text=True, env={"PATH": f"{tmp_path}:/usr/bin:/bin"})
    results = parse_batch(run.stdout, "@@B", 3)
    assert results[0] == ExecResult(0, "[exec]\n[c1]\n[echo]\n[a b]\n[$(reboot)]\n[x;y]")
    assert results[1] == ExecResult(4, "[exec]\n[c 2]\n[fail]")
    assert results[2] == ExecResult(0, "[exec]\n[c3]")


def test_parse_batch_marks_missing_results():
    assert parse_batch("@@B 0 0\nfine\n", "@@B", 2) == [ExecResult(0, "fine"), ExecResult(-1, "no result")]


@pytest.mark.parametrize(("exc", "expected"), [
    (paramiko.ssh_exception.NoValidConnectionsError({("127.0.0.1", 22): OSError("refused")}),
     "h:22 refused the SSH connection"),
    (paramiko.AuthenticationException("nope"), "SSH authentication failed for root@h:22"),
    (paramiko.SSHException("Server '[h]:22' not found in known_hosts"), "the host key of h:22 is not in known_hosts"),
    (paramiko.BadHostKeyException("h", None, None),
     "the host key of h:22 has CHANGED"),
    (TimeoutError("timed out"), "h:22 did not answer within 5s"),
    (paramiko.SSHException("Error reading SSH protocol banner"), "h:22 did not answer within 5s"),
    (socket.gaierror(-2, "Name or service not known"), "cannot resolve the host name in root@h:22"),
])
def test_ssh_errors_say_what_is_wrong(exc, expected):
    assert str(ssh_error(exc, "root@h:22", 5)).startswith(expected)


def test_tcp_to_containers_only_where_the_engine_runs(monkeypatch):
    from invoke import Context

    from k8sm.target import Target

    monkeypatch.setenv("DOCKER_HOST", "tcp://127.0.0.1:1")  # an engine elsewhere: its containers are not here
    with pytest.raises(ConnectionRefusedError):
        Target(Context()).open_tcp("127.0.0.1", 9, 0.1)


def test_a_server_that_forbids_forwarding_is_asked_once():
    from types import SimpleNamespace

    from k8sm.target import RemoteTarget

    calls = []

    def open_channel(kind, dest, src, timeout):
        calls.append((kind, dest))
        raise paramiko.ChannelException(1, "Administratively prohibited")

    transport = SimpleNamespace(open_channel=open_channel)
    ctx = SimpleNamespace(client=SimpleNamespace(get_transport=lambda: transport), is_connected=True)
    target = RemoteTarget(ctx, "root@h:22")
    target._opened = True
    for _ in range(3):
        with pytest.raises((paramiko.ChannelException, ConnectionRefusedError)):
            target.open_tcp("10.1.2.3", 2379, 1.0)  # a fake transport: nothing is sent anywhere
    assert calls == [("direct-tcpip", ("10.1.2.3", 2379))]
