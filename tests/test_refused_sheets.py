"""A roster sheet without its name or ID column is refused, named in the report with the
headers found, and the run exits 1; the file's good sheets still land (ROSTERS.md)."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from conftest import ID_A, ID_B, ID_C, write_xlsx
from handcraft_stats import Store, ingest, load_settings
from handcraft_stats.cli import app

SETTINGS = load_settings(None)


def two_towns(path: Path) -> Path:
    """凤城镇 has the ID column; 华山镇 (two women) was sent without it."""
    return write_xlsx(path, {
        "凤城镇": [["序号", "姓名", "身份证号码", "从业产业"], [1, "张丽", ID_A, "手工"]],
        "华山镇": [["序号", "姓名", "联系电话", "从业产业"],
                   [1, "王芳", "13912345678", "家政"], [2, "陈梅", "13812345678", "电商"]],
        "汇总": [["乡镇", "人数"], ["凤城镇", 1], ["华山镇", 2]],
    })  # fmt: skip


def run(*args: object) -> object:
    return CliRunner().invoke(app, [str(a) for a in args])


def test_a_sheet_without_its_id_column_is_refused_loudly_and_the_rest_lands(
    tmp_path: Path,
) -> None:
    d = tmp_path / "r"
    d.mkdir()
    two_towns(d / "丰县2017年花名册.xlsx")
    db = tmp_path / "t.duckdb"
    res = run("ingest", d, "--db", db, "--format", "json")
    assert res.exit_code == 1, res.output  # type: ignore[attr-defined]
    doc = json.loads(res.stdout)  # type: ignore[attr-defined]
    assert doc["files_refused"] == 0 and doc["records"] == 1
    assert doc["sheets_refused"] == [{
        "file": str(d / "丰县2017年花名册.xlsx"), "sheet": "华山镇",
        "reason": "no ID number column; headers found: 序号, 姓名, 联系电话, 从业产业",
    }]  # fmt: skip
    detail = doc["detail"][0]
    assert detail["status"] == "ingested"
    assert detail["sheets_skipped"] == {"汇总": "not a roster sheet"}
    assert "refused sheet '华山镇'" in res.stderr  # type: ignore[attr-defined]
    # the same file again: unchanged, and still said (from the store), still exit 1
    again = run("ingest", d, "--db", db, "--format", "json")
    assert again.exit_code == 1  # type: ignore[attr-defined]
    doc2 = json.loads(again.stdout)  # type: ignore[attr-defined]
    assert doc2["detail"][0]["status"] == "unchanged"
    assert doc2["sheets_refused"] == doc["sheets_refused"]
    assert doc2["detail"][0]["sheets_skipped"] == {"汇总": "not a roster sheet"}


def test_the_table_report_lists_refused_and_skipped_sheets(tmp_path: Path) -> None:
    f = two_towns(tmp_path / "丰县2017年花名册.xlsx")
    res = run("check", f)
    assert res.exit_code == 1  # type: ignore[attr-defined]
    out = res.stdout  # type: ignore[attr-defined]
    assert "拒收的工作表" in out and "华山镇" in out and "联系电话" in out
    assert "跳过的工作表" in out and "汇总" in out
    out = run("check", f, "--lang", "en").stdout  # type: ignore[attr-defined]
    assert "Sheets refused" in out and "Sheets skipped" in out


def test_a_file_whose_every_roster_lacks_the_id_names_the_headers_as_written(
    tmp_path: Path,
) -> None:
    f = write_xlsx(tmp_path / "丰县2017.xlsx", {"Sheet1": [
        ["姓名", "乡(镇)", "联系电话", "本人收入"], ["王芳", "华山镇", "13912345678", 3000],
    ]})  # fmt: skip
    with Store(tmp_path / "t.duckdb") as s:
        report = ingest([f], s, SETTINGS)
    assert report.files[0].status == "refused"
    assert report.files[0].reason == (
        "no ID number column in sheet 'Sheet1'; headers found: 姓名, 乡(镇), 联系电话, 本人收入"
    )


def test_sheets_that_are_no_rosters_are_skipped_without_a_refusal(tmp_path: Path) -> None:
    f = write_xlsx(tmp_path / "丰县2017.xlsx", {
        "花名册": [["姓名", "身份证号码"], ["张丽", ID_A], ["王芳", ID_B], ["陈梅", ID_C]],
        "分镇统计": [["乡镇", "人数", "脱贫人数"], ["凤城镇", 3, 1]],
    })  # fmt: skip
    res = run("check", f, "--format", "json")
    assert res.exit_code == 0, res.output  # type: ignore[attr-defined]
    doc = json.loads(res.stdout)  # type: ignore[attr-defined]
    assert doc["sheets_refused"] == [] and doc["records"] == 3
    assert doc["detail"][0]["sheets_skipped"] == {"分镇统计": "no name or ID column"}


def test_a_list_of_names_and_phones_is_skipped_not_refused(tmp_path: Path) -> None:
    """A sheet of contacts (姓名, 联系电话, 乡镇) names no field only rosters have: it is no
    roster sent without its ID column, and is skipped with its reason (a sheet named
    经纪人 is skipped by its name already)."""
    f = write_xlsx(tmp_path / "丰县2017.xlsx", {
        "花名册": [["姓名", "身份证号码", "从业产业"], ["张丽", ID_A, "手工"]],
        "联系人": [["姓名", "联系电话", "乡镇"], ["周珍淑", "13912345678", "凤城镇"]],
        "经纪人": [["姓名", "联系电话", "乡镇"], ["周珍淑", "13912345678", "凤城镇"]],
    })  # fmt: skip
    res = run("check", f, "--format", "json")
    assert res.exit_code == 0, res.output  # type: ignore[attr-defined]
    doc = json.loads(res.stdout)  # type: ignore[attr-defined]
    assert doc["sheets_refused"] == [] and doc["records"] == 1
    assert doc["detail"][0]["sheets_skipped"] == {
        "联系人": "no ID number column; headers found: 姓名, 联系电话, 乡镇",
        "经纪人": "not a roster sheet",
    }


def test_hcs_toml_names_more_sheets_that_are_no_rosters(tmp_path: Path) -> None:
    """A county's training sign-in sheet (姓名, 从业产业, 参加培训次数: roster fields, no ID)
    would be refused; named in [sheets] not_rosters it is skipped, and the run passes."""
    f = write_xlsx(tmp_path / "丰县2017.xlsx", {
        "花名册": [["姓名", "身份证号码", "从业产业"], ["张丽", ID_A, "手工"]],
        "培训 签到": [["姓名", "从业产业", "参加培训次数"], ["张丽", "手工", 2]],
    })  # fmt: skip
    assert run("check", f).exit_code == 1  # type: ignore[attr-defined]
    cfg = tmp_path / "sheets.toml"
    cfg.write_text('[sheets]\nnot_rosters = ["培训签到"]\n', "utf-8")
    res = run("check", f, "--config", cfg, "--format", "json")
    assert res.exit_code == 0, res.output  # type: ignore[attr-defined]
    doc = json.loads(res.stdout)  # type: ignore[attr-defined]
    assert doc["detail"][0]["sheets_skipped"] == {"培训 签到": "not a roster sheet"}
    shown = run("config", "show", "--config", cfg, "--format", "json")
    assert json.loads(shown.stdout)["sheets"] == {"not_rosters": ["培训签到"]}  # type: ignore[attr-defined]
    bad = tmp_path / "bad.toml"
    bad.write_text('[sheets]\nnot_rosters = "培训签到"\n', "utf-8")
    refused = run("check", f, "--config", bad)
    assert refused.exit_code == 2  # type: ignore[attr-defined]
    assert "not_rosters must be a list" in refused.stderr  # type: ignore[attr-defined]


def test_check_writes_the_fix_list_with_a_json_report_too(tmp_path: Path) -> None:
    """`hcs check --format json --out fixes.xlsx`: the report on stdout, the fix list in
    its file (--out was ignored with json)."""
    f = two_towns(tmp_path / "丰县2017年花名册.xlsx")
    out = tmp_path / "fixes.xlsx"
    res = run("check", f, "--format", "json", "--out", out)
    assert json.loads(res.stdout)["sheets_refused"]  # type: ignore[attr-defined]
    assert out.is_file() and "wrote" in res.stderr  # type: ignore[attr-defined]


def test_a_roster_whose_only_sheet_is_named_a_summary_is_refused_naming_the_sheet(
    tmp_path: Path,
) -> None:
    """A one-sheet roster named 全县汇总 is not read (汇总 sheets copy the town sheets and
    were counted twice), but the refusal said only "every sheet is empty or not a
    roster": the county could not tell what to change. It names the sheet and the fix;
    a file whose 汇总 sheet holds counts only keeps the plain reason."""
    d = tmp_path / "r"
    d.mkdir()
    rows = [["序号", "姓名", "身份证号码", "乡镇"], [1, "张丽", ID_A, "凤城镇"],
            [2, "王芳", ID_B, "华山镇"]]  # fmt: skip
    write_xlsx(d / "丰县2017年花名册.xlsx", {"全县汇总": rows})
    write_xlsx(d / "沛县2017年花名册.xlsx", {"汇总": [["乡镇", "人数"], ["凤城镇", 1]]})
    write_xlsx(d / "铜山区2017年花名册.xlsx", {"花名册": [*rows[:2], [2, "陈梅", ID_C, "柳泉镇"]]})
    res = run("ingest", d, "--db", tmp_path / "t.duckdb", "--format", "json")
    assert res.exit_code == 1, res.output  # type: ignore[attr-defined]
    doc = json.loads(res.stdout)  # type: ignore[attr-defined]
    assert doc["files_landed"] == 1 and doc["records"] == 2
    why = {Path(r["file"]).name: r["reason"] for r in doc["refused"]}
    assert why["丰县2017年花名册.xlsx"].startswith("no roster found: the sheet '全县汇总' is named")
    assert "rename the sheet" in why["丰县2017年花名册.xlsx"]
    assert why["沛县2017年花名册.xlsx"] == "no roster found: every sheet is empty or not a roster"
    zh = run("check", d / "丰县2017年花名册.xlsx").stdout  # type: ignore[attr-defined]
    assert "工作表 '全县汇总' 的名称表明是汇总表" in zh and "改名" in zh
