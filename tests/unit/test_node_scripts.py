"""scripts/k8sm-stop-all and scripts/k8sm-drill-writer, run for real here with stand-in commands."""

from __future__ import annotations

import os
import subprocess
import time

from k8sm.resources import script_text, scripts_dir


def fake(directory, name, body):
    path = directory / name
    path.write_text(f"#!/bin/sh\n{body}\n")
    path.chmod(0o755)


def test_stop_all_stops_each_daemon_in_the_order_given(tmp_path):
    fake(tmp_path, "k8sm-daemon", f'echo "$*" >> {tmp_path}/calls')
    env = {**os.environ, "PATH": f"{tmp_path}:{os.environ['PATH']}"}
    subprocess.run(["sh", "-c", script_text("k8sm-stop-all"), "k8sm-stop-all", "mesos-slave", "docker; x"],
                   env=env, check=True, timeout=30)
    assert (tmp_path / "calls").read_text().splitlines() == ["kill mesos-slave 10", "kill docker; x 10"]


def words(path):
    try:
        return path.read_text().split()
    except FileNotFoundError:  # between the writer's rm and its first acknowledged write
        return []


def test_drill_writer_records_only_acknowledged_writes(tmp_path):
    # the stand-in etcdctl acknowledges every write but the third
    fake(tmp_path, "etcdctl", f'echo "$*" >> {tmp_path}/puts; case "$*" in *"/k/3 3") exit 1;; esac')
    env = {**os.environ, "PATH": f"{tmp_path}:{os.environ['PATH']}"}
    acked = tmp_path / "acked"
    acked.write_text("stale\n")
    writer = subprocess.Popen(["bash", str(scripts_dir() / "k8sm-drill-writer"), "http://a,http://b", str(acked),
                               "/k/"], env=env)
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and len(words(acked)) < 5:
            time.sleep(0.05)
    finally:
        writer.kill()
        writer.wait(timeout=10)
    numbers = [int(x) for x in words(acked)]
    assert numbers[:4] == [1, 2, 4, 5]
    first = (tmp_path / "puts").read_text().splitlines()[0]
    assert first == "--endpoints=http://a,http://b --dial-timeout=1s --command-timeout=2s put /k/1 1"
