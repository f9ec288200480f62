"""ID numbers: cleaning, statuses, 15→18 upgrade, numbers that lost precision, masking."""

from __future__ import annotations

import math
from datetime import date, datetime

import pytest
from hypothesis import assume, example, given
from hypothesis import strategies as st
from stdnum.cn import ric

from handcraft_stats.normalize.idnumber import (
    ISSUE_CODE,
    IdResult,
    IdStatus,
    check_character,
    malformed_code,
    mask_id,
    normalize_id,
    normalize_ids,
    upgrade15,
    written_out,
)

AREAS = ["320321", "320323", "340123", "370112", "320312", "320382", "320325", "320326"]
FULL_WIDTH = str.maketrans("0123456789Xx", "０１２３４５６７８９Ｘｘ")


def make_id(area: str, born: date, seq: str) -> str:
    body = area + born.strftime("%Y%m%d") + seq
    return body + check_character(body)


@st.composite
def valid_ids(
    draw: st.DrawFn, first: date = date(1940, 1, 1), last: date = date(2005, 12, 31)
) -> str:
    area = draw(st.sampled_from(AREAS))
    born = draw(st.dates(first, last))
    seq = draw(st.from_regex(r"\A[0-9]{2}[02468]\Z"))
    return make_id(area, born, seq)


@st.composite
def messy(draw: st.DrawFn, text: str) -> str:
    """The same ID written with the messes seen in rosters (ROSTERS.md "Cell values")."""
    chars = []
    for ch in text:
        if ch == "X" and draw(st.booleans()):
            ch = "x"
        if draw(st.booleans()):
            ch = ch.translate(FULL_WIDTH)
        chars.append(ch)
        chars.append(draw(st.sampled_from(["", "", "", " ", "\u3000"])))
    lead = draw(st.sampled_from(["", "'", "‘", "’", " "]))
    tail = draw(st.sampled_from(["", " ", "  ", "\u3000", "\t"]))
    return lead + "".join(chars) + tail


SAMPLE = make_id("320321", date(1980, 1, 1), "124")


# --- check character -------------------------------------------------------------------------


def test_check_character_of_the_standard_example() -> None:
    assert check_character("11010519491231002") == "X"
    assert normalize_id("11010519491231002X").status is IdStatus.VALID


@given(valid_ids())
def test_check_character_agrees_with_stdnum(id18: str) -> None:
    assert check_character(id18[:17]) == ric.calc_check_digit(id18)


@pytest.mark.parametrize("bad", ["1234", "1101051949123100X", "110105194912310021"])
def test_check_character_rejects_wrong_input(bad: str) -> None:
    with pytest.raises(ValueError):
        check_character(bad)


# --- valid and its messes ------------------------------------------------------------------------


@given(st.data())
def test_messy_valid_id_normalises_to_itself(data: st.DataObject) -> None:
    id18 = data.draw(valid_ids())
    raw = data.draw(messy(id18))
    result = normalize_id(raw)
    assert result == IdResult(IdStatus.VALID, id18, date.fromisoformat(_iso(id18[6:14])))


def _iso(yyyymmdd: str) -> str:
    return f"{yyyymmdd[:4]}-{yyyymmdd[4:6]}-{yyyymmdd[6:]}"


@pytest.mark.parametrize(
    "raw",
    [
        "11010519491231002x",
        "１１０１０５１９４９１２３１００２Ｘ",
        "110105 19491231 002X",
        "'11010519491231002X",
        "11010519491231002X   ",
        "110105\u300019491231002X",
        '"11010519491231002X"',
    ],
)
def test_roster_messes(raw: str) -> None:
    result = normalize_id(raw)
    assert result.status is IdStatus.VALID
    assert result.value == "11010519491231002X"
    assert result.birth_date == date(1949, 12, 31)


# --- 15-digit IDs --------------------------------------------------------------------------------


def test_upgrade15_example() -> None:
    assert upgrade15("110105491231002") == "11010519491231002X"
    with pytest.raises(ValueError):
        upgrade15("11010549123100")


@given(st.data())
def test_fifteen_digit_form_upgrades(data: st.DataObject) -> None:
    id18 = data.draw(valid_ids(date(1940, 1, 1), date(1999, 12, 31)))
    id15 = id18[:6] + id18[8:17]
    result = normalize_id(data.draw(messy(id15)))
    assert result.status is IdStatus.UPGRADED15
    assert result.value == id18
    assert result.birth_date is not None and result.birth_date.year == int(id18[6:10])


def test_fifteen_digit_number_is_a_legacy_id() -> None:
    for raw in (320321800101123, 320321800101123.0):
        result = normalize_id(raw)
        assert result.status is IdStatus.UPGRADED15
        assert result.value == upgrade15("320321800101123")
        assert result.birth_date == date(1980, 1, 1)


def test_fifteen_digits_with_impossible_date_are_malformed() -> None:
    assert normalize_id("320321801301123") == IdResult(IdStatus.MALFORMED, "320321801301123")


# --- errors that must never pass as valid ------------------------------------------------------


@given(st.data())
def test_one_changed_digit_is_never_valid(data: st.DataObject) -> None:
    id18 = data.draw(valid_ids())
    pos = data.draw(st.integers(0, 17))
    alphabet = "0123456789X" if pos == 17 else "0123456789"
    new = data.draw(st.sampled_from([c for c in alphabet if c != id18[pos]]))
    changed = id18[:pos] + new + id18[pos + 1 :]
    assert normalize_id(changed).status in _not_valid(changed)


@given(st.data())
def test_two_swapped_digits_are_never_valid(data: st.DataObject) -> None:
    id18 = data.draw(valid_ids())
    swaps = [i for i in range(17) if id18[i] != id18[i + 1]]
    pos = data.draw(st.sampled_from(swaps))
    swapped = id18[:pos] + id18[pos + 1] + id18[pos] + id18[pos + 2 :]
    assert normalize_id(swapped).status in _not_valid(swapped)


def _not_valid(text: str) -> tuple[IdStatus, ...]:
    """What a mistyped ID can be: a bad check, malformed, or (ending in 000 with a bad
    check, as Excel writes a number it kept to 15 digits) digits lost."""
    lost = (IdStatus.PRECISION_LOST,) if text.endswith("000") else ()
    return (IdStatus.BAD_CHECK, IdStatus.MALFORMED, *lost)


def test_an_id_written_out_by_excel_with_its_lost_digits_as_zeros() -> None:
    """A CSV saved from Excel writes a number cell it kept to 15 significant digits in
    full, the lost digits as zeros: digits lost (linked on the first 15), not a typo.
    A valid ID that ends in 000 stays valid."""
    assert normalize_id("320321198001012000") == IdResult(
        IdStatus.PRECISION_LOST, "320321198001012"
    )
    assert normalize_id(" 320321198001012000 ") == normalize_id(320321198001012000)
    ends = next(b + "0" for b in (f"32032119800101{n}00" for n in range(10))
                if check_character(b) == "0")  # fmt: skip
    assert normalize_id(ends).status is IdStatus.VALID
    # the many-cell path (the one ingest takes) says the same
    cells = ["320321198001012000", ends, " 320321198001012000"]
    found = normalize_ids(cells)
    assert found.status == [normalize_id(c).status for c in cells]
    assert found.value == [normalize_id(c).value for c in cells]


def test_in_a_column_written_out_by_excel_no_id_ending_in_000_is_valid() -> None:
    """One ID in eleven written out with 000 passes its check by chance: where the
    column shows it was written out (another …000 fails its check), it is precision_lost
    too. Two women born on one day had one "valid" ID and were one woman (same_id)."""
    ends = next(b + "0" for b in (f"32032119800101{n}00" for n in range(10))
                if check_character(b) == "0")  # fmt: skip
    other = "320321198001012000"  # fails its check: written out
    column = [ends, other, "320321198001013000", 3.20321198001014e17]
    found = written_out(column, normalize_ids(column))
    assert set(found.status) == {IdStatus.PRECISION_LOST}
    assert found.value[:2] == [ends[:15], other[:15]]
    alone = normalize_ids([ends, SAMPLE])  # no sign of a written-out column: valid
    assert written_out([ends, SAMPLE], alone) == alone
    # one pasted cell among IDs typed in full: a real ID ending in 000 stays valid
    typed = [ends, other, SAMPLE, "320322197505050048", "34132119900202008X"]
    assert written_out(typed, normalize_ids(typed)).status[0] is IdStatus.VALID


def test_bad_check_keeps_value_and_birth_date() -> None:
    wrong = SAMPLE[:17] + ("0" if SAMPLE[17] != "0" else "1")
    assert normalize_id(wrong) == IdResult(IdStatus.BAD_CHECK, wrong, date(1980, 1, 1))


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("320321198013011234", "320321198013011234"),  # month 13
        ("320321180001011234", "320321180001011234"),  # year 1800
        ("320321198002301234", "320321198002301234"),  # 30 February
        ("3203211980010112", "3203211980010112"),
        ("32032119800101123A", "32032119800101123A"),
        ("abc", "ABC"),
        (True, "TRUE"),
        (12.5, "12.5"),
        (123, "123"),
    ],
)
def test_malformed(raw: object, value: str) -> None:
    result = normalize_id(raw)
    assert result == IdResult(IdStatus.MALFORMED, value)


def test_date_cells_are_malformed() -> None:
    assert normalize_id(datetime(1980, 1, 1)).status is IdStatus.MALFORMED
    assert normalize_id(date(1980, 1, 1)).status is IdStatus.MALFORMED


@pytest.mark.parametrize("raw", [None, "", "   ", "\u3000", math.nan, "'"])
def test_missing(raw: object) -> None:
    assert normalize_id(raw) == IdResult(IdStatus.MISSING, None)


# --- numbers stored by Excel ---------------------------------------------------------------------


@given(valid_ids())
def test_numeric_cell_loses_precision(id18: str) -> None:
    # Excel keeps the first 15 digits and writes zeros for the rest.
    for raw in (float(id18[:15] + "000"), int(id18[:15] + "000")):
        result = normalize_id(raw)
        assert result == IdResult(IdStatus.PRECISION_LOST, id18[:15])


@given(valid_ids())
def test_scientific_text_loses_precision(id18: str) -> None:
    text = f"{float(id18[:15] + '000'):.14E}"  # what Excel shows: 3.20321198001012E+17
    assert normalize_id(text) == IdResult(IdStatus.PRECISION_LOST, id18[:15])


@given(valid_ids())
def test_shortest_scientific_text_gets_its_zeros_back(id18: str) -> None:
    # pandas and Python write the shortest form, without the 15th digit when it is a 0
    # (3.2032119800101e+17): the zeros are put back, so the 15 digits still link.
    for text in (repr(float(id18[:15] + "000")), f"{float(id18[:15] + '000'):.14E}".upper()):
        assert normalize_id(text) == IdResult(IdStatus.PRECISION_LOST, id18[:15]), text


@given(valid_ids())
def test_legacy_15_digit_id_as_scientific_text_is_upgraded(id18: str) -> None:
    id15 = id18[:6] + id18[8:17]
    text = repr(float(id15))  # 3.20321800101123e+14
    if "e" not in text:
        text = f"{float(id15):.14e}"
    assert normalize_id(text) == normalize_id(id15)


@pytest.mark.parametrize(
    ("raw", "code"),
    [("3.2E+1", "id_length"), ("1.25E+0", "id_length"), ("3.203211980010123E+14", "id_length")],
)
def test_scientific_text_that_cannot_be_an_id_is_malformed(raw: str, code: str) -> None:
    result = normalize_id(raw)
    assert result.status is IdStatus.MALFORMED
    assert malformed_code(result.value or "") == code


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("3.2032119800101E+17", "320321198001010"),
        ("3.2032119800101e+17", "320321198001010"),
        ("3.20321198001E+17", "320321198001000"),
        ("3.2032119800E+17", "32032119800"),  # 11 digits: a rounded display, kept as shown
        (3.20321198001012e17, "320321198001012"),
        (320321198001012000, "320321198001012"),
        ("3.20321E+17", "320321"),
        ("3.20321198001012E+17", "320321198001012"),
        ("3.20321198001012e+17", "320321198001012"),
        ("'3.20321E+17 ", "320321"),
    ],
)
def test_precision_lost_examples(raw: object, value: str) -> None:
    assert normalize_id(raw) == IdResult(IdStatus.PRECISION_LOST, value)


@pytest.mark.parametrize(
    ("id18", "double", "lead"),
    [
        # Rounding to 15 digits would give …01020: a 15th digit, and a birth date, invented.
        ("320321198001019862", 3.2032119800101984e17, "320321198001019"),
        ("340123197506183722", 3.4012319750618374e17, "340123197506183"),
        ("370112196811304588", 3.701121968113046e17, "370112196811304"),
    ],
)
def test_full_precision_double_keeps_its_true_15_digits(
    id18: str, double: float, lead: str
) -> None:
    # openpyxl, pandas and WPS write the nearest double, not Excel's 15 digits: truncate.
    assert check_character(id18[:17]) == id18[17]
    assert float(int(id18)) == double
    assert normalize_id(double) == IdResult(IdStatus.PRECISION_LOST, lead)


def _old_leading_digits(number: float) -> str:
    """What the code gave before the truncation fix: rounding to 15 significant digits."""
    return format(number, ".14e").split("e")[0].replace(".", "")


@given(valid_ids())
def test_excel_double_reads_as_before(id18: str) -> None:
    excel = float(int(id18[:15]) * 1000)  # the value Excel stores for an 18-digit ID
    result = normalize_id(excel)
    assert result == IdResult(IdStatus.PRECISION_LOST, _old_leading_digits(excel))
    assert result.value == id18[:15]


NUMERIC_IDS = valid_ids().filter(lambda id18: id18[-1] != "X")  # X cannot be a number


@given(NUMERIC_IDS)
def test_full_precision_double_gives_the_first_15_digits(id18: str) -> None:
    double = float(int(id18))
    up = str(int(id18[:15]) + 1)
    # Only when the double is also Excel's value for the next 15 digits (IDs ending in
    # about 872..999) can no reader tell them apart; Excel's reading must win then.
    want = up if float(int(up) * 1000) == double else id18[:15]
    assert normalize_id(double) == IdResult(IdStatus.PRECISION_LOST, want)


@given(valid_ids(date(1940, 1, 1), date(1999, 12, 31)))
def test_fifteen_digit_float_stays_whole(id18: str) -> None:
    id15 = id18[:6] + id18[8:17]
    result = normalize_id(float(id15))
    assert result == IdResult(IdStatus.UPGRADED15, id18, date.fromisoformat(_iso(id18[6:14])))


@given(NUMERIC_IDS)
def test_exact_integer_id_stays_exact(id18: str) -> None:
    assume(len(id18.rstrip("0")) > 15)  # an int ending in 000 reads as Excel's 15 digits
    assert normalize_id(int(id18)) == normalize_id(id18)


def test_exact_integer_with_all_digits_is_read_as_text() -> None:
    # Not what Excel can store (more than 15 significant digits): the digits are trustworthy.
    digits = SAMPLE if SAMPLE[-1] != "X" else make_id("320321", date(1980, 1, 1), "126")
    assert normalize_id(int(digits)).status is IdStatus.VALID


# --- issues and masks ----------------------------------------------------------------------------


def test_issue_codes() -> None:
    assert ISSUE_CODE == {
        IdStatus.VALID: None,
        IdStatus.UPGRADED15: "id_upgraded",
        IdStatus.BAD_CHECK: "id_bad_check",
        IdStatus.PRECISION_LOST: "id_precision_lost",
        IdStatus.MALFORMED: "id_malformed",
        IdStatus.MISSING: "id_missing",
    }


def test_mask_examples() -> None:
    assert mask_id("320321198001011234") == "320321********1234"
    assert mask_id(None) == ""
    assert mask_id("") == ""
    assert mask_id("1234") == "****"
    # 15 characters (an old ID; a numeric cell's 15 digits): the last four are, or may
    # be, the birth date's
    assert mask_id("320321198607070") == "320321*********"
    assert mask_id("32032119800101002") == "320321***********"


@given(st.text(min_size=1, max_size=30))
@example("000000*0000")
def test_mask_never_shows_the_full_value(value: str) -> None:
    masked = mask_id(value)
    assert len(masked) == len(value)
    # what the stars stand for
    hidden = value if len(value) <= 10 else value[6:-4] if len(value) == 18 else value[6:]
    assert masked != value or set(hidden) == {"*"}  # 000000*0000 hides nothing more
    assert "*" in masked


# --- many at once (the array fast path) -------------------------------------------------------
@st.composite
def id_like_cells(draw: st.DrawFn) -> object:
    """18-character texts near valid IDs (bad check, impossible dates, letters, full-width)
    and the other cell kinds, so both the array path and the one-by-one path run."""
    base = draw(valid_ids(first=date(1890, 1, 1), last=date(2099, 12, 31)))
    kind = draw(st.integers(0, 6))
    if kind == 0:
        return base
    if kind == 1:  # any 17 digits + any check character
        return draw(st.from_regex(r"\A[0-9]{17}[0-9Xx]\Z"))
    if kind == 2:  # impossible month/day, years outside 1900-2099
        return base[:6] + draw(st.from_regex(r"\A[0-9]{8}\Z")) + base[14:]
    if kind == 3:  # one non-digit or full-width character
        at = draw(st.integers(0, 17))
        return base[:at] + draw(st.sampled_from(["a", "X", "９", " ", "-"])) + base[at + 1 :]
    if kind == 4:
        return draw(messy(base))
    if kind == 5:
        return float(base[:17])
    return draw(st.one_of(st.none(), st.integers(), st.text(max_size=20)))


@given(st.lists(id_like_cells(), max_size=40))
def test_many_at_once_equals_one_by_one(cells: list[object]) -> None:
    got = normalize_ids(cells)
    want = [normalize_id(c) for c in cells]
    assert got.value == [r.value for r in want]
    assert got.status == [r.status for r in want]
    assert got.birth_date == [r.birth_date for r in want]


def test_many_at_once_leap_days_and_century_bounds() -> None:
    cells = [
        make_id("320321", date(2000, 2, 29), "002"),
        "320321190002290021",  # 1900 was not a leap year
        "320321189912310021",  # before 1900
        make_id("320321", date(2099, 12, 31), "002"),
    ]
    got = normalize_ids(cells)
    assert got.status[0] is IdStatus.VALID and got.birth_date[0] == date(2000, 2, 29)
    assert got.status[1] is got.status[2] is IdStatus.MALFORMED
    assert got.birth_date[3] == date(2099, 12, 31)
    assert got.status == [normalize_id(c).status for c in cells]


@pytest.mark.parametrize(
    "typed", ["32032119510516012×", "320321-19510516-012X", "320321—19510516—012x",
              "３２０３２１－１９５１０５１６－０１２Ｘ", "320321 1951 0516 012×"],
)  # fmt: skip
def test_an_id_typed_with_a_times_sign_or_dashes_is_the_id(typed: str) -> None:
    """× for X and digits grouped by dashes are how IDs get typed: the same woman's ID."""
    found = normalize_id(typed)
    assert (found.status, found.value) == (IdStatus.VALID, "32032119510516012X")
    assert normalize_ids([typed]).value == [found.value]
    assert normalize_id("-").status is IdStatus.MISSING  # a dash alone: nothing recorded


def test_an_id_written_as_an_excel_text_formula_in_a_csv_is_its_digits() -> None:
    """="320321198001010024": a CSV export keeps Excel from making the ID a number so
    (the cell reads back with its = and quotes); it was `malformed`, an id_length error."""
    assert normalize_id('="11010519491231002X"').status is IdStatus.VALID
    assert normalize_id('="11010519491231002X"').value == "11010519491231002X"
    assert normalize_id("=SUM(A1)").status is IdStatus.MALFORMED
