"""The k8sm Invoke collection: `ns`, shown by `invoke --list` in the checkout."""

from __future__ import annotations

from invoke import Collection

from k8sm.tasks import build, k8sm_fw, lab, logs, mesos, swarm, web
from k8sm.tasks.etcd import etcd
from k8sm.tasks.kubectl import kubectl


def collection() -> Collection:
    ns = Collection()
    ns.add_collection(build.ns)
    ns.add_task(lab.run)
    ns.add_task(lab.rm)
    ns.add_task(lab.status)
    ns.add_task(lab.up)
    ns.add_task(lab.down)
    ns.add_task(lab.doctor)
    ns.add_task(lab.drill)
    ns.add_task(etcd)
    ns.add_collection(mesos.ns)
    ns.add_collection(k8sm_fw.ns)
    ns.add_task(kubectl)
    ns.add_task(web.ui)
    ns.add_task(web.proxy)
    ns.add_collection(logs.ns)
    ns.add_collection(swarm.ns)
    ns.configure({"k8sm": {"hosts_file": None}})
    return ns


ns = collection()
