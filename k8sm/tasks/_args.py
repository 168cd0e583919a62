"""Options that reject a malformed number with one line instead of Invoke's traceback.

Invoke casts an int option with int(), so `--lines x` ends in a ValueError
traceback, and int() takes `٤٥`, ` 5` and `1_0`. A NumberArgument takes ASCII
digits only and raises ParseError, which Invoke (and Fabric) print as one
line with exit code 1. K8smTask gives every int option of a task this class.
"""

from __future__ import annotations

import re
from typing import Any

from invoke import Argument, ParseError, Task

_INTEGER = re.compile(r"-?[0-9]+")
#: Shown in the error: enough to recognise the value.
_SHOWN = 40


class NumberArgument(Argument):
    """An int option whose value must be ASCII digits (with an optional '-')."""

    def set_value(self, value: Any, cast: bool = True) -> None:
        if cast and not self.incrementable and isinstance(value, str) and not _INTEGER.fullmatch(value):
            shown = value if len(value) <= _SHOWN else value[:_SHOWN] + "..."
            raise ParseError(f"k8sm: --{self.name} takes a whole number, not {shown!r}")
        super().set_value(value, cast)


def checked(arg: Argument) -> Argument:
    """arg, or a NumberArgument copy of it if it takes an int."""
    if arg.kind is not int or arg.incrementable or isinstance(arg, NumberArgument):
        return arg
    return NumberArgument(names=arg.names, kind=int, default=arg.default, help=arg.help,
                          positional=arg.positional, optional=arg.optional, attr_name=arg.attr_name)


class K8smTask(Task):
    """invoke's Task whose int options are NumberArguments."""

    def get_arguments(self, ignore_unknown_help: bool | None = None) -> list[Argument]:
        return [checked(a) for a in super().get_arguments(ignore_unknown_help)]
