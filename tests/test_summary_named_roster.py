"""A file named as a summary (铜山区2017年花名册汇总.xlsx) is skipped as no roster only
when it holds none: its only sheet, 汇总, holding the county's women was listed as "its
name says it is no roster … and it holds none" (exit 0, the women lost). It is refused
naming the sheet and the remedy, as a roster whose only sheet is named 汇总 or 统计 is
under any file name; under a neutral sheet name (Sheet1) it is read."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from conftest import write_xlsx
from handcraft_stats.cli import app

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def woman_id(birth: str, seq: int) -> str:
    """A valid synthetic ID of 铜山区 (320312): the 17th digit even, GB 11643 check."""
    body = f"320312{birth}{seq:02d}{(seq % 5) * 2}"
    return body + "10X98765432"[sum(int(c) * w for c, w in zip(body, WEIGHTS, strict=True)) % 11]


ROSTER = [
    ["序号", "姓名", "身份证号码", "乡镇", "从业产业"],
    [1, "张丽", woman_id("19800101", 11), "柳泉镇", "手工"],
    [2, "王芳", woman_id("19750505", 12), "柳泉镇", "手工"],
    [3, "陈梅", woman_id("19900202", 13), "大许镇", "手工"],
]
NAME = "铜山区2017年花名册汇总.xlsx"


def run(*args: Any) -> Any:
    return CliRunner().invoke(app, [str(a) for a in args])


def test_ids_are_valid() -> None:
    for row in ROSTER[1:]:
        ident = row[2]
        assert len(ident) == 18 and ident.startswith("320312") and int(ident[16]) % 2 == 0
    assert woman_id("19800101", 11) != woman_id("19800101", 12)


def test_a_file_named_as_a_summary_whose_sheet_汇总_holds_a_roster_is_refused(
    tmp_path: Path,
) -> None:
    d = tmp_path / "r"
    d.mkdir()
    write_xlsx(d / NAME, {"汇总": ROSTER})
    res = run("ingest", d / NAME, "--db", tmp_path / "t.duckdb", "--format", "json")
    assert res.exit_code == 1, res.output
    doc = json.loads(res.stdout)
    assert doc["records"] == 0 and doc["not_rosters"] == []
    [refused] = doc["refused"]
    assert Path(refused["file"]).name == NAME
    assert refused["reason"].startswith("no roster found: the sheet '汇总' is named as a summary")
    assert "rename the sheet" in refused["reason"]
    assert "was not read" not in res.stderr
    checked = run("check", d, "--format", "json")
    assert checked.exit_code == 1
    assert [Path(r["file"]).name for r in json.loads(checked.stdout)["refused"]] == [NAME]
    zh = run("check", d / NAME).stdout
    assert "工作表 '汇总' 的名称表明是汇总表" in zh and "改名" in zh


def test_a_file_named_as_a_summary_whose_sheet_is_neutral_is_read(tmp_path: Path) -> None:
    d = tmp_path / "r"
    d.mkdir()
    write_xlsx(d / NAME, {"Sheet1": ROSTER})
    res = run("ingest", d, "--db", tmp_path / "t.duckdb", "--format", "json")
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert doc["refused"] == [] and doc["not_rosters"] == []
    assert doc["files_landed"] == 1 and doc["records"] == 3
    assert doc["detail"][0]["county"] == "铜山区" and doc["detail"][0]["period"] == 2017
    assert doc["issues_by_code"] == {}  # the synthetic IDs are valid


def test_a_true_summary_workbook_named_汇总_is_still_skipped(tmp_path: Path) -> None:
    """Counts per town (乡镇 | 人数 | 户数), on a sheet named 汇总 or not: no roster."""
    d = tmp_path / "r"
    d.mkdir()
    counts = [["乡镇", "人数", "户数"], ["柳泉镇", 2, 2], ["大许镇", 1, 1], ["合计", 3, 3]]
    for sheet in ("汇总", "Sheet1"):
        write_xlsx(d / NAME, {sheet: counts})
        res = run("ingest", d, "--db", tmp_path / f"{sheet}.duckdb", "--format", "json")
        assert res.exit_code == 0, res.output
        doc = json.loads(res.stdout)
        assert doc["refused"] == [] and doc["records"] == 0
        assert [Path(x["file"]).name for x in doc["not_rosters"]] == [NAME]
        assert "was not read" in res.stderr
