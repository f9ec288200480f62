"""A comparison of two roster versions (compare.py) -> titled tables for table and md.

Labels come from labels.toml's `[comparison]` and `[title]` sections (`--lang`). In
Chinese, fields are named by the roster header hcs knows them by first (headers.toml,
e.g. 脱贫状态, 当年收入(元)); in English by their column label, else their code. Coded
values get their report labels."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .labels import label
from .tables import Table

VALUE_SECTIONS = {"wing": "wing", "status": "status", "labor_capacity": "labor_capacity",
                  "willing": "willing"}  # fmt: skip


def title(doc: Mapping[str, Any], lang: str = "zh") -> str:
    old, new = (", ".join(str(f["file_id"]) for f in doc[s]["files"]) for s in ("old", "new"))
    return label("title", "comparison", lang).format(
        county=doc["county"], period=doc["period"], old=old, new=new
    )


def comparison_tables(
    doc: Mapping[str, Any], headers: Mapping[str, Sequence[str]], lang: str = "zh"
) -> list[Table]:
    """The versions, the totals, the fields changed (those that did) and the rows."""

    def c(code: str) -> str:
        return label("comparison", code, lang)

    def field(code: str | None) -> str:
        names = headers.get(code or "")
        if lang == "zh" and names:
            return names[0]
        return label("column", code, lang) if code else ""

    def matched(by: str | None) -> str | None:
        return c(f"by_{by}") if by else None

    versions = Table(
        c("versions"), ["", c("file_id"), c("source_file"), c("version"), c("records"),
                        c("active")],
        [[c(key), f["file_id"], f["name"], f["version"], f["records"],
          label("bool", str(f["active"]).lower(), lang)]
         for key in ("old", "new") for f in doc[key]["files"]],
    )  # fmt: skip
    totals = Table(c("totals"), ["", c("count")],
                   [[c(f"total_{k}"), n] for k, n in doc["totals"].items()])  # fmt: skip
    fields = Table(c("fields"), [c("field"), c("records")],
                   [[field(f), n] for f, n in doc["fields_changed"].items() if n])  # fmt: skip
    rows = Table(
        c("rows").format(n=len(doc["rows"])),
        [c(k) for k in ("change", "name", "id_number", "birth_date", "field", "old_value",
                        "new_value", "matched_by", "source")],
        [[c(r["change"]), r["name"], r["id_number"], r["birth_date"],
          field(r["field"]) if r["field"] else None, _human(r["field"], r["old_value"], lang),
          _human(r["field"], r["new_value"], lang), matched(r["matched_by"]),
          r["new_source"] or r["old_source"]] for r in doc["rows"]],
    )  # fmt: skip
    return [versions, totals, fields, rows]


def _human(field: str | None, value: Any, lang: str) -> Any:
    section = VALUE_SECTIONS.get(field or "")
    if section and isinstance(value, str):
        return label(section, value, lang)
    if isinstance(value, bool):
        return label("bool", str(value).lower(), lang)
    if field == "exit_year" and value is not None:
        return str(value)  # a year, not a quantity: no thousands separator
    return value
