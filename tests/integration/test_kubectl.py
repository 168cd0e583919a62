"""`invoke kubectl -- ...` with the real kubectl (Debian's kubernetes-client) in the framework container."""

from __future__ import annotations

import subprocess
import sys

from tests.cli import ROOT


def test_which_kubectl_is_used(seed_lab):
    run = seed_lab.ok("kubectl", "--which")
    assert run.stdout.startswith("kubernetes-mesos: /usr/bin/kubectl Debian's kubernetes-client")
    assert "Client Version: v1.20" in run.stdout


def test_client_version(seed_lab):
    run = seed_lab.ok("kubectl", "--", "version", "--client", "--short")
    assert run.stdout.strip().startswith("Client Version: v1.20")


def test_arguments_reach_kubectl_untouched(seed_lab):
    run = seed_lab.ok("kubectl", "--", "config", "view", "-o", "jsonpath={.clusters[0].cluster.server} {.kind}")
    assert run.stdout == f"http://{seed_lab.ip(6)}:8080 Config"


def test_stdin_reaches_kubectl(seed_lab):
    kubeconfig = ("apiVersion: v1\nkind: Config\nclusters:\n- name: piped\n  cluster:\n"
                  "    server: http://from-stdin.invalid:1234\n")
    argv = [sys.executable, "-m", "invoke", "kubectl", "--", "config", "view", "--kubeconfig=/dev/stdin",
            "-o", "jsonpath={.clusters[0].cluster.server}"]
    env = {"K8SM_HOSTS": str(seed_lab.hosts), "PATH": "/usr/local/bin:/usr/bin:/bin"}
    done = subprocess.run(argv, input=kubeconfig, capture_output=True, text=True, cwd=ROOT, env=env, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "http://from-stdin.invalid:1234"


def test_a_failing_kubectl_passes_its_exit_code_on(seed_lab, engine):
    argv = ["get", "pods", "--request-timeout=3s"]  # no apiserver runs in this lab
    run = seed_lab.invoke("kubectl", "--", *argv)
    exec_id = engine.exec_create(seed_lab.container("kubernetes-mesos"), ["kubectl", *argv])
    engine.exec_start(exec_id)
    direct = engine.exec_inspect(exec_id)["ExitCode"]
    assert direct != 0 and run.code == direct
    assert "Traceback" not in run.stderr and "8080" in run.stderr + run.stdout


def test_the_k8sm_program_passes_arguments_too(seed_lab):
    run = seed_lab.k8sm("kubectl", "--", "version", "--client", "--short")
    assert run.code == 0 and run.stdout.strip().startswith("Client Version: v1.20"), str(run)


def test_the_seed_nginx_example_is_in_place(seed_lab):
    code, out = seed_lab.exec("kubernetes-mesos", "cat", "/opt/nginx.yaml")
    assert code == 0 and "kind: Pod" in out and "image: k8sm/nginx:bookworm" in out
