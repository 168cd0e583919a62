"""k8sm.output.columns: the one table formatter."""

from __future__ import annotations

from k8sm.output import columns


def test_columns_pad_all_but_the_last():
    assert columns([("A", "BB", "last"), ("ccc", "d", "")]) == ["A    BB  last", "ccc  d   "]
    assert columns([]) == []
