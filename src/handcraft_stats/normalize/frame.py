"""Raw record cells -> typed canonical columns + issues, mapping each column's
distinct values once (rosters repeat values heavily)."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .dates import parse_date, parse_year
from .idnumber import ISSUE_CODE, IdStatus, malformed_code, normalize_id
from .names import normalize_name, pinyin_key
from .numbers import parse_count, parse_money
from .phone import normalize_phone
from .text import Parsed, clean_text, is_blank
from .vocab import Vocabulary

TEXT_FIELDS = ("county", "town", "village", "household_head", "relation_to_head", "broker", "note")
VOCAB_FIELDS = ("labor_capacity", "willing", "wing", "status")
MONEY_FIELDS = ("income_before", "income_after")
ID_BIRTH = {IdStatus.VALID, IdStatus.UPGRADED15, IdStatus.BAD_CHECK}
KEYED = {IdStatus.VALID, IdStatus.UPGRADED15}


@dataclass(frozen=True, slots=True)
class RawIssue:
    """An issue found on one row of the raw frame (index = position in the frame)."""

    index: int
    code: str
    column: str
    value: str


def _map(values: Sequence[object], fn: Callable[[object], Any]) -> list[Any]:
    """fn over the distinct values only, mapped back. 1, 1.0 and True hash alike: when a
    column mixes bools with numbers, fall back to a type-aware cache."""
    kinds = set(map(type, values))
    if bool in kinds and len(kinds) > 1:
        cache: dict[Hashable, Any] = {}
        out = []
        for v in values:
            k = (type(v).__name__, v)
            if k not in cache:
                cache[k] = fn(v)
            out.append(cache[k])
        return out
    array = np.empty(len(values), dtype=object)
    array[:] = list(values)
    codes, uniques = pd.factorize(array, use_na_sentinel=True)
    results = [fn(u) for u in uniques]
    missing = fn(None) if (codes < 0).any() else None
    return [results[c] if c >= 0 else missing for c in codes.tolist()]


def _text(raw: object) -> str | None:
    return None if is_blank(raw) else clean_text(raw)


def normalize_frame(raw: pd.DataFrame, vocab: Vocabulary) -> tuple[pd.DataFrame, list[RawIssue]]:
    """`raw` holds object columns named by canonical field (absent ones allowed)."""
    n = len(raw)
    out: dict[str, list[Any]] = {}
    issues: list[RawIssue] = []
    blank: list[object] = [""] * n

    def col(name: str) -> list[object]:
        return list(raw[name]) if name in raw.columns else blank

    def parsed(name: str, fn: Callable[[object], Parsed[Any]]) -> list[Any]:
        values = col(name)
        results = _map(values, fn)
        for i, r in enumerate(results):
            if r.problem is not None:
                issues.append(RawIssue(i, r.problem, name, clean_text(values[i])))
        return [r.value for r in results]

    names = col("name")
    out["name"] = _map(names, normalize_name)
    out["name_raw"] = _map(names, _text)
    out["name_key"] = _map(out["name"], lambda s: pinyin_key(str(s)) if s else None)
    ids = col("id_number")
    id_results = _map(ids, normalize_id)
    out["id_number"] = [r.value for r in id_results]
    out["id_status"] = [str(r.status) for r in id_results]
    out["id_key"] = [r.value if r.status in KEYED else None for r in id_results]
    for i, r in enumerate(id_results):
        code = ISSUE_CODE[r.status]
        if r.status is IdStatus.MALFORMED:
            code = malformed_code(r.value or "")
        if code is not None:
            issues.append(RawIssue(i, code, "id_number", r.value or clean_text(ids[i])))
        if out["name"][i] is None and r.status is not IdStatus.MISSING:
            issues.append(RawIssue(i, "name_missing", "name", ""))
    births = parsed("birth_date", parse_date)
    out["birth_date"] = [
        b if b is not None else (r.birth_date if r.status in ID_BIRTH else None)
        for b, r in zip(births, id_results, strict=True)
    ]
    for name in TEXT_FIELDS:
        out[name] = _map(col(name), _text)
    out["phone"] = _map(col("phone"), normalize_phone)
    for name in VOCAB_FIELDS:
        out[name] = parsed(name, lambda v, f=name: vocab.lookup(f, v))  # type: ignore[misc]
    out["new_practitioner"] = parsed("new_practitioner", vocab.parse_flag)
    out["trainings"] = parsed("trainings", parse_count)
    for name in MONEY_FIELDS:
        out[name] = parsed(name, parse_money)
    out["exit_year"] = parsed("exit_year", parse_year)
    out["visit_date"] = parsed("visit_date", parse_date)
    for name in (*VOCAB_FIELDS, "new_practitioner"):  # blank is missing, not a default
        out[name] = [None if is_blank(r) else v for r, v in zip(col(name), out[name], strict=True)]
    out["status"] = [
        "exited" if s is None and y is not None else s
        for s, y in zip(out["status"], out["exit_year"], strict=True)
    ]
    present = [c for c in raw.columns if c in _CANONICAL_SET]
    filled = [0] * n
    for c in present:
        for i, blank_cell in enumerate(_map(list(raw[c]), is_blank)):
            filled[i] += not blank_cell
    out["filled"] = filled
    frame = pd.DataFrame(out, index=raw.index)
    frame["trainings"] = frame["trainings"].astype("Int64")
    frame["exit_year"] = frame["exit_year"].astype("Int64")
    frame["new_practitioner"] = frame["new_practitioner"].astype("boolean")
    return frame, issues


_CANONICAL_SET = {
    "name", "id_number", "birth_date", "county", "town", "village", "household_head",
    "relation_to_head", "phone", "labor_capacity", "willing", "wing", "trainings",
    "new_practitioner", "income_before", "income_after", "exit_year", "status", "broker",
    "visit_date", "note",
}  # fmt: skip
