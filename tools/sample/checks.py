"""The rule catalogue of docs/checks.md, evaluated here on the truth's records
(independently of handcraft_stats), to prove that the issues the generator planted are
exactly the issues the rules find: every planted problem fires its rule, and no clean
row fires any."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from datetime import date
from decimal import Decimal
from functools import cache
from typing import Any

from stdnum import numdb

from sample import config as C
from sample.cells import Record

KEYED_FOR_RULES = ("valid", "upgraded15", "bad_check")
STATUS_CODES = {
    "upgraded15": "id_upgraded",
    "bad_check": "id_bad_check",
    "precision_lost": "id_precision_lost",
    "missing": "id_missing",
}
WORKING = ("handicraft", "domestic_service", "ecommerce", "agriculture", "other")
MOBILE = re.compile(r"1[3-9]\d{9}")
# issues read from raw cells the truth does not keep: taken as planted
CELL_CODES = ("bad_value", "unknown_value", "formula_no_value", "error_value")

Issue = tuple[str, str]


@cache
def area_known(code: str) -> bool:
    return any("county" in props for _, props in numdb.get("cn/loc").info(code))


def malformed_code(text: str) -> str:
    if len(text) not in (15, 18):
        return "id_length"
    last_ok = text[-1].isdigit() or (len(text) == 18 and text[-1] == "X")
    return "id_birth_date" if text[:-1].isdigit() and last_ok else "id_chars"


def _id_birth(ident: str) -> str | None:
    """The birth date in an ID's digits 7-14 (ISO), None when they write no date."""
    try:
        return date(int(ident[6:10]), int(ident[10:12]), int(ident[12:14])).isoformat()
    except ValueError:
        return None


def _money(text: str | None) -> Decimal | None:
    return None if text is None else Decimal(text)


def record_issues(f: dict[str, Any], period: int) -> list[Issue]:
    """The per-file rules on one record's normalised fields."""
    out: list[Issue] = []
    status, ident = f["id_status"], f["id_number"]
    if status == "malformed":
        out.append((malformed_code(ident), "id_number"))
    elif status in STATUS_CODES:
        out.append((STATUS_CODES[status], "id_number"))
    if f["name"] is None and status != "missing":
        out.append(("name_missing", "name"))
    if status in KEYED_FOR_RULES:
        if int(ident[16]) % 2:
            out.append(("id_male", "id_number"))
        if not area_known(ident[:6]):
            out.append(("id_area_unknown", "id_number"))
        written = _id_birth(ident)
        if f["birth_date"] and written and f["birth_date"] != written:
            out.append(("birth_mismatch", "birth_date"))  # a birth-date cell (a full date)
    labor = f["labor_capacity"]
    if f["birth_date"]:
        age = period - date.fromisoformat(f["birth_date"]).year
        if labor in ("able", "skilled") and not 16 <= age <= 65:
            out.append(("capacity_age_able", "labor_capacity"))
        if labor in ("none", "lost") and 16 <= age <= 60:
            out.append(("capacity_age_none", "labor_capacity"))
    if labor in ("none", "lost") and f["wing"] in WORKING:
        out.append(("unable_working", "wing"))
    before, after = _money(f["income_before"]), _money(f["income_after"])
    exited = f["status"] == "exited"
    if exited and after is not None and after < C.POVERTY_LINE:
        out.append(("exit_below_line", "income_after"))
    for column, amount in (("income_before", before), ("income_after", after)):
        if amount is not None and not 0 <= amount <= C.INCOME_MAX:
            out.append(("income_implausible", column))
    if exited and after is not None and before is not None and after < before:
        out.append(("income_decreased", "income_after"))
    if f["phone"] is not None and not MOBILE.fullmatch(f["phone"]):
        out.append(("phone_invalid", "phone"))
    if f["visit_date"] and date.fromisoformat(f["visit_date"]).year != period:
        out.append(("visit_outside_period", "visit_date"))
    if f["trainings"] is not None and f["trainings"] > C.TRAININGS_MAX:
        out.append(("trainings_implausible", "trainings"))
    year = f["exit_year"]
    if year is not None and year > period:
        out.append(("exit_after_period", "exit_year"))
    if (exited and year is None) or (f["status"] == "not_exited" and year is not None):
        out.append(("status_exit_conflict", "status"))
    return out


def period_issues(recs: list[tuple[str, dict[str, Any]]]) -> list[list[Issue]]:
    """phone_shared and broker_is_beneficiary over every active record of a period,
    given as (roster county, normalised fields)."""
    heads: dict[str, set[str]] = defaultdict(set)
    names = set()
    for county, f in recs:
        head = f["household_head"] or f["name"]
        if f["phone"] is not None and head is not None:
            heads[f["phone"]].add(head)
        if f["name"] is not None:
            names.add((f["name"], county, f["town"] or ""))
    out: list[list[Issue]] = []
    for county, f in recs:
        mine = []
        if f["phone"] is not None and len(heads[f["phone"]]) > C.PHONE_SHARED_MAX:
            mine.append(("phone_shared", "phone"))
        broker = "".join((f["broker"] or "").split())
        if broker and (broker, county, f["town"] or "") in names:
            mine.append(("broker_is_beneficiary", "broker"))
        out.append(mine)
    return out


def verify(recs: list[Record]) -> None:
    """Raise unless the planted issues of every active record of a period are exactly
    those the rules find (cell-level bad_value / unknown_value taken as planted)."""
    wrong = []
    extras = period_issues([(rec.county, rec.fields) for rec in recs])
    for rec, extra in zip(recs, extras, strict=True):
        found = Counter(record_issues(rec.fields, rec.period) + extra)
        planted = Counter(
            (i["code"], i["column"]) for i in rec.issues if i["code"] not in CELL_CODES
        )
        if found != planted:
            wrong.append((rec.person.pid, rec.county, rec.sheet, rec.row, found, planted))
    if wrong:
        lines = "\n".join(map(str, wrong[:20]))
        raise AssertionError(f"{len(wrong)} records with other issues than planted:\n{lines}")
