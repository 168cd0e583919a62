"""hosts.yaml text for tests: the smallest valid node list, and parsing text as `topology.parse` does."""

from __future__ import annotations

import textwrap

import pytest

from k8sm import topology
from k8sm.errors import TopologyError

MINIMAL = """
nodes:
  - {name: etcd-0, role: etcd}
  - {name: master-0, role: mesos-master}
"""


def parse(text: str) -> topology.Lab:
    return topology.parse(textwrap.dedent(text), "test.yaml")


def problems(text: str) -> list[str]:
    """The problems parsing text reports (it must fail)."""
    with pytest.raises(TopologyError) as info:
        parse(text)
    return info.value.problems
