"""k8sm.yamlstrict, hosts.yaml as YAML: nesting, aliases and what no constructor can read give one bounded problem, quickly;
merge keys work; the report is bounded and printable."""

from __future__ import annotations

import time

import pytest

from k8sm import topology
from k8sm.errors import MAX_PROBLEMS, TopologyError, clip, shown
from k8sm.yamlstrict import MAX_DEPTH, MAX_VALUES
from tests.hoststext import MINIMAL, parse, problems


@pytest.mark.parametrize("text", [
    "nodes: " + "[" * 3000 + "]" * 3000,
    "nodes: " + "{a: " * 3000 + "1" + "}" * 3000,
    "".join(" " * i + "- \n" for i in range(1000)),
], ids=["flow sequences", "flow mappings", "block sequences"])
def test_deep_nesting_is_one_problem(text):
    assert problems(text) == [problems(text)[0]]
    assert f"nested more than {MAX_DEPTH} levels deep" in problems(text)[0]


BOMB = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n' + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 9)}]\n" for i in range(8))


@pytest.mark.parametrize("use", ["nodes: [{name: *i, role: etcd}]\n", "lab: {name: *i}\n", "nodes: *i\n"],
                         ids=["node name", "lab name", "nodes"])
def test_an_alias_bomb_is_refused_quickly_and_briefly(use):
    started = time.monotonic()
    with pytest.raises(TopologyError) as info:
        parse(BOMB + use)
    assert time.monotonic() - started < 2
    assert len(str(info.value)) < 400
    assert f"more than {MAX_VALUES} values in all, counting each alias" in str(info.value)


def test_a_recursive_alias_is_refused():
    assert "alias *x is inside the value it names" in problems("nodes: &x [*x]\n")[0]
    assert "alias *y is inside the value it names" in problems("nodes: [&y {name: *y}]\n")[0]


def test_an_integer_too_long_to_read_is_one_problem():
    assert "is too large an integer" in problems(f"timeouts: {{etcd: {'9' * 5000}}}\n" + MINIMAL)[0]


def test_the_report_lists_at_most_max_problems_then_counts_the_rest():
    text = "lab: {" + ", ".join(f"k{i}: 1" for i in range(500)) + "}\n" + MINIMAL
    error = pytest.raises(TopologyError, parse, text).value
    assert len(error.problems) == 500
    lines = str(error).splitlines()
    assert lines[0] == "test.yaml has 500 problems:"
    assert len(lines) == 1 + MAX_PROBLEMS + 1 and lines[-1] == f"  - and {500 - MAX_PROBLEMS} more"


def test_control_characters_are_escaped_in_messages():
    error = str(pytest.raises(TopologyError, parse, 'lab: {name: "a\\e[31mred\\u202e"}\n' + MINIMAL).value)
    assert "\x1b" not in error and "\u202e" not in error and "\\x1b[31mred" in error


@pytest.mark.parametrize("text", ["a: [1]\n\x01\n", "a: \x7f\n"])
def test_unprintable_characters_are_a_yaml_problem(text):
    assert problems(text)[0].startswith("not valid YAML:")


def test_an_unreadable_date_is_one_problem():
    assert problems("lab: {name: 2024-13-45}\n" + MINIMAL) == [
        "not valid YAML: line 1, column 13: cannot read this value: month must be in 1..12"]


def test_merge_keys_are_supported_and_own_keys_win():
    lab = parse("""
        nodes:
          - &etcd {name: etcd-0, role: etcd, publish: [2379]}
          - {<<: *etcd, name: etcd-1, publish: []}
          - {<<: *etcd, name: etcd-2, publish: []}
          - {<<: [{name: master-0}, {name: ignored, role: mesos-master}]}  # the first mapping wins
    """)
    assert [(n.name, n.role, n.publish) for n in lab.nodes] == [
        ("etcd-0", "etcd", (topology.PortMap(2379, 2379),)), ("etcd-1", "etcd", ()), ("etcd-2", "etcd", ()),
        ("master-0", "mesos-master", ())]


def test_a_bad_merge_is_one_problem():
    (found,) = problems(MINIMAL + "  - {<<: 5, name: x, role: client}\n")
    assert "expected a mapping or list of mappings for merging" in found
    assert problems("nodes: &n [{name: x}]\nx: {<<: *n, <<: *n}\n") == [
        "not valid YAML: line 2, column 13: duplicate key '<<'"]


def test_colons_in_a_plain_number_are_text_not_base_60():
    lab = parse(MINIMAL + "  - {name: x, role: client, publish: [80:50]}\n")
    assert lab.all_nodes[-1].publish == (topology.PortMap(80, 50),)


def test_shown_bounds_any_value_without_expanding_it():
    nested: list = [1] * 9
    for _ in range(30):
        nested = [nested] * 9  # 9**30 leaves, shared
    assert len(shown(nested)) <= 60 and shown("x" * 10**6).endswith("…") and len(shown("x" * 10**6)) == 60
    assert shown("tok\n") == "'tok\\n'" and shown(None) == "None"


def test_clip_makes_one_printable_line():
    assert clip("a\nb\x1bc", 100) == "a\\nb\\x1bc" and len(clip("y" * 1000, 50)) == 50
