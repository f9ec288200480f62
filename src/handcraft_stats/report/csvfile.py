"""CSV files for people (records.csv, issues.csv) from Arrow batches, at C speed.

The bytes are those of Python's csv.writer over `cell_text` (UTF-8 with BOM, CRLF line
ends, a cell that a spreadsheet would run as a formula prefixed with ', fields quoted only
when they hold a comma, a quote, CR or LF), but the rows are written by pyarrow's CSV
writer, unquoted: text starting with = + - @ TAB or CR gets its ' in Arrow (so do
negative numbers), and the few rows with a cell to quote are built in Arrow (the cell in
quotes, its quotes doubled) and put in their places among pyarrow's lines, found from
the lengths of the cells. Batches are formatted in two threads (pyarrow
releases the GIL), written in order, and the file's pages are handed to the disk as they
are written (so the final fsync is short).
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

FORMULA = ("=", "+", "-", "@", "\t", "\r")
_FORMULA_BYTES = np.zeros(256, dtype=bool)
_FORMULA_BYTES[[ord(c) for c in FORMULA]] = True
_QUOTED = (",", '"', "\r", "\n")  # a cell holding one is quoted
_SPECIAL = r'[,"\r\n]'
_OPTIONS = pacsv.WriteOptions(include_header=False, quoting_style="none", eol="\r\n")
_PENDING = 8  # batches formatted ahead of the writer


def cell_text(value: Any) -> str:
    """A value as CSV text; text that a spreadsheet would run as a formula is neutralised."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, Decimal):
        text = f"{value:.2f}"
    elif isinstance(value, date):
        text = value.isoformat()
    else:
        text = str(value)
    return "'" + text if text.startswith(FORMULA) else text


def csv_lines(rows: Iterable[Sequence[Any]]) -> str:
    """Rows as csv.writer writes them (CRLF), each cell through cell_text."""
    buf = io.StringIO()
    csv.writer(buf).writerows([cell_text(v) for v in r] for r in rows)
    return buf.getvalue()


def csv_batch(batch: pa.RecordBatch) -> bytes | pa.Buffer:
    """The batch's rows as CSV bytes, exactly as csv_lines would write them."""
    names = batch.schema.names
    # the text columns holding a cell to quote, found by a byte search before pyarrow
    # formats anything (it refuses such a cell only once it has formatted the batch up to
    # it: a batch of 64k rows nearly always holds one note with a comma, and trying first
    # formatted most batches twice); the same bytes tell which columns may hold a formula
    columns, special = [], []
    for i, c in enumerate(batch.columns):
        if _is_text(c.type):
            c = c if pa.types.is_string(c.type) else c.cast(pa.string())
            raw = _raw(c)
            if _holds(raw, _QUOTED):
                special.append(i)
            if _holds(raw, FORMULA):
                c = _neutralised(c)
        else:
            c = _neutralised(c)
        columns.append(c)
    # every cell as text (as pyarrow's writer would cast it), so that each line's length
    # is known from the columns' offsets
    columns = [_text(c) for c in columns]
    if not special:
        return _written(pa.Table.from_arrays(columns, names=names))
    hits = {i: pc.fill_null(pc.match_substring_regex(columns[i], _SPECIAL), False) for i in special}
    quoted = np.zeros(len(batch), dtype=bool)
    for h in hits.values():
        quoted |= h.to_numpy(zero_copy_only=False)
    at = np.flatnonzero(quoted)
    lines = _quoted_lines(columns, hits, pa.array(at))
    plain = [pc.if_else(hits[i], "", c) if i in hits else c for i, c in enumerate(columns)]
    text = _written(pa.Table.from_arrays(plain, names=names))
    # where each line starts: its cells' bytes (read from the offsets: a null's are
    # usually none, and if not, the sum shows it), the commas between them and CRLF
    size = np.full(len(batch), len(plain) + 1, dtype=np.int64)
    for c in plain:
        size += np.diff(
            np.frombuffer(c.buffers()[1], dtype=np.int32)[c.offset : c.offset + len(c) + 1]
        )
    starts = np.concatenate(([0], np.cumsum(size)))
    if starts[-1] != text.size:  # pyarrow wrote other bytes than the cells': find the lines
        ends = np.flatnonzero(np.frombuffer(text, dtype=np.uint8) == 10) + 1
        starts = np.concatenate(([0], ends))
    view = memoryview(text)
    data = memoryview(lines.buffers()[2] or b"")
    offsets = np.frombuffer(lines.buffers()[1], dtype=np.int32)[: len(lines) + 1].tolist()
    parts: list[bytes | memoryview] = []
    done = 0  # the lines of pyarrow taken
    for k, line in enumerate(at.tolist()):
        parts += [view[starts[done] : starts[line]], data[offsets[k] : offsets[k + 1]]]
        done = line + 1
    parts.append(view[starts[done] :])
    return b"".join(parts)


def _quoted_lines(
    columns: list[pa.Array], hits: dict[int, pa.Array], at: pa.Array
) -> pa.StringArray:  # fmt: skip
    """The rows `at` as csv.writer writes them (one value per line, CRLF at its end):
    the cells of `hits` in quotes, a quote in them doubled; nulls as nothing."""
    cells = []
    for i, c in enumerate(columns):
        c = c.take(at)
        if i in hits:
            q = pc.binary_join_element_wise('"', pc.replace_substring(c, '"', '""'), '"', "")
            c = pc.if_else(hits[i].take(at), q, c)
        cells.append(c)
    line = pc.binary_join_element_wise(*cells, ",", null_handling="replace", null_replacement="")
    return pc.binary_join_element_wise(line, "\r\n", "")


def _written(table: pa.Table) -> pa.Buffer:
    sink = pa.BufferOutputStream()
    pacsv.write_csv(table, sink, _OPTIONS)
    return sink.getvalue()


def _text(column: pa.Array) -> pa.Array:
    """The column as text, cast as pyarrow's CSV writer casts it. (Casting the distinct
    values of dates, incomes and flags once each saved nothing measurable at 10M.)"""
    return column if pa.types.is_string(column.type) else column.cast(pa.string())


def _neutralised(column: pa.Array) -> pa.Array:
    """Text starting with a formula character, and negative numbers, as text with '."""
    kind = column.type
    if _is_text(kind):
        column = column.cast(pa.string()) if not pa.types.is_string(kind) else column
        starts = _formula_starts(column)
        if starts is None:
            return column
        at = pa.array(starts)
        prefixed = pc.binary_join_element_wise("'", column.filter(at), "")
        return pc.replace_with_mask(column, at, prefixed)
    if pa.types.is_integer(kind) or pa.types.is_decimal(kind):
        low = pc.min(column).as_py()
        if low is None or low >= 0:
            return column
        return _neutralised(column.cast(pa.string()))  # "-5" -> "'-5"
    return column


def _formula_starts(column: pa.Array) -> np.ndarray | None:
    """Which cells start with a formula character (None: none does); read from the
    first byte of each value in the Arrow buffers."""
    n = len(column)
    if n == 0 or column.null_count == n:
        return None
    offsets = np.frombuffer(column.buffers()[1], dtype=np.int32)[
        column.offset : column.offset + n + 1
    ]
    data = column.buffers()[2]
    if data is None or data.size == 0:
        return None
    size = offsets[1:] - offsets[:-1]
    first = np.frombuffer(data, dtype=np.uint8)[np.minimum(offsets[:-1], data.size - 1)]
    starts = _FORMULA_BYTES[first] & (size > 0)
    if column.null_count:
        starts &= column.is_valid().to_numpy(zero_copy_only=False)
    return starts if starts.any() else None


def _is_text(kind: pa.DataType) -> bool:
    return bool(
        pa.types.is_string(kind) or pa.types.is_large_string(kind)
        or pa.types.is_string_view(kind)
    )  # fmt: skip


def _raw(column: pa.Array) -> bytes:
    """The bytes of a text column's values (a copy), for looking characters up."""
    data = column.buffers()[2]
    if data is None or len(column) == 0:
        return b""
    offsets = np.frombuffer(column.buffers()[1], dtype=np.int32)
    lo, hi = int(offsets[column.offset]), int(offsets[column.offset + len(column)])
    return bytes(memoryview(data)[lo:hi])


def _holds(raw: bytes, chars: tuple[str, ...]) -> bool:
    """Whether text bytes hold one of the characters."""
    return any(c.encode() in raw for c in chars)


def write_csv_file(
    path: Path, header: Sequence[str], batches: Iterable[pa.RecordBatch],
    threads: int = 2,
) -> int:  # fmt: skip
    """The header and the batches' rows into `path` (BOM, CRLF); the number of rows."""
    rows = 0
    with path.open("wb") as fh, ThreadPoolExecutor(threads) as pool:
        out = _Output(fh)
        out.write(("\ufeff" + csv_lines([header])).encode())
        pending: deque[Future[bytes | pa.Buffer]] = deque()
        for batch in batches:
            rows += batch.num_rows
            pending.append(pool.submit(csv_batch, batch))
            while len(pending) > _PENDING or (pending and pending[0].done()):
                out.write(pending.popleft().result())
        while pending:
            out.write(pending.popleft().result())
    return rows


class _Output:
    """A file written in order; every 64 MiB the kernel is told to start writing the new
    pages to disk (Linux: posix_fadvise DONTNEED), so that they are not all left for the
    final fsync, and the writer is not throttled behind a mountain of dirty pages."""

    STEP = 64 << 20

    def __init__(self, fh: BinaryIO) -> None:
        self.fh = fh
        self.done = 0  # bytes handed to the disk
        self.size = 0
        self.advise: Callable[..., None] | None = getattr(os, "posix_fadvise", None)

    def write(self, data: bytes | pa.Buffer) -> None:
        self.fh.write(data)
        self.size += data.size if isinstance(data, pa.Buffer) else len(data)
        if self.advise is not None and self.size - self.done >= self.STEP:
            self.fh.flush()
            with contextlib.suppress(OSError):
                self.advise(self.fh.fileno(), self.done, self.size - self.done,
                            os.POSIX_FADV_DONTNEED)  # fmt: skip
            self.done = self.size
