"""kubectl's command line and node, `--` arguments, the UI URLs and the proxy configuration."""

from __future__ import annotations

import textwrap

import pytest

from k8sm import kubectl, topology, webui
from k8sm.errors import K8smError
from k8sm.tasks.executor import args_after_dashes
from tests.cli import ROOT, invoke


@pytest.fixture(scope="module")
def lab():
    return topology.load(ROOT / "hosts.yaml")


def test_kubectl_runs_in_the_framework_unless_a_client_is_enabled(lab):
    assert kubectl.kubectl_node(lab).name == "kubernetes-mesos"
    with_client = topology.parse((ROOT / "hosts.yaml").read_text().replace(
        "role: client, enabled: false", "role: client"))
    assert kubectl.kubectl_node(with_client).name == "kubernetes-client"
    with pytest.raises(K8smError, match="has no kubectl"):
        kubectl.kubectl_node(lab, "etcd-0")


def test_kubectl_arguments_are_passed_as_given(lab):
    node = lab.node("kubernetes-mesos")
    args = ["get", "pods", "-l", "app in (a, b)", "-o", "jsonpath={.items[*].metadata.name}"]
    assert kubectl.exec_argv(node, args, tty=False) == ["docker", "exec", "-i", "kubernetes-mesos", "kubectl", *args]
    assert kubectl.exec_argv(node, ["get", "pods"], tty=True)[:3] == ["docker", "exec", "-it"]


def test_args_after_the_first_double_dash():
    assert args_after_dashes(["invoke", "kubectl", "--", "get", "--", "x"]) == ["get", "--", "x"]
    assert args_after_dashes(["invoke", "kubectl"]) == []


def test_remainder_is_refused_for_other_tasks():
    run = invoke("status", "--", "get", "pods")
    assert run.code == 1 and run.stderr.strip() == (
        "k8sm: text after -- is passed only to `kubectl` (e.g. invoke kubectl -- get pods)")


def test_ui_urls(lab):
    text = webui.describe(lab)
    assert "Mesos master:          http://127.0.0.1:5050/" in text
    assert "http://172.30.1.7:8080/ (kubernetes-mesos)" in text


def test_unpublished_ui_says_so():
    lab = topology.parse(textwrap.dedent("""
        nodes: [{name: e, role: etcd}, {name: m, role: mesos-master}, {name: f, role: framework}]
    """))
    assert "not published" in webui.describe(lab)


def test_proxy_config_from_the_topology(lab):
    text = webui.nginx_config(lab, "mesos.example.org", "k8s.example.org", 8088)
    assert "server_name mesos.example.org;" in text and "server_name k8s.example.org;" in text
    assert "listen 8088;" in text
    assert "server 172.30.1.4:5050;\n    server 172.30.1.5:5050;\n    server 172.30.1.6:5050;" in text
    assert "server 172.30.1.7:8080;" in text


@pytest.mark.parametrize("name", ["bad name", "x;}", "a..b", ""])
def test_proxy_server_names_are_checked(lab, name):
    with pytest.raises(K8smError):
        webui.nginx_config(lab, name, "k.example.org")
