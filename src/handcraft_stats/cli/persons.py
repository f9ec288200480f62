"""hcs persons --year Y: one row per person with her records' provenance."""

from __future__ import annotations

from .common import (
    DEFAULT_DB,
    ConfigOpt,
    CountyFilterOpt,
    DbOpt,
    DebugOpt,
    Format,
    FormatOpt,
    PeriodOpt,
    QuietOpt,
    Tier,
    TierOpt,
    guarded,
    use_settings,
)  # fmt: skip
from .listing import show_frame

TABLE_COLUMNS = ("person_key", "name", "id_number", "counties", "class", "wing", "status",
                 "provenance")  # fmt: skip


@guarded
def persons_cmd(
    year: PeriodOpt, county: CountyFilterOpt = None, link: TierOpt = Tier.probable,
    db: DbOpt = DEFAULT_DB, config: ConfigOpt = None, fmt: FormatOpt = Format.table,
    quiet: QuietOpt = False, debug: DebugOpt = False,
) -> None:  # fmt: skip
    """List the persons of a year: masked ID, counties, class, and where each record is.

    Example: hcs persons --year 2017 --county 丰县 --format csv > 丰县.csv
    """
    from ..review import persons
    from ..store import Store

    use_settings(config)
    with Store(db, read_only=True) as store:
        frame = persons(store, year, link.value, county)
    show_frame(frame, fmt, f"{year} 人员（{len(frame)}）", TABLE_COLUMNS)
