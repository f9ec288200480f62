"""The fix list a county receives: one sheet per county, sorted by file, sheet and row."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill

from .labels import label

WIDTHS = {"code": 20, "severity": 8, "county": 10, "source_file": 34, "source_sheet": 12,
          "source_row": 7, "column": 14, "value": 22, "message": 60}  # fmt: skip
FILL = {"error": "F8CBAD", "warning": "FFE699", "info": "DDEBF7"}


def write_fix_list(frame: pd.DataFrame, path: Path, lang: str = "zh") -> None:
    """An xlsx with one sheet per county (frame: issues.py ISSUE_COLUMNS, masked)."""
    wb = Workbook()
    wb.remove(wb.active)
    columns = list(frame.columns)
    groups = list(frame.groupby("county", sort=True)) if len(frame) else [("", frame)]
    for county, part in groups:
        ws = wb.create_sheet((str(county) or label("title", "fix_list", lang))[:31])
        ws.append([label("issue_column", c, lang) for c in columns])
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for row in part.itertuples(index=False):
            ws.append([None if v is None or v != v else v for v in row])
            sev = str(row[columns.index("severity")])
            ws.cell(ws.max_row, 2).fill = PatternFill("solid", fgColor=FILL.get(sev, "FFFFFF"))
        for i, c in enumerate(columns, 1):
            ws.column_dimensions[ws.cell(1, i).column_letter].width = WIDTHS.get(c, 12)
        for cells in ws.iter_rows(min_row=2, min_col=len(columns), max_col=len(columns)):
            cells[0].alignment = Alignment(wrap_text=True, vertical="top")
        ws.freeze_panes = "A2"
        ws.auto_filter.ref = ws.dimensions
        ws.page_setup.orientation = "landscape"
        ws.page_setup.fitToWidth = 1
        ws.sheet_properties.pageSetUpPr.fitToPage = True
    wb.save(path)
