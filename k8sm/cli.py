"""The `k8sm` console program: the same tasks as `invoke` in the checkout."""

from __future__ import annotations

from invoke import Program

from k8sm import __version__


def main() -> None:
    import signal

    from k8sm.tasks import ns

    signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # `k8sm --list | head` ends quietly

    Program(name="k8sm", binary="k8sm", version=__version__, namespace=ns).run()
