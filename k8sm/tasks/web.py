"""`invoke ui` and `invoke proxy`: the lab's web UIs and a reverse proxy for them."""

from __future__ import annotations

from pathlib import Path

from k8sm.tasks._common import k8sm_task, lab_of, say


@k8sm_task()
def ui(c):
    """Print the URLs of the Mesos master UI and the Kubernetes apiserver of this lab."""
    from k8sm.webui import describe

    say(describe(lab_of(c)))


@k8sm_task(help={
    "mesos_name": "server_name for the Mesos master UI (default mesos.<lab>.local)",
    "kubernetes_name": "server_name for the Kubernetes apiserver (default kubernetes.<lab>.local)",
    "listen": "port nginx listens on (default 80)",
    "output": "write the configuration to this file instead of printing it",
})
def proxy(c, mesos_name=None, kubernetes_name=None, listen=80, output=None):
    """Render the original's nginx reverse-proxy configuration from the topology.

    Include it in the http {} block of the Docker host's nginx, then `nginx -t && nginx -s reload`.
    Example: invoke proxy --mesos-name mesos.example.org --output /etc/nginx/conf.d/k8sm.conf
    """
    from k8sm.webui import nginx_config

    lab = lab_of(c)
    text = nginx_config(lab, mesos_name or f"mesos.{lab.name}.local", kubernetes_name or f"kubernetes.{lab.name}.local",
                        int(listen))
    if output:
        Path(output).write_text(text)
        say(f"wrote {output}; check it with `nginx -t`, then `nginx -s reload`")
    else:
        print(text, end="")
