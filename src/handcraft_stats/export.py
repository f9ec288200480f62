"""hcs export: the year's files for sending upward, written atomically into one folder.

The folder is hcs's: it is built beside DIR in a temporary folder, marked with a
`.hcs-export` file, and swapped with DIR (the previous export is replaced whole; atomic.py).
A DIR that exists, is not empty and holds no marker is refused. Two exports into one DIR
at once: the second waits for the first (up to `wait` seconds), then fails clearly.

records.csv and issues.csv stream from DuckDB as Arrow batches (export_rows.py) into
report/csvfile.py, so a year of ten million records is written in seconds without holding
it as Python rows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa

from .atomic import MARKER, export_folder
from .engine import TABLES, StoreTables, arrow, partitions, write_dataset
from .export_rows import (
    FIELDS,
    ISSUE_COLUMNS,
    RECORD_COLUMNS,
    SOURCES,
    active_records,
    beside_cursor,
    issue_batches,
    issue_message_sql,
    issue_table,
    issue_value_sql,
    mask_id_sql,
    mask_name_sql,
    mask_phone_sql,
    named_sources,
    names_in_note_sql,
    names_masked,
    record_batches,
    renamed,
    scrub,
    scrub_source,
    scrubbed_all,
    scrubbed_issues,
)
from .metrics import check_since, summarize, without_detail
from .report.csvfile import cell_text, write_csv_file
from .report.summary import (
    SUMMARY_SUFFIXES,
    ReportSpec,
    report_title,
    summary_text,
    write_summary_file,
)
from .report.text import to_json
from .report.xlsx import write_workbook
from .review import check_period
from .store import Store

__all__ = [
    "FIELDS",
    "ISSUE_COLUMNS",
    "MARKER",
    "RECORD_COLUMNS",
    "SUMMARY_SUFFIXES",
    "ExportResult",
    "ReportSpec",
    "cell_text",
    "dataset_tables",
    "export_parquet",
    "export_records",
    "export_report",
    "issue_batches",
    "record_batches",
    "report_title",
    "scrub",
    "summary_text",
    "write_summary_file",
]
FILES = ("summary.json", "report.xlsx", "report.md", "records.csv", "issues.csv")


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
    check_period(store, year, tier)
    batches = record_batches(store, year, tier, unmasked)
    with export_folder(out_dir) as tmp:
        write_csv(tmp / "records.csv", RECORD_COLUMNS, batches)
    return out_dir / "records.csv"


def export_report(
    store: Store, year: int, out_dir: Path, spec: ReportSpec, tier: str = "probable",
    unmasked: bool = False, since: int | None = None, wait: float = 0.0,
    county_order: Sequence[str] = (),
    on_progress: Callable[[str, int, int, str], None] | None = None,
) -> ExportResult:  # fmt: skip
    """The five files of CLI.md (summary.json, report.xlsx, report.md, records.csv,
    issues.csv), written into out_dir in one swap. While records.csv streams from the
    store, a second thread (on a cursor of its own) computes the summary, writes the
    summary files and reads the issues. `on_progress(stage, done, total, item)` is
    called per stage and per file."""

    def step(stage: str, n: int, total: int, item: str) -> None:
        if on_progress is not None:
            on_progress(stage, n, total, item)

    check_period(store, year, tier)
    check_since(since, year)
    # files and sheets named by a woman (一人一卡), for records.csv and issues.csv
    renames = {} if unmasked else named_sources(store.con, active_records(year))
    with export_folder(out_dir, wait) as tmp, beside_cursor(store) as (pool, cursor):

        def beside() -> tuple[dict[str, Any], pa.Table]:
            tables = _Checked(store, cursor)
            doc = summarize(tables, year, tier, county_order, since, details=True).to_dict()
            # CLI.md: `hcs summary --format json`'s document; the county breakdowns of
            # --detail are the workbook's (its 分类 and 数据质量 sheets)
            (tmp / "summary.json").write_text(to_json(without_detail(doc)), "utf-8")
            write_workbook(doc, tmp / "report.xlsx", spec.city, spec.lang, spec.made)
            (tmp / "report.md").write_text(summary_text(doc, "md", spec), "utf-8")
            issues = issue_table(cursor, year, tier, unmasked, renames)
            return doc, issues_in(issues, spec, year)

        step("read", 1, 1, "summary")
        job = pool.submit(beside)
        step("write", 1, len(FILES), "records.csv")
        batches = record_batches(store, year, tier, unmasked, renames)
        write_csv(tmp / "records.csv", RECORD_COLUMNS, batches)
        doc, issues = job.result()
        for n, name in enumerate(("summary.json", "report.xlsx", "report.md"), 2):
            step("write", n, len(FILES), name)
        step("write", len(FILES), len(FILES), "issues.csv")
        write_csv(tmp / "issues.csv", ISSUE_COLUMNS, issues.to_batches(1 << 16))
    return ExportResult(out_dir, FILES, doc["source"]["persons"], doc["source"]["files"])


def issues_in(table: pa.Table, spec: ReportSpec, year: int) -> pa.Table:
    """The issues with their messages in the report's language (stored in Chinese: an
    English export's issues.csv was Chinese). The values are as masked before, so the
    messages quote them masked."""
    if spec.lang == "zh" or table.num_rows == 0:
        return table
    from .checks import Catalogue
    from .issues import localise

    frame = table.select(["code", "column", "value", "message"]).to_pandas()
    messages = localise(frame, Catalogue.load(spec.checks), spec.lang, year)["message"]
    at = table.schema.get_field_index("message")
    return table.set_column(at, "message", pa.array(list(messages), pa.string()))


class _Checked(StoreTables):
    """The store's tables on a cursor of their own (for a second thread); the period was
    checked on the store itself."""

    def require_period(self, year: int) -> None:
        pass


def write_csv(path: Path, header: Sequence[str], batches: Iterable[pa.RecordBatch]) -> None:
    """UTF-8 with BOM (Excel reads Chinese correctly), CRLF line ends, neutralised cells."""
    write_csv_file(path, header, batches)


def dataset_tables(
    store: Store, years: Sequence[int], unmasked: bool = False
) -> dict[str, pa.Table]:
    """`dataset_parts` gathered into one table each (small stores and tests)."""
    parts: dict[str, list[pa.Table]] = {}
    for name, table in dataset_parts(store, years, unmasked):
        parts.setdefault(name, []).append(table)
    return {name: pa.concat_tables(tables) for name, tables in parts.items()}


def dataset_parts(
    store: Store, years: Sequence[int], unmasked: bool = False
) -> Iterator[tuple[str, pa.Table]]:
    """The periods' active files as the tables of the Parquet dataset (engine.py), one
    part at a time: records with the store's columns, persons of both tiers (one row per
    person and roster county) and person_records, each queried per period and county;
    files, issues, skipped rows and links streamed through DuckDB's Arrow reader and cut
    into whole partitions (`engine.partitions`). IDs and phones are masked in SQL (the
    rules of mask_id and mask_phone; records, persons, issue values) and long digit runs
    in free text, unless `unmasked`. Persons are placed in counties by the counties their
    rows name (schema 7; before, by the distinct (person, county) pairs of
    person_records). At 1M records 9.3 s and 2.4 GB before, 5.7 s and 642 MiB; at 10M
    45 s and 3.2 GiB (58.7 s and 14.4 GiB with only the masks in SQL; the code before was
    not run at 10M)."""
    periods = ", ".join(str(int(y)) for y in years) or "NULL"
    active = f"SELECT file_id FROM files WHERE active AND period IN ({periods})"
    ids = _masks_sql(unmasked, "id_number", "id_key", "phone", *RECORD_NAMES, "note")
    value = (
        "" if unmasked
        else f"REPLACE ({issue_value_sql()} AS value, {issue_message_sql()} AS message)"
    )  # fmt: skip
    places = store.con.execute(
        f"SELECT DISTINCT period, county FROM files WHERE file_id IN ({active}) "
        "ORDER BY period, county"
    ).fetchall()
    per_place = {  # one query per period and county: no table of a province held or sorted whole
        "records": f"SELECT * {ids} FROM records WHERE file_id IN ({active}) "
        "AND period = $period AND county = $county ORDER BY record_id",
        "persons": (  # her row in each county of her rosters (her row names them)
            "SELECT p.* EXCLUDE (county, other_counties) "
            f"{_masks_sql(unmasked, 'id_number', 'phone', 'name')}, $county AS county "
            "FROM persons p WHERE p.period = $period "
            "AND (p.county = $county OR list_contains(p.other_counties, $county)) "
            "ORDER BY p.tier, p.person_key"
        ),
        "person_records": "SELECT * FROM person_records WHERE period = $period "
        "AND county = $county ORDER BY tier, record_id",
    }
    renames = {} if unmasked else named_sources(store.con, f"file_id IN ({active})")
    for name, query in per_place.items():
        for period, county in places:
            rel = store.con.sql(query, params={"period": period, "county": county})
            table = arrow(rel)
            if name == "records" and not unmasked:
                table = _scrubbed_records(table, renames)
            yield name, table
        if not places:  # the table's columns, in an empty file
            yield name, arrow(store.con.sql(query, params={"period": 0, "county": ""}))
    sql = {
        "files": (
            f"SELECT * FROM files WHERE file_id IN ({active}) ORDER BY period, county, file_id"
        ),
        "issues": (
            f"SELECT * {value} FROM issues WHERE file_id IN ({active}) "
            'ORDER BY period, county, file_id, record_id NULLS FIRST, source_row, code, "column", '
            "tier NULLS FIRST, value, message"
        ),
        "skipped": (
            "SELECT s.*, f.county, f.period FROM skipped_rows s JOIN files f USING (file_id) "
            f"WHERE f.file_id IN ({active}) "
            "ORDER BY f.period, f.county, s.file_id, s.sheet, s.source_row"
        ),
        "links": (
            f"SELECT * FROM links WHERE period IN ({periods}) "
            "ORDER BY period, tier, record_a, record_b, reason"
        ),
    }
    for name, query in sql.items():  # streamed, one partition at a time
        reader = store.rel(query).to_arrow_reader(STREAM_ROWS)
        empty = True
        for table in partitions(reader, TABLES[name]):
            empty = False
            if name == "issues" and not unmasked:
                table = scrubbed_issues(table, renames)
            elif name in NAMED_FROM and not unmasked:  # a file or sheet named by an ID
                table = renamed(table, renames, NAMED_FROM[name])
                table = scrubbed_all(table, NAMED_FROM[name], scrub_source)
            yield name, table
        if empty:  # the table's columns, in an empty file
            yield name, reader.schema.empty_table()


STREAM_ROWS = 1_000_000


def _scrubbed_records(table: pa.Table, renames: dict[str, str]) -> pa.Table:
    table = renamed(table, renames)
    return names_masked(scrubbed_all(table, ("note", "extras", *SOURCES)))


# the dataset's other tables' columns naming a roster or sheet
NAMED_FROM = {"files": ("name", "path"), "skipped": ("sheet",)}


# the records' columns that hold or spell a person's name (name_key: its pinyin)
RECORD_NAMES = ("name", "name_raw", "name_key", "household_head", "broker")


def _masks_sql(unmasked: bool, *columns: str) -> str:
    """`REPLACE (...)` for a SELECT *: IDs, phones and names masked in SQL (`mask_id_sql`
    …, the same rules as mask_id, mask_phone and mask_name, property-tested), unless
    `unmasked`."""
    if unmasked:
        return ""
    masks: dict[str, Callable[[str], str]] = {
        "phone": mask_phone_sql, "note": names_in_note_sql,
        **dict.fromkeys(RECORD_NAMES, mask_name_sql),
    }  # fmt: skip
    parts = [f"{masks.get(c, mask_id_sql)(c)} AS {c}" for c in columns]
    return f"REPLACE ({', '.join(parts)})"


def export_parquet(
    store: Store, year: int, out_dir: Path, tier: str = "probable", unmasked: bool = False,
    wait: float = 0.0,
) -> ExportResult:  # fmt: skip
    """The year's clean records and persons (and the small tables the summary needs) as a
    Parquet dataset partitioned by period and county, swapped into out_dir in one step.
    Both tiers are written; `tier` only chooses the persons counted in the result."""
    check_period(store, year, tier)
    names: dict[str, None] = {}
    rosters = 0

    def parts() -> Iterator[tuple[str, pa.Table]]:
        nonlocal rosters
        for name, table in dataset_parts(store, [year], unmasked):
            names[name] = None
            rosters += table.num_rows if name == "files" else 0
            yield name, table

    with export_folder(out_dir, wait) as tmp:
        write_dataset(tmp, parts())
    persons = store.con.execute(
        "SELECT count(*) FROM persons WHERE period = ? AND tier = ?", [year, tier]
    ).fetchall()[0][0]
    return ExportResult(out_dir, tuple(names), int(persons), rosters)
