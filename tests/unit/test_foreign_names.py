"""run/up refuse, before creating anything, a name that another lab (or no lab) already holds."""

from __future__ import annotations

import pytest

from k8sm import labels, topology
from k8sm.errors import K8smError
from k8sm.lab import refuse_foreign_names, volumes_of
from tests.cli import ROOT

LAB = topology.load(ROOT / "hosts.yaml")


class FakeApi:
    """What the engine lists: networks, containers and volumes, each with its labels."""

    def __init__(self, networks=(), containers=(), volumes=()) -> None:
        self._networks, self._containers, self._volumes = list(networks), list(containers), list(volumes)
        self.created: list[str] = []

    def networks(self, names=None):
        return [n for n in self._networks if names is None or n["Name"] in names]

    def containers(self, all=False):
        return self._containers

    def volumes(self):
        return {"Volumes": self._volumes}

    def __getattr__(self, name):  # anything else (create_*, remove_*) would change the engine
        if name.startswith("_"):
            raise AttributeError(name)
        raise AssertionError(f"refuse_foreign_names called {name}")


class FakeTarget:
    """A local target whose engine is reached through the SDK's connection (the fake), not its socket."""

    remote = False

    def __init__(self, api: FakeApi) -> None:
        self.docker = api

    def engine_socket(self) -> None:
        return None


def owned(lab: str | None) -> dict[str, str]:
    return {labels.LAB: lab} if lab else {}


NODE = LAB.node("etcd-0")
VOLUME = next(iter(volumes_of(LAB, NODE)))


@pytest.mark.parametrize(("api", "kind", "setting"), [
    (FakeApi(networks=[{"Name": LAB.network.name, "Labels": owned("other")}]), "network", "network.name"),
    (FakeApi(networks=[{"Name": LAB.network.name, "Labels": owned(None)}]), "network", "network.name"),
    (FakeApi(containers=[{"Names": [f"/{NODE.container}"], "Labels": owned("other")}]), "container",
     "lab.container_prefix"),
    (FakeApi(containers=[{"Names": [f"/{NODE.container}"], "Labels": None}]), "container", "lab.container_prefix"),
    (FakeApi(volumes=[{"Name": VOLUME, "Labels": owned("other")}]), "volume", "lab.name"),
    (FakeApi(volumes=[{"Name": VOLUME, "Labels": None}]), "volume", "lab.name"),
])
def test_a_name_held_by_another_lab_or_by_none_is_refused_in_one_line(api, kind, setting):
    with pytest.raises(K8smError) as caught:
        refuse_foreign_names(FakeTarget(api), LAB)
    message = caught.value.message
    assert message.startswith(f"the Docker {kind} ") and f"not to lab {LAB.name}" in message
    assert "\n" not in message and setting in caught.value.hint


def test_names_the_lab_holds_itself_or_nobody_holds_pass():
    api = FakeApi(networks=[{"Name": LAB.network.name, "Labels": owned(LAB.name)}],
                  containers=[{"Names": [f"/{NODE.container}"], "Labels": owned(LAB.name)},
                              {"Names": ["/someone-else"], "Labels": owned("other")}],
                  volumes=[{"Name": VOLUME, "Labels": owned(LAB.name)}, {"Name": "unrelated", "Labels": None}])
    refuse_foreign_names(FakeTarget(api), LAB)
