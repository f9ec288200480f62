"""Spreadsheets (xlsx, xlsm, xls, ods) through python-calamine, cells kept raw."""

from __future__ import annotations

import io
from typing import cast

from python_calamine import CalamineWorkbook

from ..errors import RefusedFile

Merged = tuple[tuple[tuple[int, int], tuple[int, int]], ...]


def read_workbook(data: bytes, suffix: str) -> list[tuple[str, list[list[object]], Merged]]:
    """All worksheets of a workbook: (name, rows from Excel row 1, merged ranges)."""
    try:
        wb = CalamineWorkbook.from_filelike(io.BytesIO(data))
    except Exception as exc:  # calamine raises several unrelated types for bad files
        raise RefusedFile(f"cannot open as {suffix} workbook: {_short(exc)}") from None
    out: list[tuple[str, list[list[object]], Merged]] = []
    for meta in wb.sheets_metadata:
        if "WorkSheet" not in str(meta.typ):
            continue
        try:
            sheet = wb.get_sheet_by_name(meta.name)
            rows = cast("list[list[object]]", sheet.to_python(skip_empty_area=False))
            merged = tuple(sheet.merged_cell_ranges or ())
        except Exception as exc:
            raise RefusedFile(f"cannot read sheet {meta.name!r}: {_short(exc)}") from None
        out.append((meta.name, rows, merged))
    if not out:
        raise RefusedFile("the workbook has no worksheets")
    return out


def _short(exc: Exception) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:160]
