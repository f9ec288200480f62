"""Formula cells an xlsx holds without a value.

Excel and WPS store each formula's last result beside it (`<f>D3*3</f><v>9000</v>`),
and calamine reads that result. A workbook written by a program (openpyxl, a county's
reporting system) and never opened in Excel has the formula alone: calamine reads the
cell as blank, and a computed income or age was lost without a word. hcs finds such
cells here, so the fix list can say which they are and how to mend the file (open it
in Excel or WPS and save it). Only sheets whose XML holds a formula element are read
again (limits.py finds the mark while it inflates every member anyway).
"""

from __future__ import annotations

import re
import zipfile
from html import unescape
from io import BytesIO
from posixpath import join, normpath

# every sheet with a formula holds one with its text (a shared formula's other cells
# point to it); </formula1> of a drop-down list and </filterColumn> are not it
FORMULA_MARK = b"</f>"
# a cell holding an error (#N/A, #REF!): the result of a formula, or a value pasted from
# one (Paste Values of a VLOOKUP column that found nothing), which calamine reads as blank
ERROR_MARK_XML = b' t="e"'
_ERROR_CELL = re.compile(rb'<c\s[^>]*?\bt="e"[^>]*>')
_FORMULA = re.compile(rb"<f[\s>/]")
_CELL_REF = re.compile(rb'<c\s[^>]*?\br="([A-Z]{1,3})([0-9]+)"')
_TEXT = re.compile(rb"<f\b([^>]*?)(?:/>|>(.*?)</f>)", re.S)
_SHARED_ID = re.compile(rb'\bsi="([0-9]+)"')
_VALUE = re.compile(rb"<v>[^<]")  # a cached value
_TEXT_RESULT = re.compile(rb'\st="(?:str|e)"')  # a text result, which may be "" (<v></v>)
_ERROR_RESULT = re.compile(rb'\st="e"')  # an error result (#N/A of a VLOOKUP), read as blank
_ERROR_VALUE = re.compile(rb"<v>(#[^<]{1,20})</v>")
ERROR_MARK = " → "  # "=VLOOKUP(A2,名单!A:B,2,0) → #N/A": a formula whose result is an error
# an error value without a formula, as the formula cells' text: "#N/A" (no "=")

Cells = dict[tuple[int, int], str]  # (row, column), both 0-based -> "=formula" or "#N/A"


def blank_formulas(data: bytes, members: set[str]) -> dict[str, Cells]:
    """Sheet name -> its formula cells without a value, for the worksheet members named
    (those holding the mark). Best effort: a workbook whose parts cannot be matched to
    its sheets gives nothing (calamine still reads it, as before)."""
    try:
        zf = zipfile.ZipFile(BytesIO(data))
        names = sheet_names(zf)
        return {
            names[m]: found for m in sorted(members)
            if m in names and (found := _cells(zf.read(m)))
        }  # fmt: skip
    except (KeyError, ValueError, zipfile.BadZipFile):
        return {}


def sheet_names(zf: zipfile.ZipFile) -> dict[str, str]:
    """Worksheet member -> the sheet's name, from xl/workbook.xml and its relations. Read
    with patterns, not an XML parser: it also names a sheet in a refusal made before
    every member was checked for entity declarations (limits.py)."""
    targets = {}
    for rel in _RELATION.findall(zf.read("xl/_rels/workbook.xml.rels")):
        rid, target = _attr(rel, b"Id"), _attr(rel, b"Target")
        if rid and target:
            targets[rid] = (
                target.lstrip("/") if target.startswith("/") else normpath(join("xl", target))
            )
    names = {}
    for sheet in _SHEET_TAG.findall(zf.read("xl/workbook.xml")):
        rid, name = _attr(sheet, b"r:id"), _attr(sheet, b"name")
        if rid in targets and name is not None:
            names[targets[rid]] = name
    return names


_RELATION = re.compile(rb"<(?:\w+:)?Relationship\b[^>]*>")
_SHEET_TAG = re.compile(rb"<(?:\w+:)?sheet\b[^>]*>")


def _attr(tag: bytes, name: bytes) -> str | None:
    found = re.search(rb"\s" + re.escape(name) + rb'\s*=\s*(?:"([^"]*)"|\'([^\']*)\')', tag)
    if found is None:
        return None
    return unescape((found[1] if found[1] is not None else found[2]).decode("utf-8", "replace"))


def _cells(xml: bytes) -> Cells:
    """The formula cells of a worksheet's XML with no cached value, or with an error for
    one (`→ #N/A`), and the cells holding an error value alone (`#N/A`): calamine reads
    all of them as blank. A shared formula's other cells
    (`<f t="shared" si="0"/>`) show the text of the cell that holds it."""
    out: Cells = {}
    shared: dict[bytes, str] = {}
    waiting: list[tuple[tuple[int, int], bytes, str]] = []
    for m in _FORMULA.finditer(xml):
        start = xml.rfind(b"<c", 0, m.start())
        end = xml.find(b"</c>", m.start())
        ref = _CELL_REF.match(xml, start) if start >= 0 and end >= 0 else None
        if ref is None or xml.rfind(b"</c>", start, m.start()) >= 0:
            continue  # no cell around it: a <f of another element
        body = xml[m.start() : end]
        text = _TEXT.match(body)
        if text is None:
            continue
        formula = unescape((text[2] or b"").decode("utf-8", "replace")).strip()
        si = _SHARED_ID.search(text[1])
        if si and formula:
            shared[si[1]] = formula
        opening = xml[start : xml.find(b">", ref.end()) + 1]
        error = _ERROR_VALUE.search(body) if _ERROR_RESULT.search(opening) else None
        suffix = f"{ERROR_MARK}{error[1].decode('utf-8', 'replace')}" if error else ""
        if not error and (_VALUE.search(body) or (_TEXT_RESULT.search(opening) and b"<v" in body)):
            continue
        at = (int(ref[2]) - 1, _column(ref[1].decode()))
        if formula:
            out[at] = f"={formula}{suffix}"
        elif si:
            waiting.append((at, si[1], suffix))
    for at, key, suffix in waiting:
        out[at] = f"={shared.get(key, '')}{suffix}"
    for m in _ERROR_CELL.finditer(xml):  # error values pasted without their formula
        end = xml.find(b"</c>", m.end())
        body = xml[m.end() : end] if end >= 0 else b""
        error = _ERROR_VALUE.search(body)
        ref = _CELL_REF.match(m[0])
        if ref is None or error is None or _FORMULA.search(body):
            continue  # a formula's error is reported with its formula, above
        out.setdefault(
            (int(ref[2]) - 1, _column(ref[1].decode())), error[1].decode("utf-8", "replace")
        )
    return out


def _column(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n - 1
