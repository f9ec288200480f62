"""hcs history: what was ingested when, and what replaced what."""

from __future__ import annotations

from .common import (
    DEFAULT_DB,
    CountyFilterOpt,
    DbOpt,
    DebugOpt,
    Format,
    FormatOpt,
    QuietOpt,
    YearOpt,
    guarded,
)  # fmt: skip
from .listing import show_frame

TABLE_COLUMNS = ("file_id", "ingested_at", "county", "period", "version", "name", "records",
                 "active", "replaced_by")  # fmt: skip


@guarded
def history_cmd(
    county: CountyFilterOpt = None, year: YearOpt = None, db: DbOpt = DEFAULT_DB,
    fmt: FormatOpt = Format.table, quiet: QuietOpt = False, debug: DebugOpt = False,
) -> None:  # fmt: skip
    """Every file ever ingested: when, content hash, county, period, version, replaced by.

    Example: hcs history --county 丰县 --format csv
    """
    from ..store import Store

    with Store(db, read_only=True) as store:
        frame = store.history(county, year)
    frame["ingested_at"] = frame["ingested_at"].dt.strftime("%Y-%m-%d %H:%M:%S")
    show_frame(frame, fmt, f"导入记录（{len(frame)}）", TABLE_COLUMNS)
