"""Rich renderings of result objects for the terminal (table format only)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from rich import box
from rich.console import Console
from rich.measure import Measurement
from rich.table import Table as RichTable

if TYPE_CHECKING:
    from ..pipeline import IngestReport
    from ..report.tables import Table


def _cell(v: Any) -> str:
    if v is None:
        return "—"
    if isinstance(v, float):
        return f"{v:,.2f}"
    return f"{v:,}" if isinstance(v, int) else str(v)


def _width(text: str) -> int:
    """Display width of a header (CJK characters are two columns wide)."""
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def print_tables(console: Console, tables: Sequence[Table], title: str = "") -> None:
    if title:
        console.print(f"[bold]{title}[/bold]")
    for t in tables:
        rt = RichTable(
            title=t.title, title_justify="left", show_edge=False, pad_edge=False,
            box=box.SIMPLE_HEAD, collapse_padding=True, min_width=_width(t.title),
        )  # fmt: skip
        for i, c in enumerate(t.columns):
            # cells never wrap (a figure must not break); headers may, so a wide table
            # still fits an 80-column terminal or a pipe
            cells = [_width(_cell(r[i])) for r in t.rows] or [0]
            numeric = all(isinstance(r[i], int | float) or r[i] is None for r in t.rows)
            rt.add_column(
                c, justify="right" if numeric and i else "left", no_wrap=False,
                min_width=min(max(cells), 40), overflow="fold",
            )  # fmt: skip
        for r in t.rows:
            rt.add_row(*(_cell(v) for v in r))
        # a table wider than the terminal at its columns' minimum is printed that wide
        # (the terminal wraps its lines): Rich fitted it to the width by cutting cells
        # below their minimum, 101 shown as 1, whole columns dropped, without a mark
        need = Measurement.get(console, console.options, rt).minimum
        console.print(rt, width=max(console.width, need), crop=False)
        if t.note:
            console.print(t.note, markup=False)
        console.print()


FILE_COLUMNS = ["file", "county", "year", "status", "sheets", "records", "skipped", "issues"]


def file_rows(report: IngestReport) -> list[list[Any]]:
    """One row per file (FILE_COLUMNS), status as its code: the csv of the report (a
    file named by a woman's ID masked: outcome.named_safely)."""
    return [[report.safe(f.name), f.county or "", str(f.period or ""), f.status, f.sheets,
             f.records, sum(f.rows_skipped_by_kind.values()), sum(f.issues_by_code.values())]
            for f in report.files]  # fmt: skip


def ingest_tables(report: IngestReport, lang: str = "zh") -> list[Table]:
    """The ingest or check report as tables, titles, headings and statuses in `lang`
    (labels.toml `[ingest]`, `[file_status]`); codes keep their code beside the label."""
    from ..reasons import localised
    from ..report.labels import label
    from ..report.tables import Table

    def t(key: str, **figures: object) -> str:
        return label("ingest", key, lang).format(**figures)

    def why(reason: str) -> str:
        return localised(reason, lang)

    d = report.to_dict()
    rows = [[*r[:3], label("file_status", r[3], lang), *r[4:]] for r in file_rows(report)]
    parts = [Table(t("files"), [t(c) for c in FILE_COLUMNS], rows)]
    parts.append(Table(t("totals"), ["", t("count")], [
        [t("files_count"), d["files"]], [t("files_landed"), d["files_landed"]],
        [t("files_unchanged"), d["files_unchanged"]], [t("files_refused"), d["files_refused"]],
        [t("sheets"), d["sheets"]], [t("records"), d["records"]],
        *[[t("persons", period=p), n] for p, n in d["persons_by_period"].items()],
    ]))  # fmt: skip
    for key, section in (("rows_skipped_by_kind", "skip"), ("issues_by_code", "issue"),
                         ("links_by_reason", "link")):  # fmt: skip
        counts = [[f"{k}  {label(section, k, lang)}", n] for k, n in d[key].items()]
        parts.append(Table(t(key), ["", t("count")], counts))
    unknown = sorted({c for f in report.files for c in f.unknown_columns})
    if unknown:
        parts.append(Table(t("unknown_columns"), [t("column")], [[c] for c in unknown]))
    if report.refused:
        parts.append(Table(t("refused"), [t("file"), t("reason")],
                           [[f.path, why(f.reason)] for f in report.refused]))  # fmt: skip
    if report.sheets_refused:
        parts.append(Table(
            t("sheets_refused"), [t("file"), t("sheet"), t("reason")],
            [[f.path, sheet, why(reason)] for f, sheet, reason in report.sheets_refused],
        ))  # fmt: skip
    if report.dropped:
        left = [[c, str(p), name] for c, p, name in report.dropped]  # a year: not 2,017
        parts.append(Table(t("dropped"), [t("county"), t("year"), t("file")], left))
    if report.shared:  # also in a report kept as a log (--quiet drops the stderr notes)
        parts.append(Table(
            t("possible_versions"),
            [t("county"), t("year"), t("file"), t("stored_file"), t("shared_women"), t("women")],
            [[c, str(p), *rest] for c, p, *rest in report.shared],
        ))  # fmt: skip
    if report.replace_held:
        parts.append(Table(t("notes"), [t("notes")], [[t("replace_held")]]))
    if report.ignored:
        parts.append(Table(t("ignored"), [t("file")], [[f] for f in report.ignored]))
    if report.not_rosters:
        parts.append(Table(t("not_rosters"), [t("file"), t("reason")],
                           [[f, why(r)] for f, r in report.not_rosters]))  # fmt: skip
    skipped = [[f.name, sheet, why(reason)] for f in report.files
               for sheet, reason in f.sheets_skipped.items()]  # fmt: skip
    if skipped:
        parts.append(Table(t("sheets_skipped"), [t("file"), t("sheet"), t("reason")], skipped))
    from ..outcome import named_safely

    names = report.masked_names
    return [Table(p.title, p.columns, named_safely(p.rows, names), p.note) for p in parts]
