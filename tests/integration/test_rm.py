"""`invoke rm` removes exactly its own lab: other labs, containers and dangling images stay."""

from __future__ import annotations

import io
import re
import secrets

import docker.errors
import pytest

from tests.integration.conftest import SMALL_NODES, TEST_IMAGE_PREFIX


def dangling_image(engine, base_image: str, labels: dict[str, str]) -> str:
    """Build an untagged image (as a rebuild leaves behind) and return its ID."""
    dockerfile = f"FROM {base_image}\nRUN echo {secrets.token_hex(8)} > /probe\n".encode()
    image_id = ""
    for chunk in engine.build(fileobj=io.BytesIO(dockerfile), labels=labels, rm=True, decode=True):
        if "aux" in chunk and "ID" in chunk["aux"]:
            image_id = chunk["aux"]["ID"]
        assert "error" not in chunk, chunk
    return image_id


def exists(fn, *args) -> bool:
    try:
        fn(*args)
        return True
    except docker.errors.NotFound:
        return False


@pytest.fixture
def bystanders(engine, base_image, seed_lab):
    """An unrelated container and an unrelated dangling image, removed afterwards."""
    container = engine.create_container(base_image, ["sleep", "600"], name=f"{seed_lab.name}-bystander")
    image = ""
    try:
        engine.start(container)
        image = dangling_image(engine, base_image, {"purpose": "k8sm-test-bystander"})
        yield container["Id"], image
    finally:
        engine.remove_container(container, force=True)
        if image:
            try:
                engine.remove_image(image, force=True)
            except docker.errors.NotFound:
                pass


def test_rm_removes_only_its_own_lab(make_lab, seed_lab, engine, base_image, bystanders):
    other_container, other_image = bystanders
    small = make_lab(SMALL_NODES)
    small.ok("run")  # a second lab on the same engine, beside the seed lab
    assert len(small.containers()) == 3
    own_dangling = dangling_image(engine, base_image, {"io.k8sm.lab": small.name})
    seed_before = {c["Id"] for c in seed_lab.containers()}

    run = small.ok("rm")
    assert re.search(rf"lab {small.name}: removed 3 containers, 1 networks?, \d+ images?", run.stdout), run.stdout
    assert small.containers() == []
    assert not engine.networks(names=[small.name])
    assert not exists(engine.inspect_image, own_dangling)

    assert exists(engine.inspect_image, other_image)
    assert engine.inspect_container(other_container)["State"]["Running"]
    assert {c["Id"] for c in seed_lab.containers() if c["State"] == "running"} == seed_before
    assert engine.inspect_image(f"{TEST_IMAGE_PREFIX}etcd:latest")  # tagged images stay

    volumes = engine.volumes(filters={"label": f"io.k8sm.lab={small.name}"})["Volumes"]
    assert len(volumes) == 3  # data outlives rm without --volumes
    run = small.ok("rm", "--volumes")
    assert "0 containers" in run.stdout and "3 volumes" in run.stdout
    assert not engine.volumes(filters={"label": f"io.k8sm.lab={small.name}"})["Volumes"]


def test_rm_of_an_absent_lab_is_harmless(make_lab):
    lab = make_lab(SMALL_NODES)
    run = lab.ok("rm")
    assert f"lab {lab.name}: removed 0 containers, 0 networks, 0 images" in run.stdout


def test_rm_images_keeps_names_another_lab_takes_its_images_by(make_lab, seed_lab, engine, built):
    # the seed lab runs containers made from TEST_IMAGE_PREFIX images: a second lab with the same
    # prefix must not take those names away from it
    small = make_lab(SMALL_NODES)
    small.ok("run")
    run = small.ok("rm", "--images")
    assert f"kept image {TEST_IMAGE_PREFIX}etcd:latest (lab " in run.stdout  # the seed lab, or another of the session
    assert engine.inspect_image(f"{TEST_IMAGE_PREFIX}etcd:latest")
    assert engine.inspect_image(f"{TEST_IMAGE_PREFIX}node:latest")
