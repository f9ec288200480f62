"""hcs summary --year Y."""

from __future__ import annotations

import contextlib
import time
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from ..config import DEFAULT_MASTER
from ..errors import UsageError
from .common import (
    DEFAULT_DB,
    ConfigOpt,
    DbOpt,
    DebugOpt,
    Format,
    Lang,
    LangOpt,
    QuietOpt,
    Tier,
    TierOpt,
    guarded,
    log_line,
    out_console,
    use_settings,
    write_out,
)  # fmt: skip
from .render import print_tables
from .spark import Engine, MasterOpt


class By(StrEnum):
    county = "county"
    wing = "wing"
    county_wing = "county-wing"


ByOpt = Annotated[
    By | None, typer.Option("--by", help="Only this breakdown (tables; rows of csv).")
]
SinceOpt = Annotated[
    int | None, typer.Option("--since", help="Also the exits of the years since Y1 (累计脱贫).")
]
SummaryOutOpt = Annotated[
    Path | None,
    typer.Option(
        "--out", "-o", dir_okay=False, help="Write to FILE (.json .csv .md .xlsx), atomically."
    ),
]
DetailOpt = Annotated[
    bool,
    typer.Option(
        "--detail",
        help="Also the county breakdowns of the report (classes and issues by county); "
        "always in --out .xlsx and in hcs export.",
    ),
]


EngineOpt = Annotated[
    Engine,
    typer.Option("--engine", help="Who computes the figures: DuckDB, or Spark (hcs[spark])."),
]
SourceOpt = Annotated[
    str | None,
    typer.Option(
        "--source",
        help="A Parquet dataset (hcs export --parquet, hcs ingest --engine spark) "
        "instead of the database: a folder, or for Spark an hdfs:// or s3a:// URI.",
    ),
]
SummaryFormatOpt = Annotated[
    Format | None, typer.Option("--format", "-f", help="Output format [default: table].")
]


@guarded
def summary_cmd(
    year: Annotated[int, typer.Option("--year", "-y", help="Reporting year (period).")],
    db: DbOpt = DEFAULT_DB, config: ConfigOpt = None, fmt: SummaryFormatOpt = None,
    by: ByOpt = None, since: SinceOpt = None, out: SummaryOutOpt = None, detail: DetailOpt = False,
    link: TierOpt = Tier.probable, lang: LangOpt = Lang.zh, quiet: QuietOpt = False,
    engine: EngineOpt = Engine.duckdb, source: SourceOpt = None,
    master: MasterOpt = DEFAULT_MASTER, debug: DebugOpt = False,
) -> None:  # fmt: skip
    """The year's figures by wing, county, class, exit year, and data quality.

    Example: hcs summary --year 2017 --since 2016 --out 2017年统计.xlsx

    Example: hcs summary --year 2017 --engine spark --source 2017.parquet --format json
    """
    from ..engine import open_tables
    from ..metrics import summarize
    from ..report.summary import ReportSpec, report_title, summary_text, write_summary_file
    from ..report.tables import summary_tables
    from ..store import Store

    started = time.monotonic()
    settings = use_settings(config)
    chosen = _format(fmt, out)
    order = [d.name for d in settings.divisions]
    xlsx = out is not None and out.suffix.lower() == ".xlsx"
    with contextlib.ExitStack() as stack:
        store = None if source else stack.enter_context(Store(db, read_only=True))
        tables = open_tables(store, source, engine.value, master)
        doc = summarize(tables, year, link.value, order, since, detail or xlsx).to_dict()
    spec = ReportSpec(settings.city, lang.value, None, by.value if by else None)
    if out is not None:
        write_summary_file(doc, out, spec)
        log_line(quiet, f"hcs summary {year}: {_persons(doc)} → {out}", started)
    elif chosen is Format.table:
        print_tables(
            out_console(), summary_tables(doc, lang.value, spec.by), report_title(doc, spec)
        )
    else:
        write_out(summary_text(doc, chosen.value, spec))


def _format(fmt: Format | None, out: Path | None) -> Format:
    """--format, or the extension of --out; the two must agree."""
    from ..report.summary import SUMMARY_SUFFIXES

    if out is None:
        return fmt or Format.table
    suffix = out.suffix.lower().lstrip(".")
    if f".{suffix}" not in SUMMARY_SUFFIXES:
        raise UsageError(
            f"cannot tell the format of {out.name}: use one of {', '.join(SUMMARY_SUFFIXES)}"
        )
    if fmt is not None and fmt.value != suffix:
        raise UsageError(f"--format {fmt.value} does not match --out {out.name}")
    return fmt or Format.table


def _persons(doc: dict[str, Any]) -> str:
    src = doc["source"]
    return f"{src['persons']:,} persons, {src['files']:,} rosters"
