"""k8sm.daemons.base: argv and probe files, and the http_probe format."""

from __future__ import annotations

import pytest

from k8sm.daemons import etcd
from k8sm.daemons.base import argv_file, http_probe, parse_http, parse_http_all


def test_argv_file_is_one_argument_per_line_and_refuses_newlines():
    assert argv_file(["etcd", "--name", "a b"]).content == "etcd\n--name\na b\n"
    with pytest.raises(ValueError):
        argv_file(["etcd", "--name", "a\nb"])
    with pytest.raises(ValueError):
        argv_file(["etcd", ""])


def test_probe_files_are_written_beside_the_argv(lab):
    files = etcd.ETCD.node_files(lab, lab.node("etcd-0"))
    probe = files["/etc/k8sm/daemons/etcd.probe"].content.splitlines()
    assert probe[0] == "curl" and probe[-1] == "http://127.0.0.1:2379/v2/stats/self"


def test_http_probe_output_is_parsed():
    assert parse_http('{"a":1}\n@@http 200\n') == (200, '{"a":1}')
    assert parse_http("\n@@http 000\n") == (0, "")
    assert parse_http("@@http 307\n") == (307, "")


def test_several_urls_in_one_probe_are_read_back_in_order():
    argv = http_probe("http://a/x", "http://a/y")
    assert argv[-2:] == ["http://a/x", "http://a/y"] and argv.count("-w") == 1
    assert parse_http_all('{"a":1}\n@@http 200\n\n@@http 307\n') == [(200, '{"a":1}'), (307, "")]
    assert parse_http_all("") == []
