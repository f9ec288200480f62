"""hcs ingest and hcs check."""

from __future__ import annotations

from typing import Annotated

import pandas as pd
import typer

from ..checks import Catalogue
from ..config import load_settings
from ..issues import ISSUE_COLUMNS, localise, mask_issues
from ..pipeline import IngestReport, check, ingest
from ..report.tables import Table
from ..report.text import to_csv, to_json, to_markdown
from ..store import Store
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
    PathsArg,
    QuietOpt,
    StrictOpt,
    YearOpt,
    err,
    guarded,
    out_console,
    progress,
    write_out,
)  # fmt: skip
from .issues import OutOpt, UnmaskedOpt, show_issues
from .render import ingest_tables, print_tables


def show_report(
    report: IngestReport, fmt: Format, quiet: bool, issues: pd.DataFrame | None = None
) -> None:
    tables: list[Table] = ingest_tables(report)
    if fmt is Format.json:
        doc = report.to_dict()
        if issues is not None:
            doc["issues"] = issues.astype(object).where(issues.notna(), None).to_dict("records")
        write_out(to_json(doc))
    elif fmt is Format.csv:
        write_out(to_csv(tables[0].columns, tables[0].rows))
    elif fmt is Format.md:
        write_out(to_markdown(tables))
    else:
        print_tables(out_console(), tables)
    if not quiet:
        for f in report.refused:
            err.print(f"refused {f.path}: {f.reason}", markup=False)


JobsOpt = Annotated[
    int | None,
    typer.Option(
        "--jobs", "-j", min=1, help="Files parsed in parallel (default: cores, for 8+ files)."
    ),
]


ReplaceOpt = Annotated[
    bool,
    typer.Option(
        "--replace",
        help="The files are each county's complete roster for the period: replace every "
        "other active file of that county and period.",
    ),
]


def has_errors(report: IngestReport) -> bool:
    """Any error-level issue in the files of this run."""
    return any(f.errors for f in report.files)


@guarded
def ingest_cmd(
    paths: PathsArg, db: DbOpt = DEFAULT_DB, config: ConfigOpt = None,
    county: CountyOpt = None, year: YearOpt = None, fmt: FormatOpt = Format.table,
    strict: StrictOpt = False, jobs: JobsOpt = None, replace: ReplaceOpt = False,
    quiet: QuietOpt = False, debug: DebugOpt = False,
) -> None:  # fmt: skip
    """Read rosters (files or folders), check, normalise, link persons, store.

    Example: hcs ingest data/sample/rosters --db hcs.duckdb
    """
    settings = load_settings(config)
    with Store(db) as store, progress(quiet) as on_progress:
        report = ingest(paths, store, settings, county, year, on_progress, jobs, replace)
    show_report(report, fmt, quiet)
    if report.refused or (strict and has_errors(report)):
        raise typer.Exit(1)


@guarded
def check_cmd(
    paths: PathsArg, config: ConfigOpt = None, county: CountyOpt = None, year: YearOpt = None,
    fmt: FormatOpt = Format.table, strict: StrictOpt = False, jobs: JobsOpt = None,
    lang: LangOpt = Lang.zh, out: OutOpt = None, unmasked: UnmaskedOpt = False,
    quiet: QuietOpt = False, debug: DebugOpt = False,
) -> None:  # fmt: skip
    """Everything ingest does except storing: a dry run before a county sends its roster.
    Prints the report and the fix list (per county, by sheet and row); --format csv prints
    the fix list alone, with the columns of issues.csv.

    Example: hcs check 丰县2017年花名册.xlsx --strict --out 丰县问题清单.xlsx
    """
    settings = load_settings(config)
    with progress(quiet) as on_progress:
        report = check(paths, settings, county, year, on_progress, jobs)
    found = report.issues if report.issues is not None else pd.DataFrame(columns=ISSUE_COLUMNS)
    cat = Catalogue.load(settings.checks)
    found = localise(found if unmasked else mask_issues(found), cat, lang.value)
    if fmt is Format.csv:
        show_issues(found, fmt, "", lang.value, out)
    else:
        show_report(report, fmt, quiet, found if fmt is Format.json else None)
        if fmt is not Format.json:
            show_issues(found, fmt, f"问题清单（{len(found)}）", lang.value, out)
    if report.refused or (strict and has_errors(report)):
        raise typer.Exit(1)
