"""The stand-in executables of tests/standins/ (test doubles for Mesos and km): they build cleanly and behave as documented.

Everything runs on 127.0.0.1 only, and every process started here is stopped by its pid in a fixture teardown.
"""

from __future__ import annotations

import http.client
import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

CC = shutil.which("cc")
if CC is None:
    pytest.skip("no C compiler (cc) found to build the stand-ins", allow_module_level=True)

STANDINS = Path(__file__).resolve().parent.parent / "standins"
CFLAGS = ["-static", "-O2", "-Wall", "-Wextra", "-Werror"]
LOCAL = "127.0.0.1"


@pytest.fixture(scope="module")
def bins(tmp_path_factory):
    out = tmp_path_factory.mktemp("standins")
    built = {}
    for name, source in (("standin-httpd", "httpd.c"), ("km", "km.c")):
        exe = out / name
        run = subprocess.run([CC, *CFLAGS, "-o", str(exe), str(STANDINS / source)], capture_output=True, text=True)
        assert run.returncode == 0, f"{source} does not compile:\n{run.stderr}"
        assert run.stderr == "", f"{source} compiles with warnings:\n{run.stderr}"
        built[name] = exe
    return built


def free_port() -> int:
    with socket.socket() as s:
        s.bind((LOCAL, 0))
        return s.getsockname()[1]


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture
def spawn(tmp_path):
    """Starts programs with stderr in a log file; stops every one of them afterwards."""
    procs = []

    def start(argv, env=None, log="stderr.log"):
        with open(tmp_path / log, "w") as err:
            proc = subprocess.Popen([str(a) for a in argv], env={**os.environ, **(env or {})},
                                    stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err)
        procs.append(proc)
        proc.log = tmp_path / log
        return proc

    yield start
    for proc in procs:
        stop(proc)


def wait_for_port(port: int, proc: subprocess.Popen, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"exited with {proc.returncode}:\n{proc.log.read_text()}"
        try:
            socket.create_connection((LOCAL, port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.02)
    pytest.fail(f"nothing listens on {LOCAL}:{port} after {timeout}s:\n{proc.log.read_text()}")


def fetch(port: int, method: str, path: str, body: bytes | None = None):
    conn = http.client.HTTPConnection(LOCAL, port, timeout=5)  # http.client never goes through a proxy
    try:
        conn.request(method, path, body=body)
        resp = conn.getresponse()
        return resp.status, resp.headers, resp.read()
    finally:
        conn.close()


# ----------------------------------------------------------------------------------------------------- standin-httpd


@pytest.fixture
def httpd(bins, spawn, tmp_path):
    docroot = tmp_path / "docroot"
    docroot.mkdir()
    port = free_port()
    proc = spawn([bins["standin-httpd"], port, docroot, LOCAL], env={"K8SM_STANDIN_HTTP_TIMEOUT": "1"})
    wait_for_port(port, proc)
    return SimpleNamespace(port=port, docroot=docroot, proc=proc)


def test_httpd_serves_files_with_a_content_type_from_the_first_byte(httpd):
    (httpd.docroot / "master").mkdir()
    (httpd.docroot / "master" / "state.json").write_text(' \n{"leader": "master@127.0.0.1:5050"}')
    (httpd.docroot / "list").write_text('["a"]')
    (httpd.docroot / "plain.txt").write_text("hello\n")

    status, headers, body = fetch(httpd.port, "GET", "/master/state.json?jsonp=x")
    assert (status, body) == (200, b' \n{"leader": "master@127.0.0.1:5050"}')
    assert headers["Content-Type"] == "application/json"
    assert headers["Connection"] == "close"
    assert fetch(httpd.port, "GET", "/list")[1]["Content-Type"] == "application/json"
    status, headers, body = fetch(httpd.port, "GET", "/plain.txt")
    assert (status, body) == (200, b"hello\n")
    assert headers["Content-Type"].startswith("text/plain")


def test_httpd_answers_404_for_missing_files_and_400_for_dotdot(httpd, tmp_path):
    (tmp_path / "secret").write_text("outside the docroot")
    assert fetch(httpd.port, "GET", "/missing")[0] == 404
    assert fetch(httpd.port, "GET", "/")[0] == 404  # a directory is not a file
    assert fetch(httpd.port, "GET", "/../secret")[0] == 400
    assert fetch(httpd.port, "GET", "/a/../../secret")[0] == 400
    assert fetch(httpd.port, "PUT", "/../secret", b"x")[0] == 400
    assert (tmp_path / "secret").read_text() == "outside the docroot"
    assert fetch(httpd.port, "DELETE", "/missing")[0] == 405


def test_httpd_put_then_get_returns_the_same_body(httpd):
    first, second = b'{"id": 1}\n', bytes(range(256)) * 1000
    assert fetch(httpd.port, "PUT", "/new/deep/dir/item.json", first)[0] == 201
    assert fetch(httpd.port, "GET", "/new/deep/dir/item.json")[2] == first
    assert fetch(httpd.port, "PUT", "/new/deep/dir/item.json", second)[0] == 201  # replaced in place
    assert fetch(httpd.port, "GET", "/new/deep/dir/item.json")[2] == second
    assert os.listdir(httpd.docroot / "new" / "deep" / "dir") == ["item.json"]  # no temporary file left over


def test_httpd_status_and_location_files_script_the_answer(httpd):
    (httpd.docroot / "redirect.status").write_text("307\n")
    (httpd.docroot / "redirect.location").write_text("  http://127.0.0.1:1/elsewhere \n")
    status, headers, body = fetch(httpd.port, "GET", "/redirect")
    assert (status, headers["Location"], body) == (307, "http://127.0.0.1:1/elsewhere", b"")

    (httpd.docroot / "health.status").write_text(" 503 ")
    (httpd.docroot / "health").write_text("down")
    status, headers, body = fetch(httpd.port, "GET", "/health")
    assert (status, headers["Location"], body) == (503, None, b"down")


def test_httpd_survives_silent_and_vanishing_clients(httpd):
    (httpd.docroot / "ping").write_text("pong")
    with socket.create_connection((LOCAL, httpd.port)) as silent:
        with socket.create_connection((LOCAL, httpd.port)) as early:
            early.sendall(b"GET /pi")  # then goes away mid-request
        started = time.monotonic()
        assert fetch(httpd.port, "GET", "/ping")[::2] == (200, b"pong")
        assert time.monotonic() - started < 4  # served once the silent client timed out (1s here)
        silent.settimeout(3)
        assert silent.recv(1) == b""  # the server hung up on it


def test_httpd_exits_0_on_sigterm(httpd):
    httpd.proc.send_signal(signal.SIGTERM)
    assert httpd.proc.wait(timeout=5) == 0


# ---------------------------------------------------------------------------------------------------------------- km


@pytest.fixture
def km_env(tmp_path):
    return {"K8SM_STANDIN_DIR": str(tmp_path), "K8SM_STANDIN_WAIT": "1", "K8SM_STANDIN_HTTP_TIMEOUT": "1"}


@pytest.fixture
def etcd():
    """A listening socket that plays etcd for the TCP check (connections are never accepted)."""
    with socket.socket() as s:
        s.bind((LOCAL, 0))
        s.listen(16)
        yield s.getsockname()[1]


@pytest.fixture
def apiserver(bins, spawn, km_env, etcd):
    port = free_port()
    argv = [str(bins["km"]), "apiserver", f"--etcd-servers=http://{LOCAL}:{free_port()},http://{LOCAL}:{etcd}/v2",
            "--address=127.0.0.1", "--port", str(port), "--v=2", "--allow-privileged", "--unknown-flag", "a b"]
    proc = spawn(argv, env=km_env, log="apiserver.log")
    wait_for_port(port, proc)
    return SimpleNamespace(port=port, proc=proc, argv=argv)


@pytest.mark.parametrize("args", [[], ["proxy"], ["--port=1"]])
def test_km_refuses_unknown_subcommands(bins, km_env, args):
    run = subprocess.run([bins["km"], *args], env={**os.environ, **km_env}, capture_output=True, text=True, timeout=10)
    assert run.returncode == 2
    assert "usage: km apiserver|controller-manager|scheduler" in run.stderr


def test_km_apiserver_gives_up_when_etcd_does_not_answer(bins, km_env, tmp_path):
    argv = [bins["km"], "apiserver", f"--etcd-servers=http://{LOCAL}:{free_port()}", "--address=127.0.0.1"]
    started = time.monotonic()
    run = subprocess.run(argv, env={**os.environ, **km_env}, capture_output=True, text=True, timeout=10)
    assert run.returncode == 1
    assert "gave up waiting for etcd" in run.stderr
    assert "Connection refused" in run.stderr
    assert time.monotonic() - started < 4
    assert (tmp_path / "km-apiserver.argv").exists()  # recorded before the check


def test_km_apiserver_without_etcd_servers_says_so(bins, km_env):
    run = subprocess.run([bins["km"], "apiserver"], env={**os.environ, **km_env}, capture_output=True, text=True, timeout=10)
    assert run.returncode == 1
    assert "--etcd-servers is required" in run.stderr


def test_km_apiserver_serves_health_and_records_its_argv(apiserver, tmp_path):
    assert fetch(apiserver.port, "GET", "/healthz")[::2] == (200, b"ok")
    status, headers, body = fetch(apiserver.port, "GET", "/version")
    assert (status, headers["Content-Type"], body) == (200, "application/json", b'{"gitVersion":"v0.0.0-standin"}')
    assert fetch(apiserver.port, "GET", "/api/v1/pods")[0] == 404
    assert (tmp_path / "km-apiserver.argv").read_text() == "".join(f"{a}\n" for a in apiserver.argv)
    log = apiserver.proc.log.read_text()
    assert "STAND-IN km apiserver: a test double, not the Kubernetes-on-Mesos km" in log
    assert f"serving on 127.0.0.1:{apiserver.port}" in log


def test_km_scheduler_and_controller_manager_follow_the_apiserver(bins, spawn, km_env, apiserver, tmp_path):
    api = f"http://{LOCAL}:{apiserver.port}"
    started = []
    dead = f"http://{LOCAL}:{free_port()}"  # nothing listens there; the scheduler must try the next one
    for sub, flag in (("scheduler", f"--api-servers={dead},{api}"), ("controller-manager", f"--master={api}")):
        port = free_port()
        argv = [str(bins["km"]), sub, flag, "--address", LOCAL, f"--port={port}"]
        started.append((sub, port, argv, spawn(argv, env=km_env, log=f"{sub}.log")))
    for sub, port, argv, proc in started:
        wait_for_port(port, proc)
        assert fetch(port, "GET", "/healthz")[::2] == (200, b"ok")
        assert (tmp_path / f"km-{sub}.argv").read_text() == "".join(f"{a}\n" for a in argv)


def test_km_exits_0_on_sigterm_while_serving_and_while_waiting(bins, spawn, km_env, apiserver):
    apiserver.proc.send_signal(signal.SIGTERM)
    assert apiserver.proc.wait(timeout=5) == 0

    waiting = spawn([bins["km"], "controller-manager", f"--master=http://{LOCAL}:{free_port()}"],
                    env={**km_env, "K8SM_STANDIN_WAIT": "30"}, log="waiting.log")
    deadline = time.monotonic() + 5
    while "waiting up to 30 s" not in waiting.log.read_text():
        assert time.monotonic() < deadline and waiting.poll() is None, waiting.log.read_text()
        time.sleep(0.02)
    waiting.send_signal(signal.SIGTERM)
    assert waiting.wait(timeout=5) == 0
