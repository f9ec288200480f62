"""Raw record cells -> typed canonical columns + issues, mapping each column's
distinct values once (rosters repeat values heavily)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from .dates import parse_date, parse_year, read_birth
from .distinct import NONE, Distinct
from .idnumber import ISSUE_CODE, IdStatus, malformed_code, normalize_ids, written_out
from .names import normalize_name, pinyin_key
from .numbers import parse_count, parse_money
from .phone import normalize_phone
from .text import (
    NOTHING,
    PLACEHOLDER_MARKS,
    Parsed,
    clean_text,
    is_blank,
    placeholder,
    squash,
    text_or_none,
)
from .vocab import Vocabulary

TEXT_FIELDS = ("county", "town", "village", "household_head", "relation_to_head", "broker", "note")
VOCAB_FIELDS = ("labor_capacity", "willing", "wing", "status")
MONEY_FIELDS = ("income_before", "income_after")
ID_BIRTH = {IdStatus.VALID, IdStatus.UPGRADED15, IdStatus.BAD_CHECK}
KEYED = {IdStatus.VALID, IdStatus.UPGRADED15}
BIRTH_MISMATCH = "birth_mismatch"


@dataclass(frozen=True, slots=True)
class RawIssue:
    """An issue found on one row of the raw frame (index = position in the frame)."""

    index: int
    code: str
    column: str
    value: str


def _none(values: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    out: np.ndarray[Any, Any] = np.equal(values, NONE)
    return out


# a cell saying "as the one above" (同上, 〃, a lone ditto quote): hand-kept rosters write
# it under a village, a broker or a status rather than the text again
DITTO = frozenset({"同上", "同前", "同上。", "\u3003", '"', "\u201d", "\u201c", "\u2033", "''"})
_DITTO_LETTERS = frozenset("同〃\"”“″'＂＇")


def a_ditto(cell: object) -> bool:
    """Is a cell a ditto mark, white space or full width aside (同上 , 同 上, ＂)?"""
    return (
        type(cell) is str and len(cell) <= 8 and not _DITTO_LETTERS.isdisjoint(cell)
        and squash(cell) in DITTO
    )  # fmt: skip


def ditto_filled(
    cells: np.ndarray[Any, Any], sheets: np.ndarray[Any, Any] | None
) -> np.ndarray[Any, Any]:
    """A column with each ditto mark replaced by the value of the record above it on its
    sheet (`sheets`: each record's; a mark on a sheet's first record, with nothing above:
    blank). Until session 18 同上 was stored as a village, a broker, a status (an unknown
    value)."""
    out = cells.copy()
    above: object = None
    for i, cell in enumerate(cells):
        if sheets is not None and i and sheets[i] != sheets[i - 1]:
            above = None
        if a_ditto(cell):
            out[i] = above
        else:
            above = cell
    return out


_EPOCH = date(1970, 1, 1).toordinal()
_NAT = np.iinfo(np.int64).min  # NaT as datetime64's integer


def _days(dates: Iterable[date | None]) -> np.ndarray[Any, Any]:
    """Dates (None: NaT) as datetime64[D], through their ordinals: numpy takes 1.5 µs
    a date object (30 ms for a roster's 20,000 distinct birth dates), this 2 ms."""
    ordinals = [_NAT if d is None else d.toordinal() - _EPOCH for d in dates]
    out: np.ndarray[Any, Any] = np.array(ordinals, dtype=np.int64).view("datetime64[D]")
    return out


def _months(months: list[tuple[int, int]]) -> np.ndarray[Any, Any]:
    """(year, month) pairs as datetime64[M]."""
    count = [(y - 1970) * 12 + m - 1 for y, m in months]
    out: np.ndarray[Any, Any] = np.array(count, dtype=np.int64).view("datetime64[M]")
    return out


def birth_mismatches(
    cells: Distinct,
    read: list[Parsed[date]],
    months: list[tuple[tuple[int, int], ...]],
    ids: Distinct,
    id_births: list[date | None],
) -> list[RawIssue]:
    """`birth_mismatch` on the rows whose birth-date cell states another date than their
    ID's digits: the whole date, or, where the cell holds a year and month alone
    (出生年月 1975.03), that month. `cells`: the column; `read`, `months`: each distinct
    cell's date and its year and month alone (`read_birth`); `id_births`: each distinct
    ID's birth date (of `ids`). Worked out per distinct value and compared over the rows
    with numpy; the value names both dates, never the ID."""
    alone = {u: m for u, m in enumerate(months) if m}
    day = _days(r.value for r in read)
    if not alone and np.isnat(day).all():
        return []
    # the month a cell states, and another it may state (1985.1 in a number cell: January
    # or October)
    first = day.astype("datetime64[M]")
    second = np.full(len(day), _NAT, dtype=np.int64).view("datetime64[M]")
    if alone:
        at = np.fromiter(alone, dtype=np.intp, count=len(alone))
        first[at] = _months([m[0] for m in alone.values()])
        second[at] = _months([m[-1] for m in alone.values()])
    born = _days(id_births)[ids.codes]
    cell_day, cell_month = day[cells.codes], first[cells.codes]
    month = born.astype("datetime64[M]")
    whole = ~np.isnat(cell_day)
    differ = np.where(
        whole, cell_day != born, (cell_month != month) & (second[cells.codes] != month)
    )
    differ &= ~np.isnat(cell_month) & ~np.isnat(born)
    out: list[RawIssue] = []
    shown: dict[tuple[int, int], str] = {}
    for i in np.flatnonzero(differ).tolist():
        c, k = int(cells.codes[i]), int(ids.codes[i])
        if (c, k) not in shown:
            v = read[c].value
            cell = f"出生日期 {v.isoformat()}" if v is not None else (
                f"出生年月 {clean_text(cells.uniq[c])}")  # fmt: skip
            shown[c, k] = f"{cell}, 身份证 {id_births[k]}"
        out.append(RawIssue(i, BIRTH_MISMATCH, "birth_date", shown[c, k]))
    return out


def normalize_frame(
    raw: pd.DataFrame, vocab: Vocabulary, fill_down: frozenset[str] = frozenset()
) -> tuple[pd.DataFrame, list[RawIssue]]:
    """`raw` holds object columns named by canonical field (absent ones allowed).
    `fill_down`: the fields whose ditto marks (同上, 〃) take the value above."""
    n = len(raw)
    out: dict[str, Any] = {}
    issues: list[RawIssue] = []
    cols: dict[str, Distinct] = {}
    blanks: dict[str, np.ndarray[Any, Any]] = {}

    def col(name: str) -> Distinct:
        if name not in cols:
            cells = raw[name].to_numpy(dtype=object) if name in raw.columns else [""] * n
            cols[name] = _unmarked(name, Distinct(cells))
        return cols[name]

    def blank(name: str) -> np.ndarray[Any, Any]:
        if name not in blanks:
            d = col(name)
            flags = [not u.strip() if type(u) is str else is_blank(u) for u in d.uniq]
            blanks[name] = np.array(flags, dtype=bool)[d.codes]
        return blanks[name]

    def parsed(name: str, fn: Callable[[object], Parsed[Any]]) -> np.ndarray[Any, Any]:
        d = col(name)
        return d.spread([r.value for r in problems(name, [fn(u) for u in d.uniq])])

    def problems(name: str, results: list[Parsed[Any]]) -> list[Parsed[Any]]:
        """The readings of a column's distinct values, their problems raised as issues."""
        d = col(name)
        for i in d.rows_where([r.problem is not None for r in results]).tolist():
            u = d.codes[i]
            issues.append(RawIssue(i, results[u].problem, name, clean_text(d.uniq[u])))
        return results

    for name in sorted(fill_down & set(raw.columns)):  # looked for among distinct values
        if any(map(a_ditto, col(name).uniq)):
            sheets = raw["source_sheet"].to_numpy(dtype=object) if (
                "source_sheet" in raw.columns) else None  # fmt: skip
            cells = ditto_filled(raw[name].to_numpy(dtype=object), sheets)
            cols[name] = _unmarked(name, Distinct(cells))
    names = col("name")
    normal = [normalize_name(u) for u in names.uniq]
    out["name"] = names.spread(normal)
    out["name_raw"] = names.map(text_or_none)
    out["name_key"] = names.spread([pinyin_key(u) if u else None for u in normal])
    ids = col("id_number")
    found = written_out(ids.uniq, normalize_ids(ids.uniq))
    id_status = ids.spread(found.status)
    out["id_number"] = ids.spread(found.value)
    out["id_status"] = ids.spread([str(s) for s in found.status])
    out["id_key"] = ids.spread(
        [v if s in KEYED else None for v, s in zip(found.value, found.status, strict=True)]
    )
    codes = [
        malformed_code(v or "") if s is IdStatus.MALFORMED else ISSUE_CODE[s]
        for v, s in zip(found.value, found.status, strict=True)
    ]
    for i in ids.rows_where([c is not None for c in codes]).tolist():
        u = ids.codes[i]
        issues.append(RawIssue(i, codes[u], "id_number", found.value[u] or clean_text(ids.uniq[u])))
    no_name = _none(out["name"]) & (id_status != IdStatus.MISSING)
    issues += [RawIssue(i, "name_missing", "name", "") for i in np.flatnonzero(no_name).tolist()]
    readings = [read_birth(u) for u in col("birth_date").uniq]
    stated = problems("birth_date", [r for r, _ in readings])
    births = col("birth_date").spread([r.value for r in stated])
    id_births = [
        b if s in ID_BIRTH else None for b, s in zip(found.birth_date, found.status, strict=True)
    ]
    from_id = ids.spread(id_births)
    # the column's date where it states one, also where the ID's disagrees (a
    # birth_mismatch warning: docs/metrics.md §3); a year and month alone, or none,
    # takes the ID's
    out["birth_date"] = np.where(_none(births), from_id, births)
    if "birth_date" in raw.columns:
        months = [m for _, m in readings]
        issues += birth_mismatches(col("birth_date"), stated, months, ids, id_births)
    for name in TEXT_FIELDS:
        out[name] = col(name).map(text_or_none)
    out["phone"] = col("phone").map(normalize_phone)
    for name in VOCAB_FIELDS:
        out[name] = parsed(name, lambda v, f=name: vocab.lookup(f, v))  # type: ignore[misc]
    out["new_practitioner"] = parsed("new_practitioner", vocab.parse_flag)
    out["trainings"] = parsed("trainings", parse_count)
    for name in MONEY_FIELDS:
        out[name] = parsed(name, parse_money)
    out["exit_year"] = parsed("exit_year", parse_year)
    out["visit_date"] = parsed("visit_date", parse_date)
    for name in (*VOCAB_FIELDS, "new_practitioner"):  # blank is missing, not a default
        out[name] = np.where(blank(name), None, out[name])
    exited = _none(out["status"]) & ~_none(out["exit_year"])
    out["status"] = np.where(exited, "exited", out["status"])
    filled = np.zeros(n, dtype=np.int64)
    for c in raw.columns:
        if c in _CANONICAL_SET:
            filled += ~blank(c)
    out["filled"] = filled
    frame = pd.DataFrame({k: _column(k, v) for k, v in out.items()}, index=raw.index)
    frame["trainings"] = frame["trainings"].astype("Int64")
    frame["exit_year"] = frame["exit_year"].astype("Int64")
    frame["new_practitioner"] = frame["new_practitioner"].astype("boolean")
    return frame, issues


# the fields whose vocabulary reads 无 as an answer (none, no, not exited, false, 0)
_ANSWERS = frozenset({*VOCAB_FIELDS, "new_practitioner", "trainings"})


def _unmarked(name: str, cells: Distinct) -> Distinct:
    """The column with each placeholder (/, —, NULL; 无, 暂无, 空 where no vocabulary reads
    it) made blank: a template's "nothing recorded" is no value, no text to report as
    unknown, and no filled cell making a record the most complete. Until session 23 a
    record of "/" cells outranked one of real values, and each "/" was an unknown_value
    or bad_value issue (METRICS.md §4 lists "/", "无" and "—" as missing)."""
    nothing = PLACEHOLDER_MARKS if name in _ANSWERS else NOTHING
    uniq = cells.uniq
    # a placeholder is a short text: 无, NULL, or one of no letters and digits. Only those
    # are looked at (a roster's 22,000 names, IDs or incomes are passed over in 1-2 ms)
    short = [k for k, u in enumerate(uniq)
             if type(u) is str and len(u) <= 12 and (not u.isalnum() or u in nothing)]  # fmt: skip
    for k in short:
        if placeholder(uniq[k], nothing):
            uniq[k] = None
    return cells


_TEXT_COLUMNS = frozenset(
    {"name", "name_raw", "name_key", "id_number", "id_status", "id_key", "phone",
     *TEXT_FIELDS, *VOCAB_FIELDS}
)  # fmt: skip


def _column(name: str, values: Any) -> Any:
    """A column for the frame: pandas' inferred type, as a list of the values gives it.
    Text columns go through Arrow, which builds pandas' str column 3-4x faster than
    pandas infers one from a list (a tenth of normalising a roster); a column that is
    not all text (or all missing) falls back to the list."""
    if not isinstance(values, np.ndarray) or values.dtype != object:
        return values
    if name in _TEXT_COLUMNS:
        try:
            arrow = pa.array(values, from_pandas=True)
        except (pa.ArrowException, ValueError, TypeError):
            arrow = None
        if arrow is not None and pa.types.is_string(arrow.type):
            return pd.array(arrow, dtype="str")
    return list(values)


_CANONICAL_SET = {
    "name", "id_number", "birth_date", "county", "town", "village", "household_head",
    "relation_to_head", "phone", "labor_capacity", "willing", "wing", "trainings",
    "new_practitioner", "income_before", "income_after", "exit_year", "status", "broker",
    "visit_date", "note",
}  # fmt: skip
