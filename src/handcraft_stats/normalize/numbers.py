"""Money amounts (yuan) and counts, as people type them into rosters."""

from __future__ import annotations

import math
import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from handcraft_stats.normalize.text import BAD_VALUE, Parsed, is_blank, nfkc

CENT = Decimal("0.01")
# A woman's yearly income of 100 million yuan or more is no income but a number typed
# into the wrong column (a mobile 13912345678, a landline 5168765432, an ID or a card): a
# bad value, missing, so it neither goes out in full as her income nor sets 人均增收.
# (Until session 20 the limit was the store's DECIMAL(14,2), 10¹².)
MONEY_LIMIT = Decimal(10) ** 8
COUNT_LIMIT = 100_000  # trainings and the like; the store's column is INTEGER
_TEN_THOUSAND = Decimal(10000)
# Placeholders that mean "nothing recorded" (after NFKC and white-space removal: NFKC
# makes the ellipsis … three dots, so ……, a common blank, was a bad value)
_MARKS = ("/", "\\", "无", "-", "--", "---", "—", "——", "―", "–", "…", "……")
MISSING_MARKS = frozenset({*_MARKS, *(nfkc(m) for m in _MARKS)})
_RE_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")
_RE_GROUPED = re.compile(r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d*)?")
_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4}
_DIGITS |= {"五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_COUNT_SUFFIXES = ("次", "期", "场")


def _squeeze(raw: object) -> str:
    return "".join(nfkc(str(raw)).split())


def _decimal(text: str) -> Decimal | None:
    if _RE_GROUPED.fullmatch(text):
        text = text.replace(",", "")
    if not _RE_NUMBER.fullmatch(text):
        return None
    try:
        return Decimal(text)
    except InvalidOperation:  # pragma: no cover - the regex admits only valid literals
        return None


def parse_money(raw: object) -> Parsed[Decimal]:
    """Yuan with 2 decimals (ROUND_HALF_UP); "万" multiplies by 10,000; placeholders → missing.

    The usual cells take a short path: a whole number of yuan read as a float, and a
    text matched by one pattern (`_MONEY`: "¥"/"RMB", the amount, plain or grouped by
    thousands, "万", "元"). 35 % less time a roster's income columns; the result is
    `_parse_money`'s, which every other cell still goes through (a test compares them)."""
    if type(raw) is float:
        if raw.is_integer() and 0 < raw < _FLOAT_LIMIT:
            return Parsed(Decimal(int(raw)).quantize(CENT))
    elif type(raw) is str:
        text = "".join(raw.split()) if raw.isascii() else _squeeze(raw)
        if text in MISSING_MARKS or not text:
            return _parse_money(raw)  # blank (or a mark): missing
        m = _MONEY.fullmatch(text)
        if m is not None:
            number, wan = m.groups()
            amount = Decimal(number.replace(",", "")) * (_TEN_THOUSAND if wan else _ONE)
            if 0 <= amount < MONEY_LIMIT:
                return Parsed(amount.quantize(CENT, rounding=ROUND_HALF_UP))
    return _parse_money(raw)


_FLOAT_LIMIT = float(MONEY_LIMIT)
_ONE = Decimal(1)
_MONEY = re.compile(
    r"¥?(?:RMB)?([+-]?(?:\d{1,3}(?:,\d{3})+(?:\.\d*)?|\d+(?:\.\d*)?|\.\d+))(万)?元?"
)


def _parse_money(raw: object) -> Parsed[Decimal]:
    """`parse_money` of any cell, step by step."""
    if is_blank(raw):
        return Parsed(None)
    if isinstance(raw, bool):
        return Parsed(None, BAD_VALUE)
    if isinstance(raw, int | Decimal):
        amount: Decimal | None = Decimal(raw)
    elif isinstance(raw, float):
        amount = Decimal(repr(raw)) if math.isfinite(raw) else None
    else:
        text = _squeeze(raw)
        if text in MISSING_MARKS:
            return Parsed(None)
        text = text.removeprefix("¥").removeprefix("RMB").removesuffix("元")
        scale = Decimal(1)
        if text.endswith("万"):
            text, scale = text[:-1], _TEN_THOUSAND
        amount = _decimal(text)
        if amount is not None:
            amount *= scale
    # METRICS.md §4: yuan, ≥ 0, or missing. A negative income (a loss, a typo) is no
    # figure to average: missing, reported as a bad value
    if amount is None or not amount.is_finite() or not 0 <= amount < MONEY_LIMIT:
        return Parsed(None, BAD_VALUE)
    return Parsed(amount.quantize(CENT, rounding=ROUND_HALF_UP))


def _chinese_count(text: str) -> int | None:
    """一 … 九十九 (两 for 2, 零/〇 for 0); None when the text is not such a numeral."""
    if text in _DIGITS:
        return _DIGITS[text]
    tens, sep, units = text.partition("十")
    if not sep or len(tens) > 1 or len(units) > 1:
        return None
    high = 1 if not tens else _DIGITS.get(tens)
    low = 0 if not units else _DIGITS.get(units)
    if high is None or low is None or (tens and high == 0):
        return None
    return high * 10 + low


def parse_count(raw: object) -> Parsed[int]:
    """An integer ≥ 0: 3, 3.0, "3", "3次", "三次", "十二次"; "无" → 0; placeholders → missing."""
    if is_blank(raw):
        return Parsed(None)
    if isinstance(raw, bool):
        return Parsed(None, BAD_VALUE)
    if isinstance(raw, int):
        return Parsed(raw) if 0 <= raw < COUNT_LIMIT else Parsed(None, BAD_VALUE)
    if isinstance(raw, float):
        ok = math.isfinite(raw) and raw.is_integer() and 0 <= raw < COUNT_LIMIT
        return Parsed(int(raw)) if ok else Parsed(None, BAD_VALUE)
    text = _squeeze(raw)
    if text in ("无", "没有"):
        return Parsed(0)
    if text in MISSING_MARKS:
        return Parsed(None)
    # 共3次, 参加3次, 3(次): the count with words about it
    text = text.removeprefix("共").removeprefix("参加").removeprefix("培训")
    text = text.replace("(", "").replace(")", "")
    for suffix in _COUNT_SUFFIXES:
        text = text.removesuffix(suffix)
    if re.fullmatch(r"\+?\d{1,5}(?:\.0*)?", text):  # five digits: below COUNT_LIMIT
        return Parsed(int(text.lstrip("+").split(".")[0]))
    value = _chinese_count(text)
    return Parsed(value) if value is not None else Parsed(None, BAD_VALUE)
