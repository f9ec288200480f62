"""One file -> records: formats, encodings, county/year detection, refusals."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from conftest import ID_A, ID_B, ID_C, small_roster, write_xlsx
from handcraft_stats.config import load_settings
from handcraft_stats.errors import RefusedFile
from handcraft_stats.normalize.vocab import Vocabulary
from handcraft_stats.parse import parse_file

SETTINGS = load_settings(None)
VOCAB = Vocabulary()


def parse(path: Path, **kw: object) -> object:
    return parse_file(path, path.read_bytes(), SETTINGS, VOCAB, **kw)  # type: ignore[arg-type]


def test_xlsx_roster_is_read_with_provenance_and_typed_values(tmp_path: Path) -> None:
    p = write_xlsx(tmp_path / "丰县2017年花名册.xlsx", {"Sheet1": small_roster()})
    pf = parse_file(p, p.read_bytes(), SETTINGS, VOCAB)
    assert (pf.county, pf.period) == ("丰县", 2017)
    r = pf.records
    assert list(r["source_row"]) == [4, 5, 7]
    assert list(r["source_sheet"]) == ["Sheet1"] * 3
    assert list(r["name"]) == ["张丽", "王芳", "陈梅"]
    assert list(r["id_number"]) == [ID_A, ID_B, ID_C]
    assert list(r["id_status"]) == ["valid"] * 3
    assert str(r["income_after"][0]) == "3500.00"
    assert r["trainings"].tolist()[:2] == [3, 2]
    assert r["exit_year"].tolist()[:2] == [2017, 2016]
    assert [w if isinstance(w, str) else None for w in r["wing"]] == [
        "handicraft", "domestic_service", None,
    ]  # fmt: skip
    assert dict(pf.skipped_by_kind) == {
        "title": 1, "info": 1, "header": 1, "blank": 1, "totals": 1, "signature": 1,
    }  # fmt: skip


def test_gb18030_csv_with_title_line(tmp_path: Path) -> None:
    text = f"睢宁县2016年妇女花名册\n姓名,身份证号,从事产业\n张丽,{ID_A},电商\n王芳,{ID_B},种植\n"
    p = tmp_path / "roster.csv"
    p.write_bytes(text.encode("gb18030"))
    pf = parse(p)
    assert (pf.county, pf.period) == ("睢宁县", 2016)  # type: ignore[attr-defined]
    assert list(pf.records["source_row"]) == [3, 4]  # type: ignore[attr-defined]
    assert list(pf.records["wing"]) == ["ecommerce", "agriculture"]  # type: ignore[attr-defined]
    assert list(pf.records["source_sheet"]) == [""] * 2  # type: ignore[attr-defined]


def test_utf8_bom_csv_and_former_county_name(tmp_path: Path) -> None:
    p = tmp_path / "邳县2017.csv"
    p.write_bytes(f"姓名,身份证号\n张丽,{ID_A}\n".encode("utf-8-sig"))
    assert parse(p).county == "邳州市"  # type: ignore[attr-defined]


def test_incomes_under_a_merged_income_group_are_read(tmp_path: Path) -> None:
    """A workbook's 收入情况(元) group merged over 帮扶前 / 帮扶后 (the two-row header of
    ROSTERS.md): both incomes are read, from the workbook's merged ranges."""
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    for r in (
        ["丰县2017年妇女花名册"],
        ["序号", "基本情况", None, "收入情况(元)", None, "备注"],
        [None, "姓名", "身份证号码", "帮扶前", "帮扶后", None],
        [1, "张丽", ID_A, 3000, 9000, None],
    ):
        ws.append(r)
    ws.merge_cells("A1:F1")
    ws.merge_cells("B2:C2")
    ws.merge_cells("D2:E2")
    p = tmp_path / "丰县2017.xlsx"
    wb.save(p)
    pf = parse(p)
    r = pf.records  # type: ignore[attr-defined]
    assert [str(r["income_before"][0]), str(r["income_after"][0])] == ["3000.00", "9000.00"]
    assert pf.unknown_columns == []  # type: ignore[attr-defined]


def test_the_commonest_county_template_merged_down_and_across(tmp_path: Path) -> None:
    """Labels merged down over both header rows, 收入情况（元） merged across 帮扶前 and
    帮扶后 in the lower row (which names no column alone), the two header rows repeated
    mid-sheet: both rows are the header, both incomes read, the repeat skipped."""
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    top = ["序号", "姓  名", "身份证\n号码", "村(社区)", "收入情况（元）", None, "文化程度"]
    low = [None, None, None, None, "帮扶前", "帮扶后", None]
    rows = [["丰县2017年妇女花名册"], top, low, [1, "张丽", ID_A, "王楼村", 3500, 8000, "初中"],
            top, low, [2, "李娜", ID_B, "李庄村", "0.35万", "1.2万", "小学"]]  # fmt: skip
    for r in rows:
        ws.append(r)
    for r in (2, 5):
        for c in "ABCDG":
            ws.merge_cells(f"{c}{r}:{c}{r + 1}")
        ws.merge_cells(f"E{r}:F{r}")
    p = tmp_path / "丰县2017.xlsx"
    wb.save(p)
    pf = parse(p)
    r = pf.records  # type: ignore[attr-defined]
    assert r["income_before"].map(str).tolist() == ["3500.00", "3500.00"]
    assert r["income_after"].map(str).tolist() == ["8000.00", "12000.00"]
    assert pf.unknown_columns == ["文化程度"]  # type: ignore[attr-defined]
    assert pf.sheets[0].header_rows == (2, 3)  # type: ignore[attr-defined]
    kinds = pf.skipped.set_index("source_row")["kind"].to_dict()  # type: ignore[attr-defined]
    assert kinds == {1: "title", 2: "header", 3: "header", 5: "repeated_header",
                     6: "repeated_header"}  # fmt: skip


def test_a_group_in_its_first_cell_only_heads_the_labels_after_it(tmp_path: Path) -> None:
    """A CSV of a two-row header (the merged group exported into its first cell): 帮扶后
    under the blank after 收入情况(元) is the income after, not an unknown column."""
    p = tmp_path / "丰县2017.csv"
    p.write_text(
        "序号,基本情况,,,收入情况(元),,备注\n"
        ",姓名,身份证号码,村(社区),帮扶前,帮扶后,\n"
        f"1,张丽,{ID_A},王楼村,3000,9000,\n",
        "gb18030",
    )
    pf = parse(p)
    r = pf.records  # type: ignore[attr-defined]
    assert [str(r["income_before"][0]), str(r["income_after"][0])] == ["3000.00", "9000.00"]
    assert pf.unknown_columns == []  # type: ignore[attr-defined]


def test_incomes_headed_in_wan_yuan_are_read_as_wan(tmp_path: Path) -> None:
    """当年收入（万元） 1.2 is 12,000 yuan (its unit was dropped with the bracket: 1.20
    yuan); a cell naming its own unit keeps it; a group 收入情况(万元) heads its labels."""
    p = tmp_path / "丰县2017.csv"
    p.write_text(
        "姓名,身份证号码,帮扶前年收入(万元),当年收入（万元）\n"
        f"张丽,{ID_A},0.35,1.2\n李娜,{ID_B},3500元,1.2万\n王芳,{ID_C},,2\n",
        "utf-8",
    )
    r = parse(p).records  # type: ignore[attr-defined]
    assert r["income_before"].map(str).tolist() == ["3500.00", "3500.00", "None"]
    assert r["income_after"].map(str).tolist() == ["12000.00", "12000.00", "20000.00"]
    grouped = tmp_path / "沛县2017.csv"
    grouped.write_text(
        f"姓名,身份证号码,收入情况(万元),\n,,帮扶前,帮扶后\n张丽,{ID_A},0.35,0.9\n", "utf-8"
    )
    r = parse(grouped).records  # type: ignore[attr-defined]
    assert [str(r["income_before"][0]), str(r["income_after"][0])] == ["3500.00", "9000.00"]
    # blanks written as marks stay blanks, and a text no amount is quoted as written (they
    # were bad values quoting "/万", "无万", "约三千万")
    marks = tmp_path / "睢宁县2017.csv"
    marks.write_text(
        "姓名,身份证号码,帮扶前年收入(万元),当年收入（万元）\n"
        f"张丽,{ID_A},/,无\n李娜,{ID_B},—,……\n王芳,{ID_C},约三千,１.５\n",
        "utf-8",
    )
    pf = parse(marks)
    r = pf.records  # type: ignore[attr-defined]
    assert r["income_after"].map(str).tolist() == ["None", "None", "15000.00"]
    assert pf.issues[["code", "value"]].values.tolist() == [["bad_value", "约三千"]]  # type: ignore[attr-defined]


def test_a_subtotal_in_the_name_column_is_no_woman(tmp_path: Path) -> None:
    """A per-village 小计 row repeats county, town, village and group before it: its
    小计 stands in the name column, past the first four cells, and is still a totals
    row (it was a woman named 小计 with an ID error in the fix list)."""
    p = tmp_path / "丰县2017.csv"
    head = "序号,县(市、区),乡镇,村(社区),村民小组,姓名,身份证号码"
    p.write_text(
        f"{head}\n1,丰县,华山镇,王楼村,一组,张丽,{ID_A}\n,丰县,华山镇,王楼村,一组,小计,1人\n"
        f"2,丰县,华山镇,李庄村,二组,李娜,{ID_B}\n,丰县,华山镇,李庄村,二组,合计 2人,\n",
        "utf-8",
    )
    pf = parse(p)
    assert pf.records["name"].tolist() == ["张丽", "李娜"]  # type: ignore[attr-defined]
    assert pf.skipped["kind"].tolist() == ["header", "totals", "totals"]  # type: ignore[attr-defined]


def test_a_column_without_a_header_but_with_cells_is_kept(tmp_path: Path) -> None:
    """Cells under a blank header cell are kept as an unknown column named by its
    letter, not dropped silently (ROSTERS.md); an empty column is no column."""
    p = tmp_path / "丰县2017.csv"
    p.write_text(f"序号,姓名,身份证号码,,从业产业,\n1,张丽,{ID_A},王楼村,手工,\n", "utf-8")
    pf = parse(p)
    assert pf.unknown_columns == ["无表头列D"]  # type: ignore[attr-defined]
    assert "王楼村" in pf.records["extras"][0]  # type: ignore[attr-defined]


def test_two_unknown_columns_of_one_header_keep_both_values(tmp_path: Path) -> None:
    """Two columns headed 联系人: each record's extras hold both, under two keys (they
    were one key twice, and a JSON reader kept only the second)."""
    p = tmp_path / "丰县2017.csv"
    p.write_text(f"姓名,身份证号码,联系人,从业产业,联系人\n张丽,{ID_A},李四,手工,王五\n", "utf-8")
    pf = parse(p)
    assert pf.unknown_columns == ["联系人", "联系人(E列)"]  # type: ignore[attr-defined]
    assert json.loads(pf.records["extras"][0]) == {"联系人": "李四", "联系人(E列)": "王五"}  # type: ignore[attr-defined]


def test_a_three_row_header_in_an_xlsx_with_merged_cells(tmp_path: Path) -> None:
    """A template's three header rows, merged as Excel draws them: incomes from the
    金额 columns, both 来源 columns kept under their own names, three header rows."""
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["丰县2017年妇女精准扶贫花名册"])
    ws.append(["序号", "姓名", "身份证号码", "收入情况（元）", None, None, None, "备注"])
    ws.append([None, None, None, "帮扶前", None, "帮扶后", None, None])
    ws.append([None, None, None, "金额", "来源", "金额", "来源", None])
    ws.append([1, "张丽", ID_A, 3000, "务农", 9000, "手工", None])
    ws.append([2, "李娜", ID_B, "2,500", "低保", "8000元", "家政", "外出"])
    for cells in ("A1:H1", "A2:A4", "B2:B4", "C2:C4", "H2:H4", "D2:G2", "D3:E3", "F3:G3"):
        ws.merge_cells(cells)
    p = tmp_path / "丰县2017.xlsx"
    wb.save(p)
    pf = parse(p)
    r = pf.records  # type: ignore[attr-defined]
    assert [str(v) for v in r["income_before"]] == ["3000.00", "2500.00"]
    assert [str(v) for v in r["income_after"]] == ["9000.00", "8000.00"]
    assert json.loads(r["extras"][1]) == {"帮扶前来源": "低保", "帮扶后来源": "家政"}
    assert pf.sheets[0].header_rows == (2, 3, 4)  # type: ignore[attr-defined]
    assert pf.skipped["kind"].tolist() == ["title", "header", "header", "header"]  # type: ignore[attr-defined]


def test_a_second_id_column_is_read_where_the_first_is_blank(tmp_path: Path) -> None:
    """身份证号 and 身份证号码 both (two templates pasted together): a woman whose ID is in
    the second only has it (she was id_missing); the first wins where both are filled,
    and the second column is kept raw and listed. A second 姓名 (a broker's, say) never
    fills a blank name."""
    p = tmp_path / "丰县2017.csv"
    p.write_text(
        "姓名,身份证号,身份证号码,姓名\n"
        f"张丽,{ID_A},,王某\n李娜,,{ID_B},赵某\n王芳,{ID_C},{ID_A},\n,{ID_A},,孙某\n",
        "utf-8",
    )
    pf = parse(p)
    r = pf.records  # type: ignore[attr-defined]
    assert r["id_number"].tolist() == [ID_A, ID_B, ID_C, ID_A]
    assert r["name"].tolist()[:3] == ["张丽", "李娜", "王芳"] and pd.isna(r["name"][3])
    assert pf.unknown_columns == ["身份证号码", "姓名"]  # type: ignore[attr-defined]


def test_summary_and_broker_sheets_are_no_rosters_wherever_their_word_stands(
    tmp_path: Path,
) -> None:
    """全县汇总 (a copy of the town sheets) was read as a roster, each woman twice;
    2017年统计表 and 按村汇总表 were refused (exit 1); a brokers' sheet with names and IDs
    was read as women. Each is skipped as no roster, with the reason."""
    roster = [
        ["姓名", "身份证号码", "村(社区)"],
        ["张丽", ID_A, "王楼村"],
        ["李娜", ID_B, "李庄村"],
    ]
    counts = [["乡镇", "人数"], ["华山镇", 2]]
    p = write_xlsx(tmp_path / "丰县2017.xlsx", {
        "华山镇": roster, "全县汇总": roster, "2017年统计表": counts, "按村汇总表": counts,
        "帮扶责任人": [["姓名", "身份证号码", "联系电话", "帮扶对象"], ["王强", ID_C, "", "张丽"]],
    })  # fmt: skip
    pf = parse(p)
    assert pf.records["name"].tolist() == ["张丽", "李娜"]  # type: ignore[attr-defined]
    skipped = {s.name: s.reason for s in pf.sheets if not s.roster}  # type: ignore[attr-defined]
    assert set(skipped) == {"全县汇总", "2017年统计表", "按村汇总表", "帮扶责任人"}
    assert set(skipped.values()) == {"not a roster sheet"}


@pytest.mark.parametrize(
    "name_head, id_head",
    [("姓名*", "身份证号码*"), ("*姓名", "※身份证号码"), ("姓名(必填)", "身份证号码（必填）"),
     ("1.姓名", "2、身份证号码"), ("姓名：", "(2)身份证号码*(必填)")],
)  # fmt: skip
def test_titles_marked_required_or_numbered_are_read(
    tmp_path: Path, name_head: str, id_head: str
) -> None:
    """Templates mark required columns (姓名*, ※, (必填)), number them (1.姓名) or end
    them with a colon: the whole file was refused for having no name or ID column."""
    p = tmp_path / "丰县2017.csv"
    p.write_text(f"{name_head},{id_head},3.当年收入(元)\n张丽,{ID_A},9000\n", "utf-8")
    r = parse(p).records  # type: ignore[attr-defined]
    assert r["name"].tolist() == ["张丽"] and r["id_number"].tolist() == [ID_A]
    assert str(r["income_after"][0]) == "9000.00"


def test_a_roster_sheet_of_another_year_beside_this_years_is_refused(tmp_path: Path) -> None:
    """Sheets 2016年 and 2017年 in one workbook: all women went to the file's period (2016,
    the first sheet's); an old 2016年(旧) sheet kept beside the 2017 town sheets was read
    into 2017. The sheet of the other year is refused, naming both years; a file whose
    only sheet keeps last year's name is read by the file's year, as before."""
    roster = [["姓名", "身份证号码"], ["张丽", ID_A]]
    pf = parse(write_xlsx(tmp_path / "丰县花名册.xlsx", {"2016年": roster, "2017年": roster}))
    assert pf.period == 2016 and len(pf.records) == 1  # type: ignore[attr-defined]
    refused = {s.name: s.reason for s in pf.sheets if not s.roster}  # type: ignore[attr-defined]
    assert list(refused) == ["2017年"] and "of 2017" in refused["2017年"]
    assert "roster of 2016" in refused["2017年"]
    towns = {"华山镇": roster, "欢口镇": [["姓名", "身份证号码"], ["李娜", ID_B]],
             "2016年(旧)": [["姓名", "身份证号码"], ["王芳", ID_C]]}  # fmt: skip
    pf = parse(write_xlsx(tmp_path / "沛县2017.xlsx", towns))
    assert pf.records["name"].tolist() == ["张丽", "李娜"]  # type: ignore[attr-defined]
    assert [s.name for s in pf.sheets if not s.roster] == ["2016年(旧)"]  # type: ignore[attr-defined]
    stale = parse(write_xlsx(tmp_path / "睢宁县2017.xlsx", {"2016年": roster}))
    assert stale.period == 2017 and len(stale.records) == 1  # type: ignore[attr-defined]


def test_a_sheet_of_another_county_beside_the_files_is_refused(tmp_path: Path) -> None:
    """A city's workbook with a sheet per county (丰县, 沛县), its name naming none: every
    woman was counted in 丰县, the first sheet's. The other county's sheet is refused
    naming both; sheets naming no county (towns) and a file of one county's sheet stay."""
    roster = [["姓名", "身份证号码", "乡镇"], ["张丽", ID_A, "华山镇"]]
    other = [["姓名", "身份证号码", "乡镇"], ["王芳", ID_B, "龙固镇"]]
    pf = parse(write_xlsx(tmp_path / "2017年花名册.xlsx", {"丰县": roster, "沛县": other}))
    assert pf.county == "丰县" and pf.records["name"].tolist() == ["张丽"]  # type: ignore[attr-defined]
    refused = {s.name: s.reason for s in pf.sheets if not s.roster}  # type: ignore[attr-defined]
    assert list(refused) == ["沛县"] and "沛县's, the file 丰县's roster" in refused["沛县"]
    towns = parse(write_xlsx(tmp_path / "丰县2017.xlsx", {"华山镇": roster, "欢口镇": other}))
    assert len(towns.records) == 2  # type: ignore[attr-defined]
    lone = parse(write_xlsx(tmp_path / "丰县2017.xlsx", {"沛县": roster}))
    assert lone.county == "丰县" and len(lone.records) == 1  # type: ignore[attr-defined]


def test_each_pasted_page_keeps_its_title_and_group_rows(tmp_path: Path) -> None:
    """Pages with a title, an info row and a two-row header whose 序号 is merged down from
    the group row, the second page's columns in another order: the page was cut at its
    lower header row, so its 序号 column became an unknown column (无表头列A) stored on
    each of its records."""
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    women = {1: [("张丽", ID_A), ("李娜", ID_B)], 8: [("王芳", ID_C)]}
    for top, (order, rows) in {1: ("ni", women[1]), 8: ("in", women[8])}.items():
        ws.cell(top, 1, "丰县2017年花名册")
        ws.cell(top + 1, 1, "填报单位：丰县妇联")
        ws.cell(top + 2, 1, "序号")
        ws.cell(top + 2, 2, "基本情况")
        ws.merge_cells(start_row=top + 2, start_column=1, end_row=top + 3, end_column=1)
        ws.merge_cells(start_row=top + 2, start_column=2, end_row=top + 2, end_column=3)
        titles = {"n": "姓名", "i": "身份证号码"}
        for j, key in enumerate(order):
            ws.cell(top + 3, j + 2, titles[key])
        for k, (name, ident) in enumerate(rows):
            ws.cell(top + 4 + k, 1, k + 1)
            for j, key in enumerate(order):
                ws.cell(top + 4 + k, j + 2, name if key == "n" else ident)
    wb.save(tmp_path / "丰县2017.xlsx")
    pf = parse(tmp_path / "丰县2017.xlsx")
    assert pf.records["name"].tolist() == ["张丽", "李娜", "王芳"]  # type: ignore[attr-defined]
    assert pf.records["id_number"].tolist() == [ID_A, ID_B, ID_C]  # type: ignore[attr-defined]
    assert pf.unknown_columns == [] and pf.records["extras"].isna().all()  # type: ignore[attr-defined]


def test_traditional_characters_in_headers_and_values(tmp_path: Path) -> None:
    """身份證號碼 refused the file ("no ID number column"), and 普通勞動力 / 願意 / 已脫貧 were
    unknown values (capacity and willingness unknown, status blank): traditional
    characters were read in names only."""
    p = write_xlsx(tmp_path / "睢宁县2017.xlsx", {"S": [
        ["姓名", "身份證號碼", "勞動能力", "就業意願", "脫貧狀態", "脫貧年度"],
        ["張麗", ID_A, "普通勞動力", "願意", "已脫貧", 2017],
    ]})  # fmt: skip
    pf = parse(p)
    r = pf.records  # type: ignore[attr-defined]
    assert r[["name", "id_number", "labor_capacity", "willing", "status"]].values.tolist() == [
        ["张丽", ID_A, "able", "yes", "exited"]
    ]
    assert "unknown_value" not in set(pf.issues["code"])  # type: ignore[attr-defined]


def test_a_brokers_list_below_the_roster_is_no_women(tmp_path: Path) -> None:
    """结对经纪人名单 (姓名, 联系电话, 所在村) below the roster: its brokers were women, their
    phones stored as IDs (flagged only as id_length)."""
    p = write_xlsx(tmp_path / "丰县2017.xlsx", {"Sheet1": [
        ["序号", "姓名", "身份证号码", "所在村", "联系电话"],
        [1, "张丽", ID_A, "一村", "13800000001"], [2, "李娜", ID_B, "二村", "13800000002"],
        [], ["结对经纪人名单"], ["序号", "姓名", "联系电话", "所在村"],
        [1, "陈静", "13900000001", "一村"], [2, "刘伟", "13900000002", "二村"],
    ]})  # fmt: skip
    pf = parse(p)
    assert pf.records["name"].tolist() == ["张丽", "李娜"]  # type: ignore[attr-defined]
    kinds = dict(zip(pf.skipped["source_row"], pf.skipped["kind"], strict=True))  # type: ignore[attr-defined]
    assert [kinds[r] for r in (6, 7, 8)] == ["other_table"] * 3
    assert "id_length" not in set(pf.issues["code"])  # type: ignore[attr-defined]


def test_pages_pasted_together_are_each_read_by_their_own_header(tmp_path: Path) -> None:
    """Two towns' pages in one sheet, the second's header in another order (ID before
    name, wing before village): its rows were read by the first header, IDs stored as
    names and villages as wings. Each page is read by its own header, rows numbered as
    the sheet numbers them; a repeat in the same order is skipped as before."""
    p = tmp_path / "沛县2017.csv"
    p.write_text(
        "序号,姓名,身份证号码,村(社区),从业产业\n"
        f"1,张丽,{ID_A},王楼村,手工\n"
        "序号,姓名,身份证号码,村(社区),从业产业\n"
        f"2,李娜,{ID_B},王楼村,家政\n"
        "序号,身份证号码,姓名,从业产业,村(社区)\n"
        f"3,{ID_C},赵敏,电商,杨屯村\n",
        "utf-8",
    )
    pf = parse(p)
    r = pf.records  # type: ignore[attr-defined]
    assert r["name"].tolist() == ["张丽", "李娜", "赵敏"]
    assert r["id_number"].tolist() == [ID_A, ID_B, ID_C]
    assert r["village"].tolist() == ["王楼村", "王楼村", "杨屯村"]
    assert r["wing"].tolist() == ["handicraft", "domestic_service", "ecommerce"]
    assert r["source_row"].tolist() == [2, 4, 6]
    kinds = pf.skipped.set_index("source_row")["kind"].to_dict()  # type: ignore[attr-defined]
    assert kinds == {1: "header", 3: "repeated_header", 5: "header"}


def test_a_third_header_row_names_the_columns_it_spans(tmp_path: Path) -> None:
    """Three header rows (group, sub-group, label) with 序号 and 备注 merged down over all
    three: the serial column is no unknown column (it was 无表头列A) and 备注's cells are
    kept under its name."""
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws["A1"] = "沛县2017年妇女花名册"
    ws["A3"], ws["B3"], ws["F3"], ws["H3"] = "序号", "基本信息", "帮扶情况", "文化程度"
    ws["B4"], ws["D4"], ws["F4"] = "个人信息", "住址", "收入情况(元)"
    for c, v in zip("BCDEFG", ["姓名", "身份证号码", "乡镇", "村(社区)", "帮扶前", "帮扶后"],
                    strict=True):  # fmt: skip
        ws[f"{c}5"] = v
    for cells in ("A3:A5", "H3:H5", "B3:E3", "F3:G3", "B4:C4", "D4:E4", "F4:G4"):
        ws.merge_cells(cells)
    ws.append([1, "张丽", ID_A, "龙固镇", "王楼村", 3000, 9000, "初中"])
    p = tmp_path / "沛县2017.xlsx"
    wb.save(p)
    pf = parse(p)
    r = pf.records  # type: ignore[attr-defined]
    assert [str(r["income_before"][0]), str(r["income_after"][0])] == ["3000.00", "9000.00"]
    assert pf.unknown_columns == ["文化程度"]  # type: ignore[attr-defined]


def test_a_cell_merged_down_is_every_covered_womans_value(tmp_path: Path) -> None:
    """村 and 户主 written once for several women (a cell merged down) is each one's
    value; a merged income (a household's) and merges in the header are left alone."""
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    rows = [
        ["序号", "姓名", "身份证号码", "村(社区)", "户主姓名", "帮扶前年收入(元)"],
        [1, "张丽", ID_A, "东村", "张大山", 9000], [2, "王芳", ID_B, None, None, None],
        [3, "陈梅", ID_C, None, "陈强", 4000], [4, "李兰", "", "西村", None, 5000],
    ]  # fmt: skip
    for r in rows:
        ws.append(r)
    ws.merge_cells("D2:D4")  # 东村: 张丽, 王芳, 陈梅
    ws.merge_cells("E2:E3")  # one household head for two women
    ws.merge_cells("F2:F3")  # a household's income: not each woman's
    p = tmp_path / "丰县2017.xlsx"
    wb.save(p)
    r = parse(p).records  # type: ignore[attr-defined]
    assert list(r["village"]) == ["东村", "东村", "东村", "西村"]
    assert [v if isinstance(v, str) else None for v in r["household_head"]] == [
        "张大山", "张大山", "陈强", None,
    ]  # fmt: skip
    assert [None if v is None or v != v else str(v) for v in r["income_before"]] == [
        "9000.00", None, "4000.00", "5000.00",
    ]  # fmt: skip


def test_a_birth_year_and_month_alone_is_no_bad_value(tmp_path: Path) -> None:
    """出生年月 (a listed header) holds 1980.01, 1980年1月 or 198001: the day is missing,
    not the value bad; the ID's birth date is used, and without an ID none is made up.
    A full date in the column is kept; a text that is no date still warns."""
    p = write_xlsx(tmp_path / "丰县2017.xlsx", {"S": [
        ["姓名", "身份证号码", "出生年月"],
        ["张丽", ID_A, "1980.01"], ["王芳", ID_B, "1975年5月"], ["陈梅", ID_C, "199002"],
        ["李兰", "", "1985-3"], ["赵霞", "", "1986-04-05"], ["孙红", "", "见户口本"],
    ]})  # fmt: skip
    pf = parse(p)
    r = pf.records  # type: ignore[attr-defined]
    born = [None if d is None or d != d else str(d) for d in r["birth_date"]]
    assert born == ["1980-01-01", "1975-05-05", "1990-02-02", None, "1986-04-05", None]
    bad = pf.issues[pf.issues["code"] == "bad_value"]  # type: ignore[attr-defined]
    assert list(bad["value"]) == ["见户口本"]
    # the same typed into number cells (1980.01 a float, 199002 an integer): each was a
    # bad value; a date serial in such a column still reads as its date
    p = write_xlsx(tmp_path / "沛县2017.xlsx", {"S": [
        ["姓名", "身份证号码", "出生年月"],
        ["张丽", ID_A, 1980.01], ["王芳", ID_B, 197505], ["李兰", "", 1985.1], ["赵霞", "", 29221],
    ]})  # fmt: skip
    pf = parse(p)
    born = [None if d is None or d != d else str(d) for d in pf.records["birth_date"]]  # type: ignore[attr-defined]
    assert born == ["1980-01-01", "1975-05-05", None, "1980-01-01"]
    assert "bad_value" not in set(pf.issues["code"])  # type: ignore[attr-defined]


def test_yes_no_answers_of_capacity_and_status_questions(tmp_path: Path) -> None:
    """是否有劳动能力 and 是否脱贫 (listed headers) answered 是/否, 有/无, √/×, Y/N."""
    header = ["姓名", "身份证号码", "是否有劳动能力", "是否脱贫", "脱贫年度"]
    answers = [("是", "是"), ("有", "√"), ("√", "Y"), ("Y", "有"), ("否", "否"), ("无", "×"),
               ("×", "N"), ("N", "无")]  # fmt: skip
    p = write_xlsx(tmp_path / "丰县2017.xlsx", {"S": [
        header, *[[f"妇女{i}", "", cap, st, 2017 if i < 4 else ""]
                  for i, (cap, st) in enumerate(answers)],
    ]})  # fmt: skip
    pf = parse(p)
    r = pf.records  # type: ignore[attr-defined]
    assert list(r["labor_capacity"]) == ["able"] * 4 + ["none"] * 4
    assert list(r["status"]) == ["exited"] * 4 + ["not_exited"] * 4
    assert "unknown_value" not in set(pf.issues["code"])  # type: ignore[attr-defined]


def test_csv_rows_are_numbered_by_the_line_they_start_on(tmp_path: Path) -> None:
    """A quoted cell holding a line break (a two-line header, a two-line note) spans
    lines: each record, skipped row and header is numbered by its first line, as a
    text editor shows it (METRICS.md §1), CRLF files too."""
    text = (
        '"姓\n名",身份证号码,从业产业,备注\n'
        f"张丽,{ID_A},手工,\n"
        f'王芳,{ID_B},家政,"两行\n备注"\n'
        f"陈梅,{ID_C},电商,\n"
        "\n"
        "合计,,,\n"
    )
    for newline in ("\n", "\r\n"):
        p = tmp_path / "丰县2017.csv"
        p.write_bytes(text.replace("\n", newline).encode("gb18030"))
        pf = parse(p)
        assert list(pf.records["source_row"]) == [3, 4, 6]  # type: ignore[attr-defined]
        assert list(pf.records["note"])[1] == "两行" + newline + "备注"  # type: ignore[attr-defined]
        skipped = pf.skipped.sort_values("source_row")  # type: ignore[attr-defined]
        assert list(zip(skipped["source_row"], skipped["kind"], strict=True)) == [
            (1, "header"), (7, "blank"), (8, "totals"),
        ]  # fmt: skip
        assert pf.sheets[0].header_rows == (1,)  # type: ignore[attr-defined]


def test_an_unclosed_quote_in_a_text_roster_loses_no_woman(tmp_path: Path) -> None:
    """A county system's tab-separated export quotes nothing: a note typed "三无人员
    opened a quote that swallowed the next women's rows into it (3 records of 5, no
    issue). Such a file is read line by line, the quotes kept as typed."""
    lines = ["姓名\t身份证号码\t从业产业\t备注"]
    women = [("张丽", ID_A, ""), ("王芳", ID_B, '"三无人员'), ("陈梅", ID_C, ""),
             ("李娜", "320321198502020022", '5寸照片"'), ("赵敏", "", "")]  # fmt: skip
    lines += [f"{n}\t{i}\t手工\t{note}" for n, i, note in women]
    p = tmp_path / "丰县2017.txt"
    p.write_bytes(("\r\n".join(lines) + "\r\n").encode("gb18030"))
    r = parse(p).records  # type: ignore[attr-defined]
    assert r["name"].tolist() == ["张丽", "王芳", "陈梅", "李娜", "赵敏"]
    assert r["source_row"].tolist() == [2, 3, 4, 5, 6]
    assert r["note"].tolist()[1] == '"三无人员'


def test_a_tab_separated_text_whose_cells_hold_commas_is_split_on_tabs(tmp_path: Path) -> None:
    """Measures listed with commas and incomes as 12,000 outnumbered the tabs: the file
    was split on commas and refused ("no name or ID column")."""
    lines = ["姓名\t身份证号码\t帮扶措施\t当年收入"]
    lines += [f"{n}\t{i}\t技能培训,小额贷款,产业扶持,就业推荐,结对帮扶\t12,000"
              for n, i in (("张丽", ID_A), ("王芳", ID_B), ("陈梅", ID_C))]  # fmt: skip
    p = tmp_path / "丰县2017.txt"
    p.write_bytes(("\r\n".join(lines) + "\r\n").encode("gb18030"))
    r = parse(p).records  # type: ignore[attr-defined]
    assert r["name"].tolist() == ["张丽", "王芳", "陈梅"]
    assert [float(x) for x in r["income_after"]] == [12000.0] * 3
    # and a comma file whose IDs end in a tab (against Excel's 3.2E+17) and whose quoted
    # cells hold commas is still split on commas (tabs were steadier, counted raw)
    lines = ["姓名,身份证号码,帮扶措施"] + [
        f'{n},{i}\t,"技能培训,小额贷款{"," * k}"'
        for k, (n, i) in enumerate((("张丽", ID_A), ("王芳", ID_B)))
    ]
    p = tmp_path / "丰县2017.csv"
    p.write_text("\n".join(lines) + "\n", "utf-8")
    assert parse(p).records["id_number"].tolist() == [ID_A, ID_B]  # type: ignore[attr-defined]


def test_text_cells_right_of_the_last_title_are_kept(tmp_path: Path) -> None:
    """A remark and a phone typed after the header's last column of a CSV were dropped
    without a word (the same cells of an xlsx were kept as 无表头列E)."""
    p = tmp_path / "睢宁县2017.csv"
    p.write_text(f"姓名,身份证号码,从业产业\n张丽,{ID_A},手工,外出务工,13812345678\n"
                 f"王芳,{ID_B},家政\n", encoding="utf-8")  # fmt: skip
    pf = parse(p)
    extras = [None if pd.isna(x) else json.loads(x) for x in pf.records["extras"]]  # type: ignore[attr-defined]
    assert extras == [{"无表头列D": "外出务工", "无表头列E": "13812345678"}, None]
    assert pf.unknown_columns == ["无表头列D", "无表头列E"]  # type: ignore[attr-defined]
    # a signature line with commas below the women makes no column of nobody
    p.write_text(f"姓名,身份证号码,从业产业\n张丽,{ID_A},手工\n"
                 "以上人员信息已经村、镇两级审核,情况属实,填表人：李四,审核人：王五\n",
                 encoding="utf-8")  # fmt: skip
    assert parse(p).unknown_columns == []  # type: ignore[attr-defined]


def test_ids_a_csv_wrote_out_from_a_number_column_are_all_precision_lost(tmp_path: Path) -> None:
    """Excel saves a number column to CSV as 15 digits and 000: the ID that passes its
    check by chance (…1000) was valid, and two women sharing its 15 digits were one."""
    p = tmp_path / "丰县2017.csv"
    p.write_text("姓名,身份证号码\n张丽,320321198001011000\n王芳,320321198001011000\n"
                 "陈梅,320321198001012000\n", encoding="utf-8")  # fmt: skip
    r = parse(p).records  # type: ignore[attr-defined]
    assert list(r["id_status"]) == ["precision_lost"] * 3
    assert r["id_key"].isna().all()


def test_csv_rows_of_one_line_each_keep_their_positions(tmp_path: Path) -> None:
    p = tmp_path / "丰县2017.csv"
    p.write_text(f"丰县花名册\n姓名,身份证号码\n张丽,{ID_A}\n\n王芳,{ID_B}\n", encoding="utf-8")
    assert list(parse(p).records["source_row"]) == [3, 5]  # type: ignore[attr-defined]


def test_town_from_sheet_name_and_non_roster_sheets_skipped(tmp_path: Path) -> None:
    rows = [["姓名", "身份证号码"], ["张丽", ID_A]]
    p = write_xlsx(
        tmp_path / "沛县2017.xlsx",
        {"填表说明": [["请用文本格式填写身份证号"]], "龙固镇": rows, "汇总": [["乡镇", "人数"]]},
    )
    pf = parse(p)
    assert list(pf.records["town"]) == ["龙固镇"]  # type: ignore[attr-defined]
    assert [(s.name, s.roster) for s in pf.sheets] == [  # type: ignore[attr-defined]
        ("填表说明", False), ("龙固镇", True), ("汇总", False),
    ]  # fmt: skip


def test_a_town_sheet_named_with_its_year_gives_its_town(tmp_path: Path) -> None:
    """欢口镇2017年 is 欢口镇 (it gave no town); a year sheet or a roster's title with a
    year (2017年巧手行动花名册) is no town."""
    rows = [["姓名", "身份证号码"], ["张丽", ID_A]]
    p = write_xlsx(
        tmp_path / "丰县2017.xlsx", {"欢口镇2017年": rows, "首羡镇": [rows[0], ["王芳", ID_B]]}
    )
    assert list(parse(p).records["town"]) == ["欢口镇", "首羡镇"]  # type: ignore[attr-defined]
    for name in ("2017年", "2017年巧手行动花名册", "2017年度"):
        p = write_xlsx(tmp_path / "沛县2017.xlsx", {name: rows})
        assert parse(p).records["town"].isna().all(), name  # type: ignore[attr-defined]


def test_a_sheet_named_by_digits_or_an_id_gives_no_town(tmp_path: Path) -> None:
    """一人一卡: a sheet per woman named by her ID (or phone), or pages numbered 1, 2-3:
    the ID became every record's town (and went unmasked into records.csv)."""
    rows = [["姓名", "身份证号码"], ["张丽", ID_A]]
    for name in (ID_A, "13912345678", "1", "2-3", "张丽320321198001010024", "20170810"):
        p = write_xlsx(tmp_path / "沛县2017.xlsx", {name: rows})
        assert parse(p).records["town"].isna().all(), name  # type: ignore[attr-defined]
    p = write_xlsx(tmp_path / "沛县2017.xlsx", {"龙固镇1组": rows})
    assert list(parse(p).records["town"]) == ["龙固镇1组"]  # type: ignore[attr-defined]


def test_numeric_id_cells_lose_precision_and_are_never_completed(tmp_path: Path) -> None:
    p = write_xlsx(
        tmp_path / "新沂市2017.xlsx", {"S": [["姓名", "身份证号"], ["张丽", float(ID_A)]]}
    )
    r = parse(p).records  # type: ignore[attr-defined]
    assert r["id_status"][0] == "precision_lost"
    assert r["id_number"][0] == ID_A[:15]
    assert r["id_key"][0] is None


def test_a_roster_headed_in_english_or_pinyin_is_refused_naming_its_headers(
    tmp_path: Path,
) -> None:
    """No cell names a column hcs knows: the refusal named no header, so the user could
    not tell what to add to [headers]. It names the first row of texts above the data;
    a sheet of data without any header quotes nothing (it could be a woman's name)."""
    for head in (["No.", "Name", "ID Number", "Phone"], ["XH", "XM", "SFZH", "LXDH"]):
        p = write_xlsx(tmp_path / "丰县2017.xlsx", {"S": [
            ["丰县2017年"], head, [1, "张丽", ID_A, "13912345678"],
        ]})  # fmt: skip
        with pytest.raises(RefusedFile) as exc:
            parse(p)
        assert "headers found: " + ", ".join(head) in exc.value.message
    p = write_xlsx(
        tmp_path / "丰县2017.xlsx", {"S": [["张丽", "东村", "手工"], ["王芳", ID_B, "x"]]}
    )
    with pytest.raises(RefusedFile) as exc:
        parse(p)
    assert "张丽" not in exc.value.message  # names the row instead (since session 18)
    assert "holds ID numbers from row 2 on but no header hcs knows" in exc.value.message


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("丰县2017.xlsx", b"", "empty file"),
        ("丰县2017.xlsx", b"PK\x03\x04 truncated", "cannot open"),
        ("丰县2017.csv", "县区,人数\n丰县,3\n".encode("gb18030"), "headers found: 县区, 人数"),
        ("丰县2017.csv", b"\x00\x01\x02binary", "binary"),
        ("roster2017.csv", f"姓名,身份证号\n张丽,{ID_A}\n".encode(), "--county"),
        ("丰县.csv", f"姓名,身份证号\n张丽,{ID_A}\n".encode(), "--year"),
    ],
)
def test_refusals_have_one_line_reasons(
    tmp_path: Path, name: str, content: bytes, reason: str
) -> None:
    p = tmp_path / name
    p.write_bytes(content)
    with pytest.raises(RefusedFile) as exc:
        parse(p)
    assert reason in exc.value.message
    assert "\n" not in exc.value.message


def test_county_and_year_options_override_detection(tmp_path: Path) -> None:
    p = tmp_path / "roster.csv"
    p.write_bytes(f"姓名,身份证号\n张丽,{ID_A}\n".encode())
    pf = parse(p, county="沛县", year=2016)
    assert (pf.county, pf.period) == ("沛县", 2016)  # type: ignore[attr-defined]


@pytest.mark.parametrize("name", ["丰县20171231.xlsx", "丰县201712报送.xlsx", "丰县2017.xlsx"])
def test_a_date_of_digits_in_the_file_name_gives_its_year(tmp_path: Path, name: str) -> None:
    """丰县20171231.xlsx was refused for having no year."""
    pf = parse(write_xlsx(tmp_path / name, {"S": [["姓名", "身份证号码"], ["张丽", ID_A]]}))
    assert pf.period == 2017  # type: ignore[attr-defined]


def test_the_year_comes_from_a_roster_sheets_name_before_the_title(tmp_path: Path) -> None:
    """File name, then the names of the roster sheets, then the title rows (METRICS.md
    §1); a summary sheet's name does not count."""
    rows = [["丰县妇女花名册（2016年度复核）"], ["姓名", "身份证号码"], ["张丽", ID_A]]
    p = write_xlsx(tmp_path / "丰县花名册.xlsx", {
        "2015年汇总": [["乡镇", "人数"], ["凤城镇", 1]], "2017年": rows,
    })  # fmt: skip
    assert parse(p).period == 2017  # type: ignore[attr-defined]
    only_title = write_xlsx(tmp_path / "丰县名册.xlsx", {"Sheet1": rows})
    assert parse(only_title).period == 2016  # type: ignore[attr-defined]
    named = write_xlsx(tmp_path / "丰县2018年名册.xlsx", {"2017年": rows})
    assert parse(named).period == 2018  # type: ignore[attr-defined]


def test_the_date_a_roster_was_filled_in_gives_no_year(tmp_path: Path) -> None:
    """填报日期：2018年1月5日 (an info row above the title) made a 2017 roster 2018 without a
    word, also above a title naming 2017年度. A cut-off date (截止2017年12月31日) and a span
    of months (2017年1-12月) still give theirs; with only a fill date the roster is refused
    asking for --year."""
    head, row = ["姓名", "身份证号码"], ["张丽", ID_A]
    for above, year in [
        (["填报日期：2018年1月5日", "丰县2017年度低收入妇女花名册"], 2017),
        (["丰县花名册", "截止2017年12月31日"], 2017),
        (["丰县花名册（2017年1-12月）", "制表时间：2018.1.5"], 2017),
        (["丰县巧手行动妇女花名册（统计时间：2017年12月）", "报送日期：2018年1月5日"], 2017),
        (["丰县花名册（2017年12月31日）"], 2017),
    ]:
        p = write_xlsx(tmp_path / "花名册.xlsx", {"Sheet1": [[t] for t in above] + [head, row]})
        assert parse(p).period == year, above  # type: ignore[attr-defined]
    p = write_xlsx(tmp_path / "花名册.xlsx", {"Sheet1": [
        ["丰县低收入妇女精准扶贫花名册"], ["填报日期：2018年1月5日"], head, row,
    ]})  # fmt: skip
    with pytest.raises(RefusedFile) as exc:
        parse(p)
    assert "--year" in exc.value.message


@given(
    st.lists(
        st.lists(st.sampled_from(["", " ", None, 1, 2.5, "备注", "ａ\"b", "x\ny", "\\", "无"]),
                 min_size=3, max_size=3),
        max_size=20,
    )
)  # fmt: skip
def test_extras_json_equals_json_dumps_of_the_non_blank_cells(rows: list[list[object]]) -> None:
    import json

    from handcraft_stats.normalize.distinct import transpose
    from handcraft_stats.normalize.text import clean_text, is_blank
    from handcraft_stats.parse import _extras

    labels = {0: "备注", 2: '家庭"情况'}
    got = _extras(transpose(rows, 3), labels, len(rows))
    want = []
    for r in rows:
        kept = {lab: clean_text(r[j]) for j, lab in labels.items() if not is_blank(r[j])}
        want.append(json.dumps(kept, ensure_ascii=False) if kept else None)
    assert got == want


def test_a_stray_cell_far_out_is_named_in_the_refusal(tmp_path: Path) -> None:
    """One cell typed into column XFD makes the used range 16,384 columns wide, which
    calamine would allocate for every row: the file is refused, naming the sheet as the
    workbook names it and the cell to delete (it named xl/worksheets/sheet1.xml)."""
    p = write_xlsx(tmp_path / "丰县2017.xlsx", {"花名册": [["姓名", "身份证号码"], ["张丽", ID_A]]})
    import openpyxl

    wb = openpyxl.load_workbook(p)
    wb["花名册"]["XFD7"] = "x"
    wb.save(p)
    with pytest.raises(RefusedFile) as refused:
        parse(p)
    assert refused.value.message.startswith("sheet '花名册' has data in 16,384 columns")
    assert "cell XFD7" in refused.value.message and "delete it" in refused.value.message


def test_a_hidden_roster_sheet_is_not_read_and_says_so(tmp_path: Path) -> None:
    """A roster sheet hidden in Excel (last year's copy, a VLOOKUP's source list) was read
    without a word, its women counted twice; a hidden sheet that is no roster (a list
    for drop-downs) is skipped as before. A file whose only roster is hidden is refused."""
    import openpyxl

    wb = openpyxl.Workbook()
    wb.active.title = "花名册"
    wb.active.append(["姓名", "身份证号码"])
    wb.active.append(["张丽", ID_A])
    old = wb.create_sheet("Sheet2")
    old.append(["姓名", "身份证号码"])
    old.append(["王芳", ID_B])
    old.sheet_state = "hidden"
    lists = wb.create_sheet("下拉列表")
    lists.append(["手工加工", "家政服务"])
    lists.sheet_state = "veryHidden"
    p = tmp_path / "丰县2017.xlsx"
    wb.save(p)
    pf = parse(p)
    assert pf.records["name"].tolist() == ["张丽"]  # type: ignore[attr-defined]
    info = {s.name: (s.roster, s.reason) for s in pf.sheets}  # type: ignore[attr-defined]
    assert info["Sheet2"][0] is False and info["Sheet2"][1].startswith("refused: a hidden roster")
    assert info["下拉列表"][0] is False and not info["下拉列表"][1].startswith("refused")
    wb.remove(old)
    lists.sheet_state = "visible"  # Excel keeps one sheet visible: the lists
    wb.active = 1
    wb["花名册"].sheet_state = "hidden"
    wb.save(p)
    with pytest.raises(RefusedFile, match="the roster sheet '花名册' is hidden"):
        parse(p)


@pytest.mark.parametrize("name,year", [("丰县2017年花名册.xlsx", None), ("丰县花名册.xlsx", 2017)])
def test_incomes_titled_by_year_are_read_for_the_rosters_year(
    tmp_path: Path, name: str, year: int | None
) -> None:
    """A 2017 roster with 2016年收入 and 2017年收入 (the roster's year from its file name or
    --year): before and after. Both went to extras; with the years over 年收入, the 2016
    income was stored as the income after."""
    rows = [
        ["丰县2017年巧手行动花名册", "", "", ""],
        ["姓名", "身份证号码", "2017年收入(元)", "2016年收入(元)"],
        ["张丽", ID_A, "1.2万", "3,500"],
    ]
    p = write_xlsx(tmp_path / name, {"Sheet1": rows})
    pf = parse(p, year=year)
    assert (pf.period, str(pf.records["income_before"][0]), str(pf.records["income_after"][0])) == (  # type: ignore[attr-defined]
        2017,
        "3500.00",
        "12000.00",
    )


def test_ditto_marks_take_the_value_of_the_record_above(tmp_path: Path) -> None:
    """同上 / 〃 under a town, a village, a wing, a broker mean the value above: they
    were stored as a village named 同上 and an industry hcs did not know (wing unknown,
    the woman in no wing's figure). The record above on the sheet, past a totals row;
    not in the name or ID column, and not on the first record (nothing above: blank)."""
    ID_D = "320321199002020022"
    rows = [
        ["序号", "姓名", "身份证号码", "乡镇", "行政村", "从事产业", "结对经纪人", "备注"],
        [1, "张丽", ID_A, "同上", "张庄村", "手工编织", "李红", "同上"],
        [2, "王芳", ID_B, "凤城镇", "〃", "〃", "同上", ""],
        ["小计", "", "", "", "", "", "", ""],
        [3, "陈梅", ID_C, "同上", "”", "家政服务", '"', ""],
        [4, "同上", ID_D, "华山镇", "同上", "同上", "王强", ""],
    ]
    p = write_xlsx(tmp_path / "丰县2017年花名册.xlsx", {"Sheet1": rows})
    pf = parse(p)
    r = pf.records  # type: ignore[attr-defined]
    blank = [v if isinstance(v, str) and v else None for v in r["town"]]
    assert blank == [None, "凤城镇", "凤城镇", "华山镇"]
    assert list(r["village"]) == ["张庄村"] * 4
    assert list(r["wing"]) == ["handicraft", "handicraft", "domestic_service", "domestic_service"]
    assert list(r["broker"]) == ["李红", "李红", "李红", "王强"]
    assert list(r["name"])[3] == "同上"  # a name is never another's: left for the checks
    codes = set(pf.issues["code"])  # type: ignore[attr-defined]
    assert not codes & {"unknown_value", "wing_unknown", "unknown_wing"}, codes


def test_statistic_office_and_heading_rows_are_no_women(tmp_path: Path) -> None:
    """Under the list: 平均, 人均增收, 最高, 户数 | 4, 经办人, 妇联主席 | 张三; inside it, the
    towns' sub-headings (一、欢口镇, （二）华山镇（3人）, 师寨镇 merged across a roster
    without 序号). Each was a woman with id_missing (12 persons for 8 women). A woman
    without an ID whose name ends in 乡 but whose row has her village is still a woman."""
    rows: list[list[object]] = [["丰县2017年妇女巧手脱贫花名册"],
                                ["姓名", "身份证号码", "行政村", "当年收入(元)"]]  # fmt: skip
    women = [("张丽", ID_A), ("王芳", ID_B), ("陈梅", ID_C), ("李桂乡", "")]
    for heading, (name, ident) in zip(["一、欢口镇", "（二）华山镇（3人）", "师寨镇", "首羡镇："],
                                      women, strict=True):  # fmt: skip
        rows += [[heading], [name, ident, "前村", 7000]]
    rows += [["合计", "", "", 28000], ["平均", "", "", 7000], ["人均增收", "", "", 4000],
             ["最高", "", "", 7000], ["户数", 4], ["经办人", "", "审核"], ["妇联主席", "张三"]]  # fmt: skip
    pf = parse(write_xlsx(tmp_path / "丰县2017.xlsx", {"花名册": rows}))
    assert list(pf.records["name"]) == ["张丽", "王芳", "陈梅", "李桂乡"]  # type: ignore[attr-defined]
    kinds = dict(pf.skipped_by_kind)  # type: ignore[attr-defined]
    assert kinds == {"title": 5, "header": 1, "totals": 5, "signature": 2}, kinds


def test_a_table_of_counts_below_the_roster_is_no_women(tmp_path: Path) -> None:
    """按社区统计 below the roster: 序号 | 村(社区) | 人数 | 户数 | 备注 and a row per
    community. Its header became a woman named 村(社区) with the ID 人数, and each
    community a woman with the ID 2."""
    rows: list[list[object]] = [["序号", "姓名", "身份证号码", "从业产业"],
                                [1, "张丽", ID_A, "手工"], [2, "王芳", ID_B, "家政"], [],
                                ["按社区统计"], ["序号", "村(社区)", "人数", "户数", "备注"],
                                [1, "和平社区", 2, 2, ""], [2, "翟山社区", 1, 1, ""]]  # fmt: skip
    pf = parse(write_xlsx(tmp_path / "泉山区2017.xlsx", {"S": rows}))
    assert list(pf.records["name"]) == ["张丽", "王芳"]  # type: ignore[attr-defined]
    assert dict(pf.skipped_by_kind)["other_table"] == 4  # type: ignore[attr-defined]


def test_a_sheet_of_ids_under_no_known_header_is_refused_not_skipped(tmp_path: Path) -> None:
    """A town's list continued on a sheet without its header, or headed 妇女名字 /
    身份识别号 (公民身份证号码 until session 20, when it became known): skipped as "not a
    roster", its women were lost with exit 0. The sheet is refused naming the row its
    IDs start on (never quoting a cell: it may be a name)."""
    from conftest import write_xlsx as w

    head = ["序号", "姓名", "身份证号码"]
    p = w(tmp_path / "丰县2017.xlsx", {
        "欢口镇": [head, [1, "张丽", ID_A]],
        "欢口镇(续)": [[2, "王芳", ID_B], [3, "陈梅", ID_C]],
        "华山镇": [["华山镇花名册"], ["序号", "妇女名字", "身份识别号"], [1, "李娟", ID_B]],
        "说明": [["本表由村妇联填报"]],
    })  # fmt: skip
    pf = parse(p)
    assert list(pf.records["name"]) == ["张丽"]  # type: ignore[attr-defined]
    why = {s.name: s.reason for s in pf.sheets}  # type: ignore[attr-defined]
    assert "holds ID numbers from row 1 on" in why["欢口镇(续)"]
    assert "holds ID numbers from row 3 on" in why["华山镇"]
    assert "王芳" not in why["欢口镇(续)"] and "李娟" not in why["华山镇"]
    assert why["说明"] == "not a roster sheet"


def test_ids_retyped_as_text_beside_the_number_column_mend_it(tmp_path: Path) -> None:
    """The clerk's mend of IDs stored as numbers: the full IDs typed as text into a second
    身份证号码 column beside the old one. The old column's numbers won: every woman stayed
    precision_lost (an error asking for what was already done). A second ID that does not
    begin with the number's 15 digits is not hers: the number stays (precision_lost)."""
    ID_D = "320321197304130088"
    rows = [["姓名", "身份证号码", "身份证号码"],
            ["张丽", float(ID_A), ID_A], ["王芳", f"{float(ID_B):.11E}", ID_B],
            ["陈梅", float(ID_D), ID_D], ["李娟", float(ID_A), ID_B]]  # fmt: skip
    r = parse(write_xlsx(tmp_path / "丰县2017.xlsx", {"S": rows})).records  # type: ignore[attr-defined]
    assert list(r["id_number"]) == [ID_A, ID_B, ID_D, ID_A[:15]]
    assert list(r["id_status"]) == ["valid"] * 3 + ["precision_lost"]


@pytest.mark.parametrize(("name", "above"), [
    ("丰县花名册.xlsx", ["单位：丰县妇联  日期：2018年1月5日"]),
    ("丰县花名册.xlsx", ["2018年1月5日"]),
    ("丰县花名册.xlsx", ["丰县妇联（盖章） 2018.1.5"]),
    ("丰县妇联花名册20180105.xlsx", []),
    ("丰县花名册(报送2018年1月).xlsx", []),
    ("丰县花名册.xlsx", ["填报日期：20180105"]),
])  # fmt: skip
def test_the_day_a_roster_was_sent_is_not_its_year(
    tmp_path: Path, name: str, above: list[str]
) -> None:
    """A 2017 roster filled in on 2018-01-05: a bare 日期：, an unlabelled date or a
    stamped one above its title, or the day in its file name (报送2018年1月, 20180105),
    made it 2018 without a word. The title's year stands."""
    rows = [[t] for t in above] + [["丰县2017年妇女巧手脱贫花名册"], ["姓名", "身份证号码"],
                                   ["张丽", ID_A]]  # fmt: skip
    assert parse(write_xlsx(tmp_path / name, {"S": rows})).period == 2017  # type: ignore[attr-defined]


def test_a_year_in_chinese_numerals_is_read() -> None:
    from handcraft_stats.parse import _detect

    for title in ("丰县二〇一七年妇女巧手脱贫花名册", "丰县二零一七年度台账"):
        assert _detect(SETTINGS, "丰县花名册.xlsx", ["S"], title, ["S"]) == ("丰县", 2017)
    # the period's end stays the year (截止2017年12月31日), and a date alone is its year
    assert _detect(SETTINGS, "丰县.xlsx", ["S"], "截止2017年12月31日", ["S"])[1] == 2017
    assert _detect(SETTINGS, "丰县20171231.xlsx", ["S"], "丰县花名册", ["S"])[1] == 2017


@pytest.mark.parametrize(("label", "kind"), [
    ("张庄村小计", "totals"), ("本页小计", "totals"), ("2018年1月5日", "no_person"),
    ("2017年12月", "no_person"), ("20171231", "no_person"), ("二〇一七年十二月三十一日", "no_person"),
    ("领导签字", "signature"), ("单位盖章", "signature"), ("睢宁县妇联（盖章）", "signature"),
    ("单位负责人：王五", "signature"), ("村审核人：李四", "signature"), ("填报单位：丰县妇联", "info"),
    ("第一页", "no_person"), ("花名册（续）", "title"), ("乙镇花名册", "title"),
    ("沛县乙镇2017年花名册（第二页）", "title"),
])  # fmt: skip
def test_labels_in_the_name_column_are_their_kind_of_row(
    tmp_path: Path, label: str, kind: str
) -> None:
    """Written in the 姓名 column (a roster without 序号), each was a woman with
    id_missing (a village's 小计 counted its sums again: 人均增收 5,666.67 for 4,250), or,
    with sentence punctuation, a `note`. Each is the kind of row docs/metrics.md §2 says."""
    rows = [["姓名", "身份证号码", "当年收入(元)"], ["张丽", ID_A, 7000], [label, "", 7000],
            ["王芳", ID_B, 5000]]  # fmt: skip
    pf = parse(write_xlsx(tmp_path / "丰县2017.xlsx", {"S": rows}))
    assert list(pf.records["name"]) == ["张丽", "王芳"]  # type: ignore[attr-defined]
    assert dict(pf.skipped_by_kind) == {"header": 1, kind: 1}  # type: ignore[attr-defined]


def test_a_date_cell_in_the_name_column_is_no_woman(tmp_path: Path) -> None:
    import datetime as dt

    rows = [["姓名", "身份证号码"], ["张丽", ID_A], [dt.datetime(2018, 1, 5), None]]
    pf = parse(write_xlsx(tmp_path / "丰县2017.xlsx", {"S": rows}))
    assert list(pf.records["name"]) == ["张丽"]  # type: ignore[attr-defined]


def test_the_county_a_file_name_names_first_is_its_county() -> None:
    assert SETTINGS.find_county("沛县2017年花名册（含丰县迁入人员）.xlsx") == "沛县"
    assert SETTINGS.find_county("丰县2017（沛县转入3人）") == "丰县"
    assert SETTINGS.find_county("邳县2017") == "邳州市"  # a former name


@pytest.mark.parametrize(("sheet", "town"), [
    ("1.欢口镇", "欢口镇"), ("华山镇（3人）", "华山镇"), ("师寨镇花名册", "师寨镇"),
    ("(2)首羡镇", "首羡镇"), ("一、梁寨镇", "梁寨镇"), ("龙固镇1组", "龙固镇1组"),
])  # fmt: skip
def test_a_sheet_names_its_town_without_the_clerks_decorations(sheet: str, town: str) -> None:
    """1.欢口镇, 华山镇（3人）, 师寨镇花名册 were towns of their own (beside 欢口镇 of the
    town column of other rosters): the number, the count and the list's name go."""
    from handcraft_stats.parse import _sheet_town

    assert _sheet_town(SETTINGS, sheet) == town


def test_lists_side_by_side_are_each_read(tmp_path: Path) -> None:
    """分栏: two streets' women printed side by side (序号 姓名 身份证号码 村 | 序号 姓名
    身份证号码 村). The right block's IDs were a spare ID column and its names an unknown
    column: its women were lost without a word. Each block is read; a header whose second
    姓名 / 身份证号码 are the household head's (户主 / 本人 above) is still one table."""
    ID_D = "320321199002020022"
    head = ["序号", "姓名", "身份证号码", "行政村"]
    rows = [["泉山区2017年妇女巧手脱贫花名册"], ["王陵街道", None, None, None, None, "七里沟街道"],
            [*head, None, *head], [1, "张丽", ID_A, "和平社区", None, 1, "陈梅", ID_C, "七里沟"],
            [2, "王芳", ID_B, "和平社区", None, 2, "李娟", ID_D, "七里沟"],
            [None] * 5 + [3, "赵敏", "", "七里沟"]]  # fmt: skip
    pf = parse(write_xlsx(tmp_path / "泉山区2017.xlsx", {"花名册": rows}))
    r = pf.records  # type: ignore[attr-defined]
    assert sorted(zip(r["source_row"], r["name"], strict=True)) == [
        (4, "张丽"), (4, "陈梅"), (5, "李娟"), (5, "王芳"), (6, "赵敏"),
    ]  # fmt: skip
    assert dict(pf.skipped_by_kind) == {"title": 2, "header": 1}  # type: ignore[attr-defined]
    assert set(r["village"]) == {"和平社区", "七里沟"}
    # 户主 / 本人 over 姓名, 身份证号码, 联系电话 twice: one table, her own columns hers
    two = [["户主", None, None, "本人", None, None], ["姓名", "身份证号码", "联系电话"] * 2,
           ["张大山", "320321197001010017", "13800000001", "张丽", ID_A, "13900000001"]]  # fmt: skip
    one = parse(write_xlsx(tmp_path / "丰县2017.xlsx", {"S": two})).records  # type: ignore[attr-defined]
    assert list(one["id_number"]) == [ID_A]


def test_a_village_heading_alone_on_its_row_is_no_woman(tmp_path: Path) -> None:
    """张庄村 / 李庄村（2人） written alone in the 姓名 column over its women were women."""
    rows = [["姓名", "身份证号码", "从业产业"], ["张庄村"], ["张丽", ID_A, "手工"],
            ["李庄村（2人）"], ["王芳", ID_B, "家政"], ["陈梅", ID_C, "电商"]]  # fmt: skip
    pf = parse(write_xlsx(tmp_path / "丰县2017.xlsx", {"S": rows}))
    assert list(pf.records["name"]) == ["张丽", "王芳", "陈梅"]  # type: ignore[attr-defined]
    assert dict(pf.skipped_by_kind) == {"header": 1, "title": 2}  # type: ignore[attr-defined]


@pytest.mark.parametrize(("name", "above"), [
    ("丰县低收入妇女花名册.xlsx", ["丰县低收入妇女花名册", "统计截至2017年12月31日，全县共2036人"]),
    ("丰县花名册20171231.xlsx", ["丰县低收入妇女花名册（共2036人）"]),
    ("丰县低收入妇女花名册.xlsx", ["丰县低收入妇女花名册（2017年1月至12月）", "人均年收入低于2080元"]),
    ("丰县妇女花名册.xlsx", ["丰县低收入妇女花名册（截至2017年12月31日）", "填报日期：二〇一八年一月五日"]),
    ("丰县妇女花名册.xlsx", ["二〇一八年一月 报送", "丰县2017年妇女花名册"]),
    ("丰县妇女花名册.xlsx", ["丰县低收入妇女花名册（截至2017年12月31日）", "填报日期：2018年元月5日"]),
    ("丰县花名册20171231.xlsx", ["丰县低收入妇女花名册", "填报单位：丰县妇联 2018年1月5日"]),
    ("丰县妇女花名册.xlsx", ["丰县低收入妇女花名册", "数据日期：2017年12月31日"]),
    ("丰县妇女花名册.xlsx", ["丰县低收入妇女花名册", "填报单位：丰县妇联 日期：2017年12月"]),
])  # fmt: skip
def test_the_year_a_roster_states_is_not_lost_to_a_number_or_a_send_date(
    tmp_path: Path, name: str, above: list[str]
) -> None:
    """A count (共2036人) or a sum (2080元) in the title, a send date in Chinese numerals
    or 元月, a file-name day against an unlabelled send date, a bare 日期 giving the only
    year: each gave the roster another year (or refused it) mid-session 18."""
    rows = [[t] for t in above] + [["姓名", "身份证号码"], ["张丽", ID_A]]
    assert parse(write_xlsx(tmp_path / name, {"S": rows})).period == 2017  # type: ignore[attr-defined]


@pytest.mark.parametrize("group", [["基本情况", "丈夫情况"], ["基本信息", "其他"]])
def test_her_husbands_columns_are_not_a_list_beside_hers(tmp_path: Path, group: list[str]) -> None:
    """姓名 身份证号码 | 姓名 身份证号码 under 基本情况 | 丈夫情况 (or any other group): the
    husbands are no women (their IDs are men's); the sheet is one table."""
    husbands = ["320321197802010310", "320321197802020332"]
    rows = [[group[0], None, group[1], None], ["姓名", "身份证号码"] * 2,
            ["张丽", ID_A, "李建国", husbands[0]], ["王芳", ID_B, "李建军", husbands[1]]]  # fmt: skip
    pf = parse(write_xlsx(tmp_path / "丰县2017.xlsx", {"S": rows}))
    assert list(pf.records["name"]) == ["张丽", "王芳"]  # type: ignore[attr-defined]


@pytest.mark.parametrize(("above", "year"), [
    (["丰县低收入妇女花名册（截至2017年12月31日）", "（2016年建档立卡低收入农户）"], 2017),
    (["丰县低收入妇女花名册（2017年12月）", "注：2016年已脱贫人员不再列入本表"], 2017),
    (["丰县低收入妇女花名册（截至2017年12月31日）", "填报单位：丰县妇联    填报时间：2018年元旦"], 2017),
    (["丰县低收入妇女情况报表 2017年12月"], 2017),
    (["丰县妇联上报2017年12月低收入妇女花名册"], 2017),
    (["丰县低收入妇女花名册", "统计截至：2017年12月31日  报送：2018年1月8日"], 2017),
])  # fmt: skip
def test_a_year_a_note_names_or_a_report_label_does_not_move_the_roster(
    tmp_path: Path, above: list[str], year: int
) -> None:
    """2016年建档立卡 and 2016年已脱贫 are years notes name, 2018年元旦 a send date; 报表
    2017年12月 is the report's period (it was taken for a fill date: refused)."""
    rows = [[t] for t in above] + [["姓名", "身份证号码"], ["张丽", ID_A]]
    assert parse(write_xlsx(tmp_path / "丰县妇女花名册.xlsx", {"S": rows})).period == year  # type: ignore[attr-defined]


@pytest.mark.parametrize("name", ["丰县花名册2018.1.5.xlsx", "丰县花名册2018-01-05.xlsx",
                                  "丰县花名册(2018年1月5日报送).xlsx"])  # fmt: skip
def test_a_send_day_in_the_file_name_gives_way_to_the_titles_year(
    tmp_path: Path, name: str
) -> None:
    rows = [["丰县2017年低收入妇女花名册"], ["姓名", "身份证号码"], ["张丽", ID_A]]
    assert parse(write_xlsx(tmp_path / name, {"S": rows})).period == 2017  # type: ignore[attr-defined]


@pytest.mark.parametrize("name", [
    "20180105_丰县2017年花名册.xlsx", "20180105丰县2017年妇女花名册.xlsx",
    "2018-01-05 丰县2017年花名册.xlsx", "（2018.1.5收）丰县2017年花名册.xlsx",
    "201801_丰县2017年花名册.xlsx", "20180105_丰县2017年12月花名册.xlsx",
    "丰县2017年花名册_20180105.xlsx",
])  # fmt: skip
def test_a_date_stamp_before_the_name_gives_way_to_the_year_it_states(
    tmp_path: Path, name: str
) -> None:
    """The day an inbox or a clerk stamped before a file's name (20180105_丰县2017年花名册)
    is not the roster's year: the year the name states alone is (found by an audit,
    session 23: the roster, with no title, was filed under 2018 without a word)."""
    rows = [["姓名", "身份证号码"], ["张丽", ID_A]]
    assert parse(write_xlsx(tmp_path / name, {"S": rows})).period == 2017  # type: ignore[attr-defined]


def test_side_by_side_under_a_title_naming_women_is_split_and_a_brokers_block_is_not(
    tmp_path: Path,
) -> None:
    """A title over the whole table (丰县妇女花名册) says nothing of the right block: the
    lists are split. A 帮扶责任人 group over the right block (female brokers) is another
    person's block: not split, her broker not lost."""
    ID_D = "320321199002020022"
    head = ["姓名", "身份证号码"]
    split = [["丰县2017年妇女花名册"], [*head, *head],
             ["张丽", ID_A, "陈梅", ID_C], ["王芳", ID_B, "李娟", ID_D]]  # fmt: skip
    pf = parse(write_xlsx(tmp_path / "丰县2017.xlsx", {"S": split}))
    assert sorted(pf.records["name"]) == ["张丽", "李娟", "王芳", "陈梅"]  # type: ignore[attr-defined]
    brokers = [["基本情况", None, "帮扶责任人", None], [*head, *head],
               ["张丽", ID_A, "陈梅", ID_C], ["王芳", ID_B, "李娟", ID_D]]  # fmt: skip
    pf = parse(write_xlsx(tmp_path / "沛县2017.xlsx", {"S": brokers}))
    assert list(pf.records["name"]) == ["张丽", "王芳"]  # type: ignore[attr-defined]


def test_a_sheet_of_bank_card_numbers_is_no_sheet_of_ids(tmp_path: Path) -> None:
    """19-digit card numbers under 户名 | 一卡通账号 made the sheet "IDs under no header":
    exit 1 at every run, advising to map the cards as IDs. Skipped as no roster."""
    p = write_xlsx(tmp_path / "丰县2017.xlsx", {
        "花名册": [["姓名", "身份证号码"], ["张丽", ID_A]],
        "补贴发放": [["户名", "一卡通账号", "发放金额"], ["张丽", "6217001234567890123", 500]],
    })  # fmt: skip
    pf = parse(p)
    why = {s.name: s.reason for s in pf.sheets}  # type: ignore[attr-defined]
    assert "holds ID numbers" not in why["补贴发放"]


@pytest.mark.parametrize("mark", ["同上 ", "同 上", "＂", "〃 "])
def test_ditto_marks_with_spaces_or_in_full_width(tmp_path: Path, mark: str) -> None:
    rows = [["姓名", "身份证号码", "行政村"], ["张丽", ID_A, "张庄村"], ["王芳", ID_B, mark]]
    r = parse(write_xlsx(tmp_path / "丰县2017.xlsx", {"S": rows})).records  # type: ignore[attr-defined]
    assert list(r["village"]) == ["张庄村", "张庄村"]


@pytest.mark.parametrize("label", ["妇女人数", "脱贫人数", "总收入", "汇总", "累计", "核对人",
                                   "会计", "村支书", "单位公章", "转下页", "此页空白"])  # fmt: skip
def test_more_labels_in_the_name_column_are_no_women(tmp_path: Path, label: str) -> None:
    rows = [["姓名", "身份证号码"], ["张丽", ID_A], [label, ""], ["王芳", ID_B]]
    pf = parse(write_xlsx(tmp_path / "丰县2017.xlsx", {"S": rows}))
    assert list(pf.records["name"]) == ["张丽", "王芳"]  # type: ignore[attr-defined]


@pytest.mark.parametrize("shape", ["at_end", "inserted"])
def test_a_later_page_whose_header_titles_one_column_more_keeps_the_first_page(
    tmp_path: Path, shape: str
) -> None:
    """Pages pasted together where the second page's header titles one more column
    (从业产业 added at its end, 出生日期 inserted): its header scored higher and was taken
    as the sheet's, and the first page's header and women were `title` rows, half the
    roster lost with exit 0 and no issue (found by an audit, session 23). Each page is
    read by its own header, every woman with her own values."""
    ID_D = "320321199002020022"
    first = ["序号", "姓名", "身份证号码", "联系电话", "当年收入(元)"]
    if shape == "at_end":
        second = [*first, "从业产业"]
        later = [[3, "陈梅", ID_C, "13800000003", 3000, "电商"],
                 [4, "李娟", ID_D, "13800000004", 4000, "家政"]]  # fmt: skip
    else:
        second = ["序号", "姓名", "身份证号码", "出生日期", "联系电话", "当年收入(元)"]
        later = [[3, "陈梅", ID_C, "1980-01-01", "13800000003", 3000],
                 [4, "李娟", ID_D, "1990-02-02", "13800000004", 4000]]  # fmt: skip
    rows = [["丰县2017年妇女花名册"], first,
            [1, "张丽", ID_A, "13800000001", 1000], [2, "王芳", ID_B, "13800000002", 2000],
            [], second, *later]  # fmt: skip
    pf = parse(write_xlsx(tmp_path / "丰县2017年花名册.xlsx", {"S": rows}))
    rec = pf.records.set_index("name")  # type: ignore[attr-defined]
    assert sorted(rec.index) == ["张丽", "李娟", "王芳", "陈梅"]
    assert [rec.loc[n, "phone"] for n in ("张丽", "王芳", "陈梅", "李娟")] == [
        "13800000001", "13800000002", "13800000003", "13800000004",
    ]  # fmt: skip
    assert [float(rec.loc[n, "income_after"]) for n in ("张丽", "陈梅")] == [1000.0, 3000.0]
    if shape == "at_end":
        assert rec.loc["陈梅", "wing"] == "ecommerce"


@pytest.mark.parametrize("hers", ["妇女情况", "妇女基本情况"])
def test_a_household_heads_block_beside_hers_is_no_second_list(tmp_path: Path, hers: str) -> None:
    """户主情况 merged over 姓名 | 身份证号码 and 妇女情况 over 姓名 | 身份证号码 | 联系电话:
    read as two lists side by side (分栏), each head was a woman too, 12 persons for 6
    (found by an audit, session 23: only the group over the right block was looked at).
    The women are the records; a head is her household head."""
    rows = [["户主情况", None, hers, None, None],
            ["姓名", "身份证号码", "姓名", "身份证号码", "联系电话"],
            ["赵强", ID_D, "张丽", ID_A, "13800000001"],
            ["孙刚", ID_E, "王芳", ID_B, "13800000002"]]  # fmt: skip
    rec = _merged_records(tmp_path, rows, ("A1:B1", "C1:E1"))
    assert list(rec["name"]) == ["张丽", "王芳"]
    assert list(rec["id_number"]) == [ID_A, ID_B]
    assert list(rec["household_head"]) == ["赵强", "孙刚"]


@pytest.mark.parametrize("info", ["联系人：王五", "家庭收入单位：元"])
def test_an_info_row_over_the_right_list_does_not_keep_it_out(tmp_path: Path, info: str) -> None:
    """Lists side by side (分栏) under an info row whose right half says 联系人：王五 (or
    家庭收入单位：元): its words were read as a group naming another person, and the right
    list's women were lost without an issue (found by an audit, session 23)."""
    ID_D = "320321199002020022"
    head = ["序号", "姓名", "身份证号码"]
    rows = [["丰县2017年妇女花名册"], ["填报单位：丰县妇联", "", "", "", info, ""],
            [*head, *head], [1, "张丽", ID_A, 3, "陈梅", ID_C],
            [2, "王芳", ID_B, 4, "李娟", ID_D]]  # fmt: skip
    pf = parse(write_xlsx(tmp_path / "丰县2017年花名册.xlsx", {"S": rows}))
    assert sorted(pf.records["name"]) == ["张丽", "李娟", "王芳", "陈梅"]  # type: ignore[attr-defined]


@pytest.mark.parametrize("relative", ["丈夫", "配偶", "母亲", "婆婆", "家属"])
def test_her_fields_over_a_relative_and_herself_are_hers_under_benren(
    tmp_path: Path, relative: str
) -> None:
    """姓名, 身份证号码 and 联系电话 each merged over <relative> | 本人: only 户主 | 本人 was
    known, so each record took the relative's name, ID and phone, hers went to 无表头列,
    and the sub-label row was a woman named 丈夫 with the ID 本人 (found by an audit,
    session 23). Hers are under 本人; the relative's are kept as 丈夫姓名 …"""
    rows = [["序号", "姓名", None, "身份证号码", None, "联系电话", None],
            [None, relative, "本人", relative, "本人", relative, "本人"],
            [1, "赵某", "张丽", ID_D, ID_A, "13900000001", "13800000001"],
            [2, "孙某", "王芳", ID_E, ID_B, "13900000002", "13800000002"]]  # fmt: skip
    rec = _merged_records(tmp_path, rows, ("A1:A2", "B1:C1", "D1:E1", "F1:G1"))
    assert list(rec["name"]) == ["张丽", "王芳"]
    assert list(rec["id_number"]) == [ID_A, ID_B]
    assert list(rec["phone"]) == ["13800000001", "13800000002"]


ID_D, ID_E = "320321199002020022", "32032119750505002X"  # two heads or relatives


def _merged_records(tmp_path: Path, rows: list[list[object]], merges: tuple[str, ...]) -> Any:
    """The records of a one-sheet 丰县 2017 roster whose cells `merges` are merged."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    for row in rows:
        ws.append(row)
    for cells in merges:
        ws.merge_cells(cells)
    path = tmp_path / "丰县2017年花名册.xlsx"
    wb.save(path)
    return parse(path).records  # type: ignore[attr-defined]


@pytest.mark.parametrize("relative", ["配偶", "丈夫"])
def test_an_id_right_of_a_relatives_name_is_the_relatives(tmp_path: Path, relative: str) -> None:
    """配偶姓名 | 身份证号码 | 姓名 | 身份证号码 (flat): the first ID is her husband's, as the
    one right of 户主姓名 is the head's; it was hers, and hers went to the extras (only
    `id_male` told; found by an audit, session 23)."""
    rows = [[f"{relative}姓名", "身份证号码", "姓名", "身份证号码"],
            ["赵某", ID_D, "张丽", ID_A], ["孙某", ID_E, "王芳", ID_B]]  # fmt: skip
    pf = parse(write_xlsx(tmp_path / "丰县2017年花名册.xlsx", {"S": rows}))
    rec = pf.records  # type: ignore[attr-defined]
    assert list(rec["name"]) == ["张丽", "王芳"]
    assert list(rec["id_number"]) == [ID_A, ID_B]
