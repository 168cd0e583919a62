"""k8sm.daemons.control: reading `k8sm-daemon check` output."""

from __future__ import annotations

from k8sm.daemons import zookeeper


def test_parse_check_output():
    from k8sm.daemons.control import parse_check

    reports = parse_check("@@daemon zookeeper running 42\n@@probe\nZookeeper version: 3.8\nMode: leader\n\n"
                          "@@daemon mesos-master stopped\n@@daemon other running 7\n@@probe\n\n"
                          "@@daemon bare running 9\n@@daemon km absent km\n")
    assert (reports["zookeeper"].running, reports["zookeeper"].pid) == (True, 42)
    assert zookeeper.parse_srvr(reports["zookeeper"].probe_output).detail == "leader"
    assert not reports["mesos-master"].running and reports["mesos-master"].pid is None
    assert reports["other"].probe_output == ""
    assert reports["bare"].probe_output is None
    assert not reports["km"].installed and not reports["km"].running and reports["mesos-master"].installed
    assert parse_check("garbage\n") == {}
