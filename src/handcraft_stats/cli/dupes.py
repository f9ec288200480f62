"""hcs dupes --year Y: the links between records, with evidence, for review."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

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
    say,
    use_settings,
)  # fmt: skip
from .listing import check_out, show_frame, stream_rows, total_of

if TYPE_CHECKING:
    import pandas as pd

TABLE_COLUMNS = ("record_a", "record_b", "link_tier", "status", "county_a", "name_a",
                 "county_b", "name_b", "evidence", "decision")  # fmt: skip
ReasonOpt = Annotated[
    str | None, typer.Option("--reason", help="Only this reason (same_id, id_typo, name_birth, …).")
]
LinkTierOpt = Annotated[
    Tier | None, typer.Option("--tier", help="Only links of this tier (the link's own tier).")
]
RejectedOpt = Annotated[
    bool, typer.Option("--rejected", help="Also the links that were rejected (status column).")
]
UndecidedOpt = Annotated[
    bool,
    typer.Option("--undecided", help="Only the pairs no analyst has decided on yet (a decided "
                 "pair shows its decision in the decision column)."),
]  # fmt: skip
OutOpt = Annotated[
    Path | None,
    typer.Option("--out", dir_okay=False,
                 help="Also write every row, to fill in and give back to `hcs review "
                 "--file`: .xlsx, or .csv with a BOM (Excel on Chinese Windows reads it)."),
]  # fmt: skip


@guarded
def dupes_cmd(
    year: PeriodOpt, county: CountyFilterOpt = None, reason: ReasonOpt = None,
    tier: LinkTierOpt = None, link: TierOpt = Tier.probable, rejected: RejectedOpt = False,
    db: DbOpt = DEFAULT_DB, config: ConfigOpt = None, fmt: FormatOpt = Format.table,
    lang: LangOpt = Lang.zh, limit: LimitOpt = None, out: OutOpt = None,
    undecided: UndecidedOpt = False, quiet: QuietOpt = False, debug: DebugOpt = False,
) -> None:  # fmt: skip
    """List the links between records (same person) with reason, tier and evidence.

    ID and phone numbers are masked. Write them with --out (.xlsx or .csv), fill in the
    `decision` column (same/different, 同一人/不同人) and give the file back with
    `hcs review --file`. A pair decided before shows its decision; --undecided lists
    only the others.

    Example: hcs dupes --year 2017 --tier probable --out 2017疑似重复.xlsx
    """
    from ..report.frames import frame_records
    from ..report.labels import title
    from ..review import DUPES_COLUMNS, count_dupes, dupes, dupes_batches
    from ..store import Store

    county = given_county(use_settings(config), county)
    check_out(out)
    shown = row_limit(limit, fmt)
    chosen = (county, reason, tier.value if tier else None, rejected)
    with Store(db, read_only=True) as store:
        if out is not None:
            _write_out(dupes(store, year, link.value, *chosen, lang.value, None, undecided),
                       out, lang.value, year, quiet)  # fmt: skip
        if fmt in (Format.json, Format.csv):  # written as they come: a province has many
            parts = dupes_batches(store, year, link.value, *chosen, lang.value, shown,
                                  undecided=undecided)  # fmt: skip
            return stream_rows(DUPES_COLUMNS, (frame_records(p) for p in parts), fmt)
        frame = dupes(store, year, link.value, *chosen, lang.value, shown, undecided)
        total = total_of(
            frame, shown, lambda: count_dupes(store, year, link.value, *chosen, undecided)
        )
    heading = title("dupes", lang.value, year=year, n=total)
    show_frame(frame, fmt, heading, TABLE_COLUMNS, lang.value, total=total)


def _write_out(frame: pd.DataFrame, out: Path, lang: str, year: int, quiet: bool) -> None:
    """Every row of the listing into `out` (.xlsx, or .csv with a BOM), atomically."""
    from ..report.fixlist import write_listing
    from ..report.labels import title
    from .listing import write_file

    sheet = title("dupes_sheet", lang, year=year)
    write_file(frame, out, lambda tmp: write_listing(frame, tmp, lang, sheet))
    if not quiet:
        say(f"wrote {len(frame)} links to {out}")
