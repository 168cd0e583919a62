"""The `k8sm` console program: the same tasks as `invoke`, plus Fabric's -H remote mode.

`k8sm TASK` runs locally, exactly like `invoke TASK` in the checkout.
`k8sm -H user@host[:port] TASK` runs the same task code against that host:
shell commands through the SSH connection, Docker through the same
connection. `-H a,b` gives every host its own whole lab and ends with a
summary per host. Host keys are checked against known_hosts unless
--accept-host-key is given.
"""

from __future__ import annotations

import signal
import sys
from typing import Any

from fabric import Config, Executor
from fabric.main import Fab
from invoke import Argument, Exit

from k8sm import __version__
from k8sm.tasks.executor import RemainderMixin


class K8smProgram(Fab):
    """Fabric's program with k8sm's tasks and one more flag."""

    def core_args(self) -> list[Argument]:
        return super().core_args() + [
            Argument(names=("accept-host-key",), kind=bool,
                     help="Trust an SSH host key that is not in known_hosts (for this run only)."),
        ]

    def update_config(self, merge: bool = True) -> None:
        super().update_config()
        if self.args["accept-host-key"].value:
            self.config._overrides.setdefault("k8sm", {})["accept_host_key"] = True
            self.config.merge()


class K8smExecutor(RemainderMixin, Executor):
    """Fabric's executor, plus: hosts.yaml names for -H, per-host outcomes, `--` arguments for kubectl."""

    def normalize_hosts(self, hosts: list[Any]) -> list[dict[str, Any]]:
        named = _named_hosts(self.config) if hosts else {}
        return super().normalize_hosts([named.get(h, h) if isinstance(h, str) else h for h in hosts or []])

    def execute(self, *tasks: Any) -> dict[Any, Any]:
        self.take_remainder(tasks)
        calls = self.expand_calls(self.normalize(tasks))
        hosts = list(dict.fromkeys(_host_of(call) for call in calls))
        try:
            if len(hosts) <= 1:
                return self._run_calls(calls)
            return self._run_per_host(calls, hosts)
        finally:
            from k8sm.target import close_all

            close_all()

    def _run_calls(self, calls: list[Any]) -> dict[Any, Any]:
        results = {}
        for call in calls:
            self.config.load_collection(self.collection.configuration(call.called_as))
            self.config.load_shell_env()
            context = call.make_context(self.config)
            results[call.task] = call.task(context, *call.args, **call.kwargs)
        return results

    def _run_per_host(self, calls: list[Any], hosts: list[str | None]) -> dict[Any, Any]:
        outcome: dict[str | None, str] = {}
        for host in hosts:
            print(f"=== {host} ===", flush=True)
            try:
                self._run_calls([c for c in calls if _host_of(c) == host])
                outcome[host] = "ok"
            except Exit as exc:
                if exc.message:
                    print(exc.message, file=sys.stderr, flush=True)
                message = str(exc.message or f"exit code {exc.code}").removeprefix("k8sm: ")
                outcome[host] = f"failed: {message.splitlines()[0]}"
            except Exception as exc:  # one host's failure must not stop the others
                outcome[host] = f"failed: {exc}"
                print(f"k8sm: {host}: {exc}", file=sys.stderr, flush=True)
        width = max(len(str(h)) for h in hosts)
        print("\nSUMMARY")
        for host in hosts:
            print(f"  {str(host).ljust(width)}  {outcome[host]}")
        failed = [h for h in hosts if outcome[h] != "ok"]
        if failed:
            raise Exit(code=1)
        return {}


def _host_of(call: Any) -> str | None:
    kwargs = getattr(call, "init_kwargs", None)
    return kwargs.get("host") if kwargs else None


def _named_hosts(config: Any) -> dict[str, str]:
    """hosts.yaml's physical hosts by name; empty if the file cannot be read (tasks report that)."""
    from k8sm.errors import K8smError
    from k8sm.tasks._common import hosts_file
    from k8sm.topology import load

    try:
        lab = load(hosts_file(config))
    except K8smError:
        return {}
    return {h.name: h.address for h in lab.hosts}


def program() -> K8smProgram:
    from k8sm.tasks import ns

    return K8smProgram(name="k8sm", binary="k8sm", version=__version__, namespace=ns,
                       executor_class=K8smExecutor, config_class=Config)


def main() -> None:
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # `k8sm --list | head` ends quietly
    program().run()
