"""The rule catalogue: checks over normalised records -> issues (docs/checks.md).

Record rules see one roster's records and its period; period rules (phone_shared,
broker_is_beneficiary) see every active record of a period and are recomputed when
the period is relinked. Rules return issues; they never print or raise.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import pandas as pd
from stdnum import numdb

from .config import check_checks
from .errors import UsageError
from .normalize.text import UNKNOWN_VALUE
from .normalize.vocab import sees_note
from .report.labels import label

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
        check_checks(u)
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
        key = "zh" if lang == "zh" else "en"
        if code == UNKNOWN_VALUE and sees_note(value) and f"{key}_see_note" in rule:
            key += "_see_note"  # not "extend the vocabulary": no vocabulary may read it
        elif code == "formula_no_value" and " → #" in str(value) and f"{key}_error" in rule:
            key += "_error"  # a result, but an error (#N/A): mend the formula, not the file
        return rule[key].format(value=value, limit=limit)

    def limit(self, code: str, period: int) -> str:
        """The threshold a rule's message names ({limit})."""
        p = self.params
        if code == "exit_below_line":
            line = self.line(period)
            return f"{line:,.0f}" if line is not None else ""
        key = {"income_implausible": "income_max", "trainings_implausible": "trainings_max",
               "phone_shared": "phone_shared_max"}.get(code)  # fmt: skip
        return f"{p[key]:,}" if key else ""

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


def _text(v: object) -> str:
    if v is None or v is pd.NA or (isinstance(v, float) and v != v):
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


Values = pd.Series | Callable[[pd.Series], pd.Series]


def _found(code: str, mask: pd.Series, column: str, values: Values) -> Found:
    """The rows a rule hit and their values; `values` may be a function of the rows' mask,
    so that formatting (money, labels) runs for the few hits, not every record."""
    hit = mask.fillna(False).astype(bool).to_numpy()
    rows = [int(i) for i in hit.nonzero()[0]]
    if not rows:
        return Found(code, rows, column, [])
    shown = values(pd.Series(hit, index=mask.index)) if callable(values) else values[hit]
    return Found(code, rows, column, [_text(v) for v in shown.to_numpy()])


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
    known = {a: _area_known(a) for a in areas.dropna().unique()}  # a few hundred areas
    unknown = keyed & ~areas.map(known).fillna(True).astype(bool)
    return [
        _found("id_male", male, "id_number", ids),
        _found("id_area_unknown", unknown, "id_number", ids),
    ]


def record_rules(rec: pd.DataFrame, period: int, cat: Catalogue) -> list[Found]:
    """Rules over one roster's normalised records (positions are rows of `rec`)."""
    p = cat.params
    age = _age(rec, period)
    cap = rec["labor_capacity"]
    unable = cap.isin(["none", "lost"])
    after = pd.to_numeric(rec["income_after"], errors="coerce")
    before = pd.to_numeric(rec["income_before"], errors="coerce")

    def money(hit: pd.Series) -> pd.Series:
        return after[hit].map(lambda v: f"{v:,.2f}")

    def status_and_year(hit: pd.Series) -> pd.Series:  # 未脱贫/2016, as the roster writes it
        shown = rec["status"][hit].map(lambda v: label("status", v) if isinstance(v, str) else "")
        return shown.astype("string") + "/" + year[hit].astype("string").fillna("")

    def wing_label(hit: pd.Series) -> pd.Series:
        return rec["wing"][hit].map(lambda w: label("wing", w) if isinstance(w, str) else w)

    exited = rec["status"] == "exited"
    line = cat.line(period)
    below = exited & (after < line) if line is not None else pd.Series(False, index=rec.index)
    phone = rec["phone"].astype("string")
    visit = pd.to_datetime(rec["visit_date"], errors="coerce")
    trainings = pd.to_numeric(rec["trainings"], errors="coerce")
    year = pd.to_numeric(rec["exit_year"], errors="coerce")
    status = rec["status"].astype("string")
    contra = ((status == "exited") & year.isna()) | ((status == "not_exited") & year.notna())
    young_or_old = (age < p["adult_age"]) | (age > p["retire_age"])
    working_age = (age >= p["adult_age"]) & (age <= p["working_age_max"])
    rules: list[tuple[str, pd.Series, str, Values]] = [
        ("capacity_age_able", cap.isin(["able", "skilled"]) & young_or_old, "labor_capacity", age),
        ("capacity_age_none", unable & working_age, "labor_capacity", age),
        ("unable_working", unable & rec["wing"].isin(WINGS_AT_WORK), "wing", wing_label),
        ("exit_below_line", below, "income_after", money),
        ("income_implausible", (before < 0) | (before > p["income_max"]), "income_before", before),
        ("income_implausible", (after < 0) | (after > p["income_max"]), "income_after", after),
        ("income_decreased", exited & (after < before), "income_after", money),
        ("phone_invalid", phone.notna() & ~phone.str.match(MOBILE).fillna(False), "phone", phone),
        ("visit_outside_period", visit.notna() & (visit.dt.year != period), "visit_date",
         visit.dt.strftime("%Y-%m-%d")),
        ("trainings_implausible", trainings > p["trainings_max"], "trainings", trainings),
        ("exit_after_period", year > period, "exit_year", year),
        ("status_exit_conflict", contra, "status", status_and_year),
    ]  # fmt: skip
    rules += [("required_missing", rec[f].isna(), f, rec[f]) for f in cat.required if f in rec]
    out = id_rules(rec) + [_found(code, mask, col, values) for code, mask, col, values in rules]
    return [f for f in out if f.rows and f.code not in cat.off]


_SPACES = re.compile(r"\s+")


def period_rules(rec: pd.DataFrame, cat: Catalogue) -> list[Found]:
    """Rules over every active record of one period (positions are rows of `rec`)."""
    out = []
    limit = int(cat.params["phone_shared_max"])
    phone = rec["phone"].astype("string")
    # a phone of one row has one household head at most: with a limit of one or more,
    # only phones on several rows are counted
    shared = phone.notna() & (phone.duplicated(keep=False) if limit >= 1 else True)
    head = rec["household_head"].astype("string").fillna(rec["name"].astype("string"))
    households = pd.DataFrame({"phone": phone[shared], "head": head[shared]})
    heads = pd.Series(pd.NA, index=rec.index, dtype="Int64")
    heads[households.index] = households.groupby("phone")["head"].transform("nunique")
    out.append(_found("phone_shared", heads.fillna(0) > limit, "phone", heads))
    # a broker named like a beneficiary of the same county, in the same town when both
    # rows name one (white space dropped per distinct broker text: few brokers)
    codes, texts = pd.factorize(rec["broker"].astype("string"))
    squeezed = pd.array([_SPACES.sub("", t) for t in texts], dtype="string")
    broker = pd.Series(squeezed.take(codes, allow_fill=True), index=rec.index)
    women = pd.DataFrame({"b": rec["name"], "county": rec["county"], "wtown": rec["town"]})
    women = women[women["b"].isin(squeezed)]  # only the women some broker is named like
    rows = pd.DataFrame({"b": broker, "county": rec["county"], "town": rec["town"]})
    rows = rows[rows["b"].notna()].reset_index()
    hits = rows.merge(women.dropna(subset=["b"]).drop_duplicates(), on=["b", "county"])
    same_place = hits["town"].isna() | hits["wtown"].isna() | (hits["town"] == hits["wtown"])
    listed = pd.Series(rec.index.isin(hits.loc[same_place.to_numpy(), "index"]), index=rec.index)
    out.append(_found("broker_is_beneficiary", broker.notna() & listed, "broker", broker))
    return [f for f in out if f.rows and f.code not in cat.off]


def to_rows(found: list[Found], cat: Catalogue, period: int) -> pd.DataFrame:
    """Issues as rows: index (position), code, severity, column, value, message."""
    rows = [
        (i, f.code, cat.severity(f.code), f.column, v,
         cat.message(f.code, v, "zh", cat.limit(f.code, period)))
        for f in found for i, v in zip(f.rows, f.values, strict=True)
    ]  # fmt: skip
    return pd.DataFrame(rows, columns=["index", "code", "severity", "column", "value", "message"])


Rule = Callable[[pd.DataFrame, int, Catalogue], list[Found]]
