"""hcs changes --from Y1 --to Y2: who entered, left, exited, returned, moved."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from .common import (
    DEFAULT_DB,
    ConfigOpt,
    DbOpt,
    DebugOpt,
    Format,
    FormatOpt,
    Lang,
    LangOpt,
    LimitOpt,
    QuietOpt,
    Tier,
    TierOpt,
    guarded,
    out_console,
    row_limit,
    use_settings,
    write_out,
)  # fmt: skip
from .render import print_tables

_COUNTY_SEP = "、"


@guarded
def changes_cmd(
    y1: Annotated[int, typer.Option("--from", help="Earlier period.")],
    y2: Annotated[int, typer.Option("--to", help="Later period.")],
    db: DbOpt = DEFAULT_DB, config: ConfigOpt = None, fmt: FormatOpt = Format.table,
    link: TierOpt = Tier.probable, lang: LangOpt = Lang.zh, limit: LimitOpt = None,
    quiet: QuietOpt = False, debug: DebugOpt = False,
) -> None:  # fmt: skip
    """Who entered, left, exited, returned to poverty, moved county, changed wing or class
    between two periods, summed by county and wing, with the cross-period checks.

    Example: hcs changes --from 2016 --to 2017 --format md > 变化.md
    """
    from ..changes import changes
    from ..report.labels import title
    from ..report.tables import capped, change_tables
    from ..report.text import json_pieces, to_csv, to_markdown
    from ..store import Store

    settings = use_settings(config)
    with Store(db, read_only=True) as store:
        result = changes(store, y1, y2, link.value)
    changed = result.rows.num_rows  # the persons listed: at most `limit` of them
    result = result.head(row_limit(limit, fmt))
    head = dict(result.summary)
    head["by_county"] = _in_order(head["by_county"], [d.name for d in settings.divisions])
    if fmt is Format.json:  # the persons batch by batch: a province lists millions
        for piece in json_pieces(head, "persons", result.batches()):
            write_out(piece)
        return
    if fmt is Format.csv:
        columns = result.rows.column_names
        for i, batch in enumerate(result.batches()):
            # lists as text: changes and checks are codes joined by spaces, counties
            # (counties_from, counties_to) names joined by 、 (they were Python list text)
            rows = [[(_COUNTY_SEP if c.startswith("counties") else " ").join(map(str, v))
                     if isinstance(v, list) else v for c, v in r.items()]
                    for r in batch]  # fmt: skip
            text = to_csv(columns, rows)
            write_out(text if i == 0 else text.split("\n", 1)[1])
        if not result.rows.num_rows:
            write_out(to_csv(columns, []))
        return
    doc = {**head, "persons": result.to_dict()["persons"]}
    tables = change_tables(doc, lang.value)
    tables[-1] = capped(tables[-1], None, lang.value, changed)  # the persons changed
    heading = title("changes", lang.value, y1=doc["from"], y2=doc["to"])
    if fmt is Format.md:
        write_out(to_markdown(tables, heading))
    else:
        print_tables(out_console(), tables, heading)


def _in_order(by_county: dict[str, Any], order: list[str]) -> dict[str, Any]:
    """Counties in the order of the settings' divisions, then by name (as in summary)."""
    rank = {name: i for i, name in enumerate(order)}
    return dict(sorted(by_county.items(), key=lambda kv: (rank.get(kv[0], len(rank)), kv[0])))
