"""The ingest and check reports' issues by code include the issues of the whole period
(conflicts, shared phones, brokers named like a beneficiary), which belong to no file."""

from __future__ import annotations

import shutil
from pathlib import Path

from conftest import SAMPLE
from handcraft_stats import Store, check, ingest, load_settings, summarize

SETTINGS = load_settings(None)
PERIOD_CODES = {"conflict", "phone_shared", "broker_is_beneficiary"}


def test_period_wide_issues_are_in_the_ingest_and_check_reports(tmp_path: Path) -> None:
    rosters = tmp_path / "rosters"
    shutil.copytree(SAMPLE / "rosters", rosters)
    db = tmp_path / "t.duckdb"
    with Store(db) as s:
        first = ingest([rosters], s, SETTINGS).to_dict()
        again = ingest([rosters], s, SETTINGS).to_dict()  # every file unchanged: no relink
        by_year = [summarize(s, y).to_dict()["quality"]["issues_by_code"] for y in (2016, 2017)]
    want = {c: sum(q.get(c, 0) for q in by_year) for c in PERIOD_CODES}
    assert all(want.values())  # the sample plants each of them
    assert first["period_issues_by_code"] == want
    assert {c: first["issues_by_code"][c] for c in PERIOD_CODES} == want
    per_file = {c for f in first["detail"] for c in f["issues_by_code"]}
    assert not per_file & PERIOD_CODES  # they belong to no file
    assert again["period_issues_by_code"] == want
    assert again["issues_by_code"] == first["issues_by_code"]
    dry = check([rosters], SETTINGS).to_dict()
    assert dry["period_issues_by_code"] == want
    assert dry["issues_by_code"] == first["issues_by_code"]


def test_files_named_as_no_roster_that_hold_none_do_not_fail_the_run(tmp_path: Path) -> None:
    """填表说明.txt and 丰县2017年汇总表.xlsx beside the roster were refused: exit 1 at
    every cron run. They are listed as not read, with the reason; a file named 汇总 that
    is a roster missing its ID column is still refused."""
    import json

    from typer.testing import CliRunner

    from conftest import ID_A, write_xlsx
    from handcraft_stats.cli import app

    folder = tmp_path / "r"
    folder.mkdir()
    (folder / "填表说明.txt").write_text("填表说明\n1. 身份证号请用文本格式\n", encoding="utf-8")
    write_xlsx(folder / "丰县2017年汇总表.xlsx", {"S": [["乡镇", "人数"], ["华山镇", 3]]})
    write_xlsx(folder / "丰县2017年花名册.xlsx", {"S": [["姓名", "身份证号码"], ["张丽", ID_A]]})
    db = str(tmp_path / "t.duckdb")
    res = CliRunner().invoke(app, ["ingest", str(folder), "--db", db, "--format", "json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert doc["refused"] == [] and doc["files"] == 1 and doc["records"] == 1
    assert [Path(x["file"]).name for x in doc["not_rosters"]] == [
        "丰县2017年汇总表.xlsx",
        "填表说明.txt",
    ]
    assert "乡镇, 人数" in doc["not_rosters"][0]["reason"]
    assert "was not read" in res.stderr
    for roster in (
        [["姓名", "从业产业"], ["张丽", "手工"]],  # a roster with a column missing
        [["姓名", "人员编码"], ["张丽", ID_A]],
    ):  # an ID title hcs does not know
        write_xlsx(folder / "丰县2017年汇总表.xlsx", {"S": roster})
        res = CliRunner().invoke(app, ["check", str(folder), "--format", "json"])
        assert res.exit_code == 1
        refused = json.loads(res.stdout)["refused"]
        assert [Path(x["file"]).name for x in refused] == ["丰县2017年汇总表.xlsx"]


def test_a_file_named_by_a_womans_id_is_masked_in_the_report_and_history(tmp_path: Path) -> None:
    """一人一卡: a roster named by a woman's ID. stderr and records.csv masked it; the
    ingest report (kept as a log by README's cron line) in every format and `hcs
    history` printed it whole."""
    from typer.testing import CliRunner

    from conftest import small_roster, write_xlsx
    from handcraft_stats.cli import app

    an_id = "320321198001010022"
    folder = tmp_path / "r"
    folder.mkdir()
    write_xlsx(folder / f"丰县2017年王秀兰{an_id}.xlsx", {"张丽13912345678": small_roster()})
    (folder / f"沛县2017年李娜{an_id[:-1]}9.xlsx").write_text("not a workbook")
    db = tmp_path / "h.duckdb"
    run = CliRunner().invoke
    outputs = [run(app, ["ingest", str(folder), "--db", str(db), "-f", fmt]).stdout
               for fmt in ("json", "csv", "table", "md")]  # fmt: skip
    outputs.append(run(app, ["check", str(folder), "-f", "json"]).stdout)
    outputs += [run(app, ["history", "--db", str(db), "-f", fmt]).stdout
                for fmt in ("json", "csv", "table")]  # fmt: skip
    assert all("320321********0022" in o or "王秀兰" not in o for o in outputs)
    for text in outputs:
        assert "1980010100" not in text and "13912345678" not in text, text
    assert "320321********0022" in outputs[0] and "320321********0029" in outputs[0]
