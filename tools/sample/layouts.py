"""How each county lays out its roster (ROSTERS.md: every layout occurs somewhere)."""

from __future__ import annotations

from dataclasses import dataclass

# headers shared by several counties
HEAD = ("household_head", "户主姓名")
REL = ("relation_to_head", "与户主关系")
NOTE = ("note", "备注")


@dataclass(frozen=True)
class Layout:
    county: str
    fmt: str  # xlsx xls ods csv
    file_name: str  # may hold {year} and {town}
    columns: tuple[tuple[str, str], ...]  # (canonical key | seq | extra:<header>, header text)
    sheet_name: str = "Sheet1"
    title: str | None = None  # may hold {year} and {town}
    merge_title: bool = True
    info: tuple[str, ...] = ()
    blank_above_header: bool = False
    groups: tuple[tuple[str, tuple[str, ...]], ...] = ()  # two-row header: label over keys
    per_town: str | None = None  # "sheets" (one workbook) or "files" (one file per town)
    folder: str = ""
    blank_rows: int = 0
    repeated_header: bool = False
    totals: str | None = None  # may hold {n}
    signature: bool = False
    note_row: str | None = None
    no_person: int = 0

    @property
    def keys(self) -> list[str]:
        return [key for key, _ in self.columns]


SIGNATURE = "填表人：王某某    审核人：李某某    联系电话：0516-8{n:07d}"


def layouts(year: int) -> dict[str, Layout]:
    """The roster layout of every county for one period."""
    y = str(year)
    return {
        "鼓楼区": Layout(
            "鼓楼区", "xlsx", f"鼓楼区{y}年花名册.xlsx", sheet_name="花名册",
            columns=(("seq", "编号"), ("name", "姓名"), ("id_number", "身份证号"),
                     ("town", "乡镇(街道)"), ("village", "村(社区)"), HEAD, REL,
                     ("phone", "联系电话"), ("labor_capacity", "劳动能力"),
                     ("willing", "就业意愿"), ("wing", "从业产业"),
                     ("trainings", "参加培训次数"), ("new_practitioner", "是否新增从业"),
                     ("income_before", "帮扶前年收入(元)"), ("income_after", "当年收入(元)"),
                     ("exit_year", "脱贫年度"), ("status", "脱贫状态"),
                     ("broker", "结对经纪人"), ("visit_date", "回访日期"), NOTE),
            blank_rows=2, repeated_header=True, totals="总计"),
        "云龙区": Layout(
            "云龙区", "xlsx", f"云龙区{y}年巧手行动花名册.xlsx",
            title=f"云龙区{y}年“巧手”行动低收入妇女花名册",
            info=(f"填报单位：云龙区妇联    填报日期：{y}年12月",)
            + (("单位：元、次",) if year == 2017 else ()),
            blank_above_header=year == 2017,
            columns=(("seq", "序号"), ("name", "妇女姓名"), ("id_number", "公民身份号码"),
                     ("town", "镇(街道)"), ("village", "村居"), HEAD, REL,
                     ("phone", "手机号码"), ("extra:民族", "民族"),
                     ("labor_capacity", "劳动能力状况"), ("willing", "是否有就业意愿"),
                     ("wing", "产业类别"), ("trainings", "培训次数"),
                     ("new_practitioner", "新增从业人员"),
                     ("income_before", "帮扶前年收入\n(元)"),
                     ("income_after", "当年收入\n（元）"), ("exit_year", "脱贫年份"),
                     ("status", "脱贫情况"), ("broker", "帮扶责任人"),
                     ("visit_date", "回访时间"), NOTE),
            blank_rows=1, no_person=2),
        "贾汪区": Layout(
            "贾汪区", "xls", f"贾汪区{y}年妇女花名册.xls",
            title=f"贾汪区{y}年妇女精准扶贫花名册",
            info=("填报单位：贾汪区妇联", "单位：元、次"),
            columns=(("seq", "序号"), ("name", "姓名"), ("id_number", "身份证号码"),
                     ("town", "所在乡镇"), ("village", "行政村"), HEAD, REL,
                     ("phone", "联系电话"), ("labor_capacity", "劳动力状况"),
                     ("willing", "就业愿望"), ("wing", "从事产业"), ("trainings", "参训次数"),
                     ("new_practitioner", "是否新就业"), ("income_before", "上年收入"),
                     ("income_after", "本年收入"), ("exit_year", "脱贫年份"),
                     ("status", "脱贫情况"), ("broker", "结对帮扶人"),
                     ("visit_date", "回访时间"), NOTE),
            blank_rows=1, totals="合计", signature=True, no_person=3),
        "泉山区": Layout(
            "泉山区", "ods" if year == 2017 else "xlsx",
            f"泉山区{y}年花名册." + ("ods" if year == 2017 else "xlsx"),
            title=f"泉山区{y}年妇女精准扶贫花名册", merge_title=year != 2017,
            columns=(("name", "成员姓名"), ("id_number", "证件号码"),
                     ("town", "乡镇（街道）"), ("village", "所在村"), ("phone", "电话"),
                     ("labor_capacity", "劳动技能"), ("willing", "有就业意愿"),
                     ("wing", "就业产业"), ("trainings", "培训次数"),
                     ("new_practitioner", "新增从业人员"), ("income_before", "基础年收入"),
                     ("income_after", "年收入"), ("exit_year", "脱贫时间"),
                     ("status", "脱贫属性"), ("broker", "帮扶责任人"),
                     ("visit_date", "最近回访时间"), NOTE),
            blank_rows=1),
        "铜山区": Layout(
            "铜山区", "xlsx", f"铜山区{y}年巧手行动花名册（分镇）.xlsx", per_town="sheets",
            title="铜山区{town}" + y + "年巧手行动妇女花名册",
            columns=(("seq", "序号"), ("name", "姓名"), ("id_number", "身份证号"),
                     ("village", "村(社区)"), HEAD, REL, ("phone", "手机号"),
                     ("labor_capacity", "劳动能力"), ("willing", "就业意愿"),
                     ("wing", "帮扶产业"), ("trainings", "培训次数"),
                     ("new_practitioner", "是否新增从业"), ("income_before", "帮扶前收入"),
                     ("income_after", "帮扶后年收入"), ("exit_year", "脱贫年度"),
                     ("status", "是否脱贫"), ("broker", "结对经纪人"),
                     ("visit_date", "回访日期"), NOTE),
            note_row="注：本表由村妇联填报"),
        "丰县": Layout(
            "丰县", "xlsx", f"丰县{y}年妇女精准扶贫花名册.xlsx",
            title=f"徐州市丰县{y}年妇女精准扶贫建档立卡花名册",
            info=("填报单位：丰县妇联", f"填报日期：{y}年12月    单位：元、次"),
            columns=(("seq", "序号"), ("name", "姓名"), ("id_number", "身份证号码"),
                     ("county", "县(市、区)"), ("town", "乡镇"), ("village", "村(社区)"),
                     HEAD, REL, ("phone", "联系电话"), ("labor_capacity", "劳动能力"),
                     ("willing", "就业意愿"), ("wing", "从业产业"),
                     ("trainings", "参加培训次数"), ("new_practitioner", "是否新增从业"),
                     ("income_before", "帮扶前年收入（元）"),
                     ("income_after", "当年收入（元）"), ("exit_year", "脱贫年度"),
                     ("status", "脱贫状态"), ("broker", "结对经纪人"),
                     ("visit_date", "回访日期"), ("extra:文化程度", "文化程度"), NOTE),
            blank_rows=2, repeated_header=True, totals="合计 {n}人", signature=True),
        "沛县": Layout(
            "沛县", "xlsx", "沛县_{town}_" + y + ".xlsx", per_town="files", folder="沛县分镇",
            sheet_name="{town}", title="沛县{town}" + y + "年妇女花名册", merge_title=False,
            columns=(("seq", "序号"), ("name", "姓名"), ("id_number", "身份证"),
                     ("village", "村组（社区）"), HEAD, REL, ("phone", "成员联系电话"),
                     ("labor_capacity", "是否有劳动能力"), ("willing", "就业意愿"),
                     ("wing", "从业产业"), ("trainings", "培训次数"),
                     ("new_practitioner", "是否新增从业"),
                     ("income_before", "帮扶前年收入(元)"), ("income_after", "帮扶后年收入"),
                     ("exit_year", "脱贫年度"), ("status", "脱贫状态"),
                     ("broker", "结对经纪人"), ("visit_date", "回访日期"), NOTE),
            blank_rows=1),
        "睢宁县": Layout(
            "睢宁县", "xlsx",
            "睢宁县巧手花名册.xlsx" if year == 2016 else f"睢宁县{y}年巧手花名册.xlsx",
            title=f"睢宁县{y}年巧手行动妇女精准扶贫花名册",
            columns=(("seq", "序号"), ("name", "姓名"), ("id_number", "身份证号码"),
                     ("birth_date", "出生日期"), ("town", "乡镇"), ("village", "村(社区)"),
                     HEAD, REL, ("phone", "联系电话"), ("labor_capacity", "劳动能力"),
                     ("willing", "就业意愿"), ("wing", "从业产业"), ("trainings", "培训次数"),
                     ("new_practitioner", "是否新增从业"), ("broker", "结对经纪人"),
                     ("visit_date", "回访日期"), ("income_before", "帮扶前年收入"),
                     ("income_after", "当年收入"), ("exit_year", "脱贫年度"),
                     ("status", "脱贫状态"), NOTE),
            groups=(("基本情况", ("birth_date", "town", "village", "household_head",
                                  "relation_to_head", "phone", "labor_capacity", "willing")),
                    ("帮扶情况", ("wing", "trainings", "new_practitioner", "broker",
                                  "visit_date")),
                    ("收入情况(元)", ("income_before", "income_after"))),
            blank_rows=2, note_row="注：本表由村妇联填报，收入为全年收入"),
        "新沂市": Layout(
            "新沂市", "csv", f"新沂市{y}年妇女花名册.csv", sheet_name="",
            title=f"徐州市新沂市{y}年妇女精准扶贫花名册" if year == 2017 else None,
            merge_title=False,
            columns=(("seq", "序号"), ("name", "姓名"), ("id_number", "身份证号码"),
                     ("birth_date", "出生日期"), ("town", "乡镇"), ("village", "村(社区)"),
                     HEAD, REL, ("phone", "联系电话"), ("labor_capacity", "劳动能力"),
                     ("willing", "就业意愿"), ("wing", "从业产业"), ("trainings", "培训次数"),
                     ("new_practitioner", "是否新增从业"),
                     ("income_before", "帮扶前年收入(元)"), ("income_after", "当年收入(元)"),
                     ("exit_year", "脱贫年度"), ("status", "脱贫状态"),
                     ("broker", "结对经纪人"), ("visit_date", "回访日期"), NOTE),
            blank_rows=1, totals="合计"),
        "邳州市": Layout(
            "邳州市", "xlsx", f"邳州市{y}年妇女精准扶贫台账.xlsx",
            title=f"邳州市{y}年妇女精准扶贫台账", info=("单位：元、次",),
            columns=(("seq", "序号"), ("name", "姓名"), ("id_number", "身份证号码"),
                     ("birth_date", "出生年月"), ("county", "所属县区"), ("town", "乡镇"),
                     ("village", "行政村"), HEAD, REL, ("phone", "联系电话"),
                     ("labor_capacity", "劳动能力"), ("willing", "就业意愿"),
                     ("wing", "从业产业"), ("trainings", "培训次数"),
                     ("new_practitioner", "新增从业人员"),
                     ("income_before", "帮扶前年收入(元)"), ("income_after", "当年收入(元)"),
                     ("exit_year", "脱贫年度"), ("status", "脱贫状态"),
                     ("broker", "结对经纪人"), ("visit_date", "回访日期"), NOTE),
            blank_rows=1, signature=True),
    }


NUMERIC_ID_COUNTY = "邳州市"
BIRTH_COLUMN_COUNTIES = ("睢宁县", "新沂市", "邳州市")
