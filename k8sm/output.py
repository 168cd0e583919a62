"""How k8sm's functions talk to the user: a line at a time, and tables of aligned columns."""

from __future__ import annotations

from collections.abc import Callable, Sequence

#: Where a function reports progress, one line per call (a task's `say`, a prefixing wrapper, a test's list.append).
Say = Callable[[str], None]


def columns(rows: Sequence[Sequence[str]]) -> list[str]:
    """rows as lines of left-aligned columns two spaces apart; the last column is not padded."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)] if rows else []
    return ["  ".join(cell.ljust(w) for cell, w in zip(row[:-1], widths, strict=True)) + "  " + row[-1]
            for row in rows]
