"""hcs export --year Y --out DIR: the year's files for sending upward or for cron."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..config import load_settings
from ..export import export_records
from ..store import Store
from .common import (
    DEFAULT_DB,
    ConfigOpt,
    DbOpt,
    DebugOpt,
    PeriodOpt,
    QuietOpt,
    Tier,
    TierOpt,
    err,
    guarded,
)  # fmt: skip

OutOpt = Annotated[
    Path, typer.Option("--out", "-o", help="Export folder (replaced whole; hcs's own folder).")
]
UnmaskedOpt = Annotated[
    bool, typer.Option("--unmasked", help="Full ID and phone numbers (only when really needed).")
]


@guarded
def export_cmd(
    year: PeriodOpt, out: OutOpt, link: TierOpt = Tier.probable, unmasked: UnmaskedOpt = False,
    db: DbOpt = DEFAULT_DB, config: ConfigOpt = None, quiet: QuietOpt = False,
    debug: DebugOpt = False,
) -> None:  # fmt: skip
    """Write the year's files into DIR atomically: records.csv (UTF-8 with BOM, masked).

    Example: hcs export --year 2017 --out 报送/2017
    """
    load_settings(config)
    with Store(db, read_only=True) as store:
        path = export_records(store, year, out, link.value, unmasked)
    if not quiet:
        err.print(f"wrote {path}", markup=False)
