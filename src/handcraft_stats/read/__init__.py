"""Files -> sheets of raw cells. The only place that knows file formats."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..errors import RefusedFile
from .csvfile import read_csv
from .limits import DEFAULT_LIMITS, Limits
from .workbook import read_workbook

SPREADSHEET = {".xlsx", ".xlsm", ".xls", ".ods"}
TEXT = {".csv", ".txt"}
KNOWN = SPREADSHEET | TEXT

__all__ = ["DEFAULT_LIMITS", "KNOWN", "Limits", "RawSheet", "read_file"]


@dataclass(frozen=True, slots=True)
class RawSheet:
    """One sheet as read: rows[i][j] is the cell at Excel row i+1, column j+1."""

    name: str
    rows: list[list[object]]
    merged: tuple[tuple[tuple[int, int], tuple[int, int]], ...] = ()


def read_file(path: Path, data: bytes, limits: Limits = DEFAULT_LIMITS) -> list[RawSheet]:
    """Read a roster file's bytes into raw sheets; raise RefusedFile with a one-line reason.
    Workbook archives are checked against `limits` first (read/limits.py)."""
    suffix = path.suffix.lower()
    if not data:
        raise RefusedFile("empty file (0 bytes)")
    if suffix in TEXT:
        return [RawSheet("", read_csv(data))]
    if suffix in SPREADSHEET:
        return [RawSheet(n, r, m) for n, r, m in read_workbook(data, suffix, limits)]
    raise RefusedFile(f"unknown file type {suffix or '(none)'}: expected one of {sorted(KNOWN)}")
