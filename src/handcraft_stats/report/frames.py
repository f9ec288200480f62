"""Review listings (pandas frames) -> plain rows for json/csv and labelled tables."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import pandas as pd

from .labels import label
from .tables import Table

# Columns whose values are codes with a label section of their own (human formats only).
VALUE_SECTIONS = {
    "reason": "link",
    "class": "class",
    "wing": "wing",
    "link_tier": "tier",
    "status": "status",
    "labor_capacity": "labor_capacity",
    "willing": "willing",
    "severity": "severity",
    "column": "column",  # an issue's field: 劳动能力, not labor_capacity
}


def frame_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """The frame as JSON-ready dicts: plain Python values, missing values as None."""
    rows: list[dict[str, Any]] = json.loads(
        frame.to_json(orient="records", force_ascii=False, date_format="iso")
    )
    return rows


def column_label(code: str, lang: str = "zh", section: str = "column") -> str:
    """A column's label (from `section` of labels.toml); `name_a` / `name_b` get the label
    of `name` and the side."""
    base, side = code, ""
    if code[-2:] in ("_a", "_b") and code != "record_a" and code != "record_b":
        base, side = code[:-2], code[-1].upper()
    text = label(section, base, lang)
    return f"{text}{side}" if lang == "zh" else f"{text} {side}".rstrip()


def frame_table(
    frame: pd.DataFrame,
    title: str,
    columns: Sequence[str] | None = None,
    lang: str = "zh",
    section: str = "column",
) -> Table:
    """A labelled table of (some of) the frame's columns; coded values get their labels.
    Column labels come from `section` of labels.toml (`issue_column` for issue lists)."""
    cols = list(columns or frame.columns)
    rows = [[human(c, r[c], lang) for c in cols] for r in frame_records(frame[cols])]
    return Table(title, [column_label(c, lang, section) for c in cols], rows)


def human(column: str, value: Any, lang: str) -> Any:
    """A cell of `column` as people read it: a coded value by its label, yes/no as 是/否."""
    section = VALUE_SECTIONS.get(column)
    if section and isinstance(value, str):
        return label(section, value, lang)
    if isinstance(value, bool):
        return label("bool", str(value).lower(), lang)
    return value
