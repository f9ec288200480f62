"""Chinese resident ID numbers (GB 11643-1999): cleaning, status, 15→18 upgrade, masking."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from operator import mul

import numpy as np

from handcraft_stats.normalize.text import is_blank, nfkc

_WEIGHTS = tuple(pow(2, 17 - i, 11) for i in range(17))
_CHECK_CHARS = "10X98765432"
# How IDs are typed besides the digits: quoted (a text cell), the check character X as the
# multiplication sign × (a Chinese keyboard offers it for "x"), and the digits grouped by
# hyphens or dashes (320321-19800101-002X) as by spaces. None of them is part of an ID.
_TYPED = str.maketrans({"×": "X"} | dict.fromkeys("'‘’\"“”`´-‐‑–—"))
_RE_18 = re.compile(r"\d{17}[\dX]")
_RE_15 = re.compile(r"\d{15}")
_RE_SCI = re.compile(r"(\d)(?:\.(\d*))?E\+?(\d+)")
_MAX_SIGNIFICANT = 15
_SHOWN_IN_FULL = 12  # significant digits of a scientific text that shows all 15 (less zeros)


class IdStatus(StrEnum):
    VALID = "valid"
    UPGRADED15 = "upgraded15"
    BAD_CHECK = "bad_check"
    PRECISION_LOST = "precision_lost"
    MALFORMED = "malformed"
    MISSING = "missing"


@dataclass(frozen=True, slots=True)
class IdResult:
    status: IdStatus
    value: str | None
    birth_date: date | None = None


ISSUE_CODE: dict[IdStatus, str | None] = {
    IdStatus.VALID: None,
    IdStatus.UPGRADED15: "id_upgraded",
    IdStatus.BAD_CHECK: "id_bad_check",
    IdStatus.PRECISION_LOST: "id_precision_lost",
    IdStatus.MALFORMED: "id_malformed",
    IdStatus.MISSING: "id_missing",
}


def check_character(body17: str) -> str:
    """ISO 7064 MOD 11-2 check character ("0".."9" or "X") of the first 17 digits."""
    if len(body17) != 17 or not body17.isdigit():
        raise ValueError(f"need 17 digits, got {body17!r}")
    total = sum(map(mul, map(int, body17), _WEIGHTS))
    return _CHECK_CHARS[total % 11]


def upgrade15(id15: str) -> str:
    """The 18-character form of a legacy 15-digit ID: "19" after the area code, plus check."""
    if len(id15) != 15 or not id15.isdigit():
        raise ValueError(f"need 15 digits, got {id15!r}")
    body = id15[:6] + "19" + id15[6:]
    return body + check_character(body)


def _birth_date(yyyymmdd: str) -> date | None:
    year, month, day = int(yyyymmdd[:4]), int(yyyymmdd[4:6]), int(yyyymmdd[6:8])
    if not 1900 <= year <= 2099:
        return None
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _clean(text: str) -> str:
    text = "".join(nfkc(text).translate(_TYPED).split()).upper()
    if text.startswith("=") and text[1:2].isdigit():
        # ="320321198001010024" (its quotes dropped above): a CSV export's way to keep
        # Excel from making the ID a number; it was malformed
        text = text[1:]
    return text


def _from_text(cleaned: str) -> IdResult:
    if not cleaned:
        return IdResult(IdStatus.MISSING, None)
    if len(cleaned) == 18 and _RE_18.fullmatch(cleaned):
        born = _birth_date(cleaned[6:14])
        if born is None:
            return IdResult(IdStatus.MALFORMED, cleaned)
        ok = check_character(cleaned[:17]) == cleaned[17]
        if not ok and cleaned.endswith("000"):
            # a number cell Excel wrote out in full (a CSV saved from Excel): its 15
            # significant digits and three zeros, the lost digits; not a mistyped check
            return IdResult(IdStatus.PRECISION_LOST, cleaned[:_MAX_SIGNIFICANT])
        return IdResult(IdStatus.VALID if ok else IdStatus.BAD_CHECK, cleaned, born)
    if len(cleaned) == 15 and _RE_15.fullmatch(cleaned):
        born = _birth_date("19" + cleaned[6:12])
        if born is None:
            return IdResult(IdStatus.MALFORMED, cleaned)
        return IdResult(IdStatus.UPGRADED15, upgrade15(cleaned), born)
    sci = _RE_SCI.fullmatch(cleaned)
    if sci:
        return _from_scientific(cleaned, sci.group(1) + (sci.group(2) or ""), int(sci.group(3)))
    return IdResult(IdStatus.MALFORMED, cleaned)


def _from_scientific(cleaned: str, mantissa: str, exponent: int) -> IdResult:
    """An ID number written as scientific text, e.g. by a CSV saved from Excel or pandas.
    A writer that shows 12 or more significant digits shows the value to its full 15
    (Excel's precision) less its trailing zeros: 3.2032119800101E+17 is 320321198001010,
    so the zeros are put back. Fewer digits (3.20321E+17, Excel's General display) are a
    rounded display: those digits are kept as they are, as before."""
    length = exponent + 1  # digits of the whole number
    if len(mantissa) > length or length < _MAX_SIGNIFICANT:
        return IdResult(IdStatus.MALFORMED, cleaned)  # not a whole number, or too short
    if len(mantissa) < _SHOWN_IN_FULL:
        return IdResult(IdStatus.PRECISION_LOST, mantissa[:_MAX_SIGNIFICANT])
    if length <= _MAX_SIGNIFICANT:  # every digit is there: a legacy 15-digit ID, or junk
        return _from_text(mantissa.ljust(length, "0"))
    return IdResult(
        IdStatus.PRECISION_LOST, mantissa[:_MAX_SIGNIFICANT].ljust(_MAX_SIGNIFICANT, "0")
    )


def _from_number(number: int | float) -> IdResult:
    if isinstance(number, float) and not math.isfinite(number):
        return IdResult(IdStatus.MALFORMED, str(number))
    if isinstance(number, int) and abs(number) >= 10**40:  # no ID; too large for a float
        return IdResult(IdStatus.MALFORMED, None)
    whole = isinstance(number, int) or number.is_integer()
    if whole and number >= 0:
        digits = str(int(number))
        if len(digits) == 15:
            return _from_text(digits)  # a legacy 15-digit ID typed as a number
        if isinstance(number, int) and len(digits.rstrip("0")) > _MAX_SIGNIFICANT:
            return _from_text(digits)  # exact integer (not from Excel): trust its digits
        if len(digits) > 15:
            # Excel kept 15 significant digits: those are the only trustworthy ones.
            lead = digits[:_MAX_SIGNIFICANT] if isinstance(number, int) else _leading(number)
            return IdResult(IdStatus.PRECISION_LOST, lead)
    return IdResult(IdStatus.MALFORMED, format(number, ".15g"))


def _leading(number: float) -> str:
    """The first 15 significant digits of a float, cut, not rounded: the later digits are
    gone, and rounding would invent the 15th (320321198001019862 would read …01020, a
    wrong birth date). The shortest round-trip form (repr) is exactly what Excel wrote
    (3.2032119800101e+17 padded with a zero), and of a full-precision double written by
    openpyxl, pandas or WPS (3.2032119800101984e+17) it keeps the true leading digits."""
    mantissa = repr(number).split("e")[0].replace(".", "").lstrip("0")
    return mantissa[:_MAX_SIGNIFICANT].ljust(_MAX_SIGNIFICANT, "0")


def normalize_id(raw: object) -> IdResult:
    """Classify one ID cell as a spreadsheet reader returns it (see docs/metrics.md §4)."""
    if is_blank(raw):
        return IdResult(IdStatus.MISSING, None)
    if isinstance(raw, bool):
        return IdResult(IdStatus.MALFORMED, str(raw).upper())
    if isinstance(raw, date | datetime):
        return IdResult(IdStatus.MALFORMED, raw.isoformat())
    if isinstance(raw, int | float):
        return _from_number(raw)
    return _from_text(_clean(str(raw)))


_W = np.array(_WEIGHTS, dtype=np.int64)
_CHECK_CODES = np.frombuffer(_CHECK_CHARS.encode(), dtype=np.uint8).astype(np.uint32)


@dataclass(frozen=True, slots=True)
class IdColumns:
    """normalize_id over many cells, as columns: value, status, birth date."""

    value: list[str | None]
    status: list[IdStatus]
    birth_date: list[date | None]


def normalize_ids(values: Sequence[object]) -> IdColumns:
    """normalize_id over many cells at once. The usual cell, a clean 18-character text,
    is checked with array arithmetic (check character and birth date); the rest one by
    one. Equal to `[normalize_id(v) for v in values]`, column by column."""
    n = len(values)
    value: list[str | None] = [None] * n
    status: list[IdStatus | None] = [None] * n
    birth: list[date | None] = [None] * n
    at = [i for i, v in enumerate(values) if type(v) is str and len(v) == 18]
    if at:
        cps = np.array([values[i] for i in at], dtype="<U18").view(np.uint32).reshape(-1, 18)
        digit = (cps >= 48) & (cps <= 57)
        fast = digit[:, :17].all(axis=1) & (digit[:, 17] | (cps[:, 17] == 88))
        d = cps[:, :17].astype(np.int64) - 48
        check_ok = _CHECK_CODES[(d @ _W) % 11] == cps[:, 17]
        year = d[:, 6] * 1000 + d[:, 7] * 100 + d[:, 8] * 10 + d[:, 9]
        month, day = d[:, 10] * 10 + d[:, 11], d[:, 12] * 10 + d[:, 13]
        ok_month = (month >= 1) & (month <= 12)
        ym = ((year - 1970) * 12 + np.where(ok_month, month, 1) - 1).astype("datetime64[M]")
        first = ym.astype("datetime64[D]")
        days = ((ym + 1).astype("datetime64[D]") - first).astype(np.int64)
        born_ok = (year >= 1900) & (year <= 2099) & ok_month & (day >= 1) & (day <= days)
        born = (first + np.where(born_ok, day - 1, 0)).astype(object).tolist()
        kind = np.where(
            ~born_ok, 0, np.where(check_ok, 1, 2)
        ).tolist()  # 0 malformed, 1 valid, 2 bad check
        statuses = (IdStatus.MALFORMED, IdStatus.VALID, IdStatus.BAD_CHECK)
        for i, f, k, b in zip(at, fast.tolist(), kind, born, strict=True):
            if f and not (k == 2 and str(values[i]).endswith("000")):  # 000: lost digits?
                value[i], status[i] = str(values[i]), statuses[k]
                if k:
                    birth[i] = b
    for i, s in enumerate(status):
        if s is None:
            r = normalize_id(values[i])
            value[i], status[i], birth[i] = r.value, r.status, r.birth_date
    return IdColumns(value, status, birth)  # type: ignore[arg-type]


def written_out(values: Sequence[object], found: IdColumns) -> IdColumns:
    """One column's IDs (`found` = normalize_ids(values)), read as a column. A CSV saved
    from a number column writes each ID out in full, its 15 significant digits and 000;
    such an ID is precision_lost where its check fails, but one in eleven passes it by
    chance (320321198001011000), and two women born on one day in one county then shared
    a "valid" ID and were linked as the same woman (same_id, certain). So: where the
    column's 18-digit text IDs all end in 000 (nine in ten: a few typed by hand), one of
    them at least precision_lost, every ID ending in 000 of the column is. A single
    pasted cell does not make a real ID ending in 000 lost (one in 1,100 does)."""
    lost = IdStatus.PRECISION_LOST
    if lost not in found.status:  # the usual column: nothing to look at
        return found
    texts = [(c, s) for v, s in zip(values, found.status, strict=True)
             if isinstance(v, str) and len(c := _clean(v)) == 18 and c.isdigit()]  # fmt: skip
    zeros = sum(c.endswith("000") for c, _ in texts)
    if not any(s is lost for c, s in texts if c.endswith("000")) or zeros < 0.9 * len(texts):
        return found
    value, status, birth = list(found.value), list(found.status), list(found.birth_date)
    for i, (v, s) in enumerate(zip(value, status, strict=True)):
        if s is IdStatus.VALID and v is not None and len(v) == 18 and v.endswith("000"):
            value[i], status[i], birth[i] = v[:_MAX_SIGNIFICANT], lost, None
    return IdColumns(value, status, birth)


def malformed_code(cleaned: str) -> str:
    """Why a malformed ID is malformed: id_length, id_chars or id_birth_date."""
    if len(cleaned) not in (15, 18):
        return "id_length"
    body_ok = cleaned[:-1].isdigit() and (
        cleaned[-1].isdigit() or (len(cleaned) == 18 and cleaned[-1] == "X")
    )
    if not body_ok:
        return "id_chars"
    return "id_birth_date"


def mask_id(value: str | None) -> str:
    """An 18-character ID: its first 6 and last 4 characters with stars between (the area
    code, sequence and check; the birth date hidden); short values (≤ 10) all stars; any
    other length (a 15-digit ID, the 15 digits a numeric cell kept, a long digit run) its
    first 6 only: their last four are, or may be, part of the birth date (a numeric
    cell's 320321198607070 showed 320321*****7070, her birth day)."""
    if not value:
        return ""
    if len(value) <= 10:
        return "*" * len(value)
    if len(value) == 18:
        return value[:6] + "*" * 8 + value[-4:]
    return value[:6] + "*" * (len(value) - 6)
