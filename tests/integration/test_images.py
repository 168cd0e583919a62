"""Images on the real engine: the Debian base without a registry, the lab images, up-to-date checks."""

from __future__ import annotations

import docker.errors
import pytest

from tests.integration.conftest import SMALL_NODES, TEST_IMAGE_PREFIX


def test_build_base_makes_a_debian_image_without_a_registry(make_lab, engine):
    ref = f"{TEST_IMAGE_PREFIX}base-probe:bookworm"
    lab = make_lab(SMALL_NODES, images=f"{{base: {ref}, prefix: {TEST_IMAGE_PREFIX}}}")
    try:
        run = lab.ok("build.base", timeout=600)
        assert f"base image {ref} is ready" in run.stdout
        info = engine.inspect_image(ref)
        assert info["Config"]["Labels"]["io.k8sm.image"] == "base"
        container = engine.create_container(ref, ["cat", "/etc/debian_version"])
        try:
            engine.start(container)
            engine.wait(container, timeout=60)
            assert engine.logs(container).decode().startswith("12.")
        finally:
            engine.remove_container(container, force=True)
        again = lab.ok("build.base")
        assert "already exists" in again.stdout
    finally:
        try:
            engine.remove_image(ref, force=True)
        except docker.errors.NotFound:
            pass


def test_missing_base_says_to_run_build_base(make_lab):
    lab = make_lab(SMALL_NODES, images=f"{{base: {TEST_IMAGE_PREFIX}no-such-base:none, prefix: {TEST_IMAGE_PREFIX}}}")
    run = lab.invoke("build", "--image", "etcd")
    assert run.code == 1 and "Traceback" not in run.stderr
    assert run.stderr.strip() == (f"k8sm: base image {TEST_IMAGE_PREFIX}no-such-base:none is missing on local; "
                                  "run `invoke build.base` to make it from Debian packages (debootstrap)")


def test_every_image_is_built_and_labelled(built, engine):
    assert "images: " in built["output"]
    for name in ("node", "etcd", "mesos-master", "framework", "minion", "client"):
        labels = engine.inspect_image(built[name])["Config"]["Labels"]
        assert labels["io.k8sm.image"] == name
        assert len(labels["io.k8sm.context"]) == 32


@pytest.mark.parametrize(("image", "argv", "expect"), [
    ("etcd", ["etcd", "--version"], "etcd Version: 3.4"),
    ("mesos-master", ["ls", "/usr/share/java/zookeeper.jar"], "zookeeper.jar"),
    ("framework", ["kubectl", "version", "--client", "--short"], "Client Version"),
    ("minion", ["dockerd", "--version"], "Docker version"),
    ("client", ["kubectl", "version", "--client", "--short"], "Client Version"),
    ("etcd", ["k8sm-daemon", "--help"], "Usage: k8sm-daemon start NAME"),
])
def test_images_hold_their_software(built, engine, image, argv, expect):
    container = engine.create_container(built[image], argv)
    try:
        engine.start(container)
        engine.wait(container, timeout=60)
        assert expect in engine.logs(container).decode()
    finally:
        engine.remove_container(container, force=True)


def test_no_image_has_sshd(built, engine):
    for name in ("etcd", "mesos-master", "framework", "minion", "client"):
        container = engine.create_container(built[name], ["sh", "-c", "command -v sshd || echo none"])
        try:
            engine.start(container)
            engine.wait(container, timeout=60)
            assert engine.logs(container).decode().strip() == "none"
        finally:
            engine.remove_container(container, force=True)


def test_second_build_rebuilds_nothing(built, make_lab):
    lab = make_lab()
    run = lab.ok("build", "--image", "etcd", "--image", "minion")
    assert "images: 0 built, 3 up to date" in run.stdout
    assert "Step " not in run.stdout
