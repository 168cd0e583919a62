"""Fixtures the unit tests share: the checkout's lab, and labs whose every setting differs from it."""

from __future__ import annotations

import textwrap

import pytest

from k8sm import topology
from tests.cli import ROOT


@pytest.fixture(scope="module")
def lab():
    """The checkout's lab (hosts.yaml as committed)."""
    return topology.load(ROOT / "hosts.yaml")


@pytest.fixture(scope="module")
def other_lab():
    """An etcd + ZooKeeper lab whose every setting differs from the checkout's (5 members, other ports)."""
    return topology.parse(textwrap.dedent("""
        network: {subnet: 10.77.0.0/24, first_ip: 10.77.0.20}
        ports: {etcd_client: 12379, etcd_client_legacy: 14001, etcd_peer: 12380, zookeeper_client: 12181,
                zookeeper_peer: 12888, zookeeper_election: 13888}
        etcd: {cluster_token: other-token}
        nodes:
          - {name: e0, role: etcd}
          - {name: e1, role: etcd}
          - {name: e2, role: etcd}
          - {name: e3, role: etcd}
          - {name: e4, role: etcd}
          - {name: zk, role: mesos-master}
    """))


@pytest.fixture(scope="module")
def other():
    """A Mesos + km lab whose every setting differs from the checkout's (5 masters, other ports and names)."""
    return topology.parse(textwrap.dedent("""
        network: {subnet: 10.9.0.0/24, first_ip: 10.9.0.10}
        ports: {zookeeper_client: 12181, mesos_master: 15050, mesos_agent: 15051, apiserver: 18080,
                etcd_client_legacy: 14001, controller_manager: 20252, scheduler: 20251}
        mesos: {cluster: other}
        kubernetes: {service_cluster_ip_range: 10.99.0.0/16, cluster_dns: 10.99.0.53, cluster_domain: lab.test,
                     mesos_user: nobody, log_level: 4}
        nodes:
          - {name: e0, role: etcd}
          - {name: m0, role: mesos-master}
          - {name: m1, role: mesos-master}
          - {name: m2, role: mesos-master}
          - {name: m3, role: mesos-master}
          - {name: m4, role: mesos-master}
          - {name: fw, role: framework}
          - {name: w0, role: minion}
    """))
