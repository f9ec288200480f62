"""The rule catalogue: checks over normalised records -> issues (docs/checks.md).

Record rules see one roster's records and its period; period rules (phone_shared,
broker_is_beneficiary) see every active record of a period and are recomputed when
the period is relinked. Rules return issues; they never print or raise.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import pandas as pd
from stdnum import numdb

from .errors import UsageError

SEVERITIES = ("error", "warning", "info")
PERIOD_RULES = ("phone_shared", "broker_is_beneficiary")
MOBILE = r"^1[3-9]\d{9}$"
WINGS_AT_WORK = ("handicraft", "domestic_service", "ecommerce", "agriculture", "other")


@cache
def _defaults() -> dict[str, Any]:
    text = resources.files("handcraft_stats").joinpath("defaults", "checks.toml").read_text("utf-8")
    return tomllib.loads(text)


@dataclass(frozen=True)
class Catalogue:
    """The rules in force: severities, messages, thresholds, poverty lines."""

    rules: Mapping[str, Mapping[str, str]]
    params: Mapping[str, Any]
    lines: Mapping[str, Mapping[int, float]]
    off: frozenset[str]
    required: tuple[str, ...]

    @classmethod
    def load(cls, user: Mapping[str, Any] | None = None) -> Catalogue:
        """Packaged defaults overlaid by the [checks] table of hcs.toml."""
        d, u = _defaults(), dict(user or {})
        rules = {k: dict(v) for k, v in d["rules"].items()}
        for code, sev in u.get("severity", {}).items():
            if code not in rules or sev not in SEVERITIES:
                raise UsageError(f"[checks.severity] {code} = {sev!r}: unknown rule or severity")
            rules[code]["severity"] = sev
        off = frozenset(u.get("off", []))
        if unknown := off - set(rules):
            raise UsageError(f"[checks] off: unknown rules {sorted(unknown)}")
        lines: dict[str, dict[int, float]] = {}
        for name, table in d["poverty_lines"].items():
            lines[name] = {int(y): float(v) for y, v in table.items()}
        for name, table in u.get("poverty_lines", {}).items():
            lines.setdefault(name, {}).update({int(y): float(v) for y, v in table.items()})
        params = {**d["params"], **u.get("params", {})}
        return cls(rules, params, lines, off, tuple(u.get("required", ())))

    def severity(self, code: str) -> str:
        return self.rules.get(code, {}).get("severity", "warning")

    def message(self, code: str, value: object = "", lang: str = "zh", limit: object = "") -> str:
        rule = self.rules.get(code)
        if rule is None:
            return str(value)
        return rule["zh" if lang == "zh" else "en"].format(value=value, limit=limit)

    def line(self, year: int) -> float | None:
        table = self.lines.get(str(self.params.get("line", "provincial")), {})
        return table.get(year) or self.lines.get("national", {}).get(year)


@dataclass(frozen=True, slots=True)
class Found:
    """Issues of one rule: the row positions, the column, the values, the threshold."""

    code: str
    rows: list[int]
    column: str
    values: list[str]
    limit: object = ""


def _text(v: object) -> str:
    if v is None or v is pd.NA or (isinstance(v, float) and v != v):
        return ""
    return str(v)


def _found(code: str, mask: pd.Series, column: str, values: pd.Series, limit: object = "") -> Found:
    hit = mask.fillna(False).astype(bool).to_numpy()
    return Found(code, [int(i) for i in hit.nonzero()[0]], column,
                 [_text(v) for v in values.to_numpy()[hit]], limit)  # fmt: skip


@cache
def _area_known(code: str) -> bool:
    return any("county" in props for _, props in numdb.get("cn/loc").info(code))


def _age(rec: pd.DataFrame, period: int) -> pd.Series:
    """Age in whole years on 31 December of the period."""
    born = pd.to_datetime(rec["birth_date"], errors="coerce")
    return (period - born.dt.year).astype("Int64")


def id_rules(rec: pd.DataFrame) -> list[Found]:
    ids = rec["id_number"].astype("string")
    keyed = rec["id_status"].isin(["valid", "upgraded15", "bad_check"])
    male = keyed & (ids.str.slice(16, 17).isin(list("13579")))
    areas = ids.str.slice(0, 6)
    unknown = keyed & ~areas.map(lambda a: _area_known(a) if isinstance(a, str) else True)
    return [
        _found("id_male", male, "id_number", ids),
        _found("id_area_unknown", unknown, "id_number", ids),
    ]


def record_rules(rec: pd.DataFrame, period: int, cat: Catalogue) -> list[Found]:
    """Rules over one roster's normalised records (positions are rows of `rec`)."""
    p = cat.params
    out = id_rules(rec)
    age = _age(rec, period)
    cap = rec["labor_capacity"]
    able = cap.isin(["able", "skilled"])
    out.append(
        _found(
            "capacity_age_able",
            able & ((age < p["adult_age"]) | (age > p["retire_age"])),
            "labor_capacity",
            age,
        )
    )
    out.append(
        _found(
            "capacity_age_none",
            cap.isin(["none", "lost"]) & (age >= p["adult_age"]) & (age <= p["working_age_max"]),
            "labor_capacity",
            age,
        )
    )
    out.append(
        _found(
            "unable_working",
            cap.isin(["none", "lost"]) & rec["wing"].isin(WINGS_AT_WORK),
            "wing",
            rec["wing"],
        )
    )
    after = pd.to_numeric(rec["income_after"], errors="coerce")
    before = pd.to_numeric(rec["income_before"], errors="coerce")
    exited = rec["status"] == "exited"
    line = cat.line(period)
    if line is not None:
        out.append(
            _found(
                "exit_below_line",
                exited & (after < line),
                "income_after",
                after.map(lambda v: f"{v:,.2f}"),
                f"{line:,.0f}",
            )
        )
    for col, values in (("income_before", before), ("income_after", after)):
        out.append(
            _found(
                "income_implausible",
                (values < 0) | (values > p["income_max"]),
                col,
                values,
                f"{p['income_max']:,}",
            )
        )
    out.append(
        _found(
            "income_decreased",
            exited & (after < before),
            "income_after",
            after.map(lambda v: f"{v:,.2f}"),
        )
    )
    phone = rec["phone"].astype("string")
    out.append(
        _found(
            "phone_invalid", phone.notna() & ~phone.str.match(MOBILE).fillna(False), "phone", phone
        )
    )
    visit = pd.to_datetime(rec["visit_date"], errors="coerce")
    out.append(
        _found(
            "visit_outside_period",
            visit.notna() & (visit.dt.year != period),
            "visit_date",
            visit.dt.strftime("%Y-%m-%d"),
        )
    )
    trainings = pd.to_numeric(rec["trainings"], errors="coerce")
    out.append(
        _found(
            "trainings_implausible",
            trainings > p["trainings_max"],
            "trainings",
            trainings,
            p["trainings_max"],
        )
    )
    year = pd.to_numeric(rec["exit_year"], errors="coerce")
    out.append(_found("exit_after_period", year > period, "exit_year", year))
    status = rec["status"].astype("string")
    contra = ((status == "exited") & year.isna()) | (status.isin(["not_exited"]) & year.notna())
    out.append(
        _found(
            "status_exit_conflict",
            contra,
            "status",
            status.fillna("") + "/" + year.astype("string").fillna(""),
        )
    )
    for field in cat.required:
        if field in rec.columns:
            out.append(_found("required_missing", rec[field].isna(), field, rec[field]))
    return [f for f in out if f.rows and f.code not in cat.off]


def period_rules(rec: pd.DataFrame, cat: Catalogue) -> list[Found]:
    """Rules over every active record of one period (positions are rows of `rec`)."""
    out = []
    limit = int(cat.params["phone_shared_max"])
    phone = rec["phone"].astype("string")
    head = rec["household_head"].astype("string").fillna(rec["name"].astype("string"))
    households = pd.DataFrame({"phone": phone, "head": head}).dropna(subset=["phone"])
    spread = households.groupby("phone")["head"].nunique()
    crowded = phone.map(spread).fillna(0) > limit
    out.append(_found("phone_shared", crowded, "phone", phone.map(spread).astype("Int64"), limit))
    names = set(rec["name"].dropna().astype(str) + "|" + rec["county"].astype(str))
    broker = rec["broker"].astype("string").str.replace(r"\s+", "", regex=True)
    listed = (broker + "|" + rec["county"].astype("string")).isin(names)
    out.append(_found("broker_is_beneficiary", broker.notna() & listed, "broker", broker))
    return [f for f in out if f.rows and f.code not in cat.off]


def to_rows(found: list[Found], cat: Catalogue) -> pd.DataFrame:
    """Issues as rows: index (position), code, severity, column, value, message."""
    rows = [
        (i, f.code, cat.severity(f.code), f.column, v, cat.message(f.code, v, "zh", f.limit))
        for f in found for i, v in zip(f.rows, f.values, strict=True)
    ]  # fmt: skip
    return pd.DataFrame(rows, columns=["index", "code", "severity", "column", "value", "message"])


Rule = Callable[[pd.DataFrame, int, Catalogue], list[Found]]
