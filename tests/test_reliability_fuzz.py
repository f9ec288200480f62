"""Fuzzing the normalisers and layout detection: whatever a cell holds, they return a
value or an issue and never raise (layout: only the documented NotARoster)."""

from __future__ import annotations

import math
from datetime import date, datetime, time
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from handcraft_stats.columns import HeaderMatcher
from handcraft_stats.config import load_settings
from handcraft_stats.layout import NotARoster, SheetLayout, classify
from handcraft_stats.normalize.dates import parse_date, parse_year
from handcraft_stats.normalize.idnumber import IdResult, IdStatus, normalize_id
from handcraft_stats.normalize.names import normalize_name
from handcraft_stats.normalize.numbers import parse_count, parse_money
from handcraft_stats.normalize.phone import normalize_phone
from handcraft_stats.normalize.text import Parsed
from handcraft_stats.normalize.vocab import FIELDS, Vocabulary

SETTINGS = load_settings(None)
VOCAB = Vocabulary(SETTINGS.vocab_extra)
MATCHER = HeaderMatcher(SETTINGS.headers)
FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

WORDS = ["姓名", "身份证号码", "身份证号", "序号", "合计", "填表人：", "注：", "手工", "是", "否",
         "2017年", "3,500元", "0.35万", "三次", "320321198001010024", "32032119800101002x",
         "３２０３２１", "'320321", "13812345678", "=1+1", "\u3000", "\n", "NaN", "None", "无"]  # fmt: skip
TEXT = st.one_of(st.text(max_size=40), st.sampled_from(WORDS),
                 st.from_regex(r"[0-9xX\s'，,.年月日万元-]{0,25}", fullmatch=True))  # fmt: skip
CELL = st.one_of(
    st.none(), TEXT, st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=True, allow_infinity=True), st.booleans(),
    st.dates(min_value=date(1, 1, 1)), st.datetimes(), st.times(),
    st.decimals(allow_nan=False, allow_infinity=False),
)  # fmt: skip


def _is_parsed(p: object) -> bool:
    return isinstance(p, Parsed) and (p.problem is None or isinstance(p.problem, str))


@FUZZ
@given(CELL)
def test_normalize_id_always_gives_a_status(raw: object) -> None:
    r = normalize_id(raw)
    assert isinstance(r, IdResult) and isinstance(r.status, IdStatus)
    if r.status is IdStatus.VALID:
        assert r.value is not None and len(r.value) == 18


@FUZZ
@given(CELL)
def test_name_and_phone_are_text_or_none(raw: object) -> None:
    assert normalize_name(raw) is None or isinstance(normalize_name(raw), str)
    phone = normalize_phone(raw)
    assert phone is None or isinstance(phone, str)


@FUZZ
@given(CELL)
def test_numbers_parse_or_say_why(raw: object) -> None:
    money = parse_money(raw)
    assert _is_parsed(money)
    assert money.value is None or (isinstance(money.value, Decimal) and money.value.is_finite())
    count = parse_count(raw)
    assert _is_parsed(count) and (count.value is None or isinstance(count.value, int))


@FUZZ
@given(CELL)
def test_dates_and_years_parse_or_say_why(raw: object) -> None:
    d = parse_date(raw)
    assert _is_parsed(d) and (d.value is None or isinstance(d.value, date))
    y = parse_year(raw)
    assert _is_parsed(y) and (y.value is None or isinstance(y.value, int))


@FUZZ
@given(st.sampled_from(FIELDS), CELL)
def test_vocabulary_lookup_and_flags(field: str, raw: object) -> None:
    found = VOCAB.lookup(field, raw)
    assert _is_parsed(found) and (found.value is None or isinstance(found.value, str))
    flag = VOCAB.parse_flag(raw)
    assert _is_parsed(flag) and isinstance(flag.value, bool | None)


HEADERS = st.lists(st.sampled_from(["姓名", "身份证号码", "序号", "从业产业", "联系电话", "村",
                                    "备注", "脱贫年度", "", "合计"]), max_size=8)  # fmt: skip
GRID = st.lists(st.lists(CELL, max_size=8), max_size=30)


@FUZZ
@given(GRID, HEADERS, st.integers(min_value=0, max_value=30))
def test_layout_classifies_any_grid_or_says_not_a_roster(
    grid: list[list[object]], header: list[str], at: int
) -> None:
    rows: list[list[object]] = [list(r) for r in grid]
    rows.insert(min(at, len(rows)), list(header))
    try:
        lay = classify(MATCHER, rows)
    except NotARoster as exc:
        assert isinstance(exc.found, list)
        return
    assert isinstance(lay, SheetLayout)
    kinds = set(lay.skipped) | set(lay.records)
    assert not set(lay.skipped) & set(lay.records)
    assert all(0 <= i < len(rows) for i in kinds)


def test_extreme_cells_do_not_raise() -> None:
    for raw in (math.inf, -math.inf, math.nan, 10**400, "9" * 5000, "\x00\x01", datetime.max,
                time.max, Decimal("1e999999"), "1e308元", "9" * 400 + "万"):  # fmt: skip
        normalize_id(raw)
        parse_money(raw)
        parse_count(raw)
        parse_date(raw)
        parse_year(raw)
        VOCAB.parse_flag(raw)
