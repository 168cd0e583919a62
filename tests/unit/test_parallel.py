"""k8sm.parallel: each item's outcome, and raise_first: the first failure, naming how many more failed."""

from __future__ import annotations

import pytest

from k8sm import parallel
from k8sm.errors import K8smError


def test_raise_first_names_how_many_more_failed():
    def fail(item):
        raise K8smError(f"{item} broke", "fix it")

    outcomes = parallel.each(fail, ["a", "b", "c"])
    with pytest.raises(K8smError) as caught:
        parallel.raise_first(outcomes)
    assert caught.value.message == "a broke (and 2 more: b, c)" and caught.value.hint == "fix it"
    parallel.raise_first(parallel.each(str, [1, 2]))  # nothing failed: nothing raised


def test_raise_first_raises_a_foreign_error_as_it_is():
    with pytest.raises(ZeroDivisionError):
        parallel.raise_first(parallel.each(lambda x: 1 / x, [1, 0]))


def test_each_keeps_the_items_order_and_each_items_own_outcome():
    def half(x):
        if x % 2:
            raise ValueError(f"{x} is odd")
        return x // 2

    outcomes = parallel.each(half, range(6), workers=3)
    assert [o.item for o in outcomes] == list(range(6))
    assert [o.value for o in outcomes if o.ok] == [0, 1, 2]
    assert [str(o.error) for o in outcomes if not o.ok] == ["1 is odd", "3 is odd", "5 is odd"]


def test_raise_first_with_one_failure_raises_it_unchanged():
    error = K8smError("only this broke", "fix it")
    with pytest.raises(K8smError) as caught:
        parallel.raise_first([parallel.Outcome("a", value=1), parallel.Outcome("b", error=error)])
    assert caught.value is error
