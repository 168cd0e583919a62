"""k8sm: a Kubernetes-on-Apache-Mesos test lab on one Docker host, local or over SSH."""

__version__ = "0.1.0"
