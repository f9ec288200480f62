"""Dates and years in every form the rosters use (date cells, Excel serials, Chinese text)."""

from __future__ import annotations

import math
import re
from datetime import date, datetime, timedelta

from handcraft_stats.normalize.text import BAD_VALUE, Parsed, is_blank, nfkc

EXCEL_EPOCH = date(1899, 12, 30)  # serial 1 = 1900-01-01, with Excel's 1900 leap-year bug
# Serials from 1920-01-01 (a woman of 97 in 2017: birth dates come as serials when a
# date column is formatted "General"; from 20000, 1954-10-03, as before, the birth
# dates of women over 62 were refused as bad values) to 2119-01-07. Below the window
# are the numbers a date column must not take for dates: years (1980 is no 1905-06-02),
# ages, counts.
SERIAL_MIN, SERIAL_MAX = (date(1920, 1, 1) - EXCEL_EPOCH).days, 80000
YEAR_MIN, YEAR_MAX = 2000, 2099
_DATE_YEARS = (1900, 2099)
_RE_TIME = re.compile(r"(?:T|\s+)\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?$")
_RE_COMPACT = re.compile(r"(\d{4})(\d{2})(\d{2})")
_RE_SEPARATED = re.compile(r"(\d{4})[./\-年](\d{1,2})[./\-月](\d{1,2})日?")
_RE_YEAR = re.compile(r"(\d{4})年?度?")
_RE_YEAR_MONTH = re.compile(r"(\d{4})[./\-年](\d{1,2})月?")
_RE_COMPACT_MONTH = re.compile(r"(\d{4})(\d{2})")
_RE_SERIAL = re.compile(r"\d{4,5}(?:\.\d*)?")  # in the serial window or refused


def _make_date(year: int, month: int, day: int) -> date | None:
    if not _DATE_YEARS[0] <= year <= _DATE_YEARS[1]:
        return None
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _from_number(number: float) -> date | None:
    if not math.isfinite(number):
        return None
    if SERIAL_MIN <= number <= SERIAL_MAX:
        return EXCEL_EPOCH + timedelta(days=int(number))
    if number.is_integer() and 10_000_000 <= number <= 99_999_999:
        digits = str(int(number))
        return _make_date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
    return None


def _from_text(raw: object) -> date | None:
    text = nfkc(str(raw)).strip()
    text = _RE_TIME.sub("", text)
    text = "".join(text.split())
    match = _RE_COMPACT.fullmatch(text) or _RE_SEPARATED.fullmatch(text)
    if match is None:
        # a serial as text: every cell of a CSV, or a "Text" column of a workbook
        serial = _RE_SERIAL.fullmatch(text)
        return _from_number(float(text)) if serial else None
    year, month, day = (int(part) for part in match.groups())
    return _make_date(year, month, day)


def _to_date(raw: object) -> date | None:
    if isinstance(raw, datetime):
        return raw.date()
    if isinstance(raw, date):
        return raw
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int) and abs(raw) > 10**15:  # no date; too large for a float
        return None
    if isinstance(raw, int | float):
        return _from_number(float(raw))
    return _from_text(raw)


def parse_date(raw: object) -> Parsed[date]:
    """A date from a date cell, an Excel serial (7306–80000: 1920-01-01 on), yyyymmdd or
    y.m.d-style text."""
    if is_blank(raw):
        return Parsed(None)
    value = _to_date(raw)
    return Parsed(value) if value is not None else Parsed(None, BAD_VALUE)


def parse_birth(raw: object) -> Parsed[date]:
    """`parse_date` for a birth-date column, where a year and month alone (出生年月:
    1980.01, 1980年1月, 198001) is a date without its day, not a bad value: missing
    here, so the ID's birth date is used (no day is made up)."""
    return read_birth(raw)[0]


def read_birth(raw: object) -> tuple[Parsed[date], tuple[tuple[int, int], ...]]:
    """`parse_birth`, and the (year, month) the cell states when it states a year and
    month alone (none for any other cell), from one reading. A number cell 1980.1 is
    1980.01 or 1980.10 (a number cell drops the trailing zero of 1980.10): both."""
    found = parse_date(raw)
    if found.problem is None:
        return found, ()
    months = _month_only(raw)
    return (Parsed(None), months) if months else (found, ())


def _month_only(raw: object) -> tuple[tuple[int, int], ...]:
    """The months of a cell `parse_date` could not read, when it is a year and month."""
    if isinstance(raw, bool) or not isinstance(raw, str | int | float):
        return ()
    ambiguous = isinstance(raw, float) and not raw.is_integer() and str(raw).endswith(".1")
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    # a number cell: 1980.01 typed into a numeric cell (a float, not a date serial), or
    # 198002 (its text reads as below)
    text = str(raw) if isinstance(raw, int | float) else "".join(nfkc(raw).split())
    match = _RE_YEAR_MONTH.fullmatch(text) or _RE_COMPACT_MONTH.fullmatch(text)
    if match and _DATE_YEARS[0] <= int(match[1]) <= _DATE_YEARS[1] and 1 <= int(match[2]) <= 12:
        year = int(match[1])
        return ((year, int(match[2])), (year, 10)) if ambiguous else ((year, int(match[2])),)
    return ()


def _year(raw: object) -> int | None:
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int) and abs(raw) > 10**15:
        return None
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        number = float(raw)
        if math.isfinite(number) and YEAR_MIN <= number < YEAR_MAX + 1:
            return int(number)  # 2017 or 2017.12 typed into a numeric cell
    if isinstance(raw, str):
        text = "".join(nfkc(raw).split())
        match = _RE_YEAR.fullmatch(text)
        if match:
            return int(match.group(1))
        match = _RE_YEAR_MONTH.fullmatch(text)
        if match:
            return int(match.group(1)) if 1 <= int(match.group(2)) <= 12 else None
    found = _to_date(raw)
    return found.year if found is not None else None


def parse_year(raw: object) -> Parsed[int]:
    """A year 2000–2099 from 2017, "2017年", "2017.12", "2017-12-20", a date cell, yyyymmdd."""
    if is_blank(raw):
        return Parsed(None)
    year = _year(raw)
    if year is None or not YEAR_MIN <= year <= YEAR_MAX:
        return Parsed(None, BAD_VALUE)
    return Parsed(year)
