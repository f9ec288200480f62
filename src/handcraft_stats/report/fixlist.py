"""The fix list a county receives: one sheet per county, sorted by file, sheet and row."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from .frames import column_label, human
from .labels import label

WIDTHS = {"code": 20, "severity": 8, "county": 10, "source_file": 34, "source_sheet": 12,
          "source_row": 7, "column": 14, "value": 22, "message": 60}  # fmt: skip
FILL = {"error": "F8CBAD", "warning": "FFE699", "info": "DDEBF7"}


def write_fix_list(frame: pd.DataFrame, path: Path, lang: str = "zh") -> None:
    """An xlsx with one sheet per county (frame: issues.py ISSUE_COLUMNS, masked): the
    headers bold, the severity coloured, the field by its label (a county reads 劳动能力,
    not labor_capacity), the message wrapped, filters and frozen headers.

    Written row by row in openpyxl's write-only mode, styles shared: a city's 65,669
    issues took 58.7 s before (asking the sheet for its last row, once per row, reads
    every cell), and held every cell in memory."""
    wb = Workbook(write_only=True)
    columns = list(frame.columns)
    groups = list(frame.groupby("county", sort=True)) if len(frame) else [("", frame)]
    for county, part in groups:
        ws = wb.create_sheet((str(county) or label("title", "fix_list", lang))[:31])
        _layout(ws, columns, len(part))
        ws.append([_cell(ws, label("issue_column", c, lang), font=BOLD) for c in columns])
        severity = columns.index("severity") if "severity" in columns else None
        field = columns.index("column") if "column" in columns else None
        for row in part.itertuples(index=False, name=None):
            values: list[Any] = [_safe(ws, v) for v in row]
            if field is not None and isinstance(values[field], str):
                values[field] = label("column", values[field], lang)  # 劳动能力
            if severity is not None:
                fill = FILLS.get(str(values[severity]), WHITE)
                shown = label("severity", values[severity], lang)  # 错误, as the tables say
                values[severity] = _cell(ws, shown, fill=fill)
            last = values[-1]
            if isinstance(last, Cell):
                last.alignment = WRAP
            else:
                values[-1] = _cell(ws, last, alignment=WRAP)
            ws.append(values)
    wb.save(path)


def write_listing(frame: pd.DataFrame, path: Path, lang: str, sheet: str) -> None:
    """A listing (`hcs dupes --out x.xlsx`) as one sheet: headed by the columns' labels
    (which `hcs review` reads back), bold and frozen, text kept as text."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(sheet[:31])
    columns = list(frame.columns)
    _layout(ws, columns, len(frame))
    # headed and valued as the table and md formats are (姓名A, 身份证号相同, 已确认): the
    # headers `hcs review` reads back are record_a, record_b and decision, labelled alike
    ws.append([_cell(ws, column_label(c, lang), font=BOLD) for c in columns])
    for row in frame.itertuples(index=False, name=None):
        ws.append([_safe(ws, human(c, v, lang)) for c, v in zip(columns, row, strict=True)])
    wb.save(path)


BOLD = Font(bold=True)
FILLS = {k: PatternFill("solid", fgColor=v) for k, v in FILL.items()}
WHITE = PatternFill("solid", fgColor="FFFFFF")
WRAP = Alignment(wrap_text=True, vertical="top")


def _layout(ws: WriteOnlyWorksheet, columns: list[str], rows: int) -> None:
    """Widths, frozen header, filters and a landscape page: set before the rows."""
    for i, c in enumerate(columns, 1):
        ws.column_dimensions[get_column_letter(i)].width = WIDTHS.get(c, 12)
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{get_column_letter(max(len(columns), 1))}{rows + 1}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.sheet_properties.pageSetUpPr.fitToPage = True


def _safe(ws: WriteOnlyWorksheet, value: Any) -> Any:
    """A cell's value as the fix list may hold it. Roster text goes to the counties that
    sent it: text starting with "=" is written as text, not as the formula openpyxl would
    make of it (a wing cell "=HYPERLINK(...)" was a live link in the fix list); control
    characters, which a worksheet cannot hold (openpyxl refused the whole list), are
    dropped. NaN and None are empty."""
    if value is None or value != value:
        return None
    if not isinstance(value, str):
        return value
    if ILLEGAL_CHARACTERS_RE.search(value):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
    if value.startswith("="):
        cell = WriteOnlyCell(ws, value)
        cell.data_type = "s"
        return cell
    return value


def _cell(ws: WriteOnlyWorksheet, value: Any, **style: Any) -> WriteOnlyCell:
    cell = WriteOnlyCell(ws, value)
    for name, v in style.items():
        setattr(cell, name, v)
    return cell
