"""k8sm.labspec: container settings and node files derived from the topology."""

from __future__ import annotations

import shlex
import subprocess
import textwrap

from k8sm import labels, topology
from k8sm.lab import container_spec, node_env, node_files, peers_file
from tests.cli import ROOT


def test_etcd_node_container(lab):
    spec = container_spec(lab, lab.node("etcd-0"))
    assert spec.name == "etcd-0" and spec.hostname == "etcd-0" and spec.ip == "172.30.1.1"
    assert spec.image == "k8sm/etcd:latest" and spec.network == "k8sm"
    assert spec.labels[labels.LAB] == "k8sm" and spec.labels[labels.ROLE] == "etcd"
    assert spec.labels[labels.NODE] == "etcd-0" and spec.labels[labels.SPEC] == spec.digest
    assert not spec.privileged and spec.cap_add == () and spec.security_opt == ()
    assert spec.volumes == {"k8sm_etcd-0_data": "/var/lib/k8sm"}
    assert len(spec.extra_hosts) == 10 and spec.extra_hosts["kubernetes-minion-3"] == "172.30.1.11"
    assert spec.aliases == ()


def test_published_ports_bind_to_loopback(lab):
    assert container_spec(lab, lab.node("mesos-master-0")).ports == {5050: ("127.0.0.1", 5050)}
    assert container_spec(lab, lab.node("kubernetes-mesos")).ports == {8080: ("127.0.0.1", 8080)}
    assert container_spec(lab, lab.node("mesos-master-1")).ports == {}


def test_minion_runs_with_capabilities_not_privileged(lab):
    spec = container_spec(lab, lab.node("kubernetes-minion-0"))
    assert not spec.privileged
    assert set(spec.cap_add) == {"SYS_ADMIN", "NET_ADMIN"}
    assert "seccomp=unconfined" in spec.security_opt
    assert spec.volumes["k8sm_kubernetes-minion-0_docker"] == "/var/lib/docker"


def test_privileged_mode_is_chosen_in_hosts_yaml():
    text = (ROOT / "hosts.yaml").read_text().replace("security: capabilities", "security: privileged")
    lab = topology.parse(text)
    assert container_spec(lab, lab.node("kubernetes-mesos")).privileged
    assert container_spec(lab, lab.node("kubernetes-minion-1")).privileged
    assert not container_spec(lab, lab.node("etcd-0")).privileged
    assert container_spec(lab, lab.node("kubernetes-minion-1")).cap_add == ()


def test_prefix_gives_names_and_aliases():
    lab = topology.parse(textwrap.dedent("""
        lab: {name: two, container_prefix: t2-}
        nodes: [{name: etcd-0, role: etcd}, {name: m-0, role: mesos-master}]
    """))
    spec = container_spec(lab, lab.node("etcd-0"))
    assert spec.name == "t2-etcd-0" and spec.hostname == "etcd-0" and spec.aliases == ("etcd-0",)
    assert spec.volumes == {"two_etcd-0_data": "/var/lib/k8sm"}


def test_digest_changes_with_settings(lab):
    text = (ROOT / "hosts.yaml").read_text().replace("publish: [5050]", "publish: [\"15050:5050\"]")
    other = topology.parse(text)
    a, b = container_spec(lab, lab.node("mesos-master-0")), container_spec(other, other.node("mesos-master-0"))
    assert a.digest != b.digest
    assert container_spec(lab, lab.node("etcd-0")).digest == container_spec(other, other.node("etcd-0")).digest


def test_node_env_is_shell_safe(lab):
    text = node_env(lab, lab.node("mesos-master-1"))
    values = dict(line.split("=", 1) for line in text.splitlines() if not line.startswith("#"))
    assert values["K8SM_NODE"] == "mesos-master-1" and values["K8SM_ROLE"] == "mesos-master"
    assert shlex.split(values["K8SM_DAEMONS"]) == ["zookeeper mesos-master"]
    out = subprocess.run(["bash", "-c", 'source /dev/stdin; echo "$K8SM_IP|$K8SM_DAEMONS"'], input=text,
                         capture_output=True, text=True, check=True).stdout
    assert out == "172.30.1.5|zookeeper mesos-master\n"


def test_node_files_carry_identity_peers_and_daemon_config(lab):
    files = node_files(lab, lab.node("mesos-master-0"))
    per_daemon = {f"/etc/k8sm/daemons/{d}.{kind}" for d in ("zookeeper", "mesos-master")
                  for kind in ("argv", "probe", "requires")}
    assert set(files) == {"/etc/k8sm/node.env", "/etc/k8sm/peers", "/etc/k8sm/plan", "/etc/k8sm/zookeeper/zoo.cfg",
                          "/var/lib/k8sm/zookeeper/myid", *per_daemon}
    assert files["/etc/k8sm/daemons/mesos-master.requires"].content == "mesos-master\n"
    assert files["/etc/k8sm/peers"].content == peers_file(lab)
    assert peers_file(lab).splitlines()[6] == "kubernetes-mesos 172.30.1.7 framework"
    minion = node_files(lab, lab.node("kubernetes-minion-0"))
    assert set(minion) == {"/etc/k8sm/node.env", "/etc/k8sm/peers", "/etc/k8sm/plan"} | {
        f"/etc/k8sm/daemons/{d}.{kind}" for d in ("docker", "mesos-slave") for kind in ("argv", "probe", "requires")}
    assert minion["/etc/k8sm/daemons/mesos-slave.requires"].content == "mesos-agent|mesos-slave\n"


def test_kubectl_nodes_get_a_kubeconfig_and_the_nginx_example(lab):
    files = node_files(lab, lab.node("kubernetes-mesos"))
    assert "    server: http://172.30.1.7:8080\n" in files["/root/.kube/config"].content
    assert files["/root/.kube/config"].mode == 0o600
    assert "image: k8sm/nginx:bookworm\n    imagePullPolicy: IfNotPresent\n" in files["/opt/nginx.yaml"].content
    assert files["/etc/k8sm/kubernetes/mesos-cloud.conf"].content == (
        "[mesos-cloud]\n    mesos-master = zk://172.30.1.4:2181,172.30.1.5:2181,172.30.1.6:2181/mesos\n")
    assert {"/etc/k8sm/daemons/apiserver.argv", "/etc/k8sm/daemons/controller-manager.argv",
            "/etc/k8sm/daemons/scheduler.argv"} <= set(files)


def test_volume_names_never_meet_across_labs():
    # every (lab name, node name, purpose) the loader accepts maps to its own volume name
    from itertools import product

    from k8sm.lab import volume_name
    from k8sm.topology import Node

    lab_names = ["a", "a-x", "a_x", "a.x", "k8sm", "k8sm-kubernetes", "k8sm-kubernetes-minion"]
    node_names = ["y", "x-y", "minion-0", "kubernetes-minion-0", "kubernetes-minion", "0"]
    seen: dict[str, tuple[str, str, str]] = {}
    for lab_name, node_name, purpose in product(lab_names, node_names, ("data", "docker")):
        lab_ = type("L", (), {"name": lab_name})()
        node = Node(name=node_name, role="minion", ip="10.0.0.1", container=node_name, index=0)
        name = volume_name(lab_, node, purpose)
        assert name not in seen, (name, seen.get(name), (lab_name, node_name, purpose))
        seen[name] = (lab_name, node_name, purpose)
