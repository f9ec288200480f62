"""A comparison of two roster versions (compare.py) -> titled tables for table and md.

Chinese only, as `hcs history`: fields are named by the roster header hcs knows them by
first (headers.toml, e.g. 脱贫状态, 当年收入(元)); coded values get their report labels."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .labels import label
from .tables import Table

CHANGE_LABELS = {"added": "新增", "removed": "删除", "changed": "修改"}
MATCHED_LABELS = {"id": "身份证号", "name_birth": "姓名+出生日期"}
TOTAL_LABELS = {
    "added": "新增记录", "removed": "删除记录", "changed": "有修改的记录",
    "unchanged": "无修改的记录", "matched_by_id": "按身份证号对应",
    "matched_by_name_birth": "按姓名+出生日期对应",
}  # fmt: skip
VALUE_SECTIONS = {"wing": "wing", "status": "status"}


def title(doc: Mapping[str, Any]) -> str:
    old, new = (", ".join(str(f["file_id"]) for f in doc[s]["files"]) for s in ("old", "new"))
    return f"{doc['county']}{doc['period']}年名册版本比较：文件 {old} → {new}"


def comparison_tables(doc: Mapping[str, Any], headers: Mapping[str, Sequence[str]]) -> list[Table]:
    """The versions, the totals, the fields changed (those that did) and the rows."""

    def field(code: str | None) -> str:
        names = headers.get(code or "")
        return names[0] if names else code or ""

    versions = Table(
        "版本", ["", "文件号", "来源文件", "版本", "记录数", "有效"],
        [[side, f["file_id"], f["name"], f["version"], f["records"],
          label("bool", str(f["active"]).lower())]
         for key, side in (("old", "原版本"), ("new", "新版本")) for f in doc[key]["files"]],
    )  # fmt: skip
    totals = Table("合计", ["", "数量"], [[TOTAL_LABELS[k], n] for k, n in doc["totals"].items()])
    fields = Table("修改的字段", ["字段", "记录数"],
                   [[field(f), n] for f, n in doc["fields_changed"].items() if n])  # fmt: skip
    rows = Table(
        f"明细（{len(doc['rows'])}）",
        ["变化", "姓名", "身份证号码", "出生日期", "字段", "原值", "新值", "对应依据", "来源"],
        [[CHANGE_LABELS[r["change"]], r["name"], r["id_number"], r["birth_date"],
          field(r["field"]) if r["field"] else None, _human(r["field"], r["old_value"]),
          _human(r["field"], r["new_value"]), MATCHED_LABELS.get(r["matched_by"] or ""),
          r["new_source"] or r["old_source"]] for r in doc["rows"]],
    )  # fmt: skip
    return [versions, totals, fields, rows]


def _human(field: str | None, value: Any) -> Any:
    section = VALUE_SECTIONS.get(field or "")
    if section and isinstance(value, str):
        return label(section, value)
    if isinstance(value, bool):
        return label("bool", str(value).lower())
    if field == "exit_year" and value is not None:
        return str(value)  # a year, not a quantity: no thousands separator
    return value
