"""hcs export: the year's files for sending upward, written atomically into one folder.

The folder is hcs's: it is built beside DIR in a temporary folder, marked with a
`.hcs-export` file, and swapped with DIR (the previous export is replaced whole; atomic.py).
A DIR that exists, is not empty and holds no marker is refused. Two exports into one DIR
at once: the second waits for the first (up to `wait` seconds), then fails clearly.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute

from .atomic import MARKER, atomic_file, export_folder
from .engine import arrow, masked, write_dataset
from .errors import UsageError
from .metrics import summarize
from .normalize.idnumber import mask_id
from .normalize.phone import mask_phone
from .report.labels import label
from .report.tables import summary_csv_rows, summary_tables
from .report.text import to_csv, to_json, to_markdown
from .report.xlsx import write_workbook
from .review import check_period
from .store import Store

__all__ = [
    "MARKER",
    "ExportResult",
    "ReportSpec",
    "dataset_tables",
    "export_parquet",
    "export_records",
    "export_report",
    "write_summary_file",
]
FIELDS = (
    "name", "id_number", "id_status", "birth_date", "town", "village", "household_head",
    "relation_to_head", "phone", "labor_capacity", "willing", "wing", "trainings",
    "new_practitioner", "income_before", "income_after", "exit_year", "status", "broker",
    "visit_date", "note",
)  # fmt: skip
RECORD_COLUMNS = ("person_key", "county", "source_file", "source_sheet", "source_row",
                  *FIELDS, "class")  # fmt: skip
ISSUE_COLUMNS = ("code", "severity", "county", "source_file", "source_sheet", "source_row",
                 "column", "value", "message")  # fmt: skip
PERSONAL = ("id_number", "phone")  # issue columns whose values are masked
FILES = ("summary.json", "report.xlsx", "report.md", "records.csv", "issues.csv")
_FORMULA = ("=", "+", "-", "@", "\t", "\r")
_DIGITS = re.compile(r"\d{11,}[\dXx]?")


@dataclass(frozen=True)
class ReportSpec:
    """How the human files look: city for the title, language, date of the title row."""

    city: str = ""
    lang: str = "zh"
    made: date | None = None
    by: str | None = None


@dataclass(frozen=True)
class ExportResult:
    out_dir: Path
    files: tuple[str, ...]
    persons: int
    rosters: int


def export_records(
    store: Store, year: int, out_dir: Path, tier: str = "probable", unmasked: bool = False
) -> Path:
    """Write `records.csv` (one row per record of the period) into out_dir; its path."""
    rows = record_rows(store, year, tier, unmasked)
    with export_folder(out_dir) as tmp:
        write_csv(tmp / "records.csv", RECORD_COLUMNS, rows)
    return out_dir / "records.csv"


def export_report(
    store: Store, year: int, out_dir: Path, spec: ReportSpec, tier: str = "probable",
    unmasked: bool = False, since: int | None = None, wait: float = 0.0,
    county_order: Sequence[str] = (),
    on_progress: Callable[[str, int, int, str], None] | None = None,
) -> ExportResult:  # fmt: skip
    """The five files of CLI.md (summary.json, report.xlsx, report.md, records.csv,
    issues.csv), read from the store first, then written into out_dir in one swap.
    `on_progress(stage, done, total, item)` is called per stage and per file."""

    def step(stage: str, n: int, total: int, item: str) -> None:
        if on_progress is not None:
            on_progress(stage, n, total, item)

    step("read", 1, 3, "summary")
    doc = summarize(store, year, tier, county_order, since, details=True).to_dict()
    step("read", 2, 3, "records")
    records = record_rows(store, year, tier, unmasked)
    step("read", 3, 3, "issues")
    issues = issue_rows(store, year, tier, unmasked)
    writers: list[tuple[str, Callable[[Path], object]]] = [
        ("summary.json", lambda p: p.write_text(to_json(doc), "utf-8")),
        ("report.xlsx", lambda p: write_workbook(doc, p, spec.city, spec.lang, spec.made)),
        ("report.md", lambda p: p.write_text(summary_text(doc, "md", spec), "utf-8")),
        ("records.csv", lambda p: write_csv(p, RECORD_COLUMNS, records)),
        ("issues.csv", lambda p: write_csv(p, ISSUE_COLUMNS, issues)),
    ]
    with export_folder(out_dir, wait) as tmp:
        for n, (name, write) in enumerate(writers, 1):
            step("write", n, len(writers), name)
            write(tmp / name)
    return ExportResult(out_dir, FILES, doc["source"]["persons"], doc["source"]["files"])


def summary_text(doc: dict[str, Any], fmt: str, spec: ReportSpec) -> str:
    """The summary as json, csv or md text (md: the human tables with the report title)."""
    if fmt == "json":
        return to_json(doc)
    if fmt == "csv":
        return to_csv(*summary_csv_rows(doc, spec.by))
    return to_markdown(summary_tables(doc, spec.lang, spec.by), report_title(doc, spec))


def report_title(doc: dict[str, Any], spec: ReportSpec) -> str:
    return label("section", "title", spec.lang).format(city=spec.city, year=doc["year"])


SUMMARY_SUFFIXES = (".json", ".csv", ".md", ".xlsx")


def write_summary_file(doc: dict[str, Any], path: Path, spec: ReportSpec) -> None:
    """The summary into one file, its format from the extension; written atomically."""
    fmt = path.suffix.lower().lstrip(".")
    if f".{fmt}" not in SUMMARY_SUFFIXES:
        raise UsageError(
            f"cannot tell the format of {path.name}: use one of {', '.join(SUMMARY_SUFFIXES)}"
        )
    with atomic_file(path) as tmp:
        if fmt == "xlsx":
            write_workbook(doc, tmp, spec.city, spec.lang, spec.made)
        else:
            tmp.write_text(summary_text(doc, fmt, spec), "utf-8")


def issue_rows(store: Store, year: int, tier: str, unmasked: bool) -> list[list[Any]]:
    """Issues of the period's active files (conflicts: of `tier`), in load order; values of
    ID and phone columns masked, and any long digit run in value or message."""
    check_period(store, year, tier)
    cols = ", ".join(f'i."{c}"' for c in ISSUE_COLUMNS)
    rows = store.df(
        f"""SELECT {cols} FROM issues i JOIN files f USING (file_id)
            WHERE f.active AND f.period = $year AND (i.tier IS NULL OR i.tier = $tier)
            ORDER BY i.file_id, i.record_id NULLS FIRST, i.source_row, i.code, i."column" """,
        {"year": year, "tier": tier},
    ).astype(object)
    rows = rows.where(rows.notna(), None)
    out = []
    for cells in rows.values.tolist():
        if not unmasked:
            column, value = cells[6], cells[7]
            if column == "id_number":
                cells[7] = mask_id(value)
            elif column == "phone":
                cells[7] = mask_phone(value)
            else:
                cells[7] = scrub(value)
            cells[8] = scrub(cells[8])
        out.append(cells)
    return out


def scrub(text: Any) -> Any:
    """Free text with every run of 11+ digits masked (an ID or phone number typed into a
    note or an unreadable cell)."""
    if not isinstance(text, str):
        return text
    return _DIGITS.sub(lambda m: mask_id(m[0]) if len(m[0]) > 11 else mask_phone(m[0]), text)


def record_rows(store: Store, year: int, tier: str, unmasked: bool) -> list[list[Any]]:
    """The period's active records in load order, with person key and class at `tier`."""
    check_period(store, year, tier)
    fields = ", ".join(f"r.{f}" for f in FIELDS)
    rows = store.con.execute(
        f"""SELECT pr.person_key, r.county, r.source_file, r.source_sheet, r.source_row,
                   {fields}, p.class
            FROM records r JOIN files f USING (file_id)
            LEFT JOIN person_records pr
              ON pr.record_id = r.record_id AND pr.period = $year AND pr.tier = $tier
            LEFT JOIN persons p
              ON p.person_key = pr.person_key AND p.period = $year AND p.tier = $tier
            WHERE f.active AND r.period = $year ORDER BY r.record_id""",
        {"year": year, "tier": tier},
    ).fetchall()
    id_at, phone_at = RECORD_COLUMNS.index("id_number"), RECORD_COLUMNS.index("phone")
    note_at = RECORD_COLUMNS.index("note")
    out = []
    for row in rows:
        cells = list(row)
        if not unmasked:
            cells[id_at] = mask_id(cells[id_at])
            cells[phone_at] = mask_phone(cells[phone_at])
            cells[note_at] = scrub(cells[note_at])
        out.append(cells)
    return out


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
    return "'" + text if text.startswith(_FORMULA) else text


def write_csv(path: Path, header: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """UTF-8 with BOM (Excel reads Chinese correctly), CRLF line ends, neutralised cells."""
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows([cell_text(v) for v in r] for r in rows)


def dataset_tables(
    store: Store, years: Sequence[int], unmasked: bool = False
) -> dict[str, pa.Table]:
    """The periods' active files as the tables of the Parquet dataset (engine.py): records
    with the store's columns, persons of both tiers (one row per person and roster
    county), person_records, files, issues, skipped rows and links. IDs and phones are
    masked (records, persons, issue values) and long digit runs in free text, unless
    `unmasked`."""
    periods = ", ".join(str(int(y)) for y in years) or "NULL"
    active = f"SELECT file_id FROM files WHERE active AND period IN ({periods})"
    sql = {
        "records": f"SELECT * FROM records WHERE file_id IN ({active}) ORDER BY record_id",
        "persons": (
            "SELECT DISTINCT p.*, m.county FROM persons p JOIN person_records m "
            "ON p.person_key = m.person_key AND m.period = p.period AND m.tier = p.tier "
            f"WHERE p.period IN ({periods}) ORDER BY p.period, p.tier, p.person_key, m.county"
        ),
        "person_records": (
            f"SELECT * FROM person_records WHERE period IN ({periods}) "
            "ORDER BY period, tier, record_id"
        ),
        "files": f"SELECT * FROM files WHERE file_id IN ({active}) ORDER BY file_id",
        "issues": (
            f"SELECT * FROM issues WHERE file_id IN ({active}) "
            'ORDER BY file_id, record_id NULLS FIRST, source_row, code, "column"'
        ),
        "skipped": (
            "SELECT s.*, f.county, f.period FROM skipped_rows s JOIN files f USING (file_id) "
            f"WHERE f.file_id IN ({active}) ORDER BY s.file_id, s.sheet, s.source_row"
        ),
        "links": (
            f"SELECT * FROM links WHERE period IN ({periods}) ORDER BY period, tier, record_a"
        ),
    }
    tables = {name: arrow(store.rel(q)) for name, q in sql.items()}
    if not unmasked:
        ids = {"id_number": mask_id, "id_key": mask_id, "phone": mask_phone}
        tables["records"] = masked(tables["records"], {**ids, "note": scrub, "extras": scrub})
        tables["persons"] = masked(tables["persons"], ids)
        tables["issues"] = _masked_issues(tables["issues"])
    return tables


def _masked_issues(table: pa.Table) -> pa.Table:
    """Issue values masked as in issues.csv: by column for IDs and phones, else scrubbed."""
    rows = zip(table["column"].to_pylist(), table["value"].to_pylist(), strict=True)
    values = [
        None if v is None
        else mask_id(v) if c == "id_number" else mask_phone(v) if c == "phone" else scrub(v)
        for c, v in rows
    ]  # fmt: skip
    table = masked(table, {"message": scrub})
    at = table.column_names.index("value")
    return table.set_column(at, "value", pa.array(values, pa.string()))


def export_parquet(
    store: Store, year: int, out_dir: Path, tier: str = "probable", unmasked: bool = False,
    wait: float = 0.0,
) -> ExportResult:  # fmt: skip
    """The year's clean records and persons (and the small tables the summary needs) as a
    Parquet dataset partitioned by period and county, swapped into out_dir in one step.
    Both tiers are written; `tier` only chooses the persons counted in the result."""
    check_period(store, year, tier)
    tables = dataset_tables(store, [year], unmasked)
    with export_folder(out_dir, wait) as tmp:
        write_dataset(tmp, tables)
    persons = tables["persons"].filter(pa.compute.equal(tables["persons"]["tier"], tier))
    keys = len(set(persons["person_key"].to_pylist()))
    return ExportResult(out_dir, tuple(tables), keys, tables["files"].num_rows)
