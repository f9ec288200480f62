"""Text, names, phones, money, counts, dates, years and vocabularies."""

from __future__ import annotations

import math
import unicodedata
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from handcraft_stats.errors import UsageError
from handcraft_stats.normalize.dates import parse_date, parse_year
from handcraft_stats.normalize.distinct import Distinct
from handcraft_stats.normalize.frame import _column
from handcraft_stats.normalize.names import normalize_name, pinyin_key
from handcraft_stats.normalize.numbers import parse_count, parse_money
from handcraft_stats.normalize.phone import mask_phone, normalize_phone
from handcraft_stats.normalize.text import (
    INVISIBLE,
    Parsed,
    clean_text,
    is_blank,
    squash,
    text_or_none,
)
from handcraft_stats.normalize.vocab import FIELDS, Vocabulary

FULL_WIDTH = str.maketrans("0123456789.,", "０１２３４５６７８９．，")
CHINESE = ["零", "一", "二", "三", "四", "五", "六", "七", "八", "九", "十"]
CHINESE += ["十" + d for d in CHINESE[1:10]]
VOCAB = Vocabulary()

# --- text ------------------------------------------------------------------------------------


@pytest.mark.parametrize("raw", [None, math.nan, "", " ", "\u3000", "\t\n"])
def test_blank(raw: object) -> None:
    assert is_blank(raw)


@pytest.mark.parametrize("raw", ["0", 0, 0.0, "a", False])
def test_not_blank(raw: object) -> None:
    assert not is_blank(raw)


def test_clean_text() -> None:
    assert clean_text("  ＡＢ１ ２ ") == "AB1 2"
    assert clean_text(12) == "12"
    assert clean_text(3.0) == "3"
    assert clean_text(3.5) == "3.5"
    assert clean_text(None) == ""


def _slow_text(raw: object) -> str | None:
    """The definitions the fast paths of is_blank, clean_text and text_or_none keep."""
    if raw is None or (isinstance(raw, float) and math.isnan(raw)):
        return None
    if isinstance(raw, str):
        text = unicodedata.normalize("NFKC", raw)
        text = "".join(c for c in text if ord(c) not in INVISIBLE).strip()
        return text or None
    return clean_text(raw)


@pytest.mark.parametrize("code", [0x09, 0x0A, 0x1C, 0x20, 0x85, 0xA0, 0x1680, 0x2028, 0x3000])
def test_blank_white_space_of_every_kind(code: int) -> None:
    assert is_blank(chr(code) * 2) and text_or_none(chr(code)) is None


def test_blank_is_strip_for_every_character() -> None:
    """`isspace` (the fast path) and `strip` agree on what white space is; the characters
    that show as nothing are blank too."""
    for c in map(chr, range(0x110000)):
        assert is_blank(c) is (not c.strip() or ord(c) in INVISIBLE), hex(ord(c))


@given(
    st.one_of(
        st.text(),
        st.none(),
        st.floats(),
        st.integers(),
        st.text(alphabet="  ＡＢ１\u3000\t丽a\u200b\ufeff\xad"),
    )
)
@example("\x1b")  # ASCII control characters are dropped on the ASCII path too (was kept)
@example(" 手\x00工 ")
@example("a\tb\x7f")
def test_text_fast_paths_keep_their_definitions(raw: object) -> None:
    assert text_or_none(raw) == _slow_text(raw)
    assert is_blank(raw) is (_slow_text(raw) is None)
    assert clean_text(raw) == (_slow_text(raw) or "")


def test_squash() -> None:
    assert squash("身份证\n号码（必填）") == "身份证号码(必填)"
    assert squash("姓\u3000名 ") == "姓名"
    assert squash("【备注】") == "(备注)"


# --- names and phones ----------------------------------------------------------------------------


@pytest.mark.parametrize("raw", ["张丽", "张 丽", "张\u3000丽", " 张丽  ", "張麗"])
def test_normalize_name(raw: str) -> None:
    assert normalize_name(raw) == "张丽"


@pytest.mark.parametrize("raw", [None, "", "  ", "\u3000", math.nan])
def test_blank_name(raw: object) -> None:
    assert normalize_name(raw) is None


def test_pinyin_key() -> None:
    assert pinyin_key("张丽") == pinyin_key("张莉") == "zhang li"
    assert pinyin_key("王芳") != pinyin_key("张丽")
    assert pinyin_key("Anna") == "anna"
    # syllables stay apart: li xian is not li xi an (one key, joined)
    assert pinyin_key("李娴") == "li xian" != pinyin_key("李喜安") == "li xi an"


# surnames, given-name characters, heteronyms (曾 单 解 仇 朴 查 区 乐 重 长 行), characters that
# form words of pypinyin's phrase table when side by side (重庆 长城 银行 音乐 快乐), minority
# names' middle dots, Latin letters, digits and a rare character
_NAME_CHARS = list("王李张刘陈杨黄赵吴周徐孙曾单解仇朴查区覃秀英华玉兰丽莉芳梅红霞燕长城重庆"
                   "银行音乐快阿依古买提·Ab3𠀋")  # fmt: skip


@given(st.text(alphabet=_NAME_CHARS, min_size=1, max_size=10))
def test_pinyin_key_reads_every_name_as_pypinyin_does(name: str) -> None:
    """The per-character fast path gives exactly pypinyin's reading of the whole name."""
    from pypinyin import lazy_pinyin

    assert pinyin_key(name) == " ".join(lazy_pinyin(name, errors="default")).lower()


@given(st.text(alphabet=[*_NAME_CHARS, *"楊紅鳳陳劉麗蘭華單幹乾後髮 \u3000"], max_size=8))
def test_normalize_name_simplifies_exactly_as_zhconv(raw: str) -> None:
    """The shortcut (no character zhconv converts: the text as it is) equals zhconv."""
    import unicodedata

    import zhconv

    text = "".join(unicodedata.normalize("NFKC", raw).split())
    assert normalize_name(raw) == (zhconv.convert(text, "zh-cn") if text else None)


def test_pinyin_key_reads_phrase_words_as_words() -> None:
    assert pinyin_key("王重庆") == "wang chong qing"  # 重庆 as a word: chong, not zhong
    assert pinyin_key("重丽") == "zhong li"  # 重 alone: its first reading


@pytest.mark.parametrize(
    "raw",
    [
        "138-1234-5678",
        "138 1234 5678",
        13812345678.0,
        13812345678,
        "１３８１２３４５６７８",
        "138 1234 5678 / 139 1234 5671",
        "0516-8920 1234，138 1234 5678",
        "138 1234 5678或139",
    ],
)
def test_normalize_phone(raw: object) -> None:
    assert normalize_phone(raw) == "13812345678"


@pytest.mark.parametrize("raw", [None, "", "  ", math.nan, "无"])
def test_blank_phone(raw: object) -> None:
    assert normalize_phone(raw) is None


def test_mask_phone() -> None:
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone(None) == ""
    assert mask_phone("05161234567") == "051****4567"
    assert mask_phone("83451234") == "834***34"


@given(st.text(alphabet="0123456789", min_size=1, max_size=20))
def test_mask_phone_never_shows_the_full_value(value: str) -> None:
    masked = mask_phone(value)
    assert value not in masked
    assert len(masked) == len(value)


# --- money ---------------------------------------------------------------------------------------


def _money_forms(amount: Decimal) -> list[object]:
    plain = format(amount, "f")
    grouped = format(amount, ",f")
    wan = format(amount / 10000, "f")
    return [
        plain,
        amount,
        float(amount),
        plain + "元",
        grouped,
        grouped.replace(",", "，"),
        grouped.replace(",", " "),
        wan + "万",
        wan + "万元",
        plain.translate(FULL_WIDTH),
        grouped.translate(FULL_WIDTH) + "元",
        f" {plain} ",
        f"{plain} 元",
    ]


@given(st.decimals(min_value=0, max_value=Decimal("999999.99"), places=2))
def test_money_round_trip(amount: Decimal) -> None:
    for form in _money_forms(amount):
        assert parse_money(form) == Parsed(amount), form


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        (3500, "3500.00"),
        (3500.0, "3500.00"),
        ("3500", "3500.00"),
        ("3500.00", "3500.00"),
        ("3500元", "3500.00"),
        ("3,500", "3500.00"),
        ("3，500", "3500.00"),
        ("3 500", "3500.00"),
        ("0.35万", "3500.00"),
        ("0.35万元", "3500.00"),
        ("１２００", "1200.00"),
        ("-0", "0.00"),
        ("12.345", "12.35"),
        ("12.344", "12.34"),
        (0.125, "0.13"),
        (350000, "350000.00"),  # implausible (income_max), still an amount
        (99_999_999.99, "99999999.99"),  # the largest amount below MONEY_LIMIT
        ("9999.9999万", "99999999.00"),
    ],
)
def test_money_examples(raw: object, value: str) -> None:
    assert parse_money(raw) == Parsed(Decimal(value))


@pytest.mark.parametrize(
    "raw", [None, math.nan, "", "  ", "/", "／", "无", "—", "-", "--", "——", "\u3000"]
)
def test_money_missing(raw: object) -> None:
    assert parse_money(raw) == Parsed(None, None)


@pytest.mark.parametrize(
    "raw",
    [
        "abc",
        "见备注",
        "3,5",
        "3500元/月",
        "1.2.3",
        True,
        math.inf,
        "万",
        "-200",
        -500.0,
        -1,
        "-0.35万",
        # no income (session 20): a phone, landline, ID or card number in the column
        13944443333,
        13944443333.0,
        "13944443333",
        5168765432,
        "1,000,000,000",
        "10000万",
        100_000_000,
    ],  # METRICS §4: yuan, ≥ 0
)
def test_money_bad(raw: object) -> None:
    assert parse_money(raw) == Parsed(None, "bad_value")


_MONEY_PIECES = ["¥", "￥", "RMB", "万", "元", ",", "，", ".", "+", "-", " ", "\u3000", "0", "1",
                 "5", "9", "123", "1,234", "٣", "e5", "_", "无", "/"]  # fmt: skip


@given(
    st.one_of(
        st.lists(st.sampled_from(_MONEY_PIECES), max_size=7).map("".join),
        st.floats(allow_nan=True, allow_infinity=True),
        st.floats(min_value=-2e12, max_value=2e12).map(float.__floor__).map(float),
        st.text(max_size=6),
    )
)
@example("0.125")
@example("-0.005万")
@example("999999999999.995")
@example("1,000,000,000,000")
@example(-0.0)
@example(1e12)
@example(-999999999999.0)
@example(2.5)
def test_money_short_path_equals_the_step_by_step_one(raw: object) -> None:
    """`parse_money`'s short path (whole floats, one pattern for texts) gives exactly what
    the step-by-step parse gives: the same value, exponent and problem."""
    from handcraft_stats.normalize.numbers import _parse_money

    got, want = parse_money(raw), _parse_money(raw)
    assert got == want and str(got.value) == str(want.value), raw


# --- counts --------------------------------------------------------------------------------------


@given(st.integers(0, 19))
def test_count_round_trip(n: int) -> None:
    for form in (n, float(n), str(n), f"{n}次", CHINESE[n], CHINESE[n] + "次", f" {n} 次"):
        assert parse_count(form) == Parsed(n), form


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        (3, 3),
        (3.0, 3),
        ("3", 3),
        ("3次", 3),
        ("三次", 3),
        ("十二次", 12),
        ("两次", 2),
        ("3（次）", 3),
        ("共3次", 3),
        ("参加培训3次", 3),
        ("共十二次", 12),
    ],
)
def test_count_examples(raw: object, value: int) -> None:
    assert parse_count(raw) == Parsed(value)


def test_count_special() -> None:
    assert parse_count("0") == Parsed(0)
    assert parse_count("零") == Parsed(0)
    assert parse_count("无") == Parsed(0)
    assert parse_count("二十") == Parsed(20)
    assert parse_count(None) == Parsed(None, None)
    assert parse_count("") == Parsed(None, None)
    assert parse_count("/") == Parsed(None, None)


@pytest.mark.parametrize("raw", [3.5, -1, -1.0, "-2", "3.5次", "abc", "见备注", True, "十十"])
def test_count_bad(raw: object) -> None:
    assert parse_count(raw) == Parsed(None, "bad_value")


# --- dates ---------------------------------------------------------------------------------------


def _date_forms(day: date) -> list[object]:
    serial = (day - date(1899, 12, 30)).days
    y, m, d = day.year, day.month, day.day
    return [
        day,
        datetime(y, m, d),
        datetime(y, m, d, 13, 45),
        serial,
        float(serial),
        f"{y}.{m}.{d}",
        f"{y}/{m}/{d}",
        f"{y}-{m:02}-{d:02}",
        f"{y}年{m}月{d}日",
        f"{y}{m:02}{d:02}",
        int(f"{y}{m:02}{d:02}"),
        f"{y}.{m:02}.{d:02}",
        f"{y}-{m:02}-{d:02} 00:00:00",
        f" {y}年{m:02}月{d:02}日 ",
    ]


@given(st.dates(date(1960, 1, 1), date(2099, 12, 31)))
def test_date_round_trip(day: date) -> None:
    for form in _date_forms(day):
        assert parse_date(form) == Parsed(day), form


def test_excel_serials() -> None:
    assert parse_date(42856) == Parsed(date(2017, 5, 1))
    assert parse_date(42858) == Parsed(date(2017, 5, 3))
    assert parse_date(42858.5) == Parsed(date(2017, 5, 3))
    assert parse_date(date(1899, 12, 30) + timedelta(days=20000)) == parse_date(20000)
    # the birth dates of women over 62 in 2017, written as serials (a "General" column)
    assert parse_date(18384) == Parsed(date(1950, 5, 1))
    assert parse_date(7306) == Parsed(date(1920, 1, 1))
    assert parse_date(7305) == Parsed(None, "bad_value")  # below 1920: not taken as a date
    # a serial as text (every cell of a CSV): as the number
    for text in ("42858", "42858.0", " 42858 ", "４２８５８"):
        assert parse_date(text) == Parsed(date(2017, 5, 3)), text
    assert parse_date("29221") == Parsed(date(1980, 1, 1))
    assert parse_year("43069") == Parsed(2017)
    for text in ("1980", "7305", "80001", "123456"):
        assert parse_date(text) == Parsed(None, "bad_value"), text


@pytest.mark.parametrize("raw", [None, "", " ", math.nan])
def test_date_blank(raw: object) -> None:
    assert parse_date(raw) == Parsed(None, None)


@pytest.mark.parametrize(
    "raw",
    ["2017.2.30", "20171301", "abc", "见备注", 12, 1980, 2017, 80001, True, "2017.5", "1800-01-01"],
)
def test_date_bad(raw: object) -> None:
    assert parse_date(raw) == Parsed(None, "bad_value")


@pytest.mark.parametrize(
    "raw",
    [
        2017,
        2017.0,
        2017.12,
        "2017",
        "2017年",
        "2017.12",
        "2017年12月",
        "2017-12-20",
        "2017/12",
        date(2017, 12, 20),
        datetime(2017, 12, 20, 8, 0),
        20171220,
        "20171220",
        "２０１７年",
        43089,
    ],
)
def test_year(raw: object) -> None:
    assert parse_year(raw) == Parsed(2017)


@pytest.mark.parametrize("raw", [1999, "1999", 2100, "2017.13", "abc", "见备注", True, "17年"])
def test_year_bad(raw: object) -> None:
    assert parse_year(raw) == Parsed(None, "bad_value")


def test_year_blank() -> None:
    assert parse_year(None) == Parsed(None, None)
    assert parse_year(" ") == Parsed(None, None)


# --- vocabularies --------------------------------------------------------------------------------

CAPACITY = {
    "able": ["普通劳动力", "有劳动能力", "有劳动力", "劳动力"],
    "skilled": ["技能劳动力"],
    "weak": ["弱劳动力或半劳动力", "弱劳动力", "半劳动力", "部分丧失劳动能力"],
    "lost": ["丧失劳动力", "丧失劳动能力", "完全丧失劳动能力"],
    "none": ["无劳动力", "无劳动能力", "非劳动力"],
}
WILLING = {
    "yes": ["是", "有", "愿意", "有意愿", "√", "✓", "Y", "y"],
    "no": ["否", "无", "不愿意", "无意愿", "×", "✗", "N", "n"],
}
WING = {
    "handicraft": [
        "手工",
        "手工加工",
        "手工加工业",
        "来料加工",
        "编织",
        "刺绣",
        "香包",
        "手工编织",
    ],
    "domestic_service": ["家政", "家政服务", "家政服务业", "月嫂", "育婴员", "家政服务(月嫂)"],
    "ecommerce": ["电商", "巾帼电商", "电子商务", "网店", "微商", "直播带货"],
    "agriculture": ["农业", "种植", "养殖", "种养殖", "农业种植", "大棚蔬菜"],
    "other": ["其他", "其它", "务工", "个体经营"],
    "none": ["无", "/", "／", "—", "-"],
}
STATUS = {
    "not_exited": ["未脱贫", "否"],
    "exited": [
        "已脱贫",
        "是",
        "脱贫",
        "已脱贫（享受政策）",
        "已脱贫(享受政策)",
        "已脱贫（不再享受政策）",
    ],
    "returned": ["返贫"],
}


@pytest.mark.parametrize(
    ("field", "table"),
    [("labor_capacity", CAPACITY), ("willing", WILLING), ("wing", WING), ("status", STATUS)],
)
def test_vocabulary_spellings(field: str, table: dict[str, list[str]]) -> None:
    for code, spellings in table.items():
        for spelling in spellings:
            assert VOCAB.lookup(field, spelling) == Parsed(code), spelling
            assert VOCAB.lookup(field, f" {spelling}\u3000") == Parsed(code), spelling


@pytest.mark.parametrize(
    ("field", "blank", "miss"),
    [
        ("labor_capacity", Parsed("unknown"), Parsed("unknown", "unknown_value")),
        ("willing", Parsed("unknown"), Parsed("unknown", "unknown_value")),
        ("wing", Parsed("none"), Parsed("other", "unknown_value")),
        ("status", Parsed(None), Parsed(None, "unknown_value")),
    ],
)
def test_vocabulary_blank_and_unknown(field: str, blank: Parsed[str], miss: Parsed[str]) -> None:
    for raw in (None, "", " ", "\u3000", math.nan):
        assert VOCAB.lookup(field, raw) == blank
    for raw in ("见备注", " 见 备 注 ", "火星语", "12"):
        assert VOCAB.lookup(field, raw) == miss


def test_see_remarks_never_matches_and_cannot_be_configured() -> None:
    for field in FIELDS:
        assert VOCAB.lookup(field, "见备注").problem == "unknown_value"
    assert VOCAB.parse_flag("见备注") == Parsed(False, "unknown_value")
    with pytest.raises(UsageError, match="never read as a value"):  # not ignored silently
        Vocabulary({"wing": {"见备注": "handicraft"}})


def test_wing_longest_keyword_wins() -> None:
    assert VOCAB.lookup("wing", "来料加工业") == Parsed("handicraft")
    assert VOCAB.lookup("wing", "巾帼电商创业") == Parsed("ecommerce")
    assert VOCAB.lookup("wing", "无业") == Parsed("other", "unknown_value")


@pytest.mark.parametrize("raw", ["是", "√", "✓", 1, 1.0, "1", "Y", "y", "有", "true", "TRUE", True])
def test_flag_true(raw: object) -> None:
    assert VOCAB.parse_flag(raw) == Parsed(True)


@pytest.mark.parametrize("raw", ["否", "×", "✗", 0, 0.0, "0", "N", "n", "无", None, "", False])
def test_flag_false(raw: object) -> None:
    assert VOCAB.parse_flag(raw) == Parsed(False)


@pytest.mark.parametrize("raw", ["也许", 2, "见备注"])
def test_flag_unknown(raw: object) -> None:
    assert VOCAB.parse_flag(raw) == Parsed(False, "unknown_value")


def test_extensions_merge_on_top() -> None:
    vocab = Vocabulary(
        {
            "wing": {"来料加工点": "handicraft", "务工": "domestic_service"},
            "willing": {"不详": "unknown"},
        }
    )
    assert vocab.lookup("wing", "来料加工点") == Parsed("handicraft")
    assert vocab.lookup("wing", "务工") == Parsed("domestic_service")
    assert vocab.lookup("wing", "电商") == Parsed("ecommerce")
    assert vocab.lookup("willing", "不详") == Parsed("unknown")
    assert VOCAB.lookup("wing", "务工") == Parsed("other")


def test_bad_extensions_are_refused() -> None:
    with pytest.raises(UsageError, match="unknown code"):
        Vocabulary({"wing": {"种菜": "farming"}})
    with pytest.raises(UsageError, match="no vocabulary"):
        Vocabulary({"colour": {"红": "red"}})
    with pytest.raises(KeyError):
        VOCAB.lookup("colour", "红")
    # 见备注 is never a value: mapping it would be ignored silently, so it is refused
    with pytest.raises(UsageError, match="see the remarks"):
        Vocabulary({"wing": {" 见 备注 ": "other"}})


def test_see_the_remarks_is_not_told_to_extend_the_vocabulary() -> None:
    """An unknown_value of 见备注 asks for the value in the column, not for a spelling in
    hcs.toml (which is refused); other unknown values keep the vocabulary advice."""
    from handcraft_stats.checks import Catalogue

    cat = Catalogue.load()
    assert VOCAB.lookup("wing", "见备注").problem == "unknown_value"
    see = cat.message("unknown_value", "见备注")
    assert see.startswith("填的是“见备注”") and "hcs.toml" not in see
    assert "write the value in this column" in cat.message("unknown_value", "见 备注", "en")
    other = cat.message("unknown_value", "种草莓")
    assert other == "不在取值范围内的值：种草莓（可在 hcs.toml 中扩充词表）"


def test_lookup_cache_keeps_types_apart() -> None:
    vocab = Vocabulary()
    assert vocab.parse_flag(1) == Parsed(True)
    assert vocab.lookup("new_practitioner", True) == Parsed("true", None)
    assert vocab.lookup("willing", "是") is vocab.lookup("willing", "是")
    assert vocab.parse_flag(2) == Parsed(False, "unknown_value")


# --- distinct values -------------------------------------------------------------------------

CELLS = st.one_of(
    st.booleans(),
    st.sampled_from([0, 1, 0.0, 1.0, -0.0, 2, 2.5, math.nan, None, "", "1", "是"]),
    st.integers(-3, 3),
    st.floats(allow_nan=True),
    st.text(max_size=3),
    st.dates(min_value=date(2016, 1, 1), max_value=date(2017, 12, 31)),
)


@given(st.lists(CELLS, max_size=40))
def test_distinct_codes_give_back_every_cell(cells: list[object]) -> None:
    """Each row's code leads back to its own cell (a bool stays a bool next to 1 and 1.0);
    missing cells share the value None; equal cells share a code."""
    d = Distinct(cells)
    typed = any(type(c) is bool for c in cells) and len(set(map(type, cells))) > 1
    assert len(d.codes) == len(cells)
    for cell, code in zip(cells, d.codes.tolist(), strict=True):
        value = d.uniq[code]
        if cell is None or (isinstance(cell, float) and math.isnan(cell)):
            assert value is None
            continue
        assert value == cell
        if typed:
            assert type(value) is type(cell)
    seen: dict[object, int] = {}
    for cell, code in zip(cells, d.codes.tolist(), strict=True):
        if cell is not None and not (isinstance(cell, float) and math.isnan(cell)):
            key = (type(cell), cell) if typed else cell
            assert seen.setdefault(key, code) == code


def test_distinct_spreads_tuples_and_lists_as_values_not_rows() -> None:
    d = Distinct(["a", "b", "a", None])
    out = d.spread([(1, 2), [3], ()])  # a, b, and the missing value
    assert out.shape == (4,) and out.dtype == object
    assert out.tolist() == [(1, 2), [3], (1, 2), ()]


def test_distinct_keeps_a_bool_hidden_behind_an_equal_number() -> None:
    d = Distinct([1.0, True, 1, "1", None, False, 0])
    assert [type(d.uniq[c]).__name__ for c in d.codes] == [
        "float", "bool", "int", "str", "NoneType", "bool", "int",
    ]  # fmt: skip


@pytest.mark.parametrize(
    "values",
    [["张丽", None, "王芳"], [None, None], ["a", 1], [], ["x", math.nan], [True, None]],
)
def test_frame_columns_have_the_type_pandas_infers_from_the_values(values: list[object]) -> None:
    """Text columns built through Arrow are what pandas makes of the list, type included."""
    array = np.empty(len(values), dtype=object)
    array[:] = values
    got = pd.Series(_column("name", array))
    want = pd.Series(list(values))
    pd.testing.assert_series_equal(got, want)


INVISIBLES = ["\u200b", "\ufeff", "\u200c", "\u200d", "\u2060", "\u00ad", "\u200e", "\u202c"]


@pytest.mark.parametrize("mark", INVISIBLES)
def test_characters_that_show_as_nothing_are_dropped_everywhere(mark: str) -> None:
    """Pasted from a web page or a chat message: the cell looks right, and was read as a
    malformed ID, another woman's name, a bad amount or date, an unknown value."""
    from handcraft_stats.normalize.idnumber import IdStatus, normalize_id

    found = normalize_id(mark + "320321198001010024")
    assert (found.status, found.value) == (IdStatus.VALID, "320321198001010024")
    assert normalize_id("3203211980" + mark + "01010024").status is IdStatus.VALID
    assert normalize_name("杨" + mark + "丽") == normalize_name("杨丽") == "杨丽"
    assert pinyin_key(normalize_name(mark + "张莉") or "") == "zhang li"
    assert parse_money("3,500" + mark) == Parsed(Decimal("3500.00"))
    assert parse_money(mark + "1.2万") == Parsed(Decimal("12000.00"))
    assert parse_count("3次" + mark) == parse_count("3次")
    assert parse_date("2017-08-10" + mark) == Parsed(date(2017, 8, 10))
    assert parse_year(mark + "2017年") == parse_year("2017年")
    assert normalize_phone("138" + mark + "12345678") == "13812345678"
    assert VOCAB.lookup("willing", "愿意" + mark) == VOCAB.lookup("willing", "愿意")
    assert VOCAB.lookup("willing", mark) == VOCAB.lookup("willing", "")
    assert clean_text(mark + "凤城街道" + mark) == "凤城街道"
    assert text_or_none(mark) is None and text_or_none(mark + " ") is None
    assert squash("姓" + mark + "名") == "姓名"


def test_every_invisible_character_is_unprintable() -> None:
    """`nfkc` translates only texts that are not printable: it relies on this."""
    from handcraft_stats.normalize.text import INVISIBLE

    assert INVISIBLE and not any(chr(c).isprintable() for c in INVISIBLE)


def test_a_woman_written_with_a_zero_width_space_is_the_same_woman(tmp_path: Path) -> None:
    from conftest import HEADER, ID_A, ingested
    from handcraft_stats import Store

    def rows(name: str, ident: str) -> list[list[object]]:
        return [HEADER, [1, name, ident, "普通劳动力", "是", "手工编织"]]

    db = ingested(tmp_path, {
        "丰县2017年花名册.xlsx": rows("杨丽", ID_A),
        "沛县2017年花名册.xlsx": rows("杨\u200b丽", "\ufeff" + ID_A),
    })  # fmt: skip
    with Store(db, read_only=True) as store:
        persons = store.df("SELECT name, counties FROM persons WHERE tier = 'certain'")
        issues = store.df("SELECT code FROM issues")
    assert persons.values.tolist() == [["杨丽", 2]]
    assert "id_malformed" not in set(issues["code"]) and not any(
        c.startswith("id_") for c in issues["code"]
    )


@pytest.mark.parametrize("dot", ["·", "•", "‧", "・", "･", "⋅", "∙", ".", "．"])
def test_the_separator_dot_of_a_minority_name_is_one_dot(dot: str) -> None:
    """Typed with whichever dot the keyboard gave, 阿依古丽·买买提 is one name (and one
    pinyin key), as her ID card prints it with U+00B7."""
    name = normalize_name(f"阿依古丽{dot}买买提")
    assert name == "阿依古丽·买买提"
    assert pinyin_key(name) == pinyin_key("阿依古丽·买买提")
    assert normalize_name(f"古丽 {dot} 阿不都") == "古丽·阿不都"


@pytest.mark.parametrize(
    ("typed", "phone"),
    [("+86 138 1234 5678", "13812345678"), ("0086-13812345678", "13812345678"),
     ("8613812345678", "13812345678"), (8613812345678.0, "13812345678"),
     ("13812345678/13912345678", "13812345678"), ("13812345678、13912345678", "13812345678"),
     ("0516-83881234 13912345678", "13912345678"), ("0516-83881234", "051683881234"),
     ("138-1234-5678", "13812345678"), ("861234", "861234")],
)  # fmt: skip
def test_a_mobile_number_without_its_country_code_and_the_first_of_several(
    typed: object, phone: str
) -> None:
    """A woman's phone written with +86, or two numbers in one cell, is her mobile
    number: it agrees with her other rosters' (name_birth links, phone_shared)."""
    assert normalize_phone(typed) == phone


@pytest.mark.parametrize(
    ("field", "raw", "code"),
    [("status", "已脱贫（2017年）", "exited"), ("status", "已返贫", "returned"),
     ("status", "未脱贫(2017)", "not_exited"), ("labor_capacity", "普通劳动力（务农）", "able"),
     ("willing", "愿意(外出)", "yes")],
)  # fmt: skip
def test_a_known_spelling_with_a_note_in_brackets_after_it(field: str, raw: str, code: str) -> None:
    """已脱贫（2017年） was an unknown value, so no exit; 已返贫 was not returned."""
    assert Vocabulary().lookup(field, raw) == Parsed(code)


def test_excel_true_and_false_answer_yes_no_columns() -> None:
    """TRUE / FALSE cells (a check box's column) in 是否有就业意愿 were unknown_value
    "True" (the woman's class unknown); 是否新增从业 read them already."""
    from handcraft_stats.normalize.vocab import Vocabulary

    v = Vocabulary()
    assert [v.lookup("willing", x).value for x in (True, False, "TRUE", "false")] == [
        "yes", "no", "yes", "no",
    ]  # fmt: skip
    assert [v.lookup("labor_capacity", x).value for x in (True, False)] == ["able", "none"]


_PLACEHOLDER_ROWS = {
    "name": ["张丽", "王芳", "李娜"],
    "id_number": ["320321198001010024", "／", "NULL"],
    "phone": ["/", "—", "无"],
    "birth_date": ["/", " — ", None],
    "town": ["/", "欢口镇", "暂无"],
    "village": ["——", "", "…"],
    "labor_capacity": ["/", "普通劳动力", "无"],
    "willing": ["/", "是", "无"],
    "wing": ["/", "手工", "—"],
    "status": ["/", "", "-"],
    "exit_year": ["/", "", "--"],
    "visit_date": ["—", "", "/"],
    "new_practitioner": ["/", "是", "\\"],
    "trainings": ["/", "3次", "无"],
    "income_before": ["/", "3000", "无"],
    "note": ["/", "", "无"],
}


def test_a_placeholder_is_a_blank_cell_in_every_field() -> None:
    """A template's "nothing recorded" (/, —, …, NULL, and 无, 暂无, 空 where no vocabulary
    reads it as an answer) is no value: no unknown_value or bad_value issue, no text kept,
    and no filled cell. Until session 23 each "/" was an issue (id_length for an ID, bad_value
    for a date, unknown_value for a capacity), "/" was kept as a town, and a record of "/"
    cells was more complete than one of real values (found by an audit)."""
    from handcraft_stats.normalize.frame import normalize_frame
    from handcraft_stats.normalize.vocab import Vocabulary

    raw = pd.DataFrame(_PLACEHOLDER_ROWS, dtype=object)
    frame, issues = normalize_frame(raw, Vocabulary({}))
    assert sorted((i.index, i.code, i.column) for i in issues) == [
        (1, "id_missing", "id_number"), (2, "id_missing", "id_number"),
    ]  # fmt: skip
    first = frame.iloc[0]
    assert first["filled"] == 2  # her name and her ID: sixteen cells, fourteen of them "/"
    assert first["birth_date"] == date(1980, 1, 1)  # the ID's: her cell says nothing
    for f in ("phone", "town", "village", "labor_capacity", "willing", "wing",
              "status", "exit_year", "visit_date", "new_practitioner", "trainings",
              "income_before", "note"):  # fmt: skip
        assert pd.isna(first[f]), f
    # 无 where a vocabulary reads it is an answer: no capacity, not willing, no trainings
    last = frame.iloc[2]
    assert (last["labor_capacity"], last["willing"], last["trainings"]) == ("none", "no", 0)
    assert pd.isna(last["phone"]) and pd.isna(last["note"]) and pd.isna(last["income_before"])
    assert last["filled"] == 4  # name, capacity, willingness, trainings
    assert frame.iloc[1]["filled"] == 8


@pytest.mark.parametrize("cell", ["/", "／", " / ", "—", "——", "…", "\\", "NULL", "N/A"])
def test_placeholder_marks_are_nothing_in_every_field(cell: str) -> None:
    from handcraft_stats.normalize.text import NOTHING, PLACEHOLDER_MARKS, placeholder

    assert placeholder(cell) and placeholder(cell, NOTHING)
    assert cell not in {"无"} and "无" in NOTHING and "无" not in PLACEHOLDER_MARKS


@pytest.mark.parametrize("cell", ["张丽", "无锡", "3000", "", "无劳动力", "N", "Y", 0, None])
def test_values_are_no_placeholders(cell: object) -> None:
    from handcraft_stats.normalize.text import NOTHING, placeholder

    assert not placeholder(cell, NOTHING)
