"""A worksheet's used range, found in its XML before calamine allocates it (limits.py
inflates the sheet in chunks and hands each one to `SheetExtent.scan`)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from functools import lru_cache
from itertools import islice
from typing import TYPE_CHECKING

from ..errors import RefusedFile
from ..reasons import reason

if TYPE_CHECKING:
    from .limits import Limits

# cells with content (not self-closing): their column, and their row from 10,000 on
_WIDE_COL = re.compile(rb' r="([A-Z]{2,3})[0-9]+"[^>/]*>')
# a single-letter column beyond the n-th (n < 26): one scan per chunk, rarely matching
_BEYOND = [re.compile(rb' r="([' + bytes([65 + n]) + rb'-Z])[0-9]+"[^>/]*>') for n in range(26)]
_CELL_ROW = re.compile(rb' r="[A-Z]{1,3}([0-9]{5,})"[^>/]*>')
_ROW = re.compile(rb'<row r="([0-9]{5,})"[^>/]*>')
# a cell placed by position; `(?!r=")` first rejects the usual `<c r="` at once
_NO_REF = re.compile(rb'<c(?:>|\s(?!r=")(?![^>]*\br=)[^>]*[^/]>)')
# wherever _NO_REF matches, this does: cheaper, it turns `<c r="` down at the third byte
_MAYBE_NO_REF = re.compile(rb'<c(?! r=")[\s>]')


class SheetExtent:
    """A worksheet's used range, from the references of its cells with content: calamine
    allocates rows x columns cells, so two cells at A1 and XFD1048576 would take ~500 GB.

    The plain count (`_UsedRange`) reads every reference, which costs about as much as
    inflating the sheet. Here each chunk is first searched once (`_news`) for a cell
    beyond what is known: a column wider than `cols`, kept exact, or a row deeper than
    `rows`, a round bound on the rows seen. After a roster's header no chunk holds one,
    and nothing changes; a chunk that does is counted as the plain count counts it.
    When the verdict needs more than the bound tells (bound x columns is over the
    limit) or every `<row` counted (a cell placed by position), the chunks seen so far
    are inflated again and the plain count replayed over them; it then takes over. So
    the refusals are the plain count's, word for word and at the same chunk."""

    def __init__(self, name: str, again: Callable[[], Iterable[bytes]]) -> None:
        self.name, self.again = name, again  # `again`: the sheet's chunks from the start
        self.cols, self.rows = 1, 9_999  # rows: no row seen is deeper (see `_bound`)
        self.chunks, self.carry = 0, b""
        self.exact: _UsedRange | None = None

    def scan(self, chunk: bytes, limits: Limits) -> None:
        self.chunks += 1
        if self.exact is not None:
            self.exact.scan(chunk, limits)
            return
        text = self.carry + chunk  # the same text the plain count sees
        self.carry = text[-64:]
        if _MAYBE_NO_REF.search(text) and _NO_REF.search(text):
            self._replay(limits)
            return
        if _news(self.cols, self.rows).search(text):
            self._widen(text, limits)
        if self.cols > limits.max_columns or self.rows * self.cols > limits.max_cells:
            self._replay(limits)  # the rows are only bounded (or the limits below 1x1)

    def _widen(self, text: bytes, limits: Limits) -> None:
        """Take in the columns and rows of `text`, refusing where the count's verdict
        is known: the columns are exact, and so are rows beyond the bound."""
        self.cols = _columns(text, self.cols)
        top = _top_row(text)  # if beyond the bound, it is the count's rows: all else is less
        _check_range(self.name, top if top > self.rows else 0, self.cols, limits, text)
        self.rows = _bound(self.rows, top, self.cols, limits)

    def _replay(self, limits: Limits) -> None:
        """Count the chunks seen so far exactly (refusing as the count does) and keep
        counting from here on."""
        self.exact = _UsedRange(self.name)
        for chunk in islice(self.again(), self.chunks):
            self.exact.scan(chunk, limits)


class _UsedRange:
    """The plain count: every cell reference of every chunk. Cells placed by position
    (no `r`) count by their row and their place in it."""

    def __init__(self, name: str) -> None:
        self.name, self.cols, self.rows = name, 1, 9_999
        self.row_tags, self.row_count, self.widest, self.by_position = 0, 0, 0, False
        self.carry = b""

    def scan(self, chunk: bytes, limits: Limits) -> None:
        text = self.carry + chunk
        self.carry = text[-64:]
        self.cols = _columns(text, self.cols)
        self.rows = max(self.rows, _top_row(text))
        self.row_tags = max(self.row_tags, max(map(int, _ROW.findall(text)), default=0))
        self.row_count += chunk.count(b"<row")
        self.by_position = self.by_position or _NO_REF.search(text) is not None
        rows, cols = self.rows, self.cols
        if self.by_position:
            self.widest = max(self.widest, *(s.count(b"<c") for s in text.split(b"<row")))
            rows = max(rows, self.row_tags, self.row_count)
            cols = max(cols, self.widest)
        _check_range(self.name, rows, cols, limits, text)


class SheetTooLarge(RefusedFile):
    """A worksheet's used range beyond the limits, with the cell that reaches furthest
    (XFD7: often one stray cell in a real roster), so the reason can name the sheet as
    the workbook names it (`named`) and the cell to delete."""

    def __init__(self, key: str, member: str, cell: str, **parts: str) -> None:
        self.key, self.member, self.cell, self.parts = key, member, cell, parts
        super().__init__(self.named(member))

    def named(self, sheet: str) -> str:
        if self.cell:
            return reason(f"{self.key}_at", sheet=sheet, cell=self.cell, **self.parts)
        return reason(self.key, sheet=sheet, **self.parts)


def _check_range(name: str, rows: int, cols: int, limits: Limits, text: bytes = b"") -> None:
    if cols > limits.max_columns:
        raise SheetTooLarge(
            "used_columns", name, _far_cell(text, _letters(cols).encode(), rb"[0-9]+"),
            cols=f"{cols:,}", limit=f"{limits.max_columns:,}",
        )  # fmt: skip
    if rows * cols > limits.max_cells:
        raise SheetTooLarge(
            "used_cells", name, _far_cell(text, rb"[A-Z]{1,3}", str(rows).encode()),
            rows=f"{rows:,}", cols=f"{cols:,}", limit=f"{limits.max_cells:,}",
        )  # fmt: skip


def _far_cell(text: bytes, column: bytes, row: bytes) -> str:
    """The reference of a cell with content in `text` in that column and row, if any."""
    found = re.search(rb' r="(' + column + row + rb')"[^>/]*>', text)
    return found[1].decode() if found else ""


def _columns(text: bytes, cols: int) -> int:
    """The widest column of a cell with content in `text`, or `cols` if none is wider."""
    letters = set(_WIDE_COL.findall(text))  # rare: columns AA and beyond
    if letters:
        cols = max(cols, *(_column(c) for c in letters))
    if cols < 26 and (beyond := _BEYOND[cols].findall(text)):
        cols = max(beyond)[0] - 64  # the widest single-letter column
    return cols


def _top_row(text: bytes) -> int:
    """The highest row (from 10,000 on) of a cell with content in `text`, else 0."""
    return max(map(int, _CELL_ROW.findall(text)), default=0)


@lru_cache(maxsize=64)
def _news(cols: int, rows: int) -> re.Pattern[bytes]:
    """A cell with content (the shape _WIDE_COL, _BEYOND and _CELL_ROW match) unless its
    column is at most `cols` and its row at most `rows`: wherever those patterns find
    something wider or deeper, this finds a cell too. One lookahead and no alternation
    for a usual cell, so a search costs little more than finding the ` r="`s."""
    known = f'(?:{_names_up_to(cols)})(?:{_rows_up_to(rows)})"'
    return re.compile(f' r="(?!{known})[A-Z]{{1,3}}[0-9]+"[^>/]*>'.encode())


def _names_up_to(cols: int) -> str:
    """Column names A, B, … up to the `cols`-th (all of them when followed by a digit)."""
    name = _letters(cols)
    alts = [f"[A-Z]{{1,{len(name) - 1}}}"] if len(name) > 1 else []  # the shorter names
    for i, letter in enumerate(name):  # same length: equal up to i, then smaller
        last = i == len(name) - 1
        top = letter if last else chr(ord(letter) - 1)
        if top >= "A":
            alts.append(name[:i] + f"[A-{top}]" + "[A-Z]" * (len(name) - 1 - i))
    return "|".join(alts)


def _rows_up_to(rows: int) -> str:
    """Row numbers up to `rows`, a bound from `_bound`: any with fewer digits, or as
    many and led by at most its head (its digits before the trailing 9s). A head of one
    digit, the usual bound, needs no alternation."""
    digits = str(rows)
    head = digits.rstrip("9")
    shorter = f"[0-9]{{1,{len(digits) - 1}}}"
    if len(head) <= 1:
        return f"[0-{head or 9}]?{shorter}"
    return f"(?:{_at_most(head)})[0-9]{{{len(digits) - len(head)}}}|{shorter}"


def _at_most(number: str) -> str:
    """Digit strings as long as `number` and not above it."""
    alts = [
        number[:i] + f"[0-{int(d) - 1}]" + f"[0-9]{{{len(number) - 1 - i}}}"
        for i, d in enumerate(number)
        if d > "0"
    ]
    return "|".join([*alts, number])


def _bound(rows: int, top: int, cols: int, limits: Limits) -> int:
    """A bound on the rows of a sheet with `cols` columns, at least `rows` (the bound so
    far) and `top` (a row just seen): with headroom, and as round as it can be while
    bound x cols stays within max_cells (the rounder, the rarer a row beyond it, and
    the simpler `_rows_up_to`); the least if none is (a refusal is near). The headroom,
    a quarter of the cells and at most ten times the rows seen, spares a roster's later
    rows a search each, and leaves room for a column added later on."""
    rows = max(rows, top, min(limits.max_cells // (4 * cols), 10 * max(top, 9_999)))
    digits = str(rows)
    for k in range(1, len(digits)):  # 22,001 → 29,999, else 22,999, …
        bound: int = (int(digits[:k]) + 1) * 10 ** (len(digits) - k) - 1
        if bound * cols <= limits.max_cells:
            return bound
    return rows


def _letters(n: int) -> str:
    """The name of the `n`-th column (1 → A, 27 → AA)."""
    name = ""
    while n:
        n, r = divmod(n - 1, 26)
        name = chr(65 + r) + name
    return name


def _column(letters: bytes) -> int:
    n = 0
    for b in letters:
        n = n * 26 + b - 64
    return n
