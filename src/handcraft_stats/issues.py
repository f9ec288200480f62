"""Issues as lists a county can fix from: filter, mask, translate (docs/checks.md)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pandas as pd

from .checks import Catalogue
from .export_rows import AS_WRITTEN, COUNTED, NAMES, SOURCES, scrub, scrub_source
from .normalize.idnumber import mask_id
from .normalize.phone import mask_phone
from .normalize.text import mask_name
from .report.labels import label
from .store import Store
from .tiers import require_tier

ISSUE_COLUMNS = ["code", "severity", "county", "source_file", "source_sheet", "source_row",
                 "column", "value", "message"]  # fmt: skip
SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}


def mask_issues(frame: pd.DataFrame, renames: dict[str, str] | None = None) -> pd.DataFrame:
    """Mask the personal values of an issue list (ID and phone columns, digit runs); file
    and sheet names as `renames` (export_rows.named_sources) sends them out."""
    out = frame.copy()
    values: list[Any] = []
    rows = zip(out["code"], out["column"], out["value"], strict=True)
    for code, column, value in rows:
        text = None if value is None or value is pd.NA or value != value else str(value)
        if code in AS_WRITTEN:  # a formula or an error code, not hers
            values.append(scrub(text))
        elif column == "id_number":
            values.append(mask_id(text))
        elif column == "phone" and code not in COUNTED:
            values.append(mask_phone(text))
        elif column in NAMES:
            values.append(mask_name(text))
        else:
            values.append(scrub(text))
    quoted = [  # a name the message quotes, masked as the value is
        m.replace(v, n)
        if isinstance(m, str) and c in NAMES and k not in AS_WRITTEN and isinstance(v, str) and v
        else m
        for m, c, k, v, n in zip(
            out["message"], out["column"], out["code"], out["value"], values, strict=True
        )
    ]
    out["value"] = values
    out["message"] = pd.Series(quoted, index=out.index, dtype=object).map(scrub)
    for c in SOURCES:  # a file or sheet named by a woman's ID (一人一卡: a sheet per woman)
        if c in out.columns:
            out[c] = out[c].map(lambda v: scrub_source((renames or {}).get(v, v)))
    return out


def localise(
    frame: pd.DataFrame, cat: Catalogue, lang: str, period: int | None = None
) -> pd.DataFrame:
    """Messages in `lang` (stored messages are Chinese)."""
    if lang == "zh":
        return frame
    out = frame.copy()
    fields = pd.Series([label("column", c, lang) if isinstance(c, str) else c
                        for c in out["column"]], index=out.index)  # fmt: skip
    values = fields.where(out["code"] == "conflict", out["value"])
    out["message"] = [
        cat.message(c, v, lang, cat.limit(c, period or 0))
        for c, v in zip(out["code"], values, strict=True)
    ]
    return out


def _issues_sql(limit: int | None) -> str:
    cols = ", ".join(f'i."{c}"' for c in ISSUE_COLUMNS)
    return f"""SELECT {cols} FROM issues i JOIN files f USING (file_id)
        WHERE f.active AND f.period = $year AND (i.tier IS NULL OR i.tier = $tier)
          AND ($county IS NULL OR i.county = $county) AND ($code IS NULL OR i.code = $code)
          AND ($severity IS NULL OR i.severity = $severity)
        ORDER BY i.county, i.source_file, i.source_sheet, i.source_row, i.code
        {"" if limit is None else f"LIMIT {limit:d}"}"""


def _params(
    store: Store, year: int, tier: str, county: str | None, code: str | None,
    severity: str | None,
) -> dict[str, Any]:  # fmt: skip
    require_tier(tier)
    store.require_periods(year)
    return {"year": year, "tier": tier, "county": county, "code": code, "severity": severity}


def list_issues(
    store: Store, year: int, tier: str = "probable", county: str | None = None,
    code: str | None = None, severity: str | None = None, limit: int | None = None,
) -> pd.DataFrame:  # fmt: skip
    """The issues of a year's active files (conflicts of `tier`), a county's list sorted by
    file, sheet and row (the first `limit`)."""
    params = _params(store, year, tier, county, code, severity)
    return _plain(store.df(_issues_sql(limit), params))


def issue_batches(
    store: Store, year: int, tier: str = "probable", county: str | None = None,
    code: str | None = None, severity: str | None = None, limit: int | None = None,
    size: int = 50_000,
) -> Iterator[pd.DataFrame]:  # fmt: skip
    """`list_issues`, `size` rows at a time: a province's millions of issues are written
    without being held (DuckDB bounded to a share of the memory meanwhile)."""
    params = _params(store, year, tier, county, code, severity)
    for batch in store.batches(_issues_sql(limit), params, size):
        yield _plain(batch.to_pandas(integer_object_nulls=True))  # 812980, not 812980.0


def count_issues(
    store: Store, year: int, tier: str = "probable", county: str | None = None,
    code: str | None = None, severity: str | None = None,
) -> int:  # fmt: skip
    """How many issues `list_issues` lists."""
    params = _params(store, year, tier, county, code, severity)
    row = store.con.execute(f"SELECT count(*) FROM ({_issues_sql(None)})", params).fetchone()
    return int(row[0]) if row else 0


def _plain(frame: pd.DataFrame) -> pd.DataFrame:
    """Plain Python values, missing ones as None (as the maskers and renderers expect)."""
    return frame.astype(object).where(frame.notna(), None)
