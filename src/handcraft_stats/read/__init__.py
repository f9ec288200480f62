"""Files -> sheets of raw cells. The only place that knows file formats."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import RefusedFile
from ..reasons import reason
from .csvfile import read_csv
from .limits import DEFAULT_LIMITS, Limits
from .workbook import read_workbook

SPREADSHEET = {".xlsx", ".xlsm", ".xls", ".ods"}
TEXT = {".csv", ".txt"}
KNOWN = SPREADSHEET | TEXT

__all__ = ["DEFAULT_LIMITS", "KNOWN", "Limits", "RawSheet", "read_file"]


@dataclass(frozen=True, slots=True)
class RawSheet:
    """One sheet as read: rows[i][j] is the cell at column j+1 of the row a person sees
    as number `row_number(i)`: Excel's row i+1, or a CSV row's first line."""

    name: str
    rows: list[list[object]]
    merged: tuple[tuple[tuple[int, int], tuple[int, int]], ...] = ()
    lines: tuple[int, ...] | None = None  # CSV rows spanning several lines: each row's first
    # (row, column) -> "=formula": formula cells stored without a value (read as blank)
    formulas: Mapping[tuple[int, int], str] = field(default_factory=dict)
    hidden: bool = False  # a workbook sheet hidden in Excel (or "very hidden")

    def row_number(self, i: int) -> int:
        return i + 1 if self.lines is None else self.lines[i]

    def row_numbers(self, at: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
        """`row_number` of row positions."""
        return at + 1 if self.lines is None else np.asarray(self.lines, dtype=np.int64)[at]


def read_file(path: Path, data: bytes, limits: Limits = DEFAULT_LIMITS) -> list[RawSheet]:
    """Read a roster file's bytes into raw sheets; raise RefusedFile with a one-line reason.
    Workbook archives are checked against `limits` first (read/limits.py)."""
    suffix = path.suffix.lower()
    if not data:
        raise RefusedFile(reason("empty_file"))
    if suffix in TEXT:
        rows, lines = read_csv(data)
        return [RawSheet("", rows, lines=lines)]
    if suffix in SPREADSHEET:
        return [
            RawSheet(n, r, m, formulas=f, hidden=h)
            for n, r, m, f, h in read_workbook(data, suffix, limits)
        ]
    raise RefusedFile(
        reason("unknown_type", suffix=suffix or reason("no_suffix"), known=sorted(KNOWN))
    )
