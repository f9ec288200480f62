"""Layout detection: header rows, multi-row headers, and every skipped-row kind."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from handcraft_stats.columns import HeaderMatcher
from handcraft_stats.config import load_settings
from handcraft_stats.layout import _MARKERS, NotARoster, _may_mark, _may_open, classify
from handcraft_stats.normalize.text import is_blank

M = HeaderMatcher(load_settings(None).headers)


def test_every_row_kind_is_classified() -> None:
    rows = [
        ["", ""],
        ["徐州市沛县2017年妇女花名册", ""],
        ["填报单位：沛县妇联", "单位：元"],
        ["序号", "姓名", "身份证号码", "从业产业"],
        [1, "张丽", "320321198001010022", "手工"],
        ["", " ", "\u3000"],
        ["序号", "姓名", "身份证号码", "从业产业"],
        [2, "王芳", "", ""],
        [3, "", "", ""],
        ["合计 721人", "", "", ""],
        ["填表人：王某某", "", "审核人：李某某"],
        ["注：本表由村妇联填报"],
    ]
    lay = classify(M, rows)
    assert lay.header_rows == (3,)
    assert lay.records == [4, 7]
    assert {i + 1: k for i, k in lay.skipped.items()} == {
        1: "blank", 2: "title", 3: "info", 4: "header", 6: "blank", 7: "repeated_header",
        9: "no_person", 10: "totals", 11: "signature", 12: "note",
    }  # fmt: skip


def test_two_row_header_joins_group_row_with_vertical_merges() -> None:
    rows = [
        ["序号", "姓名", "身份证号码", "收入情况（元）", "", "帮扶情况"],
        ["", "", "", "帮扶前年收入\n(元)", "当年收入(元)", "结对帮扶人"],
        [1, "张丽", "320321198001010022", 3000, 5000, "李某"],
    ]
    lay = classify(M, rows)
    assert lay.header_rows == (0, 1)
    assert set(lay.columns.fields.values()) == {
        "name", "id_number", "income_before", "income_after", "broker",
    }  # fmt: skip
    assert lay.records == [2]


def test_a_two_row_header_repeated_below_is_no_record() -> None:
    """Both rows of a two-row header repeated mid-sheet (a page break in a printed
    roster) are skipped: the group row's 基本情况 sits in the name column and read as a
    woman (found by an audit: one more person than women)."""
    group = ["序号", "基本情况", "", "", "就业情况", "", "收入情况(元)", "", "备注"]
    header = ["", "姓名", "身份证号码", "联系电话", "从事产业", "参加培训次数",
              "帮扶前年收入(元)", "当年收入(元)", ""]  # fmt: skip
    rows = [
        ["丰县2017年妇女花名册"], group, header,
        [1, "张丽", "320321198001010024", "13912345678", "手工", 2, 3000, 9000, ""],
        [2, "王芳", "320322197505050048", "", "家政", 1, 2000, 8000, ""],
        [], group, header,
        [3, "陈梅", "34132119900202008X", "", "电商", 0, 1000, 7000, ""],
    ]  # fmt: skip
    lay = classify(M, rows)
    assert lay.header_rows == (1, 2)
    assert lay.records == [3, 4, 8]
    assert {i + 1: k for i, k in lay.skipped.items() if i > 2} == {
        6: "blank",
        7: "repeated_header",
        8: "repeated_header",
    }
    # a woman whose name equals the group row's cell is still a woman
    rows.append([4, "基本情况", "320321198001010024", "", "", "", "", "", ""])
    assert classify(M, rows).records == [3, 4, 8, 9]


def test_a_group_row_that_adds_no_column_is_header_and_its_repeats_no_records() -> None:
    """基本情况 / 就业情况 over columns that name themselves: the one-row header maps as
    many columns, but the row above is still the header's group row (counted `header`),
    and a repeat of it below the table is no woman."""
    group = ["序号", "基本情况", "", "就业情况"]
    header = ["", "姓名", "身份证号码", "从业产业"]
    rows = [
        ["丰县2017年妇女花名册"], group, header, [1, "张丽", "320321198001010024", "手工"],
        group, header, [2, "王芳", "320322197505050048", "家政"],
    ]  # fmt: skip
    lay = classify(M, rows)
    assert lay.records == [3, 6]
    assert {i + 1: k for i, k in lay.skipped.items()} == {
        1: "title", 2: "header", 3: "header", 5: "repeated_header", 6: "repeated_header",
    }  # fmt: skip
    # the pair is the header (it titles 序号's column, blank in the lower row): the group
    # row's text is the header's, not text above it
    assert lay.header_rows == (1, 2) and lay.above_header_text == "丰县2017年妇女花名册"


def test_a_group_names_the_column_whose_own_title_is_taken() -> None:
    """结对经纪人 over a second 姓名 and 联系电话: the broker (the woman's name and phone are
    the first 姓名 and 联系电话); the two-row header maps more columns and is chosen."""
    rows = [
        ["编号", "基本情况", "", "", "结对经纪人", ""],
        ["", "姓名", "身份证号码", "联系电话", "姓名", "联系电话"],
        [1, "张丽", "320321198001010024", "13912345678", "周珍淑", "13812345678"],
    ]
    lay = classify(M, rows)
    assert lay.header_rows == (0, 1)
    assert lay.columns.fields == {1: "name", 2: "id_number", 3: "phone", 4: "broker"}
    # kept, by its group and title: the broker's phone, never a second phone of hers
    assert list(lay.columns.extras.values()) == ["结对经纪人联系电话"] and not lay.columns.spare
    assert lay.records == [2]


def test_a_title_merged_over_two_columns_reads_the_one_holding_the_data() -> None:
    """身份证号码 merged over C:D, the IDs typed in D: every woman had id_missing and her ID
    went to 无表头列D. A title over two filled columns keeps its own."""
    rows = [
        ["序号", "姓名", "身份证号码", None, "联系电话"],
        [1, "张丽", None, "320321198001010024", "13912345678"],
        [2, None, None, "320321198001010032", None],
    ]
    lay = classify(M, rows, [((0, 2), (0, 3))])
    assert lay.columns.fields == {1: "name", 3: "id_number", 4: "phone"}
    assert not lay.columns.extras and lay.records == [1, 2]  # the second by her ID alone
    both = [rows[0], [1, "张丽", "320321198001010024", "东村", None]]
    lay = classify(M, both, [((0, 2), (0, 3))])
    assert lay.columns.fields == {1: "name", 2: "id_number", 4: "phone"}


def test_sentences_in_the_name_column_are_notes_not_women() -> None:
    """以上人员…审核, 以下空白 and 报送时间… typed into the name column below the list each
    counted as a woman (flagged only as id_missing, asking for an ID she cannot have).
    A name with a dot, brackets or a digit, or any row with an ID, is still a record."""
    rows = [
        ["序号", "姓名", "身份证号码"],
        [1, "张丽", "320321198001010024"],
        [2, "阿依古丽·买买提", ""],
        [3, "王芳(大)", ""],
        [4, "王?芳", ""],  # a rare character a GBK export could not write
        [5, "陈梅:", ""],
        ["", "以上人员信息已经村、镇两级审核", ""],
        ["", "以下空白", ""],
        ["", "报送时间2018年1月5日", ""],
        ["", "经核实，情况属实", ""],
    ]
    lay = classify(M, rows)
    assert lay.records == [1, 2, 3, 4, 5]
    assert {i + 1: k for i, k in lay.skipped.items()} == {
        1: "header", 7: "note", 8: "note", 9: "note", 10: "note",
    }  # fmt: skip


def test_a_group_over_a_shared_title_names_each_income() -> None:
    """帮扶前 and 帮扶后 each over 年收入 (itself an income_after synonym): the group and
    title joined name the column. 年收入 alone was tried first, so the income before
    help was stored as after and the after-income went to extras, without a word."""
    rows = [
        ["序号", "姓名", "身份证号码", "帮扶前", "帮扶后"],
        ["", "", "", "年收入", "年收入"],
        [1, "张丽", "320321198001010024", 3000, 8000],
    ]
    merged = [((0, j), (1, j)) for j in range(3)]
    lay = classify(M, rows, merged)
    assert lay.columns.fields == {1: "name", 2: "id_number", 3: "income_before",
                                  4: "income_after"}  # fmt: skip
    assert not lay.columns.extras


_BY_YEAR = {
    "one row": ([["序号", "姓名", "身份证号码", "2016年收入(元)", "2017年收入(元)"]], []),
    "years over 年收入": (
        [["序号", "姓名", "身份证号码", "2016年", "2017年"],
         ["", "", "", "年收入", "年收入"]],
        [((0, j), (1, j)) for j in range(3)],
    ),
    "年收入 over years": (
        [["序号", "姓名", "身份证号码", "年收入(元)", ""],
         ["", "", "", 2016, "2017年度"]],
        [*(((0, j), (1, j)) for j in range(3)), ((0, 3), (0, 4))],
    ),
}  # fmt: skip


@pytest.mark.parametrize("shape", _BY_YEAR)
@pytest.mark.parametrize("year", [2017, None])
def test_incomes_titled_by_year_are_before_and_after(shape: str, year: int | None) -> None:
    """2016年 and 2017年 over 年收入 (or 年收入(元) over them, or 2016年收入 / 2017年收入) in
    a 2017 roster: the 2016 column is the income before, 2017's after. The 2016 column
    was read as income_after (年收入's synonym, the first column to match) and the 2017
    income went to extras: every woman's gain was negative, without a word."""
    header, merged = _BY_YEAR[shape]
    rows = [*header, [1, "张丽", "320321198001010024", 3000, 8000]]
    lay = classify(M, rows, merged, year)
    assert lay.columns.fields == {1: "name", 2: "id_number", 3: "income_before",
                                  4: "income_after"}  # fmt: skip
    assert not lay.columns.extras


def test_incomes_titled_by_year_follow_the_rosters_year() -> None:
    header = ["序号", "姓名", "身份证号码", "2017年收入(元)", "2016年收入(元)", "2015年收入(元)"]
    rows = [header, [1, "张丽", "320321198001010024", 8000, 3000, 2000]]
    lay = classify(M, rows, (), 2017)  # in any order; 2015's is not one of the roster's
    assert lay.columns.fields == {1: "name", 2: "id_number", 3: "income_after",
                                  4: "income_before"}  # fmt: skip
    assert lay.columns.extras == {5: "2015年收入(元)"}
    # a 2018 roster: both were incomes before it; the latest is the one before
    lay = classify(M, rows, (), 2018)
    assert lay.columns.fields == {1: "name", 2: "id_number", 3: "income_before"}
    assert lay.columns.extras == {4: "2016年收入(元)", 5: "2015年收入(元)"}
    # the roster's year unknown: one year alone says nothing, it stays an unknown column
    lay = classify(M, [header[:4], rows[1][:4]], (), None)
    assert lay.columns.fields == {1: "name", 2: "id_number"}
    assert lay.columns.extras == {3: "2017年收入(元)"}
    # a title that says which income it is keeps its synonym's meaning, its year aside
    # (帮扶前(2016年)收入 was an unknown column until session 18: no mean gain), and a
    # column of the same income without a year comes first
    rows = [["姓名", "身份证号码", "帮扶前(2016年)收入", "当年收入", "2017年收入"],
            ["张丽", "320321198001010024", 3000, 8000, 8000]]  # fmt: skip
    lay = classify(M, rows, (), 2017)
    assert lay.columns.fields[2] == "income_before" and lay.columns.fields[3] == "income_after"
    assert lay.columns.extras == {4: "2017年收入"}


@pytest.mark.parametrize(("title", "field"), [
    ("帮扶前(2016年)收入", "income_before"), ("帮扶前收入（2016年）", "income_before"),
    ("2016年帮扶前收入", "income_before"), ("上年(2016年)收入", "income_before"),
    ("本年收入(2017年)", "income_after"), ("当年收入（2017年度）", "income_after"),
    ("当年收入(元/年)", "income_after"), ("当年收入(万元/年)", "income_after"),
    ("参加培训次数(次/年)", "trainings"), ("脱贫年度(年)", "exit_year"),
    ("身份证号码(18位)", "id_number"), ("联系电话(手机)", "phone"), ("2017年收入", None),
    ("当年收入(元/月)", None),
])  # fmt: skip
def test_titles_with_a_year_or_a_note_name_their_field(title: str, field: str | None) -> None:
    """Each was an unknown column until session 18 (身份证号码(18位) got its roster
    refused for no ID column); a month's income is no year's."""
    assert M.match(title) == field


@pytest.mark.parametrize("group", ["户主情况", "户主信息", "户主基本情况"])
def test_a_household_heads_group_before_hers_is_the_heads(group: str) -> None:
    """户主情况 [姓名, 身份证号码] before 帮扶对象（妇女） [姓名, 身份证号码, 联系电话]: the
    head's name is household_head and his ID is kept as his; the woman's are hers. The
    head was stored as the woman (a widowed female head: without any issue)."""
    rows = [
        ["序号", group, "", "帮扶对象（妇女）", "", ""],
        ["", "姓名", "身份证号码", "姓名", "身份证号码", "联系电话"],
        [1, "孙秀英", "320321195001010026", "李丽", "320321197801010028", "13912345678"],
    ]
    merged = [((0, 0), (1, 0)), ((0, 1), (0, 2)), ((0, 3), (0, 5))]
    lay = classify(M, rows, merged)
    assert lay.columns.fields == {1: "household_head", 3: "name", 4: "id_number", 5: "phone"}
    assert lay.columns.extras == {2: f"{group}身份证号码"} and not lay.columns.spare


def test_her_fields_over_the_head_and_herself_give_her_own_id() -> None:
    """姓名 / 身份证号码 each merged over 户主 / 本人: the woman's ID is under 本人. The
    head's ID (under 户主) was hers, hers went to extras, and two women of one household
    were one person (same_id, certain)."""
    rows = [
        ["序号", "姓名", "", "身份证号码", "", "联系电话"],
        ["", "户主", "本人", "户主", "本人", ""],
        [1, "李大山", "张丽", "320321197501010114", "320321198001010040", "13812345678"],
    ]
    merged = [((0, 0), (1, 0)), ((0, 1), (0, 2)), ((0, 3), (0, 4)), ((0, 5), (1, 5))]
    lay = classify(M, rows, merged)
    assert lay.columns.fields == {1: "household_head", 2: "name", 4: "id_number", 5: "phone"}
    assert lay.columns.extras == {3: "户主身份证号码"}


@pytest.mark.parametrize("units,merged", [
    (["", "", "（万元）", "（万元）", "（次）"], []),
    (["", "", "万元", "", "次"], [((1, 2), (1, 3))]),
])  # fmt: skip
def test_a_row_of_units_under_the_titles_is_the_headers(
    units: list[str], merged: list[tuple[tuple[int, int], tuple[int, int]]]
) -> None:
    """（万元） under 帮扶前年收入 and 当年收入: the row is the header's and the two columns
    are in 万. It was a row without a person, and 0.3 was stored as 0.30 yuan."""
    rows = [
        ["姓名", "身份证号码", "帮扶前年收入", "当年收入", "培训次数"],
        units,
        ["张丽", "320321198001010040", 0.3, 1.2, 3],
    ]
    lay = classify(M, rows, merged)
    assert lay.records == [2] and lay.skipped == {0: "header", 1: "header"}
    assert lay.columns.in_wan == {2, 3}


def test_a_group_merged_across_columns_heads_each_of_them() -> None:
    """收入情况(元) merged over 帮扶前 and 帮扶后 (calamine gives the text to the first cell
    only): each sub-title joined with the group's stem names an income."""
    rows = [
        ["序号", "基本情况", "", "收入情况(元)", ""],
        ["", "姓名", "身份证号码", "帮扶前", "帮扶后"],
        [1, "张丽", "320321198001010024", 3000, 9000],
    ]
    merged = [((0, 1), (0, 2)), ((0, 3), (0, 4))]
    lay = classify(M, rows, merged)
    assert lay.header_rows == (0, 1)
    assert lay.columns.fields == {
        1: "name", 2: "id_number", 3: "income_before", 4: "income_after",
    }  # fmt: skip
    assert lay.records == [2]
    # without the merged ranges (a CSV, merges undone) the group's text heads the
    # labelled cells after it all the same (it left 帮扶后 an unknown column)
    assert classify(M, rows).columns.fields == lay.columns.fields


THREE_ROWS = [
    ["序号", "姓名", "身份证号码", "收入情况(元)", "", "", "", "备注"],
    ["", "", "", "帮扶前", "", "帮扶后", "", ""],
    ["", "", "", "金额", "来源", "金额", "来源", ""],
]
# merged as a template has them: 序号, 姓名, 身份证号码 and 备注 down over the three rows,
# 收入情况(元) across four columns, 帮扶前 and 帮扶后 across two each
THREE_MERGED = [
    *(((0, j), (2, j)) for j in (0, 1, 2, 7)),
    ((0, 3), (0, 6)), ((1, 3), (1, 4)), ((1, 5), (1, 6)),
]  # fmt: skip


@pytest.mark.parametrize("merged", [THREE_MERGED, []], ids=["merged", "csv"])
def test_a_three_row_header_names_each_column_by_label_and_sub_label(merged: list) -> None:  # type: ignore[type-arg]
    """收入情况(元) over 帮扶前 / 帮扶后 over 金额 / 来源: the third row is the header's (it
    was a row without a person), each amount column is its income, and each 来源 is
    kept under its own name (they were the group's text twice, one JSON key)."""
    rows = [
        *THREE_ROWS,
        [1, "张丽", "320321198001010024", 3000, "务农", 9000, "手工", ""],
        [2, "李娜", "320321198502020022", 2500, "低保", 8000, "家政", "x"],
    ]
    lay = classify(M, rows, merged)
    assert lay.header_rows == (0, 1, 2)
    assert lay.columns.fields == {
        1: "name", 2: "id_number", 3: "income_before", 5: "income_after", 7: "note",
    }  # fmt: skip
    assert lay.columns.extras == {4: "帮扶前来源", 6: "帮扶后来源"}
    assert lay.records == [3, 4] and lay.kinds == {"header": 3}


def test_a_three_row_header_gives_the_income_to_the_amount_column() -> None:
    """来源 before 金额 under 帮扶前: the income is the 金额 column's, not the first's."""
    rows = [
        ["姓名", "身份证号码", "收入情况(元)", "", "", ""],
        ["", "", "帮扶前", "", "帮扶后", ""],
        ["", "", "来源", "金额(万元)", "来源", "金额"],
        ["张丽", "320321198001010024", "务农", 0.3, "手工", 9000],
    ]
    lay = classify(M, rows)
    assert lay.header_rows == (0, 1, 2)
    assert lay.columns.fields == {0: "name", 1: "id_number", 3: "income_before", 5: "income_after"}
    assert lay.columns.extras == {2: "帮扶前来源", 4: "帮扶后来源"}
    assert lay.columns.in_wan == {3}


def test_a_first_record_is_no_third_header_row() -> None:
    """Under a two-row header the first woman's row has a name: never a header row,
    however short its texts are."""
    rows = [
        ["姓名", "身份证号码", "收入情况(元)", ""],
        ["", "", "帮扶前", "帮扶后"],
        ["张丽", "", "务农", "手工"],
    ]
    lay = classify(M, rows)
    assert lay.header_rows == (0, 1) and lay.records == [2]


def test_a_three_row_header_repeated_below_is_no_record() -> None:
    rows = [
        *THREE_ROWS,
        [1, "张丽", "320321198001010024", 3000, "务农", 9000, "手工", ""],
        *THREE_ROWS,
        [2, "李娜", "320321198502020022", 2500, "低保", 8000, "家政", "x"],
    ]
    lay = classify(M, rows, THREE_MERGED)
    assert lay.records == [3, 7]
    assert lay.kinds == {"header": 3, "repeated_header": 3}


@pytest.mark.parametrize(
    "numbers",
    [
        [1, 2, 3, 4, 5],
        ["甲", "乙", "丙", "丁", "1"],
        ["栏次", "1", "2", "3", "4"],
        [1.0, 2.0, 3.0, "", ""],
    ],
    ids=["digits", "stems", "labelled", "floats"],
)
def test_a_row_numbering_the_columns_is_the_headers(numbers: list[object]) -> None:
    """栏次 under the header (statistical templates): it was a woman named 2 with the
    ID 3, one person too many in every figure. Its repeat on a later page is skipped."""
    header = ["序号", "姓名", "身份证号码", "村(社区)", "当年收入(元)"]
    rows = [
        header, numbers,
        [1, "张丽", "320321198001010024", "甲村", 8000],
        header, numbers,
        [2, "李娜", "320321198502020022", "甲村", 8000],
    ]  # fmt: skip
    lay = classify(M, rows)
    assert lay.records == [2, 5]
    assert lay.skipped == {0: "header", 1: "header", 3: "repeated_header", 4: "repeated_header"}


def test_a_first_record_is_no_numbering_row() -> None:
    rows = [["序号", "姓名", "身份证号码"], [1, "张丽", 2], [2, "李娜", "320321198502020022"]]
    assert classify(M, rows).records == [1, 2]


def test_a_group_over_columns_hcs_does_not_know_is_the_headers() -> None:
    """家庭情况 merged over 人口数 / 住房情况 (no field either way): the pair is the
    header, as it titles 住房情况's column; the lower row was a row without a person and
    the column 无表头列F."""
    rows = [
        ["序号", "姓名", "身份证号码", "村(社区)", "家庭情况", None, "当年收入(元)"],
        [None, None, None, None, "人口数", "住房情况", None],
        [1, "张丽", "320321198001010024", "甲村", 4, "砖瓦房", 8000],
    ]
    merged = [((0, j), (1, j)) for j in (0, 1, 2, 3, 6)] + [((0, 4), (0, 5))]
    lay = classify(M, rows, merged)
    assert lay.header_rows == (0, 1) and lay.records == [2]
    assert lay.columns.extras == {4: "人口数", 5: "住房情况"}


def test_a_brokers_phone_never_fills_her_blank_phone() -> None:
    """联系电话 under 结对经纪人 is the broker's: a woman without a phone of her own
    does not take it (a second 联系电话 of hers would)."""
    rows = [
        ["序号", "姓名", "身份证号码", "联系电话", "结对经纪人", None],
        [None, None, None, None, "姓名", "联系电话"],
        [1, "张丽", "320321198001010024", None, "周珍淑", "13812345678"],
    ]
    merged = [((0, j), (1, j)) for j in range(4)] + [((0, 4), (0, 5))]
    lay = classify(M, rows, merged)
    assert lay.columns.fields == {1: "name", 2: "id_number", 3: "phone", 4: "broker"}
    assert lay.columns.extras == {5: "结对经纪人联系电话"} and not lay.columns.spare


def test_an_info_row_declaring_wan_puts_unitless_money_columns_in_wan() -> None:
    """单位：万元、次 above the table: 0.35 under 帮扶前收入 is 3,500 yuan (it was stored as
    0.35 yuan); a title naming its own unit keeps it, under a group too; 单位：元 is yuan."""
    rows = [
        ["丰县2017年妇女精准扶贫花名册"],
        ["填报单位：丰县妇联", None, None, "单位：万元、次"],
        ["姓名", "身份证号码", "帮扶前收入", "当年收入", "培训次数"],
        ["张丽", "320321198001010024", 0.35, 1.2, 2],
    ]
    assert classify(M, rows).columns.in_wan == {2, 3}
    rows[2][3] = "当年收入(元)"
    assert classify(M, rows).columns.in_wan == {2}
    rows[1][3] = "单位：元、次"
    assert classify(M, rows).columns.in_wan == set()
    grouped = [
        ["单位：万元"],
        ["姓名", "身份证号码", "收入情况(元)", ""],
        ["", "", "帮扶前", "帮扶后"],
        ["张丽", "320321198001010024", 3500, 12000],
    ]
    lay = classify(M, grouped)
    assert set(lay.columns.fields.values()) >= {"income_before", "income_after"}
    assert lay.columns.in_wan == set()


def test_a_labelled_subtotal_row_is_totals() -> None:
    """本页小计 and 张庄村小计 on rows with no name or ID were rows without a person."""
    rows = [
        ["序号", "姓名", "身份证号码", "当年收入(元)"],
        [1, "张丽", "320321198001010024", 3000],
        ["本页小计", "", "", 3000], ["张庄村小计", "", "", 3000], ["", "", "", 5],
    ]  # fmt: skip
    lay = classify(M, rows)
    assert lay.records == [1]
    assert lay.skipped == {0: "header", 2: "totals", 3: "totals", 4: "no_person"}


def test_qualified_signatures_and_repeated_info_rows_below_the_table() -> None:
    """单位负责人： is a signature row and 填报单位：… repeated below the header an info
    row, not a row without a person; a woman's row is never one of them."""
    rows = [
        ["序号", "姓名", "身份证号码", "备注"],
        [1, "张丽", "320321198001010024", "村负责人：李"],
        ["单位负责人：", "", "", "填报日期：2017年12月20日"],
        ["填报单位：丰县妇联", "", "", ""],
        ["", "", "", "见附件"],
    ]
    lay = classify(M, rows)
    assert lay.records == [1]
    assert {i + 1: k for i, k in lay.skipped.items()} == {
        1: "header", 3: "signature", 4: "info", 5: "no_person",
    }  # fmt: skip


def test_header_synonyms_with_brackets_spaces_and_line_breaks() -> None:
    rows = [["妇女姓名", "公民身份号码", "乡（镇）", "村组（社区）", "手机号", "是否 脱贫", "民族"]]
    lay = classify(M, [*rows, ["张丽", "x", "a", "b", "c", "d", "汉"]])
    assert list(lay.columns.fields.values()) == [
        "name", "id_number", "town", "village", "phone", "status",
    ]  # fmt: skip
    assert lay.columns.extras == {6: "民族"}


@pytest.mark.parametrize(
    "title",
    ["公民身份证号码", "公民身份证号码（18位）", "公民身份证号", "居民身份证号码", "居民身份号码"],
)
def test_the_id_columns_common_variants_are_known(title: str) -> None:
    """公民身份证号码 (the official 公民身份号码 with 证) was no ID column: its roster was
    refused, "no ID number column" (session 20)."""
    lay = classify(M, [["姓名", title], ["张丽", "320321198001010024"]])
    assert list(lay.columns.fields.values()) == ["name", "id_number"]


def test_sheet_without_name_or_id_is_not_a_roster() -> None:
    with pytest.raises(NotARoster) as exc:
        classify(M, [["县区", "人数", "脱贫人数"], ["丰县", 3, 1]])
    assert "县区" in exc.value.found


def test_empty_sheet_is_not_a_roster() -> None:
    with pytest.raises(NotARoster):
        classify(M, [["", ""], ["", ""]])


# --- the column-wise fast path decides exactly as the row-by-row rules ---------------------
CELLS = [
    "", " ", "\u3000", None, 1, 2.0, 3.5, True, "张丽", "王 芳", "３２０３２１", "320321198001010022",
    "合计", "合 计", " 小计：3人", "填表人：王某", "签字", "注：见说明", "说明", "备注:无",
    "备注：无", "㊟", "姓名", "身份证号码", "序号", "从业产业", "手工", "（元）", "【注】", "ｘ",
    # texts that begin like a marker word without being one (小学 is an education level)
    "小学", "小 学", "合作社", "共青团员", "总", "联系人", "备注", "签", "注册", "说",
]  # fmt: skip


GROUP = ["", "基本情况", "", "就业情况"]  # a two-row header's group row


@given(
    st.lists(st.lists(st.sampled_from([*CELLS, "基本情况", "就业情况"]), min_size=0,
                      max_size=6), max_size=25),
    st.booleans(),
)  # fmt: skip
def test_fast_path_classifies_like_the_row_rules(body: list[list[object]], two: bool) -> None:
    import handcraft_stats.layout as layout

    header: list[list[object]] = [["序号", "姓名", "身份证号码", "从业产业"]]
    if two:
        header = [GROUP, ["", "姓名", "身份证号码", "从业产业"]]
        body = [GROUP if r and r[0] == "基本情况" else r for r in body]  # repeated group rows
    rows: list[list[object]] = [*header, *body]
    fast = classify(M, rows)
    slow_path = pytest.MonkeyPatch()
    slow_path.setattr(layout, "_plain_records", lambda m, c, n, *keys: [False] * n)
    try:
        slow = classify(M, rows)
    finally:
        slow_path.undo()
    assert (fast.records, fast.skipped) == (slow.records, slow.skipped)


# --- the header matcher's shortcut: a text starting with an ideograph no synonym starts with
_SYNONYM_TEXTS = [t for names in load_settings(None).headers.values() for t in names]


@given(
    st.lists(
        st.sampled_from([*_SYNONYM_TEXTS, "张", "丽", " ", "（元）", "(人)", "【", "姓", "名"]),
        min_size=1, max_size=3,
    )
)  # fmt: skip
def test_header_matcher_shortcut_matches_like_the_synonym_lookup(parts: list[str]) -> None:
    from handcraft_stats.columns import _UNIT
    from handcraft_stats.normalize.text import squash

    text = "".join(parts)
    exact = {squash(n): f for f, names in reversed(load_settings(None).headers.items())
             for n in reversed(names)}  # fmt: skip
    key = squash(text)
    want = exact.get(key) or exact.get(_UNIT.sub("", key)) if key else None
    assert HeaderMatcher(load_settings(None).headers).match(text) == want


FIRST_CELLS = st.one_of(
    st.sampled_from(["", " ", "\u3000", "合计", " 合 计", "小学", "注：", "填表人", "王丽", "１"]),
    st.sampled_from(_MARKERS),
    st.text(max_size=4),
    st.floats(),
    st.integers(),
    st.booleans(),
    st.none(),
    st.dates(),
)


@given(FIRST_CELLS)
def test_may_open_is_blank_or_may_mark(cell: object) -> None:
    """The row classifier's shortcut decides each first cell as the two tests do."""
    assert _may_open(cell) == (is_blank(cell) or _may_mark(cell))


@pytest.mark.parametrize("row", [
    ["本页小计", "2人", "", ""], ["", "小计：2人", "", ""], ["", "共2人", "", ""],
    ["", "（续表）", "", ""], ["", "续上表", "", ""], ["", "第1页共2页", "", ""],
    ["", "2017.12.31", "", ""], ["", "以上共2人", "", ""], ["本页小计", "", "2人", ""],
])  # fmt: skip
def test_counts_pages_and_dates_in_the_name_or_id_column_are_no_women(row: list[str]) -> None:
    """A count (共2人, 本页小计 | 2人), a page mark ((续表), 第1页共2页) or a date where the
    name or the ID stands: each was a woman, with id_missing, counted in the figures."""
    rows = [
        ["序号", "姓名", "身份证号码", "从业产业"],
        [1, "张丽", "320321198001010040", "手工"],
        row,
        [2, "李娜", "320321198001020046", "手工"],
    ]
    lay = classify(M, rows)
    assert lay.records == [1, 3] and 2 in lay.skipped


@pytest.mark.parametrize("name", ["张丽2", "续丽", "阿依古丽·买买提", "王?芳", "张丽(大)"])
def test_names_that_look_odd_are_still_women(name: str) -> None:
    rows = [["序号", "姓名", "身份证号码"], [1, name, ""], [2, "李娜", "320321198001020046"]]
    assert classify(M, rows).records == [1, 2]


_REMARKS = ["联系电话：13812345679", "负责人：王五（村支书）", "审核人：村支书", "签字确认", "盖章已办",
            "小计：2人同户", "合计3口人", "共计培训3次", "注：低保户", "说明：残疾"]  # fmt: skip


@pytest.mark.parametrize("remark", _REMARKS)
def test_a_womans_remark_does_not_make_her_row_a_signature_or_totals_row(remark: str) -> None:
    """A 备注 among a row's first cells that opens with a signature, totals or note word
    (联系电话：…, 合计3口人, 签字确认) left the woman out as a `signature` or `totals` row,
    although the row holds her name and ID (found by an audit, session 23): she is a
    record, with an ID or without one, and the sheet's own totals and signature rows
    below are still skipped."""
    rows = [
        ["序号", "姓名", "身份证号码", "备注"],
        [1, "张丽", "320321198001010022", remark],
        [2, "王芳", "", remark],
        [3, "李娜", 320321198203040027, remark],
        ["合计", "3人", "", ""],
        ["填表人：王某某", "", "审核人：李某某", ""],
    ]
    lay = classify(M, rows)
    assert lay.records == [1, 2, 3]
    assert {i: k for i, k in lay.skipped.items() if i > 0} == {4: "totals", 5: "signature"}


def test_a_remark_first_in_the_row_leaves_her_a_record() -> None:
    """The same with 备注 as the first column; a signature row there still is one."""
    rows = [
        ["备注", "姓名", "身份证号码", "村(社区)"],
        ["联系电话：13812345679", "张丽", "320321198001010022", "张庄村"],
        ["合计3口人", "王芳", "", "张庄村"],
        ["填表人：王某某", "", "", "审核人：李某某"],
    ]
    lay = classify(M, rows)
    assert lay.records == [1, 2]
    assert lay.skipped[3] == "signature"


def test_a_template_row_of_placeholders_is_no_woman() -> None:
    """A row whose name and ID cells hold only a placeholder (/, 无, NULL: a template's
    unused row) is `no_person`, not a woman named "/" with id_length (until session 23);
    a woman whose ID is "/" is still a record."""
    rows = [
        ["序号", "姓名", "身份证号码", "从业产业"],
        [1, "张丽", "320321198001010022", "手工"],
        [2, "/", "/", "/"],
        [3, "无", "无", "/"],
        [4, "NULL", "NULL", "NULL"],
        [5, "王芳", "/", "/"],
    ]
    lay = classify(M, rows)
    assert lay.records == [1, 5]
    assert {i: k for i, k in lay.skipped.items() if i > 0} == {
        2: "no_person", 3: "no_person", 4: "no_person",
    }  # fmt: skip
