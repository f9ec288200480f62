"""hcs export --year Y --out DIR: the year's files for sending upward or for cron."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from ..config import load_settings
from ..export import ReportSpec, export_report
from ..report.labels import set_overrides
from ..store import Store
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
)  # fmt: skip
from .summary import SinceOpt

OutOpt = Annotated[
    Path, typer.Option("--out", "-o", help="Export folder (replaced whole; hcs's own folder).")
]
UnmaskedOpt = Annotated[
    bool, typer.Option("--unmasked", help="Full ID and phone numbers (only when really needed).")
]
WaitOpt = Annotated[
    float,
    typer.Option(
        "--wait", min=0, help="Seconds to wait for another export into DIR (then exit 3)."
    ),
]


@guarded
def export_cmd(
    year: PeriodOpt, out: OutOpt, link: TierOpt = Tier.probable, unmasked: UnmaskedOpt = False,
    since: SinceOpt = None, lang: LangOpt = Lang.zh, wait: WaitOpt = 60.0,
    db: DbOpt = DEFAULT_DB, config: ConfigOpt = None, quiet: QuietOpt = False,
    debug: DebugOpt = False,
) -> None:  # fmt: skip
    """Write the year's report files into DIR atomically: summary.json, report.xlsx,
    report.md, records.csv and issues.csv (UTF-8 with BOM); IDs and phones masked.

    Example: hcs export --year 2017 --out 报送/2017 --quiet
    """
    started = time.monotonic()
    settings = load_settings(config)
    set_overrides(settings.labels)
    spec = ReportSpec(settings.city, lang.value)
    order = [d.name for d in settings.divisions]
    with Store(db, read_only=True) as store:
        result = export_report(store, year, out, spec, link.value, unmasked, since, wait, order)
    text = (
        f"hcs export {year}: {result.persons:,} persons, {result.rosters:,} rosters, "
        f"{len(result.files)} files → {out}"
    )
    log_line(quiet, text, started)
