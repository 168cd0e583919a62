"""k8sm.engine.errors: each foreign exception kind becomes the right K8smError, in one short line."""

from __future__ import annotations

import docker.errors
import paramiko
import pytest
import requests
import urllib3.exceptions

from k8sm.engine.errors import (
    ContainerUnavailable,
    EngineRefused,
    NotFound,
    call,
    is_engine_exception,
    translate,
    translated,
    unavailable_state,
)
from k8sm.errors import EngineError, K8smError


def api_error(cls: type[docker.errors.APIError], status: int, explanation: str) -> docker.errors.APIError:
    response = requests.Response()
    response.status_code = status
    return cls(f"{status} Client Error", response=response, explanation=explanation)


@pytest.mark.parametrize(("exc", "kind", "message"), [
    (api_error(docker.errors.NotFound, 404, "No such container: x"), NotFound,
     "removing x on local: No such container: x"),
    (api_error(docker.errors.ImageNotFound, 404, "No such image: k8sm/none"), NotFound,
     "removing x on local: No such image: k8sm/none"),
    (api_error(docker.errors.APIError, 409, "container x is not running\nmore"), EngineRefused,
     "removing x on local: container x is not running"),
    (api_error(docker.errors.APIError, 500, "driver failed"), EngineRefused, "removing x on local: driver failed"),
])
def test_an_answer_of_the_engine_is_a_refusal_with_its_explanation(exc, kind, message):
    error = translate(exc, "removing x", "local")
    assert type(error) is kind and error.message == message and "\n" not in error.message
    assert error.status == exc.status_code and error.detail.startswith(exc.explanation.splitlines()[0])


def test_without_what_a_refusal_is_worded_as_an_engine_error():
    error = translate(api_error(docker.errors.APIError, 500, "driver failed"))
    assert isinstance(error, EngineRefused) and error.message == "Docker engine error: driver failed"


@pytest.mark.parametrize(("exc", "message"), [
    (requests.exceptions.ConnectionError("('Connection aborted.', FileNotFoundError(2, 'No such file'))"),
     "cannot reach the Docker engine at unix:///run/x.sock"),
    (requests.exceptions.ReadTimeout("Read timed out. (read timeout=600)"),
     "the Docker engine at unix:///run/x.sock did not answer in time (Read timed out. (read timeout=600))"),
    (docker.errors.DockerException("Error while fetching server API version: permission denied"),
     "permission denied on the Docker engine at unix:///run/x.sock"),
    (urllib3.exceptions.ProtocolError("Connection reset by peer"), "cannot reach the Docker engine at unix:///run/x.sock"),
    (docker.errors.DockerException("something odd"), "Docker engine error: something odd"),
])
def test_an_engine_that_cannot_be_used_is_an_engine_error_with_a_hint(exc, message):
    error = translate(exc, "listing", "unix:///run/x.sock")
    assert type(error) is EngineError and error.message == message
    assert error.hint or message.startswith("Docker engine error")


@pytest.mark.parametrize("exc", [paramiko.SSHException("banner"), ValueError("x"), OSError(2, "No such file")])
def test_other_exceptions_are_not_the_engines(exc):
    assert not is_engine_exception(exc) and translate(exc, "listing", "local") is None
    with pytest.raises(type(exc)), translated("listing", "local"):
        raise exc


def test_translated_and_call_raise_the_translation_without_the_foreign_traceback():
    def refuse() -> None:
        raise api_error(docker.errors.NotFound, 404, "No such volume: v")

    with pytest.raises(NotFound) as caught:
        call("local", "removing volume v", refuse)
    assert caught.value.__cause__ is None and caught.value.__suppress_context__
    assert isinstance(caught.value, K8smError) and str(caught.value) == "removing volume v on local: No such volume: v"
    assert call("local", "nothing", lambda x: x + 1, 1) == 2


@pytest.mark.parametrize(("text", "status", "state"), [
    ("Error response from daemon: No such container: lab-etcd-0", None, "missing"),
    ("Error response from daemon: container 1f2e is not running", None, "stopped"),
    ("", 404, "missing"),
    ("", 409, "stopped"),
    ("Error response from daemon: OCI runtime exec failed", None, None),
    ("", 500, None),
])
def test_one_reader_says_when_a_container_is_missing_or_stopped(text, status, state):
    assert unavailable_state(text, status) == state


def test_an_unavailable_container_says_so_in_words():
    assert str(ContainerUnavailable("lab-etcd-0", "missing")) == "container lab-etcd-0 is not there"
    assert str(ContainerUnavailable("lab-etcd-0", "stopped")) == "container lab-etcd-0 is not running"
