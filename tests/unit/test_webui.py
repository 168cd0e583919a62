"""k8sm.webui: the UI URLs and the proxy configuration."""

from __future__ import annotations

import textwrap

import pytest

from k8sm import topology, webui
from k8sm.errors import K8smError


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
