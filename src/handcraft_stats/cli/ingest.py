"""hcs ingest and hcs check."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ..errors import UsageError
from . import spark
from .common import (
    DEFAULT_DB,
    ConfigOpt,
    CountyOpt,
    DbOpt,
    DebugOpt,
    Format,
    FormatOpt,
    Lang,
    LangOpt,
    LimitOpt,
    PathsArg,
    QuietOpt,
    StrictOpt,
    YearOpt,
    given_county,
    guarded,
    log_line,
    mask_digits,
    out_console,
    progress,
    row_limit,
    say,
    use_settings,
    write_out,
)  # fmt: skip
from .issues import OutOpt, UnmaskedOpt, show_issues, write_issues
from .listing import check_out
from .render import FILE_COLUMNS, file_rows, ingest_tables, print_tables
from .spark import DEFAULT_MASTER, Engine, IngestEngineOpt, MasterOpt, ParquetOutOpt

if TYPE_CHECKING:
    import pandas as pd

    from ..pipeline import IngestReport


def say_strict(report: IngestReport, strict: bool, hint: str = "") -> None:
    """Why `--strict` makes the run exit 1 when nothing was refused: cron's log showed
    exit 1 beside "0 refused" and nothing else."""
    if not strict or report.refused or report.sheets_refused:
        return
    errors = sum(f.errors for f in report.files)
    empty = [f.name for f in report.files if report.empty(f)]
    files = sum(f.errors > 0 for f in report.files)
    parts = [f"{errors:,} error-level issue(s) in {files:,} file(s){hint}"] if errors else []
    if empty:
        parts.append(f"{len(empty):,} roster(s) without a record: {', '.join(empty[:3])}")
    if parts:
        say("hcs: --strict: " + "; ".join(parts))


def say_refusals(report: IngestReport) -> None:
    """Refusals are errors (exit 1): on stderr with --quiet too (which leaves out the
    notes), and whatever goes to stdout (`check --format csv`: the fix list alone)."""
    for f in report.refused:
        path = report.safe(str(f.path))
        say(f"refused {path}: {f.reason}", keep=(path,))
    for f, sheet, reason in report.sheets_refused:
        path, name = report.safe(str(f.path)), repr(report.safe(sheet))
        say(f"refused sheet {name} of {path} (its other sheets landed): {reason}", (path, name))


def show_report(
    report: IngestReport, fmt: Format, quiet: bool, issues: pd.DataFrame | None = None,
    lang: str = "zh",
) -> None:  # fmt: skip
    from ..report.tables import Table
    from ..report.text import to_csv, to_json, to_markdown

    for f in report.refused:  # a reason may quote a cell: never an ID or phone number
        f.reason = mask_digits(f.reason)
    for f in report.files:
        f.sheets_refused = {s: mask_digits(r) for s, r in f.sheets_refused.items()}
    report.not_rosters = [(f, mask_digits(r)) for f, r in report.not_rosters]
    tables: list[Table] = ingest_tables(report, lang)
    if fmt is Format.json:
        doc = report.to_dict()
        if issues is not None:
            doc["issues"] = issues.astype(object).where(issues.notna(), None).to_dict("records")
        write_out(to_json(doc))
    elif fmt is Format.csv:  # the files, with the codes of json
        write_out(to_csv(FILE_COLUMNS, file_rows(report)))
    elif fmt is Format.md:
        write_out(to_markdown(tables))
    else:
        print_tables(out_console(), tables)
    say_refusals(report)
    if not quiet:
        archives = [f for f in report.ignored if Path(f).suffix.lower() in ARCHIVES]
        if archives:  # rosters mailed as a zip: never read, and nothing said so
            say(f"note: {len(archives)} archive(s) not read, unpack them first: "
                + ", ".join(archives[:5]) + (" …" if len(archives) > 5 else ""))  # fmt: skip
        if len(report.ignored) > len(archives):
            say(f"note: {len(report.ignored) - len(archives)} other file(s) ignored (not "
                ".xlsx .xlsm .xls .ods .csv .txt), listed in the report")  # fmt: skip
        for path, _ in report.not_rosters:
            say(f"note: {path} was not read: its name says it is no roster (填表说明, 汇总 …) "
                "and it holds none")  # fmt: skip
        for f in report.files:  # a template sent back empty would wipe a county silently
            if f.status == "checked" and report.empty(f):  # `hcs check`: before it is sent
                say(f"note: {f.path} holds no records (a header only): ingested, "
                    f"{f.county} {f.period} would count no woman from it")  # fmt: skip
            elif report.empty(f):
                what = EMPTY_NOTE.get(f.status, "landed")
                say(f"note: {f.path} holds no records (a header only); it {what}: "
                    f"{f.county} {f.period} now counts no woman from it")  # fmt: skip
        for f in report.files:  # a roster renamed, or last year's sent again under this name
            if f.title_says:
                path = report.safe(str(f.path))
                say(f"note: the title of {path} names {f.title_says}; it is counted under "
                    f"{f.county} {f.period}, as its name says: if the title is right, "
                    "correct the name or pass --county/--year", keep=(path,))  # fmt: skip
        reread = sum(f.status == "reread" for f in report.files)
        if reread:
            say(f"note: {reread} file(s) stored already were read again and replace their "
                "stored reading: an earlier hcs or other settings (hcs.toml) read them, or "
                "--reparse asked for it")  # fmt: skip
        if report.replace_held:
            say("note: --replace replaced no file for being left out, because a file was "
                "refused (it may belong to any county): fix it and run again")  # fmt: skip
        for county, period, name, other, shared, women in report.shared:
            say(f"note: {shared:,} of the {women:,} women of {name} (by ID) are on {other}, "
                f"stored for {county} {period}: both are counted. If {name} is a "
                f"corrected version of it, ingest it again with --replace (it then "
                f"replaces {county}'s other {period} files); if it is another roster of "
                f"{county}, all is well")  # fmt: skip
        for county, period, name in report.dropped:
            say(f"note: {name} is no longer part of {county}'s {period} roster (--replace): "
                "its women are counted no more")  # fmt: skip


ARCHIVES = (".zip", ".rar", ".7z", ".gz", ".tar", ".tgz")
EMPTY_NOTE = {"replaced": "replaced the earlier version", "reread": "replaced its earlier reading"}


JobsOpt = Annotated[
    int | None,
    typer.Option(
        "--jobs",
        "-j",
        min=1,
        help="Worker processes parsing files (default: one per core, at most 8, for two "
        "or more files of 512 KB in all; else 1).",
    ),
]


# CLI.md names --db among the options common to every command: a script passing it to
# `check` as well was refused (exit 2). Accepted; check reads and writes no database.
UnusedDbOpt = Annotated[
    Path | None,
    typer.Option("--db", envvar="HCS_DB", readable=False,
                 help="Accepted as on every command; check stores nothing and opens no database."),
]  # fmt: skip


ReplaceOpt = Annotated[
    bool,
    typer.Option(
        "--replace",
        help="The files are each county's complete roster for the period: replace every "
        "other active file of that county and period.",
    ),
]


ReparseOpt = Annotated[
    bool,
    typer.Option(
        "--reparse",
        help="Read files whose content is stored already again, with this version of hcs "
        "(its normalisation and checks), replacing their stored reading.",
    ),
]


WaitOpt = Annotated[
    float,
    typer.Option(
        "--wait", min=0,
        help="Seconds to wait for another hcs ingest into the same database (then exit 3).",
    ),
]  # fmt: skip


@guarded
def ingest_cmd(
    paths: PathsArg, db: DbOpt = DEFAULT_DB, config: ConfigOpt = None,
    county: CountyOpt = None, year: YearOpt = None, fmt: FormatOpt = Format.table,
    strict: StrictOpt = False, jobs: JobsOpt = None, replace: ReplaceOpt = False,
    reparse: ReparseOpt = False, wait: WaitOpt = 600.0, lang: LangOpt = Lang.zh,
    quiet: QuietOpt = False, debug: DebugOpt = False, engine: IngestEngineOpt = Engine.duckdb,
    parquet: ParquetOutOpt = None, master: MasterOpt = DEFAULT_MASTER,
) -> None:  # fmt: skip
    """Read rosters (files or folders), check, normalise, link persons, store. Two runs
    into one database take turns: the second waits up to --wait seconds (then exit 3).

    Example: hcs ingest data/sample/rosters --db hcs.duckdb
    """
    # numpy's advice to back large arrays with huge pages makes the kernel compact memory
    # on page faults (transparent huge pages in `madvise` mode): without it, whole 220k
    # ingests were faster in 7 of 8 alternating pairs (median 6.06 -> 6.02 s). Read when
    # numpy is first imported, which the next line does; a value already set is kept.
    os.environ.setdefault("NUMPY_MADVISE_HUGEPAGE", "0")
    started = time.monotonic()
    from ..locking import exclusive, lock_path
    from ..pipeline import find_files, ingest, roomy_heap
    from ..store import Store

    roomy_heap()
    if reparse and engine is not Engine.duckdb:
        raise UsageError("--reparse replaces readings in the database: not with --engine spark")
    if spark.check_engine(engine, parquet):  # --engine spark: a Parquet dataset, no database
        report = spark.spark_ingest(paths, parquet, master, config, county, year, quiet)
        show_report(report, fmt, quiet, lang=lang.value)
        raise typer.Exit(1 if report.data_problems(strict) else 0)
    settings = use_settings(config)
    county = given_county(settings, county)
    find_files(paths)  # no input files: exit 2 before any database or lock file is made
    if db.is_dir():  # nor a lock file beside a folder given as the database
        raise UsageError(f"--db {db} is a folder: give the database file, e.g. {db / 'hcs.duckdb'}")
    busy = (
        f"another hcs ingest into {db} is running (waited {wait:g} s); "
        "try again when it ends, or give it longer with --wait"
    )

    def waiting() -> None:
        if not quiet:
            say(f"hcs: waiting for another hcs ingest into {db} to end (up to {wait:g} s)")

    with (
        exclusive(lock_path(db), wait, busy, waiting),
        Store(db) as store,
        progress(quiet) as on_progress,
    ):
        report = ingest(paths, store, settings, county, year, on_progress, jobs, replace,
                        reparse)  # fmt: skip
    show_report(report, fmt, quiet, lang=lang.value)
    doc = report.to_dict()
    stored = doc["files_landed"] - doc["files_unchanged"]
    files = f"{doc['files']:,} file{'' if doc['files'] == 1 else 's'}"
    log_line(quiet, f"hcs ingest: {files} ({stored:,} stored, "
             f"{doc['files_unchanged']:,} unchanged, {doc['files_refused']:,} refused), "
             f"{doc['records']:,} records → {db}", started)  # fmt: skip
    if report.data_problems(strict):
        say_strict(report, strict, " (hcs issues --severity error lists them)")
        raise typer.Exit(1)


@guarded
def check_cmd(
    paths: PathsArg, config: ConfigOpt = None, county: CountyOpt = None, year: YearOpt = None,
    fmt: FormatOpt = Format.table, strict: StrictOpt = False, jobs: JobsOpt = None,
    lang: LangOpt = Lang.zh, out: OutOpt = None, unmasked: UnmaskedOpt = False,
    limit: LimitOpt = None, quiet: QuietOpt = False, debug: DebugOpt = False,
    db: UnusedDbOpt = None,
) -> None:  # fmt: skip
    """Everything ingest does except storing: a dry run before a county sends its roster.
    Prints the report and the fix list (per county, by sheet and row); --format csv prints
    the fix list alone, with the columns of issues.csv.

    Example: hcs check 丰县2017年花名册.xlsx --strict --out 丰县问题清单.xlsx
    """
    import pandas as pd

    from ..checks import Catalogue
    from ..issues import ISSUE_COLUMNS, localise, mask_issues
    from ..pipeline import check
    from ..report.labels import title

    settings = use_settings(config)
    county = given_county(settings, county)
    check_out(out)
    with progress(quiet) as on_progress:
        report = check(paths, settings, county, year, on_progress, jobs)
    found = report.issues if report.issues is not None else pd.DataFrame(columns=ISSUE_COLUMNS)
    cat = Catalogue.load(settings.checks)
    found = localise(found if unmasked else mask_issues(found, report.named_sources), cat,
                     lang.value)  # fmt: skip
    if fmt is Format.csv:
        show_issues(found, fmt, "", lang.value, out, row_limit(limit, fmt), quiet=quiet)
        say_refusals(report)  # the files refused were named nowhere (exit 1 all the same)
    else:
        cap = row_limit(limit, fmt)  # json: every issue unless given --limit
        listed = found if cap is None else found.head(cap)
        show_report(report, fmt, quiet, listed if fmt is Format.json else None, lang.value)
        if fmt is not Format.json:
            if fmt is Format.md:
                write_out("\n")  # the fix list's heading starts a paragraph of its own
            heading = title("check", lang.value, n=len(found))
            show_issues(found, fmt, heading, lang.value, out, row_limit(limit, fmt), quiet=quiet)
        elif out is not None:  # the report on stdout, the fix list in its file
            write_issues(found, out, lang.value, quiet)
    if report.data_problems(strict):
        say_strict(report, strict)
        raise typer.Exit(1)
