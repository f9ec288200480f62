"""The rule catalogue: for every rule a row that triggers it and one that does not."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pytest
from typer.testing import CliRunner

from conftest import ID_A, ID_B, ID_C, ingested
from handcraft_stats import Store, check, ingest, load_settings
from handcraft_stats.checks import Catalogue
from handcraft_stats.cli import app
from handcraft_stats.config import Settings
from handcraft_stats.normalize.idnumber import check_character
from handcraft_stats.normalize.vocab import Vocabulary
from handcraft_stats.parse import parse_file

COLUMNS = {
    "name": "姓名", "id": "身份证号码", "birth": "出生日期", "town": "乡镇", "cap": "劳动能力",
    "wing": "从业产业", "before": "帮扶前收入", "after": "当年收入(元)", "phone": "联系电话",
    "head": "户主姓名", "broker": "结对经纪人", "visit": "回访日期", "trainings": "培训次数",
    "status": "脱贫状态", "year": "脱贫年度",
}  # fmt: skip
CLEAN = {
    "name": "张丽", "id": ID_A, "birth": "", "town": "龙固镇", "cap": "普通劳动力", "wing": "手工",
    "before": "3000", "after": "9000", "phone": "13812345678", "head": "张丽", "broker": "陈静",
    "visit": "2017-05-03", "trainings": "2", "status": "已脱贫", "year": "2017",
}  # fmt: skip


def with_id(body17: str) -> str:
    return body17 + check_character(body17)


def csv_roster(tmp_path: Path, rows: list[dict[str, str]], name: str = "沛县2017.csv") -> Path:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(COLUMNS.values())
    w.writerows([[r.get(k, "") for k in COLUMNS] for r in rows])
    p = tmp_path / name
    p.write_text(buf.getvalue(), "utf-8")
    return p


def issues_of(
    tmp_path: Path, rows: list[dict[str, str]], settings: Settings | None = None
) -> dict[int, set[str]]:
    """Row number (2 = first data row) -> codes, through the same code as `hcs check`."""
    settings = settings or load_settings(None)
    report = check([csv_roster(tmp_path, rows)], settings)
    out: dict[int, set[str]] = {i + 2: set() for i in range(len(rows))}
    assert report.issues is not None
    for code, row in zip(report.issues["code"], report.issues["source_row"], strict=True):
        out[int(row)].add(code)
    return out


CASES: list[tuple[str, dict[str, str]]] = [
    ("id_missing", {"id": ""}),
    ("id_length", {"id": ID_A[:17]}),
    ("id_chars", {"id": ID_A[:17] + "Y"}),
    ("id_birth_date", {"id": with_id("32032119800230002")}),
    ("id_bad_check", {"id": ID_A[:17] + ("5" if ID_A[17] != "5" else "6")}),
    ("id_precision_lost", {"id": "3.20321198001010E+17"}),
    ("id_upgraded", {"id": ID_A[:6] + ID_A[8:17]}),
    ("id_male", {"id": with_id("32032119800101001")}),
    ("id_area_unknown", {"id": with_id("99999919800101002")}),
    ("name_missing", {"name": ""}),
    ("bad_value", {"trainings": "若干"}),
    ("unknown_value", {"cap": "见备注"}),
    ("capacity_age_able", {"birth": "1945-03-01", "id": with_id("32032119450301002")}),
    ("capacity_age_none", {"cap": "无劳动力", "wing": ""}),
    (
        "unable_working",
        {"cap": "丧失劳动能力", "birth": "1940-01-01", "id": with_id("32032119400101002")},
    ),
    ("exit_below_line", {"after": "4500", "before": "1000"}),
    ("income_implausible", {"after": "350000"}),
    ("income_decreased", {"before": "9500", "after": "9000"}),
    ("phone_invalid", {"phone": "0516-8888123"}),
    ("visit_outside_period", {"visit": "2015.3.1"}),
    ("trainings_implausible", {"trainings": "80"}),
    ("exit_after_period", {"year": "2018"}),
    ("status_exit_conflict", {"year": ""}),
]


def test_the_clean_row_raises_nothing(tmp_path: Path) -> None:
    assert issues_of(tmp_path, [CLEAN]) == {2: set()}


@pytest.mark.parametrize(("code", "change"), CASES, ids=[c for c, _ in CASES])
def test_rule_fires_on_its_row_only(tmp_path: Path, code: str, change: dict[str, str]) -> None:
    other = {**CLEAN, "name": "王芳", "id": ID_B, "head": "王芳", "phone": "13912345678"}
    found = issues_of(tmp_path, [{**CLEAN, **change}, other])
    assert code in found[2]
    assert found[3] == set()


def test_unable_working_needs_a_wing(tmp_path: Path) -> None:
    row = {
        **CLEAN,
        "cap": "丧失劳动能力",
        "wing": "",
        "birth": "1940-01-01",
        "id": with_id("32032119400101002"),
    }
    assert "unable_working" not in issues_of(tmp_path, [row])[2]


def test_not_exited_with_an_exit_year_contradicts(tmp_path: Path) -> None:
    found = issues_of(
        tmp_path,
        [
            {**CLEAN, "status": "未脱贫"},
            {**CLEAN, "id": ID_B, "name": "王芳", "status": "未脱贫", "year": ""},
        ],
    )
    assert "status_exit_conflict" in found[2] and "status_exit_conflict" not in found[3]


def test_status_exit_conflict_quotes_the_status_as_the_roster_writes_it(tmp_path: Path) -> None:
    """The value and message said not_exited/2017 and exited/ (codes), in Chinese output."""
    rows = [{**CLEAN, "status": "未脱贫"}, {**CLEAN, "id": ID_B, "name": "王芳", "year": ""}]
    report = check([csv_roster(tmp_path, rows)], load_settings(None))
    found = report.issues[report.issues["code"] == "status_exit_conflict"]
    assert list(found["value"]) == ["未脱贫/2017", "已脱贫/"]
    assert all("exited" not in m for m in found["message"])


def test_phone_shared_by_more_than_three_households(tmp_path: Path) -> None:
    ids = [ID_A, ID_B, ID_C, with_id("32032119800101004"), with_id("32032119800101006")]
    names = ["张丽", "王芳", "陈梅", "刘兰", "赵霞"]
    rows = [
        {**CLEAN, "id": i, "name": n, "head": n, "phone": "13700000000"}
        for i, n in zip(ids[:4], names[:4], strict=True)
    ]
    found = issues_of(tmp_path, rows)
    assert all("phone_shared" in codes for codes in found.values())
    # three households (one household head shared by two women) is fine
    rows[3]["head"] = rows[2]["head"]
    found = issues_of(tmp_path, rows)
    assert not any("phone_shared" in codes for codes in found.values())


def test_broker_listed_as_a_beneficiary_of_her_town(tmp_path: Path) -> None:
    rows = [
        {**CLEAN, "broker": "王芳"},
        {**CLEAN, "name": "王芳", "id": ID_B, "head": "王芳", "phone": "13912345678"},
    ]
    assert "broker_is_beneficiary" in issues_of(tmp_path, rows)[2]
    rows[1]["town"] = "大屯镇"  # a namesake in another town is someone else
    assert "broker_is_beneficiary" not in issues_of(tmp_path, rows)[2]


def test_configuration_switches_rules_off_and_changes_severity_and_thresholds(
    tmp_path: Path,
) -> None:
    cfg = tmp_path / "hcs.toml"
    cfg.write_text(
        '[checks]\noff = ["phone_invalid"]\nrequired = ["village"]\n'
        '[checks.severity]\nid_male = "error"\n[checks.params]\ntrainings_max = 5\nline = "national"\n',
        "utf-8",
    )
    settings = load_settings(cfg)
    row = {**CLEAN, "phone": "0516-8888123", "trainings": "8", "after": "4500", "before": "1000",
           "id": with_id("32032119800101001")}  # fmt: skip
    report = check([csv_roster(tmp_path, [row])], settings)
    assert report.issues is not None
    found = dict(zip(report.issues["code"], report.issues["severity"], strict=True))
    assert "phone_invalid" not in found
    assert found["trainings_implausible"] == "warning"
    assert found["id_male"] == "error"
    assert found["required_missing"] == "error"  # village blank
    assert "exit_below_line" not in found  # 4,500 is above the national line of 2017


def test_unknown_rules_in_config_are_usage_errors() -> None:
    from handcraft_stats.errors import UsageError

    with pytest.raises(UsageError):
        Catalogue.load({"off": ["no_such_rule"]})
    with pytest.raises(UsageError):
        Catalogue.load({"severity": {"id_male": "fatal"}})


def test_messages_are_bilingual_and_never_carry_an_id() -> None:
    cat = Catalogue.load()
    for code, rule in cat.rules.items():
        assert rule["severity"] in ("error", "warning", "info"), code
        assert rule["zh"] and rule["en"], code
        if code.startswith(("id_", "phone_invalid")):
            assert "{value}" not in rule["zh"] + rule["en"], code
    assert cat.message("exit_below_line", "4,500.00", "en", cat.limit("exit_below_line", 2017)) == (
        "Exited although this year's income 4,500.00 yuan is below the poverty line of 6,000 yuan"
    )


def _db(tmp_path: Path, rows: list[dict[str, str]]) -> Path:
    d = tmp_path / "in"
    d.mkdir()
    csv_roster(d, rows)
    db = tmp_path / "t.duckdb"
    with Store(db) as s:
        ingest([d], s, load_settings(None))
    return db


def test_issues_command_filters_and_prints_issues_csv_columns(tmp_path: Path) -> None:
    db = _db(
        tmp_path,
        [
            {**CLEAN, "id": ID_A[:17] + "5", "phone": "0516-8888123"},
            {**CLEAN, "name": "王芳", "id": ID_B, "trainings": "80"},
        ],
    )
    runner = CliRunner()
    res = runner.invoke(app, ["issues", "--year", "2017", "--db", str(db), "--format", "csv"])
    assert res.exit_code == 0, res.output
    rows = list(csv.DictReader(io.StringIO(res.stdout)))
    assert list(rows[0]) == [
        "code",
        "severity",
        "county",
        "source_file",
        "source_sheet",
        "source_row",
        "column",
        "value",
        "message",
    ]
    assert {r["code"] for r in rows} == {"id_bad_check", "phone_invalid", "trainings_implausible"}
    assert ID_A[:17] not in res.stdout and "8888123" not in res.stdout
    bad = next(r for r in rows if r["code"] == "id_bad_check")
    assert (
        bad["column"] == "id_number"
        and bad["value"].startswith("320321*")
        and bad["source_row"] == "2"
    )
    errors = runner.invoke(
        app,
        ["issues", "--year", "2017", "--db", str(db), "--severity", "error", "--format", "json"],
    )
    assert [r["code"] for r in json.loads(errors.stdout)] == ["id_bad_check"]
    en = runner.invoke(
        app,
        [
            "issues",
            "--year",
            "2017",
            "--db",
            str(db),
            "--code",
            "trainings_implausible",
            "--lang",
            "en",
            "--format",
            "json",
        ],
    )
    assert (
        json.loads(en.stdout)[0]["message"] == "Implausible number of trainings (more than 50): 80"
    )
    assert (
        runner.invoke(
            app, ["issues", "--year", "2017", "--db", str(db), "--severity", "fatal"]
        ).exit_code
        == 2
    )


def test_summary_and_ingest_report_count_issues_by_code(tmp_path: Path) -> None:
    db = _db(tmp_path, [{**CLEAN, "trainings": "80"}])
    res = CliRunner().invoke(
        app, ["summary", "--year", "2017", "--db", str(db), "--format", "json"]
    )
    assert json.loads(res.stdout)["quality"]["issues_by_code"] == {"trainings_implausible": 1}


def test_check_strict_and_the_fix_list_xlsx(tmp_path: Path) -> None:
    roster = csv_roster(
        tmp_path,
        [
            {**CLEAN, "id": ID_A[:17] + "5"},
            {**CLEAN, "name": "王芳", "id": ID_B, "visit": "2015.3.1"},
        ],
    )
    runner = CliRunner()
    warn_only = csv_roster(tmp_path, [{**CLEAN, "visit": "2015.3.1"}], "丰县2017.csv")
    assert runner.invoke(app, ["check", str(warn_only), "--strict"]).exit_code == 0
    out = tmp_path / "fix.xlsx"
    res = runner.invoke(app, ["check", str(roster), "--strict", "--out", str(out)])
    assert res.exit_code == 1
    ws = openpyxl.load_workbook(out)["沛县"]
    rows: list[Any] = list(ws.values)
    assert rows[0][:3] == ("问题代码", "级别", "县(市、区)")
    assert [(r[0], r[5]) for r in rows[1:]] == [("id_bad_check", 2), ("visit_outside_period", 3)]
    assert all(ID_A[:17] not in str(v) for r in rows for v in r)


def test_parse_file_issues_carry_catalogue_severity(tmp_path: Path) -> None:
    p = csv_roster(tmp_path, [{**CLEAN, "id": ""}])
    pf = parse_file(p, p.read_bytes(), load_settings(None), Vocabulary())
    assert pf.issues[["code", "severity"]].values.tolist() == [["id_missing", "error"]]


def test_broker_on_a_roster_without_towns_matches_a_woman_of_the_county(tmp_path: Path) -> None:
    rows = [
        {**CLEAN, "town": "", "broker": "王芳"},
        {
            **CLEAN,
            "name": "王芳",
            "id": ID_B,
            "head": "王芳",
            "phone": "13912345678",
            "town": "大屯镇",
        },
    ]
    assert "broker_is_beneficiary" in issues_of(tmp_path, rows)[2]


def test_every_rule_has_a_short_label_in_both_languages() -> None:
    from handcraft_stats.report.labels import label

    for code in Catalogue.load().rules:
        assert label("issue", code, "zh") != code, code
        assert label("issue", code, "en") != code, code


# --- the period rules' grouped paths find what the plain definitions find -----------------
def _period_rules_reference(rec: Any, cat: Catalogue) -> list[Any]:
    """The plain definitions: heads per phone over every row, brokers squeezed row by row."""
    import pandas as pd

    from handcraft_stats.checks import _found

    limit = int(cat.params["phone_shared_max"])
    phone = rec["phone"].astype("string")
    head = rec["household_head"].astype("string").fillna(rec["name"].astype("string"))
    households = pd.DataFrame({"phone": phone, "head": head}).dropna(subset=["phone"])
    spread = households.groupby("phone")["head"].nunique()
    out = [_found("phone_shared", phone.map(spread).fillna(0) > limit, "phone",
                  phone.map(spread).astype("Int64"))]  # fmt: skip
    broker = rec["broker"].astype("string").str.replace(r"\s+", "", regex=True)
    women = pd.DataFrame({"b": rec["name"], "county": rec["county"], "wtown": rec["town"]})
    rows = pd.DataFrame({"b": broker, "county": rec["county"], "town": rec["town"]})
    rows = rows[rows["b"].notna()].reset_index()
    hits = rows.merge(women.dropna(subset=["b"]).drop_duplicates(), on=["b", "county"])
    same_place = hits["town"].isna() | hits["wtown"].isna() | (hits["town"] == hits["wtown"])
    listed = pd.Series(rec.index.isin(hits.loc[same_place.to_numpy(), "index"]), index=rec.index)
    out.append(_found("broker_is_beneficiary", broker.notna() & listed, "broker", broker))
    return [f for f in out if f.rows and f.code not in cat.off]


@pytest.mark.parametrize("limit", [0, 1, 3])
def test_period_rules_equal_their_plain_definitions(
    sample_db: tuple[Path, object], limit: int
) -> None:
    import pandas as pd

    from handcraft_stats.checks import period_rules

    with Store(sample_db[0], read_only=True) as store:
        rec = store.active_records(2017)
    # brokers written with spaces (U+3000 too) and named like women; crowded phones
    first = str(rec["name"].iloc[0])  # a woman of these rows' county and town
    extra = rec.head(12).assign(
        broker=[
            f"{first[0]} {first[1:]}",
            f"{first[0]}\u3000{first[1:]}",
            None,
            " ",
            *rec["name"].head(8),
        ],
        phone=["13800000000"] * 6 + [None] * 2 + ["13900000000"] * 4,
        household_head=["甲", "乙", "丙", "丁", "戊", None, "甲", "乙", "丙", None, "丁", "戊"],
    )
    rec = pd.concat([rec, extra], ignore_index=True)
    cat = Catalogue.load(None)
    cat.params["phone_shared_max"] = limit
    got, want = period_rules(rec, cat), _period_rules_reference(rec, cat)
    assert {f.code for f in want} == {"phone_shared", "broker_is_beneficiary"}
    brokers = next(f for f in want if f.code == "broker_is_beneficiary")
    assert first in brokers.values  # found although written with spaces
    assert got == want


def test_the_fix_list_is_one_styled_sheet_per_county(tmp_path: Path) -> None:
    from handcraft_stats.issues import ISSUE_COLUMNS
    from handcraft_stats.report.fixlist import FILL, write_fix_list

    def issue(county: str, severity: str, row: int) -> list[Any]:
        return ["id_bad_check", severity, county, f"{county}2017.xlsx", "Sheet1", row,
                "id_number", "320321********1234", "身份证号码校验位错误"]  # fmt: skip

    rows = [issue("沛县", "error", 5), issue("丰县", "warning", 3), issue("沛县", "info", 9),
            issue("丰县", "error", 4)]  # fmt: skip
    frame = pd.DataFrame(rows, columns=ISSUE_COLUMNS)
    out = tmp_path / "fix.xlsx"
    write_fix_list(frame, out)
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["丰县", "沛县"]
    ws = wb["沛县"]
    assert [r[5] for r in ws.iter_rows(min_row=2, values_only=True)] == [5, 9]
    assert all(c.font.b for c in ws[1]) and not ws.cell(2, 1).font.b
    assert [ws.cell(r, 2).fill.fgColor.rgb[-6:] for r in (2, 3)] == [FILL["error"], FILL["info"]]
    assert ws.cell(2, 9).alignment.wrap_text and not ws.cell(2, 8).alignment.wrap_text
    assert ws.cell(2, 7).value == "身份证号码"  # the field by its label, not id_number
    assert [ws.cell(r, 2).value for r in (2, 3)] == ["错误", "提示"]  # as the table says
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref == "A1:I3"
    assert ws.column_dimensions["I"].width == 60 and ws.page_setup.orientation == "landscape"
    write_fix_list(frame.iloc[:0], out, "en")  # nothing to fix: one sheet, the headers
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["Issues"] and wb["Issues"].max_row == 1


def test_a_conflict_names_its_field_by_label_in_both_languages(tmp_path: Path) -> None:
    """同一人的多条记录取值不一致：姓名, not "：name" (the code), in the stored message (the
    fix list, issues.csv) and in English (Records of one person disagree: Name)."""
    header = ["姓名", "身份证号码", "从业产业"]
    db = ingested(tmp_path, {"丰县2017.xlsx": [header, ["张丽", ID_A, "手工"],
                                               ["张莉", ID_A, "家政"]]})  # fmt: skip
    runner = CliRunner()
    zh = runner.invoke(app, ["issues", "--year", "2017", "--db", str(db), "--code", "conflict",
                             "-f", "json"])  # fmt: skip
    messages = {(r["column"], r["message"]) for r in json.loads(zh.stdout)}
    assert ("name", "同一人的多条记录取值不一致：姓名") in messages
    assert ("wing", "同一人的多条记录取值不一致：产业") in messages
    en = runner.invoke(app, ["issues", "--year", "2017", "--db", str(db), "--code", "conflict",
                             "-f", "json", "--lang", "en"])  # fmt: skip
    assert {r["message"] for r in json.loads(en.stdout)} >= {"Records of one person disagree: Name"}
