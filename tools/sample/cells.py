"""Render a woman's values as the raw cells a county would type, and say what a
correct normaliser reads back (docs/metrics.md §3-4)."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sample import config as C
from sample.people import Person, YearValues, check_char, id_birth, to15

# the canonical columns (ROSTERS.md), in the order fields are listed in the truth
FIELDS = (
    "name",
    "id_number",
    "id_status",
    "birth_date",
    "town",
    "village",
    "household_head",
    "relation_to_head",
    "phone",
    "labor_capacity",
    "willing",
    "wing",
    "trainings",
    "new_practitioner",
    "income_before",
    "income_after",
    "exit_year",
    "status",
    "broker",
    "visit_date",
)
# the columns a roster may hold for them (completeness counts these cells)
CANONICAL = ("name", "id_number", "birth_date", "county", *FIELDS[4:], "note")
EXCEL_EPOCH = date(1899, 12, 30)
MALFORMED = {"malformed": "id_length", "chars": "id_chars", "bad_birth": "id_birth_date"}
FULL_WIDTH = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")


@dataclass
class Record:
    """One data row: its raw cells, the truth a normaliser must yield, its issues."""

    person: Person
    period: int
    county: str
    town: str
    village: str
    dup_kind: str | None
    cells: dict[str, Any] = field(default_factory=dict)
    fields: dict[str, Any] = field(default_factory=dict)
    issues: list[dict[str, str]] = field(default_factory=list)
    note: str | None = None
    file: str = ""
    sheet: str = ""
    row: int = 0
    load: int = 0

    @property
    def filled(self) -> int:
        # a formula stored without its result, or an error value, reads as blank; so does
        # a placeholder ("/", "—"; 无 where no vocabulary reads it as an answer)
        return sum(
            1 for k, v in self.cells.items()
            if k in CANONICAL and not is_blank(v) and not str(v).startswith(("=", "#"))
            and str(v).strip() not in (MARKS if k in ANSWERS else MARKS | {"无"})
        )  # fmt: skip

    def issue(self, code: str, column: str) -> None:
        self.issues.append({"code": code, "column": column})


MARKS = {"/", "—"}  # the placeholders the sample writes for "nothing recorded"
ANSWERS = {"labor_capacity", "willing", "wing", "status", "new_practitioner", "trainings"}


def is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def money_text(amount: int) -> str:
    return f"{amount}.00"


@dataclass
class Spec:
    """What to plant on one record beyond its person's values."""

    # valid upgraded15 bad_check precision_lost missing, or malformed: malformed
    # (17 digits: id_length), chars (id_chars), bad_birth (id_birth_date)
    id_mode: str = "valid"
    id_text: str | None = None  # an explicit (e.g. mistyped) ID
    name: str | None = None  # another spelling of the name (homophone)
    no_name: bool = False
    blank: tuple[str, ...] = ()  # fields left blank in this copy
    # planted disagreements and problems: household_head relation_to_head broker phone
    # labor_capacity wing trainings income_before income_after exit_year status visit
    override: dict[str, Any] = field(default_factory=dict)
    plants: list[tuple[str, str]] = field(default_factory=list)  # (issue code, column)
    mess: str | None = None  # bad_money bad_count bad_date unknown_labor ...
    birth_cell: bool = False  # force the birth-date cell to be filled
    plain: bool = False  # no spelling variation in name and ID


class Renderer:
    """Raw cell variants for one roster format (xlsx, xls, ods or csv)."""

    def __init__(self, rng: random.Random, fmt: str, formulas: int = 0) -> None:
        self.rng = rng
        self.fmt = fmt
        self.text_only = fmt == "csv"
        # blank income cells written as formulas without their results (xlsx only), and
        # as many after them as error values pasted without their formulas (#N/A)
        self.formulas = formulas if fmt == "xlsx" else 0
        self.errors = self.formulas

    def error_left(self) -> bool:
        """Is a blank income cell of this roster to be written as #N/A (after the
        formulas; no random draw)?"""
        if self.errors <= 0 or self.formulas > 0:
            return False
        self.errors -= 1
        return True

    def formula_left(self) -> bool:
        """Is a blank income cell of this roster to be written as a formula without its
        result (no random draw: the rest of the sample stays as it was)?"""
        if self.formulas <= 0:
            return False
        self.formulas -= 1
        return True

    def pick(self, *options: Any) -> Any:
        return self.rng.choice(options)

    # -- identity -------------------------------------------------------------
    def name(self, name: str, plain: bool) -> str:
        roll = self.rng.random()
        if plain or roll < 0.86:
            return name
        if roll < 0.91:
            return name[0] + self.pick(" ", "\u3000") + name[1:]
        if roll < 0.96 or not any(ch in C.TRADITIONAL for ch in name):
            return name + self.pick(" ", "  ")
        return "".join(C.TRADITIONAL.get(ch, ch) for ch in name)

    def id_valid(self, id18: str, plain: bool) -> str:
        roll = self.rng.random()
        if plain or roll < 0.8:
            return id18.lower() if id18.endswith("X") and roll < 0.5 else id18
        if roll < 0.84:
            return id18.translate(FULL_WIDTH)
        if roll < 0.9:
            return f"{id18[:6]} {id18[6:14]} {id18[14:]}"
        if roll < 0.95:
            return "'" + id18
        return id18 + self.pick(" ", "  ")

    # -- values ----------------------------------------------------------------
    def date(self, day: date, serial_ok: bool = True) -> Any:
        options = ["dot", "slash", "iso", "cn", "compact"]
        if not self.text_only:
            options += ["cell", "cell", "serial"] if serial_ok else ["cell", "cell"]
        kind = self.rng.choice(options)
        if kind == "cell":
            return day
        if kind == "serial":
            return (day - EXCEL_EPOCH).days
        if kind == "dot":
            return f"{day.year}.{day.month}.{day.day}"
        if kind == "slash":
            return f"{day.year}/{day.month}/{day.day}"
        if kind == "iso":
            return day.isoformat()
        if kind == "cn":
            return f"{day.year}年{day.month}月{day.day}日"
        return day.strftime("%Y%m%d") if self.text_only else int(day.strftime("%Y%m%d"))

    def money(self, amount: int | None) -> Any:
        if amount is None:
            return self.pick(None, None, "/", "无")
        options = ["int", "int", "dec", "yuan", "comma"]
        if amount % 100 == 0:
            options.append("wan")
        if not self.text_only:
            options.append("float")
        kind = self.rng.choice(options)
        if kind == "int":
            return str(amount) if self.text_only else amount
        if kind == "float":
            return float(amount)
        if kind == "dec":
            return money_text(amount)
        if kind == "yuan":
            return f"{amount}元"
        if kind == "comma":
            return f"{amount:,}"
        return f"{Decimal(amount) / Decimal(10000)}万"

    def count(self, n: int) -> tuple[Any, int | None]:
        if n == 0:
            return self.pick((None, None), ("0" if self.text_only else 0, 0))
        options = ["int", "int", "ci"] + ([] if self.text_only else ["float"])
        options += ["cn"] if n < len(C.CN_NUMERALS) else []
        kind = self.rng.choice(options)
        if kind == "int":
            return (str(n) if self.text_only else n), n
        if kind == "float":
            return float(n), n
        if kind == "ci":
            return f"{n}次", n
        return f"{C.CN_NUMERALS[n]}次", n

    def year(self, year: int) -> Any:
        kind = self.pick("int", "int", "nian", "month", "day", "cell")
        day = date(year, 12, self.rng.randint(1, 28))
        if kind == "int":
            return str(year) if self.text_only else year
        if kind == "nian":
            return f"{year}年"
        if kind == "month":
            return f"{year}.12"
        if kind == "day" or self.text_only:
            return day.isoformat()
        return datetime(day.year, day.month, day.day)

    def flag(self, value: bool) -> Any:
        if value:
            one = "1" if self.text_only else 1
            return self.pick("是", "是", "√", one)
        return self.pick("否", None)

    def phone(self, phone: str) -> str:
        roll = self.rng.random()
        if roll < 0.85:
            return phone
        if roll < 0.93:
            return f"{phone[:3]}-{phone[3:7]}-{phone[7:]}"
        return f"{phone[:3]} {phone[3:7]} {phone[7:]}"


def render(rec: Record, columns: list[str], rend: Renderer, spec: Spec) -> None:
    """Fill rec.cells for the roster's canonical columns and rec.fields (the truth)."""
    person, values = rec.person, rec.person.years[rec.period]
    rng = rend.rng
    cells, out = rec.cells, rec.fields
    out.update(dict.fromkeys(FIELDS))
    has = set(columns)
    required = {"labor_capacity", "willing", "wing", "new_practitioner", "exit_year", "status"}
    if not required <= has:
        raise ValueError(f"every roster carries {sorted(required)}")

    def keep(field_name: str) -> bool:
        return field_name in has and field_name not in spec.blank

    # name
    name = spec.name or person.name
    if spec.no_name:
        cells["name"] = None
        rec.issue("name_missing", "name")
    else:
        cells["name"] = rend.name(name, spec.plain)
        out["name"] = name
    _render_id(rec, rend, spec)
    # birth date: the column when filled, else the ID digits
    if "birth_date" in has and (spec.birth_cell or rng.random() < 0.9):
        cells["birth_date"] = rend.date(person.birth, serial_ok=False)
        out["birth_date"] = person.birth.isoformat()
        if out["id_status"] in ("valid", "upgraded15", "bad_check"):
            try:
                written = id_birth(out["id_number"])
            except ValueError:  # digits 7-14 write no date: nothing to compare
                written = person.birth
            if written != person.birth:  # a birth date changed by _plant_changes
                rec.issue("birth_mismatch", "birth_date")
    elif out["id_status"] in ("valid", "upgraded15", "bad_check"):
        out["birth_date"] = id_birth(out["id_number"]).isoformat()
    if "county" in has:
        cells["county"] = rec.county
    if "town" in has:
        cells["town"] = rec.town
    out["town"] = rec.town
    if "village" in has:
        cells["village"] = rec.village
        out["village"] = rec.village
    for key, value in (
        ("household_head", person.head),
        ("relation_to_head", person.relation),
        ("broker", person.broker),
    ):
        value = spec.override.get(key, value)
        if keep(key) and value is not None:
            cells[key] = value
            out[key] = value
    if keep("phone"):
        phone = spec.override.get("phone", person.phone)
        cells["phone"] = rend.phone(phone)
        out["phone"] = phone
    _render_vocab(rec, rend, spec)
    _render_numbers(rec, rend, spec, values, has, keep)
    if "note" in has and person.note and rng.random() < 0.8:
        cells["note"] = person.note
    for code, column in spec.plants:
        rec.issue(code, column)


def _render_id(rec: Record, rend: Renderer, spec: Spec) -> None:
    id18, mode, out, cells = rec.person.id18, spec.id_mode, rec.fields, rec.cells
    out["id_status"] = mode
    if mode == "valid":  # her ID, or another valid one (a man's, an unknown area code)
        ident = spec.id_text or id18
        cells["id_number"], out["id_number"] = rend.id_valid(ident, spec.plain), ident
    elif mode == "upgraded15":
        cells["id_number"], out["id_number"] = to15(id18), id18
        rec.issue("id_upgraded", "id_number")
    elif mode == "bad_check":
        bad = spec.id_text or id18[:17] + rend.rng.choice(
            [c for c in "0123456789X" if c != check_char(id18[:17])]
        )
        cells["id_number"], out["id_number"] = bad, bad
        rec.issue("id_bad_check", "id_number")
    elif mode == "precision_lost":
        cells["id_number"] = float(int(id18[:15]) * 1000)
        out["id_number"] = id18[:15]
        rec.issue("id_precision_lost", "id_number")
    elif mode in MALFORMED:
        text = spec.id_text or id18[:17]
        cells["id_number"], out["id_number"] = text, text
        out["id_status"] = "malformed"
        rec.issue(MALFORMED[mode], "id_number")
    else:
        cells["id_number"] = None
        rec.issue("id_missing", "id_number")


def _render_vocab(rec: Record, rend: Renderer, spec: Spec) -> None:
    person, out, cells = rec.person, rec.fields, rec.cells
    for key, code, table, fallback in (
        ("labor_capacity", person.labor, C.LABOR, "unknown"),
        ("willing", person.willing, C.WILLING, "unknown"),
        ("wing", person.wing, C.WING_SPELLING, "other"),
    ):
        code = spec.override.get(key, code)
        if spec.mess == f"unknown_{key}":
            cells[key], out[key] = C.UNKNOWN_TEXT, fallback
            rec.issue("unknown_value", key)
            continue
        spelling = rend.rng.choice(table[code]) if code in table else None
        cells[key] = spelling or None
        out[key] = code


def _render_numbers(
    rec: Record, rend: Renderer, spec: Spec, values: YearValues, has: set[str], keep: Any
) -> None:
    out, cells, rng = rec.fields, rec.cells, rend.rng
    trainings = spec.override.get("trainings", values.trainings)
    if keep("trainings"):
        if spec.mess == "bad_count":
            cells["trainings"] = "若干"
            rec.issue("bad_value", "trainings")
        else:
            cells["trainings"], out["trainings"] = rend.count(trainings)
    cells["new_practitioner"] = rend.flag(values.new_practitioner)
    out["new_practitioner"] = values.new_practitioner
    for key, amount in (
        ("income_before", spec.override.get("income_before", values.income_before)),
        ("income_after", spec.override.get("income_after", values.income_after)),
    ):
        if key == "income_before" and spec.mess == "bad_money":
            cells[key] = "约三千"
            rec.issue("bad_value", key)
        elif keep(key):
            cells[key] = rend.money(amount)
            out[key] = money_text(amount) if amount is not None else None
            if amount is None and rend.formula_left():
                # a county system's export: a formula without its result, read as blank
                cells[key] = "=ROUND(N2*1.5,0)" if key == "income_after" else "=SUM(0)"
                rec.issue("formula_no_value", key)
            elif amount is None and rend.error_left():
                # a VLOOKUP column pasted as values: its error stays, read as blank
                cells[key] = "#N/A"
                rec.issue("error_value", key)
    # a planted error of a roster the county corrects later
    status = spec.override.get("status", values.status)
    exit_year = spec.override.get("exit_year", values.exit_year)  # None: a blank cell
    if exit_year is not None:
        cells["exit_year"], out["exit_year"] = rend.year(exit_year), exit_year
    derived = "exited" if exit_year is not None else "not_exited"
    if status == derived and rng.random() < 0.25:
        cells["status"] = None
    else:
        cells["status"] = rng.choice(C.STATUS[status])
    out["status"] = status
    visit = spec.override.get("visit", values.visit)
    if keep("visit_date") and visit is not None:
        if spec.mess == "bad_date":
            cells["visit_date"] = f"{rec.period}年春"
            rec.issue("bad_value", "visit_date")
        else:
            cells["visit_date"] = rend.date(visit)
            out["visit_date"] = visit.isoformat()
