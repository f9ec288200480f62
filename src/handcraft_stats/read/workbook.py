"""Spreadsheets (xlsx, xlsm, xls, ods) through python-calamine, cells kept raw; an .xls
that is an HTML page, an Excel 2003 XML spreadsheet (read/markup.py) or CSV text
(read/csvfile.py), as web systems export them, read without it."""

from __future__ import annotations

import io
import re
import zipfile
from typing import cast

from python_calamine import CalamineWorkbook

from ..errors import RefusedFile
from ..reasons import reason
from .formulas import ERROR_MARK_XML, FORMULA_MARK, Cells, blank_formulas
from .limits import (
    CFB_MAGIC,
    DEFAULT_LIMITS,
    SHEETS,
    ZIP_MAGIC,
    Limits,
    check_archive,
    check_compound,
    exported,
    sniff,
)
from .odsmerges import SPAN_MARK, ods_merges

Merged = tuple[tuple[tuple[int, int], tuple[int, int]], ...]
ARCHIVES = {".xlsx", ".xlsm", ".ods"}  # zip archives of XML: inspected before calamine


def read_workbook(
    data: bytes, suffix: str, limits: Limits = DEFAULT_LIMITS
) -> list[tuple[str, list[list[object]], Merged, Cells, bool]]:
    """All worksheets of a workbook: (name, rows from Excel row 1, merged ranges, the
    formula cells without a value that calamine read as blank, hidden). An .xls that a
    web system wrote as an HTML page or an XML spreadsheet (read/markup.py), or as CSV
    text (read/csvfile.py), is read so before calamine is tried: its first bytes tell."""
    markup = _markup(data, suffix)
    if markup == "text":
        return _text_table(data)
    if markup is not None:
        from .markup import read_markup  # imports this module: not at the top

        return read_markup(data, markup, limits)
    marked: set[str] = set()
    named, suffix = suffix, _by_content(data, suffix)
    if suffix in ARCHIVES:
        marks: dict[str, bytes | tuple[bytes, ...]] = (
            {"content.xml": SPAN_MARK} if suffix == ".ods"
            else {SHEETS: (FORMULA_MARK, ERROR_MARK_XML)}
        )  # fmt: skip
        marked = check_archive(data, named, limits, marks)
    else:
        check_compound(data)
    formulas = blank_formulas(data, marked - {"content.xml"}) if marked and suffix != ".ods" else {}
    try:
        wb = CalamineWorkbook.from_filelike(io.BytesIO(data))
    except Exception as exc:  # calamine raises several unrelated types for bad files
        raise RefusedFile(_unopened(data, named, exc)) from None
    out: list[tuple[str, list[list[object]], Merged, Cells, bool]] = []
    # calamine gives no merged ranges for ods: found in content.xml when it has a span
    spans = ods_merges(data) if "content.xml" in marked else {}
    for meta in wb.sheets_metadata:
        if "WorkSheet" not in str(meta.typ):
            continue
        try:
            sheet = wb.get_sheet_by_name(meta.name)
            _check_size(meta.name, sheet.height, sheet.width, limits)
            rows = cast("list[list[object]]", sheet.to_python(skip_empty_area=False))
            merged = tuple(sheet.merged_cell_ranges or spans.get(meta.name, ()))
        except RefusedFile:
            raise
        except Exception as exc:
            raise RefusedFile(_unread(meta.name, exc)) from None
        rows = _trimmed(meta.name, rows, limits)
        hidden = not str(meta.visible).endswith(".Visible")  # Hidden or VeryHidden
        out.append((meta.name, rows, merged, formulas.get(meta.name, {}), hidden))
    if not out:
        raise RefusedFile(reason("no_worksheets"))
    return out


# a table a web system or Excel wrote under a spreadsheet's name (read/limits.py
# `exported`) is read, as Excel and WPS open it when it is named .xls. Under .xlsx,
# .xlsm or .ods (a web system naming its export by the format it means) Excel refuses
# the file, and until session 21 hcs did too ("an HTML page, not a zip archive"): the
# table is the same, so an HTML or XML one is read the same; a page without a table is
# still refused. Text under those names stays refused as "the file is text": a .csv
# renamed, or no table at all, which the text's own refusal ("no name or ID column")
# would not say.
MARKUP = {".xls", ".xlsx", ".xlsm", ".ods"}
TEXT_MARKUP = {".xls"}


def _markup(data: bytes, suffix: str) -> str | None:
    """What a spreadsheet-named file that is such a table is, "html", "xml" or "text"
    (its first bytes tell: no zip archive, no OLE2 file, no PDF); None for anything else
    (calamine's)."""
    if suffix not in MARKUP or data.startswith((ZIP_MAGIC, CFB_MAGIC)):
        return None
    if data[:1024].lstrip().startswith(b"%PDF"):
        return None  # a PDF may hold "<html" in its first bytes
    kind = exported(data)
    if kind == "text" and _LATE_TABLE.search(data, 0, 65536):
        return "html"  # a page whose first 4 KiB are a comment, a script or a style sheet
    return None if kind == "text" and suffix not in TEXT_MARKUP else kind


_LATE_TABLE = re.compile(rb"<table[\s>]", re.IGNORECASE)


def _text_table(data: bytes) -> list[tuple[str, list[list[object]], Merged, Cells, bool]]:
    """A CSV or tab-separated text named .xls, read as a .csv is (no sheet name). Its rows
    are numbered as Excel numbers them, one to a record: not the text's lines (a quoted
    cell holding a line break spans two)."""
    from .csvfile import read_csv  # imports this module: not at the top

    rows, _ = read_csv(data)
    return [("", rows, (), {}, False)]


_ODS_MIMETYPE = b"mimetypeapplication/vnd.oasis.opendocument.spreadsheet"


def _by_content(data: bytes, suffix: str) -> str:
    """The workbook's kind by its bytes where they tell: a zip archive named .xls (a
    renamed xlsx or ods, which calamine opens all the same) gets the archive limits,
    merged cells and formula checks of what it is, not none of them. An ods stores its
    mimetype first and uncompressed; any other workbook archive is an xlsx."""
    if not data.startswith(ZIP_MAGIC):
        return suffix
    if _ODS_MIMETYPE in data[:200]:
        return ".ods"
    return suffix if suffix in (".xlsx", ".xlsm") else ".xlsx"


def _unopened(data: bytes, suffix: str, exc: Exception) -> str:
    """Why calamine could not open the file: what it is when its bytes tell (a PDF, a
    Word document under a spreadsheet's name), else calamine's own words. Only an .xls
    reaches calamine without being a zip archive or an OLE2 file (the others are refused
    as "not a zip archive" before), and only when it is no table a web system wrote
    (HTML, XML, text: read above)."""
    if data.startswith(ZIP_MAGIC):
        kind = _zip_kind(data)
    elif data.startswith(CFB_MAGIC):
        kind = _compound_kind(data)
    else:
        kind = sniff(data)
    if kind is None:  # a workbook, damaged or of a kind calamine does not read
        return reason("cannot_open", suffix=suffix, detail=_short(exc))
    return reason("not_workbook", suffix=suffix, kind=kind)


_ODF = b"mimetypeapplication/vnd.oasis.opendocument."  # stored first, uncompressed


def _zip_kind(data: bytes) -> str | None:
    """What a zip archive holds, when it is no workbook (by its members' names, or an
    OpenDocument's mimetype); None for a workbook (damaged, as calamine did not read it)."""
    head = data[:200]
    if _ODF in head:
        odf = head.partition(_ODF)[2]
        if odf.startswith(b"spreadsheet"):
            return None
        if odf.startswith(b"text"):
            return reason("kind_document")
        if odf.startswith(b"presentation"):
            return reason("kind_presentation")
        return reason("kind_zip")
    try:
        names = [n.lower() for n in zipfile.ZipFile(io.BytesIO(data)).namelist()]
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
        return None
    if any(n.startswith("xl/") for n in names):
        return None
    if any(n.startswith("word/") for n in names):
        return reason("kind_document")
    if any(n.startswith("ppt/") for n in names):
        return reason("kind_presentation")
    return reason("kind_zip")


def _compound_kind(data: bytes) -> str | None:
    """What an OLE2 file holds, when it has no workbook stream (by its streams' names:
    a Word .doc or a PowerPoint .ppt renamed .xls)."""
    if _stream("Workbook") in data or _stream("Book") + b"\x00\x00" in data:
        return None  # an .xls calamine could not read: damaged
    if _stream("WordDocument") in data:
        return reason("kind_document")
    if _stream("PowerPoint Document") in data:
        return reason("kind_presentation")
    return None


def _stream(name: str) -> bytes:
    return name.encode("utf-16-le")


def _check_size(name: str, height: int, width: int, limits: Limits) -> None:
    if height * width > limits.max_cells:
        raise RefusedFile(reason(
            "sheet_cells", sheet=repr(name), rows=f"{height:,}", cols=f"{width:,}",
            limit=f"{limits.max_cells:,}",
        ))  # fmt: skip


BLANK: list[object] = []  # shared by every blank row: a million blank rows cost 8 MB


def _trimmed(name: str, rows: list[list[object]], limits: Limits) -> list[list[object]]:
    """Trailing blank rows dropped, blank rows shared, and columns past the last one with
    data cut; more than `max_columns` columns with data refuse the sheet."""
    while rows and not _filled(rows[-1]):
        rows.pop()
    rows = [r if _filled(r) else BLANK for r in rows]
    if rows and max(map(len, rows)) > limits.max_columns:
        width = max((_last(r) for r in rows), default=0)
        if width > limits.max_columns:
            raise RefusedFile(reason(
                "sheet_columns", sheet=repr(name), cols=f"{width:,}",
                limit=f"{limits.max_columns:,}",
            ))  # fmt: skip
        rows = [r[:width] for r in rows]
    return rows


def _filled(row: list[object]) -> bool:
    for c in row:  # a plain loop: twice as fast as any() over a generator, per row
        if c is None or c == "" or (isinstance(c, str) and not c.strip()):
            continue
        return True
    return False


def _last(row: list[object]) -> int:
    for j in range(len(row) - 1, -1, -1):
        c = row[j]
        if c not in ("", None) and not (isinstance(c, str) and not c.strip()):
            return j + 1
    return 0


def _unread(sheet: str, exc: Exception) -> str:
    """Why a sheet of a workbook calamine opened could not be read. calamine's words are
    a bare XML tag (XmlError('t'), for a sheet whose XML breaks off inside a cell) or the
    sheet's name (WorksheetNotFound: a member missing): the reason was "cannot read sheet
    'Sheet1': t" until session 23 (an audit)."""
    kind = type(exc).__name__
    if kind == "XmlError":  # its text: a bare tag where the XML breaks off, or the error
        detail = _short(exc)
        tag = detail.replace(":", "").replace("-", "").isidentifier()
        return reason("sheet_damaged", sheet=repr(sheet), detail=f"<{detail}>" if tag else detail)
    if kind == "WorksheetNotFound":
        return reason("sheet_missing", sheet=repr(sheet))
    return reason("cannot_read_sheet", sheet=repr(sheet), detail=_short(exc))


def _short(exc: Exception) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:160]
