"""k8sm.daemons.km: km's command lines and probes, from the default and a non-default topology."""

from __future__ import annotations

import pytest

from k8sm import topology
from k8sm.daemons import km
from k8sm.daemons.base import Health


def test_km_argv_default(lab):
    fw = lab.node("kubernetes-mesos")
    etcd = "http://172.30.1.1:4001,http://172.30.1.2:4001,http://172.30.1.3:4001"
    zk = "zk://172.30.1.4:2181,172.30.1.5:2181,172.30.1.6:2181/mesos"
    assert km.apiserver_argv(lab, fw) == [
        "km", "apiserver", "--insecure-bind-address=0.0.0.0", "--insecure-port=8080", "--advertise-address=172.30.1.7",
        "--secure-port=6443", "--cert-dir=/etc/k8sm/kubernetes/certs",
        f"--etcd-servers={etcd}", "--service-cluster-ip-range=10.10.10.0/24", "--cloud-provider=mesos",
        "--cloud-config=/etc/k8sm/kubernetes/mesos-cloud.conf", "--v=2",
    ]
    assert km.controller_manager_argv(lab, fw) == [
        "km", "controller-manager", "--address=172.30.1.7", "--port=10252", "--master=http://172.30.1.7:8080",
        "--cloud-provider=mesos", "--cloud-config=/etc/k8sm/kubernetes/mesos-cloud.conf", "--v=2",
    ]
    assert km.scheduler_argv(lab, fw) == [
        "km", "scheduler", "--address=172.30.1.7", "--port=10251", f"--mesos-master={zk}", f"--etcd-servers={etcd}",
        "--mesos-user=root", "--api-servers=http://172.30.1.7:8080", "--cluster-dns=10.10.10.10",
        "--cluster-domain=cluster.local", "--framework-name=Kubernetes",
        "--kubelet-pod-infra-container-image=k8sm/pause:0.8.0", "--contain-pod-resources=false",
        "--run-proxy=false", "--v=2",
    ]


@pytest.mark.parametrize(("setting", "flag"), [("", "--run-proxy=true"), ("run_proxy: true", "--run-proxy=true"),
                                               ("run_proxy: false", "--run-proxy=false")])
def test_kube_proxy_follows_the_run_proxy_setting_and_is_on_by_default(setting, flag):
    lab = topology.parse(f"kubernetes: {{{setting}}}\nnodes:\n  - {{name: etcd-0, role: etcd}}\n"
                         "  - {name: mesos-master-0, role: mesos-master}\n"
                         "  - {name: kubernetes-mesos, role: framework}\n")
    assert flag in km.scheduler_argv(lab, lab.node("kubernetes-mesos"))


@pytest.mark.parametrize("value", ["yes-please", "1", "[true]"])
def test_run_proxy_must_be_a_boolean(value):
    with pytest.raises(topology.TopologyError, match=r"kubernetes\.run_proxy.*true or false"):
        topology.parse(f"kubernetes: {{run_proxy: {value}}}\nnodes:\n  - {{name: fw, role: framework}}\n")


@pytest.mark.parametrize(("output", "healthy", "detail"), [
    ('@@healthz ok\n@@name Kubernetes\n@@frameworks\n{"frameworks":[{"name":"Kubernetes","active":true,"id":"f-1"}]}',
     True, "registered with Mesos as f-1"),
    # /healthz ok while the framework is not registered: the driver aborted (seen with real km)
    ('@@healthz ok\n@@name Kubernetes\n@@frameworks\n{"frameworks":[]}', False,
     "healthz ok, but not registered with the leading Mesos master"),
    ('@@healthz ok\n@@name Kubernetes\n@@frameworks\n{"frameworks":[{"name":"Kubernetes","active":false}]}', False,
     "healthz ok, but not registered with the leading Mesos master"),
    ("@@healthz ok\n@@name Kubernetes\n@@frameworks none", False, "registration unknown: no Mesos master answered"),
    ("@@healthz \n@@frameworks none", False, "not answering"),
    ("@@healthz ok\n@@frameworks\n<html>", False, "registration unknown: unreadable /master/frameworks"),
])
def test_scheduler_health_means_registered_with_the_leading_master(output, healthy, detail):
    assert km.parse_scheduler_probe(output) == Health(healthy, detail)


def test_km_argv_other_topology(other):
    fw = other.node("fw")
    api = km.apiserver_argv(other, fw)
    assert "--etcd-servers=http://10.9.0.10:14001" in api and "--insecure-port=18080" in api
    assert "--service-cluster-ip-range=10.99.0.0/16" in api and "--v=4" in api
    sd = km.scheduler_argv(other, fw)
    assert {"--mesos-user=nobody", "--cluster-dns=10.99.0.53", "--cluster-domain=lab.test", "--port=20251",
            "--api-servers=http://10.9.0.16:18080"} <= set(sd)
    assert "--port=20252" in km.controller_manager_argv(other, fw)


def test_healthz():
    assert km.parse_healthz("ok\n@@http 200\n").healthy
    assert not km.parse_healthz("\n@@http 000\n").healthy
