"""Merged cells of an OpenDocument spreadsheet (.ods), which python-calamine does not
give (its `merged_cell_ranges` is None for ods). WPS and LibreOffice users send rosters
with merged group headers (收入情况(元) over 帮扶前收入 / 帮扶后收入) and cells merged
down (one 村 for several women): without their ranges the lower header row lost its
group and the women below the first lost the merged value.

Only a workbook whose content.xml holds a spanned cell is looked at (the limits pass,
which inflates every member before calamine sees the file, tells: `SPAN_MARK`). Its rows are found
by their tags (a regular expression that reads attributes as XML does, so a `>` inside
a quoted value is no end), counted as calamine places them (`number-rows-repeated`;
rows inside header-row and row groups in document order), and only the rows holding a
spanned cell have their cells counted (`number-columns-repeated`, covered cells taking
their place). Rows below the last spanned cell are not looked at. An XML parser took
1.1 s for a 22,000-row sheet with a merged header (five times calamine's reading of it);
this takes 0.09 s, mostly inflating content.xml again, and about 0.17 s when a cell is
merged down near the end of the sheet. DOCTYPE and ENTITY declarations never get
here: limits.py refuses them first. A table nested in a cell (which no roster template
uses) is not followed: its rows would count as the sheet's.
"""

from __future__ import annotations

import io
import re
import zipfile
from bisect import bisect_right

Range = tuple[tuple[int, int], tuple[int, int]]

_TABLE_NS = b"urn:oasis:names:tc:opendocument:xmlns:table:1.0"
_ATTRS = rb"""((?:\s+[^\s=/>]+\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*(/?)>"""
_PREFIX = re.compile(rb"""xmlns:([A-Za-z_][\w.-]*)\s*=\s*["']""" + re.escape(_TABLE_NS))
_SPANNED = re.compile(rb"""number-(?:rows|columns)-spanned\s*=\s*["']""")
SPAN_MARK = b"-spanned"  # in every spanned cell's attribute name (limits.py looks for it)
MAX_RANGES = 100_000  # per workbook: a merge repeated down a million filler rows stops here


def ods_merges(data: bytes) -> dict[str, tuple[Range, ...]]:
    """Each sheet's merged ranges, ((first row, first column), (last row, last column)),
    0-based from the sheet's first row and column as calamine's are for xlsx; sheets
    without merges are left out."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            content = archive.read("content.xml")
    except (KeyError, zipfile.BadZipFile, OSError, ValueError, EOFError):
        return {}  # calamine read the sheets: it says what is wrong with the file
    spans = [m.start() for m in _SPANNED.finditer(content)]
    if not spans:
        return {}
    found = _PREFIX.search(content)
    p = re.escape(found.group(1)) if found else b"table"
    # opening tags start with a literal (searched fast); closing ones are searched apart
    tags = re.compile(rb"<" + p + rb":table(-row)?(?=[\s/>])" + _ATTRS)
    ends = re.compile(rb"</" + p + rb":table\s*>")
    cells = re.compile(rb"<" + p + rb":(table-cell|covered-table-cell)(?=[\s/>])" + _ATTRS)
    closing = re.compile(rb"</" + p + rb":table-row\s*>")
    rows = _rows(content, tags, ends, spans[-1])  # rows below the last span do not matter
    starts = [r[0] for r in rows]
    out: dict[str, list[Range]] = {}
    total, seen = 0, -1
    for at in spans:
        i = bisect_right(starts, at) - 1
        if i < 0 or i == seen:
            continue
        seen = i
        _, body, empty, sheet, row, repeat = rows[i]
        end = closing.search(content, body)
        if empty or end is None or end.start() < at:
            continue  # a self-closing row holds no cell; a span outside rows is no merge
        col = 0
        for m in cells.finditer(content, body, end.start()):
            attrs, across = m.group(2), _attr(m.group(2), b"number-columns-repeated")
            if m.group(1) == b"table-cell":
                down = _attr(attrs, b"number-rows-spanned")
                wide = _attr(attrs, b"number-columns-spanned")
                if down > 1 or wide > 1:
                    ranges = out.setdefault(sheet, [])
                    for r in range(row, row + repeat):
                        for c in range(col, col + across):
                            if total < MAX_RANGES:
                                ranges.append(((r, c), (r + down - 1, c + wide - 1)))
                                total += 1
            col += across
    return {name: tuple(ranges) for name, ranges in out.items()}


def _rows(
    content: bytes, tags: re.Pattern[bytes], ends: re.Pattern[bytes], last: int
) -> list[tuple[int, int, bool, str, int, int]]:
    """The rows that start before `last`: (where the tag starts, where its content starts,
    self-closing, sheet, its first row in the sheet, how many rows it stands for)."""
    rows: list[tuple[int, int, bool, str, int, int]] = []
    closed = iter([m.start() for m in ends.finditer(content, 0, last)] + [len(content)])
    next_close = next(closed)
    sheets: list[tuple[str, int]] = []  # (name, next row) of the open tables
    for m in tags.finditer(content, 0, last):
        while next_close < m.start():  # tables closed before this tag
            if sheets:
                sheets.pop()
            next_close = next(closed)
        row_tag, attrs, empty = m.group(1), m.group(2), m.group(3)
        if not row_tag:
            if not empty:
                named = re.search(rb"""\bname\s*=\s*(?:"([^"]*)"|'([^']*)')""", attrs)
                text = (named.group(1) or named.group(2) or b"") if named else b""
                sheets.append((_unescape(text.decode("utf-8", "replace")), 0))
        elif sheets:
            repeat = _attr(attrs, b"number-rows-repeated")
            sheet, row = sheets[-1]
            rows.append((m.start(), m.end(), bool(empty), sheet, row, repeat))
            sheets[-1] = (sheet, row + repeat)
    return rows


def _attr(attrs: bytes, name: bytes) -> int:
    """A count attribute (`number-rows-repeated`, ...): at least 1."""
    if name not in attrs:
        return 1
    m = re.search(rb"""\b""" + name + rb"""\s*=\s*["'](\d+)["']""", attrs)
    return max(1, int(m.group(1))) if m else 1


def _unescape(text: str) -> str:
    """An attribute's text as a parser gives it (sheet names with & < > ' ")."""
    if "&" not in text:
        return text
    import html

    return html.unescape(text)
