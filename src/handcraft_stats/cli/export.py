"""hcs export --year Y --out DIR: the year's files for sending upward or for cron."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from ..errors import UsageError
from .common import (
    DEFAULT_DB,
    ConfigOpt,
    DbOpt,
    DebugOpt,
    Lang,
    LangOpt,
    PeriodOpt,
    QuietOpt,
    Tier,
    TierOpt,
    guarded,
    log_line,
    progress,
    use_settings,
)  # fmt: skip
from .summary import SinceOpt

OutOpt = Annotated[
    Path | None,
    typer.Option(
        "--out", "-o", file_okay=False, help="Export folder (replaced whole; hcs's own folder)."
    ),
]
ParquetOpt = Annotated[
    Path | None,
    typer.Option(
        "--parquet",
        help="Also (or only) the records and persons as a Parquet dataset in DIR, "
        "partitioned by period and county (replaced whole).",
    ),
]
UnmaskedOpt = Annotated[
    bool,
    typer.Option(
        "--unmasked", help="Names, ID and phone numbers in full (only when really needed)."
    ),
]
WaitOpt = Annotated[
    float,
    typer.Option(
        "--wait", min=0, help="Seconds to wait for another export into DIR (then exit 3)."
    ),
]


@guarded
def export_cmd(
    year: PeriodOpt, out: OutOpt = None, parquet: ParquetOpt = None,
    link: TierOpt = Tier.probable, unmasked: UnmaskedOpt = False,
    since: SinceOpt = None, lang: LangOpt = Lang.zh, wait: WaitOpt = 60.0,
    db: DbOpt = DEFAULT_DB, config: ConfigOpt = None, quiet: QuietOpt = False,
    debug: DebugOpt = False,
) -> None:  # fmt: skip
    """Write the year's report files into DIR atomically: summary.json, report.xlsx,
    report.md, records.csv and issues.csv (UTF-8 with BOM); IDs and phones masked.
    --parquet DIR: the clean records and persons as a Parquet dataset (for Spark).

    Example: hcs export --year 2017 --out 报送/2017 --quiet

    Example: hcs export --year 2017 --parquet lake/hcs-2017
    """
    from ..export import ReportSpec, export_parquet, export_report
    from ..store import Store

    started = time.monotonic()
    if out is None and parquet is None:
        raise UsageError("nothing to export: pass --out DIR, --parquet DIR, or both")
    if out is not None and parquet is not None and _overlap(out, parquet):
        # each folder is replaced whole: the second would replace (or hold) the first
        raise UsageError(f"--out {out} and --parquet {parquet} must be two separate folders, "
                         "neither inside the other")  # fmt: skip
    settings = use_settings(config)
    spec = ReportSpec(settings.city, lang.value, checks=settings.checks)
    order = [d.name for d in settings.divisions]
    results = []
    with Store(db, read_only=True) as store, progress(quiet) as on_progress:
        if out is not None:
            results.append(
                export_report(
                    store, year, out, spec, link.value, unmasked, since, wait, order, on_progress
                )
            )
        if parquet is not None:
            results.append(export_parquet(store, year, parquet, link.value, unmasked, wait))
    first = results[0]
    files = " + ".join(f"{len(r.files)} {'tables' if r.out_dir == parquet else 'files'}"
                       for r in results)  # fmt: skip
    places = " and ".join(str(r.out_dir) for r in results)
    text = (
        f"hcs export {year}: {first.persons:,} persons, {first.rosters:,} rosters, "
        f"{files} → {places}"
    )
    log_line(quiet, text, started)


def _overlap(a: Path, b: Path) -> bool:
    """Are the two folders one, or one inside the other (links followed)?"""
    a, b = a.resolve(), b.resolve()
    return a == b or a in b.parents or b in a.parents
