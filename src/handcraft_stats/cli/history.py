"""hcs history: what was ingested when, and what replaced what; `--compare`: two versions
of a county's roster for a period, record by record."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from ..errors import UsageError
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
    QuietOpt,
    YearFilterOpt,
    given_county,
    guarded,
    out_console,
    row_limit,
    use_settings,
    write_out,
)  # fmt: skip
from .listing import show_frame

if TYPE_CHECKING:
    from ..compare import Comparison
    from ..config import Settings

# The table: the file's name under 来源文件 (the frame's `name` is a file's, not a person's
# 姓名), and the content hash cut to its first HASH_CHARS hex digits to fit a terminal;
# json, csv and md keep the frame's column names and the full sha256.
TABLE_COLUMNS = ("file_id", "ingested_at", "county", "period", "version", "source_file",
                 "sha256", "records", "active", "replaced_by")  # fmt: skip
HASH_CHARS = 12

CompareOpt = Annotated[
    int | None,
    typer.Option(
        "--compare", metavar="ID",
        help="Compare two versions, record by record: `--compare OLD NEW` (file ids of the "
        "listing), or `--compare NEW` against the file(s) NEW replaced.",
    ),
]  # fmt: skip
NewArg = Annotated[
    int | None,
    typer.Argument(metavar="[NEW]", help="With --compare OLD: the newer file id.",
                   show_default=False),
]  # fmt: skip
UnmaskedOpt = Annotated[
    bool, typer.Option("--unmasked", help="With --compare: show full ID and phone numbers.")
]


@guarded
def history_cmd(
    new: NewArg = None, county: CountyFilterOpt = None, year: YearFilterOpt = None,
    compare: CompareOpt = None, unmasked: UnmaskedOpt = False, db: DbOpt = DEFAULT_DB,
    config: ConfigOpt = None, fmt: FormatOpt = Format.table, lang: LangOpt = Lang.zh,
    limit: LimitOpt = None, quiet: QuietOpt = False, debug: DebugOpt = False,
) -> None:  # fmt: skip
    """Every file ever ingested: when, content hash (sha256; the table shows its first
    12 hex digits), county, period, version, replaced by. With --compare, two versions
    of a county's roster for a period: women added, removed, fields changed (masked).

    Example: hcs history --county 丰县 --format csv

    Example: hcs history --compare 3 31 --format csv > 丰县2017版本比较.csv
    """
    from ..store import Store

    settings = use_settings(config)
    county = given_county(settings, county)
    if compare is None:
        if new is not None or unmasked:
            raise UsageError("NEW and --unmasked go with --compare: hcs history --compare OLD NEW")
    else:
        from ..compare import compare_versions

        old, newer = (compare, new) if new is not None else (None, compare)
        with Store(db, read_only=True) as store:
            result = compare_versions(store, newer, old, county=county, period=year,
                                      unmasked=unmasked)  # fmt: skip
        return _show_comparison(result, fmt, settings, lang.value, row_limit(limit, fmt))
    with Store(db, read_only=True) as store:
        frame = store.history(county, year)
        if year is not None and frame.empty and store.history(None, year).empty:
            store.require_periods(year, linked=False)  # no file of the year: exit 2
    frame["ingested_at"] = frame["ingested_at"].dt.strftime("%Y-%m-%d %H:%M:%S")
    from ..masking import scrub_source

    # a file named by a woman's ID (一人一卡), as in every listing; the file that replaced
    # one too (its replaced_by showed the ID whole until session 23: an audit)
    for c in ("name", "path", "replaced_by"):
        if c in frame.columns:
            frame[c] = frame[c].map(scrub_source)
    if fmt in (Format.table, Format.md):
        frame = frame.rename(columns={"name": "source_file"})
    if fmt is Format.table:
        frame["sha256"] = frame["sha256"].str.slice(0, HASH_CHARS)
    from ..report.labels import title

    heading = title("history", lang.value, n=len(frame))
    show_frame(frame, fmt, heading, TABLE_COLUMNS, lang.value, limit=row_limit(limit, fmt))


def _show_comparison(
    result: Comparison, fmt: Format, settings: Settings, lang: str, limit: int | None
) -> None:
    """json: the document; csv: its rows; table and md: the versions, totals, fields, rows.
    `limit`: at most that many rows (the totals still count them all)."""
    from ..report.comparison import comparison_tables, title
    from ..report.tables import capped
    from ..report.text import to_csv, to_json, to_markdown
    from .render import print_tables

    doc = result.to_dict()
    if fmt is Format.json:
        write_out(to_json({**doc, "rows": doc["rows"][:limit]}))
    elif fmt is Format.csv:
        rows = result.rows if limit is None else result.rows.head(limit)
        # money as records.csv writes it (3300.00, not 3300.0)
        money = rows["field"].isin(["income_before", "income_after"]).tolist()
        cells = [
            [f"{v:.2f}" if m and isinstance(v, float) else v for v in row]
            for m, row in zip(money, rows.values.tolist(), strict=True)
        ]
        write_out(to_csv(list(rows.columns), cells))
    else:
        # --limit caps the rows of changes; the versions, totals and fields are figures,
        # shown whole (docs/metrics.md: titles and figures count every row)
        *figures, changed = comparison_tables(doc, settings.headers, lang)
        tables = [*figures, capped(changed, limit, lang)]
        if fmt is Format.md:
            write_out(to_markdown(tables, title(doc, lang)))
        else:
            print_tables(out_console(), tables, title(doc, lang))
