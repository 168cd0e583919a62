"""Invoke entry point: `invoke --list` shows the k8sm tasks (see README)."""

from k8sm.tasks import ns  # noqa: F401
