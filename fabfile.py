"""`fab -H host TASK` works too; `k8sm -H` adds hosts.yaml host names and a per-host summary."""

from k8sm.tasks import ns  # noqa: F401
