"""`invoke ui` and `invoke proxy`: the lab's web UIs and a reverse proxy for them."""

from __future__ import annotations

from pathlib import Path

from k8sm.tasks._common import k8sm_task, lab_of, say, target_of


@k8sm_task()
def ui(c):
    """Print the URLs of the Mesos master UI and the Kubernetes apiserver of this lab.

    When a Mesos master leads, its URL is marked: the standbys redirect browsers to the
    leader by its node name, which only the lab's containers resolve.
    """
    from k8sm.daemons.mesos import leader
    from k8sm.errors import K8smError
    from k8sm.webui import describe

    lab = lab_of(c)
    try:
        current = leader(target_of(c), lab)
    except K8smError:  # the lab is not running: the URLs are still what they will be
        current = None
    say(describe(lab, leader_ip=current.ip if current else None))


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
