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
        kinds = set(map(type, values))
        if bool in kinds and len(kinds) > 1:
            index: dict[Hashable, int] = {}
            uniq: list[object] = []
            codes = np.empty(len(values), dtype=np.intp)
            for i, v in enumerate(values):
                c = index.setdefault((type(v).__name__, v), len(uniq))
                if c == len(uniq):
                    uniq.append(v)
                codes[i] = c
        else:
            if isinstance(values, np.ndarray) and values.dtype == object:
                array = values
            else:
                array = np.empty(len(values), dtype=object)
                array[:] = list(values)
            codes, uniques = pd.factorize(array, use_na_sentinel=True)
            uniq = list(uniques)
            if (codes < 0).any():
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


def objects(items: Sequence[Any]) -> np.ndarray[Any, Any]:
    out = np.empty(len(items), dtype=object)
    for i, x in enumerate(items):  # element-wise: tuples must not become rows
        out[i] = x
    return out


def transpose(rows: Sequence[Sequence[object]], width: int) -> list[tuple[object, ...]]:
    """Rows -> `width` columns; short rows are padded with blank text."""
    if not rows:
        return [() for _ in range(width)]
    if set(map(len, rows)) != {width}:
        rows = [[*r[:width], *[""] * (width - len(r))] for r in rows]
    return list(zip(*rows, strict=True))
