"""The `k8sm` console program: the same tasks as `invoke`, plus Fabric's -H remote mode.

`k8sm TASK` runs locally, exactly like `invoke TASK` in the checkout.
`k8sm -H user@host[:port] TASK` runs the same task code against that host:
shell commands through the SSH connection, Docker through the same
connection. `-H a,b` gives every host its own whole lab and ends with a
summary per host; two names that reach the same Docker engine are refused.
Host keys of every hop are checked against known_hosts unless
--accept-host-key is given. No secret (passphrase, password, key) reaches
any output: prompted ones never show in a repr, and -d's log is redacted.
"""

from __future__ import annotations

import getpass
import logging
import os
import re
import signal
import sys
from typing import Any

import invoke
from fabric import Config, Executor
from fabric.main import Fab
from invoke import Argument, Exit

from k8sm import __version__
from k8sm.errors import K8smError
from k8sm.tasks._args import checked
from k8sm.tasks.executor import RemainderMixin, override

#: The flags that ask for a secret (Invoke's and Fabric's), and the config value each fills.
PROMPTS = {"prompt-for-sudo-password": ("sudo", "password", "Desired 'sudo.password' config value: "),
           "prompt-for-login-password": ("connect_kwargs", "password", "Enter login password for use with SSH auth: "),
           "prompt-for-passphrase": ("connect_kwargs", "passphrase", "Enter passphrase for use unlocking SSH keys: ")}
#: Config values that are secrets.
SECRET_VALUES = (("connect_kwargs", "passphrase"), ("connect_kwargs", "password"), ("sudo", "password"))
_SECRET_ITEM = re.compile(r"""(['"](?:passphrase|password)['"]\s*:\s*)(['"])(?:\\.|(?!\2).)*\2""")
_PRIVATE_KEY = re.compile(r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----.*?(-----END [A-Z0-9 ]*PRIVATE KEY-----|\Z)", re.S)


class Secret(str):
    """A str that shows as '***' in any repr: config dumps and debug logs print reprs."""

    def __repr__(self) -> str:
        return "'***'"


class _Redactor:
    """Removes secrets from every log record (-d prints Invoke's config, connect_kwargs included)."""

    def __init__(self) -> None:
        self.secrets: set[str] = set()
        self._factory = logging.getLogRecordFactory()

    def install(self) -> None:
        logging.setLogRecordFactory(self._record)

    def _record(self, *args: Any, **kwargs: Any) -> logging.LogRecord:
        record = self._factory(*args, **kwargs)
        try:
            text = record.getMessage()
        except Exception:  # noqa: BLE001 - a malformed record is logging's to report
            return record
        clean = redact(text, self.secrets)
        if clean != text:
            record.msg, record.args = clean, ()
        return record


def redact(text: str, secrets: set[str] | frozenset[str] = frozenset()) -> str:
    """text without the given secret values, passphrase/password items of a dict repr, or private keys."""
    for secret in sorted(secrets, key=len, reverse=True):
        text = text.replace(secret, "***")
    text = _SECRET_ITEM.sub(r"\1'***'", text)
    return _PRIVATE_KEY.sub("[private key]", text)


_redactor = _Redactor()


class K8smProgram(Fab):
    """Fabric's program with k8sm's tasks, one more flag, checked values and no secret in any output."""

    def core_args(self) -> list[Argument]:
        return [checked(a) for a in super().core_args()] + [
            Argument(names=("accept-host-key",), kind=bool,
                     help="Trust an SSH host key that is not in known_hosts (for this run only; every hop)."),
        ]

    def update_config(self, merge: bool = True) -> None:
        asked = [flag for flag in PROMPTS if self.args[flag].value]
        for flag in asked:  # Invoke and Fabric would prompt and keep the plain text; k8sm asks itself
            self.args[flag].value = False
        super().update_config()
        for flag in asked:
            section, key, prompt = PROMPTS[flag]
            override(self.config, section, key, _ask(flag, prompt))
        if self.args["accept-host-key"].value:
            override(self.config, "k8sm", "accept_host_key", True)
        self.config.merge()
        _remember_secrets(self.config)


def _ask(flag: str, prompt: str) -> Secret:
    """A secret typed at the terminal; one line, not getpass's traceback, where there is none."""
    if not _has_terminal():
        instead = ", or load the key into ssh-agent" if flag == "prompt-for-passphrase" else ""
        raise Exit(f"k8sm: --{flag} needs a terminal to ask on, and there is none; run k8sm from a terminal"
                   f"{instead}", code=1)
    try:
        value = Secret(getpass.getpass(prompt))
    except (EOFError, KeyboardInterrupt):
        raise Exit("k8sm: no answer given at the prompt", code=1) from None
    _redactor.secrets.add(value)
    return value


def _has_terminal() -> bool:
    try:
        fd = os.open("/dev/tty", os.O_RDWR | os.O_NOCTTY)
    except OSError:
        return False
    os.close(fd)
    return True


def _remember_secrets(config: Any) -> None:
    """Secrets from config files or the environment: redacted from the log, hidden in reprs."""
    for section, key in SECRET_VALUES:
        value = (config.get(section) or {}).get(key)
        if isinstance(value, str) and value:
            _redactor.secrets.add(str(value))


#: K8smExecutor's host filter when every call runs in one pass (no -H, or one host).
_EVERY_HOST = object()


class K8smExecutor(RemainderMixin, Executor):
    """Fabric's executor, plus: checked -H addresses and hosts.yaml names, per-host outcomes,
    one engine per host, `--` arguments for kubectl, SSH failures as one line, swarm.* once for all hosts.

    The calls run through Invoke's own Executor.execute (pre- and post-tasks, dedupe, autoprint and
    --no-dedupe as in plain Invoke); k8sm extends it only at its public seams: normalize_hosts,
    expand_calls (swarm.* once; one host's calls per pass) and dedupe.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        #: Each -H address -> the name it was given as (a hosts.yaml name, or the address itself).
        self.host_names: dict[str, str] = {}
        #: The host whose calls this pass runs (_host_of's value), or _EVERY_HOST.
        self._only: object = _EVERY_HOST

    def normalize_hosts(self, hosts: list[Any]) -> list[dict[str, Any]]:
        from k8sm.sshaddr import parse_address

        named = _named_hosts(self.config) if hosts else {}
        result = []
        for host in hosts or []:
            if isinstance(host, str):
                what = f"hosts.yaml hosts.{host}.address" if host in named else "-H"
                address = parse_address(named.get(host, host), what)
                self.host_names[str(address)] = host  # as given: a hosts.yaml name, or the address
                host = address.connection_kwargs()
            result.append(host)
        return super().normalize_hosts(result)

    def expand_calls(self, calls: list[Any], apply_hosts: bool = True) -> list[Any]:
        """Fabric's expansion (per -H host, pre- and post-tasks once), then swarm.* once for all hosts,
        then only the calls of the host this pass runs."""
        expanded = super().expand_calls(calls, apply_hosts=apply_hosts)
        if not apply_hosts:  # a call's pre- or post-tasks, expanded within the outer call
            return expanded
        expanded = self.once_for_all_hosts(expanded)
        return expanded if self._only is _EVERY_HOST else [c for c in expanded if _host_of(c) == self._only]

    def dedupe(self, calls: list[Any]) -> list[Any]:
        """Invoke's dedupe. Fabric turns it off, as the same task on two hosts makes two equal Calls;
        k8sm runs one host's calls per pass, so equal calls there are true duplicates."""
        return invoke.Executor.dedupe(self, calls)

    def execute(self, *tasks: Any) -> dict[Any, Any]:
        from k8sm.sshconnect import close_gateways
        from k8sm.target import close_all

        try:
            self.take_remainder(tasks)
            calls = self.expand_calls(self.normalize(tasks))
            hosts = list(dict.fromkeys(_host_of(call) for call in calls))
            if len(hosts) <= 1:
                return self._run_pass(tasks, calls, _EVERY_HOST)
            return self._run_per_host(tasks, calls, hosts)
        except K8smError as exc:
            if os.environ.get("K8SM_DEBUG"):
                raise
            raise Exit(f"k8sm: {exc}", code=1) from None
        finally:
            close_all()
            close_gateways()

    def once_for_all_hosts(self, calls: list[Any]) -> list[Any]:
        """Tasks that work across hosts (swarm.*: marked spans_hosts) run once, locally, with every -H host
        in config k8sm.swarm_hosts, instead of once per host."""
        from invoke import Call

        from k8sm.tasks.swarm import CLI_HOSTS

        result: list[Any] = []
        hosts: list[list[str]] = []
        for call in calls:
            if not getattr(call.task, "spans_hosts", False) or not getattr(call, "init_kwargs", None):
                result.append(call)
                continue
            address = str(_host_of(call))
            if [self.host_names.get(address, address), address] not in hosts:
                hosts.append([self.host_names.get(address, address), address])
            if not any(c.task is call.task for c in result):
                result.append(Call(call.task, called_as=call.called_as, args=call.args, kwargs=call.kwargs))
        if hosts:
            override(self.config, "k8sm", CLI_HOSTS, hosts)
        return result

    def _run_pass(self, tasks: tuple[Any, ...], calls: list[Any], host: object) -> dict[Any, Any]:
        """Invoke's own execute over the calls of one host (or all); an SSH failure becomes one line."""
        self._only = host
        try:
            return invoke.Executor.execute(self, *tasks)
        except Exception as exc:
            if not _is_ssh_exception(exc) or os.environ.get("K8SM_DEBUG"):
                raise
            mine = [c for c in calls if host is _EVERY_HOST or _host_of(c) == host]
            self.config.load_collection(self.collection.configuration(mine[0].called_as))
            raise Exit(f"k8sm: {_ssh_failure(mine[0].make_context(self.config), exc)}", code=1) from None
        finally:
            self._only = _EVERY_HOST

    def _run_per_host(self, tasks: tuple[Any, ...], calls: list[Any], hosts: list[str | None]) -> dict[Any, Any]:
        unreachable = self._check_engines(calls, hosts)
        outcome: dict[str | None, str] = {}
        for host in hosts:
            print(f"=== {host} ===", flush=True)
            try:
                if host in unreachable:
                    raise Exit(f"k8sm: {unreachable[host]}", code=1)
                self._run_pass(tasks, calls, host)
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

    def _check_engines(self, calls: list[Any], hosts: list[str | None]) -> dict[str | None, K8smError]:
        """Connect to every host first: refuse two that reach one Docker engine (its lab would run twice
        at once); the hosts that cannot be reached, with why (their runs report it, without a second try)."""
        from k8sm.target import target_for

        unreachable: dict[str | None, K8smError] = {}
        engines: dict[str, str] = {}
        for host in hosts:
            call = next(c for c in calls if _host_of(c) == host)
            self.config.load_collection(self.collection.configuration(call.called_as))
            target = target_for(call.make_context(self.config))
            try:
                target.open()
            except K8smError as exc:
                unreachable[host] = exc
                continue
            engine = _engine_id(target)
            if engine in engines:
                raise K8smError(f"{engines[engine]} and {host} reach the same Docker engine (ID {engine}), "
                                "so their labs would be one", "give each machine once in -H")
            if engine is not None:
                engines[engine] = str(host)
        return unreachable


def _host_of(call: Any) -> str | None:
    kwargs = getattr(call, "init_kwargs", None)
    if not kwargs:
        return None
    from k8sm.sshaddr import SshAddress

    return str(SshAddress(kwargs["host"], kwargs.get("user"), kwargs.get("port")))


def _engine_id(target: Any) -> str | None:
    """The engine's ID (`docker info`), None if the engine cannot be reached (the host's run says why)."""
    from k8sm import engine

    try:
        return str(engine.info(target).get("ID") or "") or None
    except Exception:  # noqa: BLE001 - reported by the host's own run, with its own message
        return None


def _is_ssh_exception(exc: BaseException) -> bool:
    return (type(exc).__module__ or "").startswith("paramiko.")


def _ssh_failure(ctx: Any, exc: BaseException) -> K8smError:
    from k8sm.ssherrors import ssh_error
    from k8sm.target import is_remote, target_for

    if not is_remote(ctx):
        return K8smError(f"SSH error: {exc}")
    target = target_for(ctx)
    return ssh_error(exc, target.label, getattr(target, "timeout", 10))


def _named_hosts(config: Any) -> dict[str, str]:
    """hosts.yaml's physical hosts by name; empty if the file cannot be read (tasks report that)."""
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
    _redactor.install()
    program().run()
