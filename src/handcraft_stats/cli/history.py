"""hcs history: what was ingested when, and what replaced what."""

from __future__ import annotations

from .common import (
    DEFAULT_DB,
    ConfigOpt,
    CountyFilterOpt,
    DbOpt,
    DebugOpt,
    Format,
    FormatOpt,
    QuietOpt,
    YearOpt,
    guarded,
    use_settings,
)  # fmt: skip
from .listing import show_frame

# The table: the file's name under 来源文件 (the frame's `name` is a file's, not a person's
# 姓名), and the content hash cut to its first HASH_CHARS hex digits to fit a terminal;
# json, csv and md keep the frame's column names and the full sha256.
TABLE_COLUMNS = ("file_id", "ingested_at", "county", "period", "version", "source_file",
                 "sha256", "records", "active", "replaced_by")  # fmt: skip
HASH_CHARS = 12


@guarded
def history_cmd(
    county: CountyFilterOpt = None, year: YearOpt = None, db: DbOpt = DEFAULT_DB,
    config: ConfigOpt = None, fmt: FormatOpt = Format.table, quiet: QuietOpt = False,
    debug: DebugOpt = False,
) -> None:  # fmt: skip
    """Every file ever ingested: when, content hash (sha256; the table shows its first
    12 hex digits), county, period, version, replaced by.

    Example: hcs history --county 丰县 --format csv
    """
    from ..store import Store

    use_settings(config)
    with Store(db, read_only=True) as store:
        frame = store.history(county, year)
    frame["ingested_at"] = frame["ingested_at"].dt.strftime("%Y-%m-%d %H:%M:%S")
    if fmt in (Format.table, Format.md):
        frame = frame.rename(columns={"name": "source_file"})
    if fmt is Format.table:
        frame["sha256"] = frame["sha256"].str.slice(0, HASH_CHARS)
    show_frame(frame, fmt, f"导入记录（{len(frame)}）", TABLE_COLUMNS)
