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
    Lang,
    LangOpt,
    LimitOpt,
    PeriodOpt,
    QuietOpt,
    Tier,
    TierOpt,
    given_county,
    guarded,
    row_limit,
    use_settings,
)  # fmt: skip
from .listing import show_frame, stream_rows, total_of

TABLE_COLUMNS = ("person_key", "name", "id_number", "counties", "class", "wing", "status",
                 "provenance")  # fmt: skip


@guarded
def persons_cmd(
    year: PeriodOpt, county: CountyFilterOpt = None, link: TierOpt = Tier.probable,
    db: DbOpt = DEFAULT_DB, config: ConfigOpt = None, fmt: FormatOpt = Format.table,
    lang: LangOpt = Lang.zh, limit: LimitOpt = None, quiet: QuietOpt = False,
    debug: DebugOpt = False,
) -> None:  # fmt: skip
    """List the persons of a year: masked ID, counties, class, and where each record is.

    Example: hcs persons --year 2017 --county 丰县 --format csv > 丰县.csv
    """
    from ..report.labels import title
    from ..review import PERSONS_COLUMNS, count_persons, persons, persons_batches
    from ..store import Store

    county = given_county(use_settings(config), county)
    shown = row_limit(limit, fmt)
    with Store(db, read_only=True) as store:
        if fmt in (Format.json, Format.csv):  # written as they come: a province has millions
            batches = persons_batches(store, year, link.value, county, shown)
            return stream_rows(PERSONS_COLUMNS, batches, fmt)
        frame = persons(store, year, link.value, county, shown)
        total = total_of(frame, shown, lambda: count_persons(store, year, link.value, county))
    heading = title("persons", lang.value, year=year, n=total)
    show_frame(frame, fmt, heading, TABLE_COLUMNS, lang.value, total=total)
