"""A summary document -> titled tables with human labels (shared by table, md, xlsx)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from ..classify import CLASSES, WINGS
from ..metrics import METRICS
from .labels import label, title


@dataclass(frozen=True)
class Table:
    title: str
    columns: list[str]
    rows: list[list[Any]]
    note: str = ""  # printed under the table (rows left out of a long listing)


def capped(table: Table, limit: int | None, lang: str = "zh", total: int | None = None) -> Table:
    """`table` with at most `limit` rows (None: all), noting how many more there are of
    `total` (default: its rows) and how to see them."""
    total = len(table.rows) if total is None else total
    if limit is not None and len(table.rows) > limit:
        table = replace(table, rows=table.rows[:limit])
    if total <= len(table.rows):
        return table
    return replace(table, note=title("left_out", lang, n=total - len(table.rows), total=total))


SOURCE_KEYS = ("files", "records", "persons", "persons_on_probable_links")


def _metric_row(name: str, m: dict[str, Any]) -> list[Any]:
    return [name, *(m[k] for k in METRICS)]


BY = ("county", "wing", "county-wing")


def summary_tables(doc: dict[str, Any], lang: str = "zh", by: str | None = None) -> list[Table]:
    """The summary as tables: source, by wing, by county, (exits since), classes, exit
    years, quality. `by` (county, wing, county-wing): the source and that breakdown only."""

    def s(code: str) -> str:
        return label("section", code, lang)

    metric_cols = [label("metric", k, lang) for k in METRICS]
    src = doc["source"]
    tier = label("tier", doc["link_tier"], lang)
    source = Table(s("source"), [s("group"), s("count")],
                   [[s("year"), str(doc["year"])], [s("link_tier"), tier],
                    *[[s(k), src[k]] for k in SOURCE_KEYS]])  # fmt: skip
    by_wing = Table(s("by_wing"), [s("group"), *metric_cols],
                    [*[_metric_row(label("wing", w, lang), doc["wings"][w]) for w in WINGS],
                     _metric_row(s("totals"), doc["totals"])])  # fmt: skip
    by_county = Table(s("by_county"), [s("county"), *metric_cols],
                      [*[_metric_row(c, m) for c, m in doc["counties"].items()],
                       _metric_row(s("city_total"), doc["totals"])])  # fmt: skip
    since = [since_table(doc, lang)] if "exits_since" in doc else []
    if by is not None:
        chosen = {"wing": by_wing, "county": by_county}.get(by) or county_wing_table(doc, lang)
        return [source, chosen, *since]
    tables = [
        source, by_wing, by_county, *since,
        Table(s("by_class"), [s("group"), s("persons")],
              [[label("class", c, lang), doc["classification"][c]] for c in CLASSES]),
        Table(s("exits_by_year"), [s("year"), label("metric", "exits", lang)],
              [[y, n] for y, n in doc["exits_by_year"].items()]),
    ]  # fmt: skip
    q = doc["quality"]
    rows: list[list[Any]] = [[s("cross_county_persons"), "", q["cross_county_persons"]]]
    rows += [[s("issues_by_code"), label("issue", k, lang) + f" ({k})", n]
             for k, n in q["issues_by_code"].items()]  # fmt: skip
    rows += [[s("links_by_reason"), label("link", k, lang) + f" ({k})", n]
             for k, n in q["links_by_reason"].items()]  # fmt: skip
    rows += [[s("rows_skipped_by_kind"), label("skip", k, lang) + f" ({k})", n]
             for k, n in q["rows_skipped_by_kind"].items()]  # fmt: skip
    tables.append(Table(s("quality"), [s("group"), "", s("count")], rows))
    return tables + detail_tables(doc, lang)


def detail_tables(doc: dict[str, Any], lang: str = "zh") -> list[Table]:
    """`--detail`: classes by county and issues by county (county columns, the city
    last), as the report's workbook has them; none when the document holds neither."""
    counties = list(doc["counties"])
    city = label("section", "city_total", lang)
    out = []
    if "classification_by_county" in doc:
        by = doc["classification_by_county"]
        rows = [[label("class", k, lang), *(by.get(c, {}).get(k, 0) for c in counties),
                 doc["classification"][k]] for k in CLASSES]  # fmt: skip
        out.append(Table(label("report", "classes_by_county", lang),
                         [label("column", "class", lang), *counties, city], rows))  # fmt: skip
    issues = doc["quality"].get("issues_by_county")
    if issues is not None:
        rows = []
        for k, n in doc["quality"]["issues_by_code"].items():
            in_county = [issues.get(c, {}).get(k, 0) for c in counties]
            rows.append([label("issue", k, lang) + f" ({k})", *in_county, n])
        head = [label("section", "issues_by_code", lang), *counties, city]
        out.append(Table(label("report", "issues_by_county", lang), head, rows))
    return out


def since_title(doc: dict[str, Any], lang: str = "zh") -> str:
    return label("report", "exits_since", lang).format(
        since=doc["exits_since"]["since"], year=doc["year"]
    )


def since_table(doc: dict[str, Any], lang: str = "zh") -> Table:
    """ "Y1–Y 年累计脱贫": exits of the years since..year by wing and in total."""
    ex = doc["exits_since"]
    rows = [[label("wing", w, lang), ex["by_wing"][w]] for w in WINGS]
    rows.append([label("section", "totals", lang), ex["exits"]])
    cols = [label("section", "group", lang), label("metric", "exits", lang)]
    return Table(since_title(doc, lang), cols, rows)


def county_wing_table(doc: dict[str, Any], lang: str = "zh") -> Table:
    """County x wing: per county its six wings and a subtotal; then the city (distinct)."""
    cols = [label("section", "county", lang), label("column", "wing", lang),
            *(label("metric", k, lang) for k in METRICS)]  # fmt: skip
    sub = label("report", "subtotal", lang)
    rows: list[list[Any]] = []
    for c, m in doc["counties"].items():
        rows += [[c, *_metric_row(label("wing", w, lang), m["wings"][w])] for w in WINGS]
        rows.append([c, *_metric_row(sub, m)])
    city = label("section", "city_total", lang)
    rows += [[city, *_metric_row(label("wing", w, lang), doc["wings"][w])] for w in WINGS]
    rows.append([city, *_metric_row(sub, doc["totals"])])
    return Table(label("report", "by_county_wing", lang), cols, rows)


def summary_csv_rows(
    doc: dict[str, Any], by: str | None = None
) -> tuple[list[str], list[list[Any]]]:
    """Tidy rows, metrics as columns: the total, wings, counties and county x wing cells;
    `by`: wing (total + wings), county (total + counties), county-wing (the cells only)."""
    header = ["year", "link_tier", "county", "wing", *METRICS]
    y, t = doc["year"], doc["link_tier"]
    total = [[y, t, "", "", *(doc["totals"][k] for k in METRICS)]]
    wings = [[y, t, "", w, *(doc["wings"][w][k] for k in METRICS)] for w in WINGS]
    counties: list[list[Any]] = []
    cells: list[list[Any]] = []
    nested: list[list[Any]] = []
    for c, m in doc["counties"].items():
        row = [y, t, c, "", *(m[k] for k in METRICS)]
        inner = [[y, t, c, w, *(m["wings"][w][k] for k in METRICS)] for w in WINGS]
        counties.append(row)
        cells += inner
        nested += [row, *inner]
    chosen = {"wing": total + wings, "county": total + counties, "county-wing": cells}
    return header, chosen.get(by or "", total + wings + nested)


CHANGES = ("entered", "left", "exited", "returned", "moved_county", "changed_wing", "changed_class")
CHECKS = ("exit_reverted", "exit_year_changed", "birth_date_changed", "name_changed",
          "missing_without_reason")  # fmt: skip


def change_tables(doc: dict[str, Any], lang: str = "zh") -> list[Table]:
    """`hcs changes` as tables: totals, by county, by wing, checks, the persons."""

    def s(code: str) -> str:
        return label("section", code, lang)

    cols = [label("change", c, lang) for c in CHANGES]
    sep = "、" if lang == "zh" else ", "
    people = [
        [p["name"], p["id_number"], p["county"],
         sep.join([*(label("change", c, lang) for c in p["changes"]),
                   *(label("check", c, lang) for c in p["checks"])])]
        for p in doc["persons"]
    ]  # fmt: skip
    return [
        Table(s("totals"), [s("group"), *cols],
              [[f"{doc['from']}→{doc['to']}", *(doc["totals"][c] for c in CHANGES)]]),
        Table(s("by_county"), [s("county"), *cols],
              [[c, *(v[k] for k in CHANGES)] for c, v in doc["by_county"].items()]),
        Table(s("by_wing"), [s("group"), *cols],
              [[label("wing", w, lang), *(doc["by_wing"][w][k] for k in CHANGES)] for w in WINGS]),
        Table(s("checks"), [s("group"), s("count")],
              [[f"{label('check', c, lang)} ({c})", doc["checks"][c]] for c in CHECKS]),
        Table(s("persons_changed"), [s("name"), s("id"), s("county"), s("changes")], people),
    ]  # fmt: skip
