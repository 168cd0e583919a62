"""A safe YAML loader for hosts.yaml that refuses what a topology never needs.

Beyond yaml.SafeLoader: a repeated key, nesting deeper than MAX_DEPTH, an alias
inside the value it names, and more than MAX_VALUES values in all, each alias
counting as the values it stands for (so an "alias bomb" stops early, and so
does a huge file), are errors with a line and column. Merge
keys (`<<: *defaults`) work; `80:50` is text, as in YAML 1.2, not the base-60
number 4850. A value no constructor can read (a date such as 2024-13-45) is
an error at its mark, never a bare ValueError.
"""

from __future__ import annotations

from typing import Any, cast

import yaml
from yaml.composer import ComposerError
from yaml.constructor import ConstructorError

from k8sm.errors import clip, shown

#: Collections nested deeper than this are refused (a topology needs five levels).
MAX_DEPTH = 32
#: Values a document may hold, an alias counting as the values it stands for (a lab needs a few hundred).
MAX_VALUES = 20_000

_MERGE_TAG = "tag:yaml.org,2002:merge"


class StrictLoader(yaml.SafeLoader):
    """SafeLoader with bounded nesting and aliases, unique keys, merge keys and YAML 1.2 colons."""

    def __init__(self, stream: Any) -> None:
        super().__init__(stream)
        self._depth = 0
        self._composed = 0                # values composed so far, an alias counting as what it stands for
        self._sizes: dict[str, int] = {}  # anchor -> values its node stands for
        self._open: set[str] = set()      # anchors whose node is still being composed

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent):
            self._check_alias(event)
            return super().compose_node(parent, index)
        if self._depth >= MAX_DEPTH:
            raise ComposerError(None, None, f"nested more than {MAX_DEPTH} levels deep", event.start_mark)
        anchor, before = event.anchor, self._composed
        if anchor is not None:
            self._open.add(anchor)
        self._depth += 1
        try:
            node = super().compose_node(parent, index)
        finally:
            self._depth -= 1
            self._open.discard(anchor)
        self._count(1, "", event)
        if anchor is not None:
            self._sizes[anchor] = self._composed - before
        return node

    def _check_alias(self, event: yaml.AliasEvent) -> None:
        """Refuse an alias inside its own anchor's value; count the values it stands for."""
        anchor = event.anchor or ""  # an alias always names its anchor
        name = f"alias *{clip(anchor, 40)}"
        if anchor in self._open:
            raise ComposerError(None, None, f"{name} is inside the value it names (recursive aliases are not "
                                "supported)", _mark(event))
        self._count(self._sizes.get(anchor, 1), f"{name}: ", event)

    def _count(self, values: int, where: str, event: yaml.Event) -> None:
        self._composed += values
        if self._composed > MAX_VALUES:
            why = ", counting each alias as the values it stands for (an alias bomb?)" if where else ""
            raise ComposerError(None, None, f"{where}more than {MAX_VALUES} values in all{why}; a lab needs a few "
                                "hundred", _mark(event))

    def construct_object(self, node: Any, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep=deep)
        except (ValueError, OverflowError) as exc:
            raise ConstructorError(None, None, f"cannot read this value: {exc}", node.start_mark) from None


def _construct_mapping(loader: StrictLoader, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
    """A mapping whose own keys are plain and unique; merge keys (<<) are applied, own keys win."""
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = "<<" if key_node.tag == _MERGE_TAG else loader.construct_object(key_node, deep=deep)
        if not isinstance(key, (str, int, float, bool, type(None))):
            raise ConstructorError(None, None, f"a key must be a plain value, not {type(key).__name__}",
                                   key_node.start_mark)
        if key in seen:
            raise ConstructorError(None, None, f"duplicate key {shown(key)}", key_node.start_mark)
        seen.add(key)
    return loader.construct_mapping(node, deep=deep)


def _construct_int(loader: StrictLoader, node: yaml.ScalarNode) -> int | str:
    """An integer; `80:50` stays text (YAML 1.2), not 80 * 60 + 50."""
    if ":" in node.value:
        return loader.construct_scalar(node)
    try:
        return loader.construct_yaml_int(node)
    except ValueError:
        raise ConstructorError(None, None, f"{shown(node.value, 30)} is too large an integer",
                               node.start_mark) from None


def _construct_float(loader: StrictLoader, node: yaml.ScalarNode) -> float | str:
    """A float; `1:30.5` stays text (YAML 1.2), not a base-60 number."""
    return loader.construct_scalar(node) if ":" in node.value else loader.construct_yaml_float(node)


StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
StrictLoader.add_constructor("tag:yaml.org,2002:int", _construct_int)
StrictLoader.add_constructor("tag:yaml.org,2002:float", _construct_float)


def _mark(event: yaml.Event) -> yaml.error.Mark | None:
    """Where event starts: this pure-Python loader's marks (the stubs allow libyaml's too)."""
    return cast("yaml.error.Mark | None", event.start_mark)
