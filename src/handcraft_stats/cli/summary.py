"""hcs summary --year Y."""

from __future__ import annotations

from typing import Annotated

import typer

from ..config import load_settings
from ..metrics import summarize
from ..report.labels import label
from ..report.tables import summary_csv_rows, summary_tables
from ..report.text import to_csv, to_json, to_markdown
from ..store import Store
from .common import (
    DEFAULT_DB,
    ConfigOpt,
    DbOpt,
    DebugOpt,
    Format,
    FormatOpt,
    Lang,
    LangOpt,
    QuietOpt,
    Tier,
    TierOpt,
    guarded,
    out_console,
    write_out,
)  # fmt: skip
from .render import print_tables


@guarded
def summary_cmd(
    year: Annotated[int, typer.Option("--year", "-y", help="Reporting year (period).")],
    db: DbOpt = DEFAULT_DB, config: ConfigOpt = None, fmt: FormatOpt = Format.table,
    link: TierOpt = Tier.probable, lang: LangOpt = Lang.zh, quiet: QuietOpt = False,
    debug: DebugOpt = False,
) -> None:  # fmt: skip
    """The year's figures by wing, county, class, exit year, and data quality.

    Example: hcs summary --year 2017 --format json
    """
    settings = load_settings(config)
    with Store(db, read_only=True) as store:
        result = summarize(store, year, link.value, [d.name for d in settings.divisions])
    doc = result.to_dict()
    if fmt is Format.json:
        write_out(to_json(doc))
    elif fmt is Format.csv:
        write_out(to_csv(*summary_csv_rows(doc)))
    else:
        title = label("section", "title", lang.value).format(city=settings.city, year=year)
        tables = summary_tables(doc, lang.value)
        if fmt is Format.md:
            write_out(to_markdown(tables, title))
        else:
            print_tables(out_console(), tables, title)
