"""k8sm.topology_defaults and the phases of k8sm.topology_reader: load -> defaults -> validate."""

from __future__ import annotations

from k8sm.topology import Images, KubernetesSettings, Ports
from k8sm.topology_defaults import SECTION_KEYS, Loaded, with_defaults
from k8sm.topology_reader import LabReader


def loaded(**sections):
    return Loaded({name: sections.get(name, {}) for name in SECTION_KEYS}, None, None)


def test_every_known_key_but_the_timeouts_gets_a_value():
    filled = with_defaults(loaded())
    for name, keys in SECTION_KEYS.items():
        if name != "timeouts":
            assert set(filled.sections[name]) == set(keys), name
    assert filled.given == frozenset()


def test_defaults_are_the_topologys_own():
    filled = with_defaults(loaded())
    assert filled.sections["images"]["tag"] == Images().tag
    assert filled.sections["ports"]["apiserver"] == Ports().apiserver
    assert filled.sections["kubernetes"]["run_proxy"] is KubernetesSettings().run_proxy


def test_the_file_wins_and_derived_defaults_follow_it():
    filled = with_defaults(loaded(lab={"name": "lab2"}, network={"subnet": "10.5.0.0/24"}, images={"tag": "t"}))
    assert filled.sections["network"]["name"] == "lab2" and filled.sections["images"]["tag"] == "t"
    assert filled.sections["network"]["first_ip"] == "10.5.0.2"  # small subnet: its 3rd address
    assert with_defaults(loaded()).sections["network"]["first_ip"] == "172.30.1.1"  # the 257th of a /16
    assert filled.given == frozenset({"lab.name", "network.subnet", "images.tag"})
    assert with_defaults(loaded(network={"subnet": "nonsense"})).sections["network"]["first_ip"] == ""


def test_load_reports_the_unknown_keys_of_every_section_at_once():
    reader = LabReader()
    result = reader.load({"lab": {"nme": 1}, "ports": {"api": 1}, "nodes": []})
    assert result is not None and result.nodes == []
    assert [p.split(":")[0] for p in reader.problems] == ["lab.nme", "ports.api"]
    assert LabReader().load(["a list"]) is None
