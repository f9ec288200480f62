"""One renderer for the review listings (dupes, persons): table, json, csv, md."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

from rich.measure import Measurement
from rich.table import Table as RichTable

from .common import Format, out_console, write_out

if TYPE_CHECKING:
    from pathlib import Path

    import pandas as pd

    from ..report.tables import Table


NO_WRAP = ("record_a", "record_b", "record_id", "source_row", "person_key", "id_number",
           "records", "name", "birth_date")  # fmt: skip


def show_frame(
    frame: pd.DataFrame,
    fmt: Format,
    title: str,
    table_columns: Sequence[str] | None = None,
    lang: str = "zh",
    section: str = "column",
    limit: int | None = None,
    total: int | None = None,
) -> None:
    """json/csv: every column, English codes, plain stdout. table: the chosen columns with
    labels in `lang` (from `section` of labels.toml), long text wrapped (a terminal is
    narrow). md: every column, labelled. `limit`: at most that many rows (a table and md
    say how many more there are of `total`, by default the frame's rows)."""
    from ..report.frames import frame_records, frame_table
    from ..report.tables import capped
    from ..report.text import to_csv, to_json, to_markdown

    total = len(frame) if total is None else total
    if limit is not None and total > limit:
        frame = frame.head(limit)
    if fmt is Format.json:
        write_out(to_json(frame_records(frame)))
    elif fmt is Format.csv:
        rows = frame_records(frame)
        write_out(to_csv(list(frame.columns), [list(r.values()) for r in rows]))
    elif fmt is Format.md:
        table = capped(frame_table(frame, title, None, lang, section), None, lang, total)
        write_out(to_markdown([table]))
    else:
        codes = list(table_columns or frame.columns)
        _print(capped(frame_table(frame, title, codes, lang, section), None, lang, total), codes)


def total_of(frame: pd.DataFrame, shown: int | None, count: Callable[[], int]) -> int:
    """How many rows a listing has: the frame's, or `count()` when the query was cut at
    `shown` rows (a table's first 100)."""
    return count() if shown is not None and len(frame) >= shown else len(frame)


def stream_rows(
    columns: Sequence[str], batches: Iterable[list[dict[str, Any]]], fmt: Format
) -> None:
    """json or csv of JSON-ready rows coming batch by batch, written as they come: the
    same text as `show_frame` of all of them, never all held."""
    from ..report.text import json_list_pieces, to_csv

    if fmt is Format.json:
        for piece in json_list_pieces(batches):
            write_out(piece)
        return
    first = True
    for batch in batches:
        text = to_csv(columns, [[r[c] for c in columns] for r in batch])
        write_out(text if first else text.split("\n", 1)[1])
        first = False
    if first:
        write_out(to_csv(columns, []))


def _print(table: Table, codes: list[str]) -> None:
    rt = RichTable(title=table.title, title_justify="left", show_edge=False, pad_edge=False)
    for code, name in zip(codes, table.columns, strict=True):
        plain = code.removesuffix("_a").removesuffix("_b") in NO_WRAP
        rt.add_column(name, no_wrap=plain, overflow="fold")
    for row in table.rows:
        rt.add_row(*("" if v is None else str(v) for v in row))
    console = out_console()  # never cut to the terminal's width (render.print_tables)
    need = Measurement.get(console, console.options, rt).minimum
    console.print(rt, width=max(console.width, need), crop=False)
    if table.note:
        out_console().print(table.note, markup=False)


def check_out(out: Path | None) -> None:
    """UsageError (exit 2) unless a listing's `--out` is .xlsx or .csv: checked before the
    listing is made (any other name was written as CSV by one command, refused by
    another)."""
    from ..errors import UsageError

    if out is not None and out.suffix.lower() not in (".xlsx", ".csv"):
        raise UsageError(f"cannot tell the format of {out.name}: use .xlsx or .csv")


def write_file(frame: pd.DataFrame, out: Path, xlsx: Callable[[Path], None]) -> None:
    """A listing written to `out` (`--out` of issues, check, dupes), atomically: `.xlsx`
    by `xlsx(path)`, anything else as CSV with a BOM (Excel on Chinese Windows reads
    BOM-less UTF-8 as GBK), its cells formula-safe."""
    from ..atomic import atomic_file
    from ..report.text import to_csv

    with atomic_file(out) as tmp:
        if out.suffix.lower() == ".xlsx":
            xlsx(tmp)
        else:
            rows = frame.astype(object).where(frame.notna(), None).to_numpy().tolist()
            tmp.write_text(to_csv(list(frame.columns), rows), "utf-8-sig")
