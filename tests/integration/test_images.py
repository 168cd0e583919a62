"""Images on the real engine: the Debian base without a registry, the lab images, up-to-date checks."""

from __future__ import annotations

import docker.errors
import pytest

from tests.integration.conftest import BASE_IMAGE, SMALL_NODES, TEST_IMAGE_PREFIX, image_prefix


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


def image_exists(engine, ref: str) -> bool:
    try:
        engine.inspect_image(ref)
        return True
    except docker.errors.ImageNotFound:
        return False


def test_a_lab_with_its_own_prefix_shares_the_images_by_content(built, make_lab, engine):
    prefix = image_prefix("share")
    lab = make_lab(SMALL_NODES, images=f"{{base: {BASE_IMAGE}, prefix: {prefix}}}")
    try:
        run = lab.ok("build", "--image", "etcd", "--image", "minion")
        assert "Step " not in run.stdout, run.stdout  # no layer is built again
        assert "images: 0 built, 3 tagged, 0 up to date" in run.stdout
        for name in ("node", "etcd", "minion"):
            assert engine.inspect_image(f"{prefix}{name}:latest")["Id"] == engine.inspect_image(built[name])["Id"]
            # no lab's name is added by the build (an image made by an older k8sm may carry one)
            assert engine.inspect_image(built[name])["Config"]["Labels"].get("io.k8sm.lab") != built["lab"]
        # its rm --images removes its own names; the images stay under the first lab's names
        run = lab.ok("rm", "--images")
        assert f"removed image {prefix}etcd:latest" in run.stdout
        assert not image_exists(engine, f"{prefix}etcd:latest") and not image_exists(engine, f"{prefix}node:latest")
        assert all(image_exists(engine, built[name]) for name in ("node", "etcd", "minion"))
    finally:
        for name in ("etcd", "minion", "node"):
            if image_exists(engine, f"{prefix}{name}:latest"):
                engine.remove_image(f"{prefix}{name}:latest")
