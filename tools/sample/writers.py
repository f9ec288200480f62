"""Write the laid-out sheets as .xlsx, .xls, .ods or GB18030 .csv, reproducibly."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from datetime import date, datetime
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from sample.rosters import RosterFile, Sheet

FIXED_TIME = datetime(2018, 1, 15, 9, 0, 0)


def write_file(roster_file: RosterFile, out: Path) -> None:
    path = out / roster_file.path
    path.parent.mkdir(parents=True, exist_ok=True)
    writer = {"xlsx": _xlsx, "xls": _xls, "ods": _ods, "csv": _csv}[roster_file.fmt]
    writer(roster_file.sheets, path)
    if roster_file.fmt in ("xlsx", "ods"):
        _fix_zip_times(path)


def _xlsx(sheets: list[Sheet], path: Path) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment

    wb = Workbook()
    wb.remove(wb.active)
    for sheet in sheets:
        ws = wb.create_sheet(sheet.name)
        for r, row in enumerate(sheet.rows, start=1):
            for c, value in enumerate(row, start=1):
                if value is None or value == "":
                    continue
                cell = ws.cell(r, c, value)
                if isinstance(value, datetime | date):
                    cell.number_format = "yyyy-mm-dd"
                elif isinstance(value, str) and "\n" in value:
                    cell.alignment = Alignment(wrap_text=True)
        for r1, c1, r2, c2 in sheet.merges:
            ws.merge_cells(start_row=r1, start_column=c1, end_row=r2, end_column=c2)
    wb.properties.creator = "hcs sample generator"
    wb.properties.created = FIXED_TIME
    wb.properties.modified = FIXED_TIME
    wb.save(path)


def _xls(sheets: list[Sheet], path: Path) -> None:
    import xlwt

    wb = xlwt.Workbook(encoding="utf-8")
    date_style = xlwt.easyxf(num_format_str="YYYY-MM-DD")
    plain = xlwt.Style.default_style
    for sheet in sheets:
        ws = wb.add_sheet(sheet.name)
        covered: set[tuple[int, int]] = set()
        for r1, c1, r2, c2 in sheet.merges:
            value = sheet.rows[r1 - 1][c1 - 1] if c1 - 1 < len(sheet.rows[r1 - 1]) else None
            ws.write_merge(r1 - 1, r2 - 1, c1 - 1, c2 - 1, value)
            covered |= {(r, c) for r in range(r1, r2 + 1) for c in range(c1, c2 + 1)}
        for r, row in enumerate(sheet.rows, start=1):
            for c, value in enumerate(row, start=1):
                if value is None or value == "" or (r, c) in covered:
                    continue
                style = date_style if isinstance(value, datetime | date) else plain
                ws.write(r - 1, c - 1, value, style)
    wb.save(str(path))


ODS_MIME = "application/vnd.oasis.opendocument.spreadsheet"
ODS_MANIFEST = f"""<?xml version="1.0" encoding="UTF-8"?>
<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" \
manifest:version="1.2">
 <manifest:file-entry manifest:full-path="/" manifest:version="1.2" \
manifest:media-type="{ODS_MIME}"/>
 <manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>
</manifest:manifest>
"""
ODS_HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n<office:document-content '
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
    'office:version="1.2"><office:body><office:spreadsheet>'
)


def _ods(sheets: list[Sheet], path: Path) -> None:
    """A minimal OpenDocument spreadsheet, written directly (odfpy keeps global state
    between documents, which would make reruns in one process differ)."""
    parts = [ODS_HEAD]
    for sheet in sheets:
        parts.append(f'<table:table table:name="{escape(sheet.name)}">')
        for row in sheet.rows:
            cells = "".join(_ods_cell(value) for value in row) or "<table:table-cell/>"
            parts.append(f"<table:table-row>{cells}</table:table-row>")
        parts.append("</table:table>")
    parts.append("</office:spreadsheet></office:body></office:document-content>")
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("mimetype", ODS_MIME, compress_type=zipfile.ZIP_STORED)
        archive.writestr("content.xml", "".join(parts), compress_type=zipfile.ZIP_DEFLATED)
        archive.writestr("META-INF/manifest.xml", ODS_MANIFEST, compress_type=zipfile.ZIP_DEFLATED)


def _ods_cell(value: Any) -> str:
    if value is None or value == "":
        return "<table:table-cell/>"
    if isinstance(value, datetime | date):
        text = value.strftime("%Y-%m-%d")
        attrs = f'office:value-type="date" office:date-value="{text}"'
    elif isinstance(value, int | float):
        text = repr(value)
        attrs = f'office:value-type="float" office:value="{text}"'
    else:
        text = str(value)
        attrs = 'office:value-type="string"'
    return f"<table:table-cell {attrs}><text:p>{escape(text)}</text:p></table:table-cell>"


def _csv(sheets: list[Sheet], path: Path) -> None:
    (sheet,) = sheets
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for row in sheet.rows:
        if any(isinstance(v, date | float) for v in row):
            raise TypeError("CSV cells are text")
        writer.writerow(["" if v is None else str(v) for v in row])
    path.write_bytes(buffer.getvalue().encode("gb18030"))


def _fix_zip_times(path: Path) -> None:
    """Rewrite a zip container with fixed entry times, so reruns give equal bytes."""
    with zipfile.ZipFile(path) as source:
        entries = [(info, source.read(info)) for info in source.infolist()]
    with zipfile.ZipFile(path, "w") as target:
        for info, data in entries:
            fixed = zipfile.ZipInfo(info.filename, date_time=FIXED_TIME.timetuple()[:6])
            fixed.compress_type = info.compress_type
            fixed.external_attr = info.external_attr
            if info.filename == "docProps/core.xml":  # openpyxl stamps the save time
                stamp = FIXED_TIME.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
                data = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>" + stamp, data)
            target.writestr(fixed, data)
