"""The pandas implementation of `hcs changes` that session 10 replaced with one DuckDB
query (handcraft_stats/changes.py): kept as the test oracle (tests/test_changes.py holds
the two equal), not used by hcs. At 10M persons it ran out of time (over 600 s, 20 GB)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from handcraft_stats.changes import FIELDS
from handcraft_stats.classify import WINGS
from handcraft_stats.normalize.idnumber import mask_id
from handcraft_stats.report.tables import CHANGES, CHECKS
from handcraft_stats.store import Store
from handcraft_stats.tiers import require_tier


@dataclass(frozen=True)
class Changes:
    """The oracle's result: the whole document and the per-person rows."""

    document: dict[str, Any]
    persons: pd.DataFrame

    def to_dict(self) -> dict[str, Any]:
        return self.document


def _period(store: Store, year: int, tier: str) -> pd.DataFrame:
    p = store.df(
        f"SELECT {', '.join(f'p.{f}' for f in FIELDS)}, p.phone AS phone_key, "
        "CASE WHEN r.village IS NOT NULL "
        "THEN r.county || '|' || coalesce(r.town, '') || '|' || r.village END AS place_key "
        "FROM persons p LEFT JOIN records r ON r.record_id = p.survivor "
        "WHERE p.period = ? AND p.tier = ?",
        [year, tier],
    )
    counties = store.df(
        "SELECT person_key, list(DISTINCT county ORDER BY county) AS counties "
        "FROM person_records WHERE period = ? AND tier = ? GROUP BY person_key",
        [year, tier],
    )
    p = p.merge(counties, on="person_key", how="left")
    p["birth_date"] = pd.to_datetime(p["birth_date"]).dt.strftime("%Y-%m-%d")
    return p


def _match(a: pd.DataFrame, b: pd.DataFrame) -> pd.DataFrame:
    """Outer match: by person key, then by unique (name, first 15 ID characters), then by
    unique (name, birth date), then by unique (name, phone), then by unique (name, county
    + town + village of the survivor record); never two with valid IDs."""
    a = a.assign(id15=a["id_number"].astype("string").str.slice(0, 15))
    b = b.assign(id15=b["id_number"].astype("string").str.slice(0, 15))
    both = a.merge(b, on="person_key", suffixes=("_1", "_2"))
    # one key, two women: keys are 48 bits and two periods of 10M persons share ~36
    # keys by chance; a pair whose valid IDs (else names) disagree is no match by key
    # (a valid ID's id_number is its key: 18 characters, a 15-digit one upgraded)
    ids = both["has_id_1"].fillna(False) & both["has_id_2"].fillna(False)
    same = (both["id_number_1"] == both["id_number_2"]).where(ids, both["name_1"] == both["name_2"])
    both = both[same.fillna(False).astype(bool)]
    both = both.assign(person_key_1=both["person_key"], person_key_2=both["person_key"])
    parts = [both]
    left, right = (
        a[~a["person_key"].isin(both["person_key"])],
        b[~b["person_key"].isin(both["person_key"])],
    )
    for key in ("id15", "birth_date", "phone_key", "place_key"):
        cols = ["name", key]
        one = left[left[key].notna() & left["name"].notna()].drop_duplicates(cols, keep=False)
        two = right[right[key].notna() & right["name"].notna()].drop_duplicates(cols, keep=False)
        pair = one.add_suffix("_1").merge(
            two.add_suffix("_2"), left_on=["name_1", f"{key}_1"], right_on=["name_2", f"{key}_2"]
        )
        # two valid IDs: two women (by phone also births or IDs that differ)
        pair = pair[~(pair["has_id_1"].fillna(False) & pair["has_id_2"].fillna(False))]
        if key in ("phone_key", "place_key"):
            for c in ("birth_date", "id15"):
                a, b = pair[f"{c}_1"], pair[f"{c}_2"]
                pair = pair[(a.isna() | b.isna() | (a == b)).fillna(True).astype(bool)]
        parts.append(pair)
        left = left[~left["person_key"].isin(pair["person_key_1"])]
        right = right[~right["person_key"].isin(pair["person_key_2"])]
    parts += [left.add_suffix("_1"), right.add_suffix("_2")]
    out = pd.concat(parts, ignore_index=True)
    return out.drop(
        columns=["person_key", "name", "birth_date", "id15", "phone_key", "place_key"],
        errors="ignore",
    )


def _names(v: object) -> list[str]:
    """A DuckDB list cell (list, numpy array, or missing) as a list of county names."""
    if v is None or isinstance(v, float) or v is pd.NA:
        return []
    return [str(x) for x in v]  # type: ignore[attr-defined]


def _flags(m: pd.DataFrame, y2: int) -> pd.DataFrame:
    in1, in2 = m["person_key_1"].notna(), m["person_key_2"].notna()
    both = in1 & in2

    def differ(col: str) -> pd.Series:
        a, b = m[f"{col}_1"].astype("string"), m[f"{col}_2"].astype("string")
        return both & a.notna() & b.notna() & (a != b).fillna(False)

    c1, c2 = m["counties_1"].map(_names), m["counties_2"].map(_names)
    exited_1 = m["status_1"] == "exited"
    f = pd.DataFrame(index=m.index)
    f["entered"] = in2 & ~in1
    f["left"] = in1 & ~in2
    f["exited"] = in2 & (m["status_2"] == "exited") & (m["exit_year_2"] == y2)
    f["returned"] = in2 & (m["status_2"] == "returned")
    apart = pd.Series([not set(a) & set(b) for a, b in zip(c1, c2, strict=True)], index=m.index)
    f["moved_county"] = both & apart
    f["changed_wing"] = differ("wing")
    f["changed_class"] = differ("class")
    f["exit_reverted"] = both & exited_1 & (m["status_2"] == "not_exited")
    f["exit_year_changed"] = differ("exit_year")
    same_id = (
        both & m["has_id_1"].fillna(False).astype(bool) & m["has_id_2"].fillna(False).astype(bool)
    )
    f["birth_date_changed"] = same_id & differ("birth_date")
    f["name_changed"] = same_id & differ("name")
    f["missing_without_reason"] = f["left"] & ~exited_1
    return f.fillna(False).astype(bool)


def changes(store: Store, y1: int, y2: int, tier: str = "probable") -> Changes:
    """Per-person changes between periods y1 and y2, summed by county and wing."""
    require_tier(tier)
    store.require_periods(y1, y2)
    m = _match(_period(store, y1, tier), _period(store, y2, tier))
    f = _flags(m, y2)
    later = m["person_key_2"].notna()
    m["counties"] = m["counties_2"].where(later, m["counties_1"])
    m["wing"] = m["wing_2"].where(later, m["wing_1"])
    m["name"] = m["name_2"].where(later, m["name_1"])
    zero = dict.fromkeys(CHANGES, 0)
    totals = {c: int(f[c].sum()) for c in CHANGES}
    by_county: dict[str, dict[str, int]] = {}
    for counties in [*m["counties_1"], *m["counties_2"]]:
        for c in _names(counties):
            by_county.setdefault(c, dict(zero))
    for i, counties in m["counties"].items():
        for c in _names(counties):
            for k in CHANGES:
                by_county[c][k] += 1 if f.at[i, k] else 0
    by_wing = {w: {k: int(f.loc[m["wing"] == w, k].sum()) for k in CHANGES} for w in WINGS}
    rows = _person_rows(m, f)
    doc = {
        "from": y1, "to": y2, "link_tier": tier, "totals": totals,
        "by_county": dict(sorted(by_county.items())), "by_wing": by_wing,
        "checks": {c: int(f[c].sum()) for c in CHECKS},
        "persons": rows.to_dict("records"),
    }  # fmt: skip
    return Changes(doc, rows)


def _person_rows(m: pd.DataFrame, f: pd.DataFrame) -> pd.DataFrame:
    names = [
        [c for c in cols if f.at[i, c]] for i, cols in zip(m.index, [CHANGES] * len(m), strict=True)
    ]
    checks = [[c for c in CHECKS if f.at[i, c]] for i in m.index]
    keep = [bool(a or b) for a, b in zip(names, checks, strict=True)]

    def text(v: object) -> str | None:
        return None if v is None or (isinstance(v, float) and v != v) or v is pd.NA else str(v)

    ids = m["id_number_2"].where(m["person_key_2"].notna(), m["id_number_1"])
    rows = pd.DataFrame({
        "county": ["、".join(_names(c)) for c in m["counties"]],
        "name": m["name"],
        "id_number": [mask_id(text(v)) for v in ids],
        "counties_from": [_names(c) for c in m["counties_1"]],
        "counties_to": [_names(c) for c in m["counties_2"]],
        "wing_from": m["wing_1"].map(text), "wing_to": m["wing_2"].map(text),
        "class_from": m["class_1"].map(text), "class_to": m["class_2"].map(text),
        "status_from": m["status_1"].map(text), "status_to": m["status_2"].map(text),
        "exit_year_from": m["exit_year_1"].map(text), "exit_year_to": m["exit_year_2"].map(text),
        "changes": names, "checks": checks,
    })[keep]  # fmt: skip
    order = rows.assign(_c=rows["changes"].map(tuple), _k=rows["checks"].map(tuple))
    return order.sort_values(["name", "_c", "_k"]).drop(columns=["_c", "_k"]).reset_index(drop=True)
