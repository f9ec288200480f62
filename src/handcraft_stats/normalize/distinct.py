"""A column of cells as codes into its distinct values: rosters repeat values heavily, so
work runs once per distinct value and numpy spreads the results back to the rows."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from typing import Any

import numpy as np
import pandas as pd

NONE = np.array(None, dtype=object)  # compare object arrays with None: np.equal(a, NONE)


class Distinct:
    """A column as codes into its distinct values. 1, 1.0 and True hash alike: a column
    mixing bools with numbers is keyed by type too. Blank-like missing values (None, NaN,
    NA) share one code whose value is None."""

    def __init__(self, values: Sequence[object] | np.ndarray[Any, Any]) -> None:
        if isinstance(values, np.ndarray) and values.dtype == object:
            array = values
        else:
            array = np.empty(len(values), dtype=object)
            array[:] = list(values)
        codes, uniques = pd.factorize(array, use_na_sentinel=True)
        uniq: list[object] = list(uniques)
        # A bool among the values is a distinct value, or hides behind an equal number
        # (True == 1) seen first: only then are the rows' types looked at (a pass over
        # every row per column was a tenth of normalising a roster)
        if _may_hide_bool(uniq) and bool in (kinds := set(map(type, array))) and len(kinds) > 1:
            codes, uniq = _by_type(array)
        elif (codes < 0).any():
            codes = np.where(codes < 0, len(uniq), codes)
            uniq.append(None)
        self.codes, self.uniq = codes, uniq

    def spread(self, per_value: Sequence[Any]) -> np.ndarray[Any, Any]:
        """Values given per distinct value -> one per row (an object array)."""
        return objects(per_value)[self.codes]

    def map(self, fn: Callable[[object], Any]) -> np.ndarray[Any, Any]:
        return self.spread([fn(u) for u in self.uniq])

    def rows_where(self, flags: Sequence[bool]) -> np.ndarray[Any, Any]:
        """Row positions whose distinct value is flagged."""
        return np.flatnonzero(np.asarray(flags, dtype=bool)[self.codes])


def _may_hide_bool(uniq: list[object]) -> bool:
    """Is one of the distinct values a bool, or a non-text value equal to 0 or 1?"""
    for u in uniq:
        if type(u) is str:
            continue
        if type(u) is bool:
            return True
        try:
            if u == 1 or u == 0:
                return True
        except Exception:  # an odd value: look at the types
            return True
    return False


def _by_type(values: np.ndarray[Any, Any]) -> tuple[np.ndarray[Any, Any], list[object]]:
    """Codes keyed by type and value (1, 1.0 and True apart); blank-like missing values
    (None, NaN, NA, NaT) share one code whose value is None, as pd.factorize's do."""
    index: dict[Hashable, int] = {}
    uniq: list[object] = []
    codes = np.empty(len(values), dtype=np.intp)
    missing = pd.isna(values)
    for i, v in enumerate(values):
        key = (None, None) if missing[i] else (type(v).__name__, v)
        c = index.setdefault(key, len(uniq))
        if c == len(uniq):
            uniq.append(None if missing[i] else v)
        codes[i] = c
    return codes, uniq


def objects(items: Sequence[Any]) -> np.ndarray[Any, Any]:
    """A 1-d object array of the items, element-wise: tuples must not become rows.
    `fromiter` takes each item as it is, 5x faster than assigning them one by one (27
    columns of ~22k values a roster: 15 ms of its ~0.7 s)."""
    return np.fromiter(items, dtype=object, count=len(items))


def transpose(rows: Sequence[Sequence[object]], width: int) -> list[tuple[object, ...]]:
    """Rows -> `width` columns; short rows are padded with blank text."""
    if not rows:
        return [() for _ in range(width)]
    if set(map(len, rows)) != {width}:
        rows = [[*r[:width], *[""] * (width - len(r))] for r in rows]
    return list(zip(*rows, strict=True))
