"""hcs summary --by, --since, --out, the log line; golden files of md and csv.

Regenerate the golden files after an intended change: HCS_UPDATE_GOLDEN=1 pytest tests/test_summary_options.py
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import jsonschema
import openpyxl
import pytest
from typer.testing import CliRunner, Result

from conftest import ID_A, ID_B, ID_C, small_roster, summary_schema, write_xlsx
from handcraft_stats import Store, ingest, load_settings, summarize
from handcraft_stats.cli import app
from handcraft_stats.report.tables import summary_csv_rows

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("HCS_UPDATE_GOLDEN") == "1"
runner = CliRunner()

PEI = [
    ["沛县2017年花名册"],
    ["姓名", "身份证号码", "联系电话", "劳动能力", "就业意愿", "从业产业", "培训次数",
     "帮扶前收入", "当年收入", "脱贫状态", "脱贫年度"],
    ["张丽", ID_A, "13812345678", "技能劳动力", "是", "手工", 1, 3000, 9000, "已脱贫", 2017],
    ["李娜", "", "", "普通劳动力", "否", "电商", 0, "", "", "未脱贫", ""],
    ["赵敏", ID_C[:-1] + "1", "13900001111", "半劳动力", "", "种植", "2次", 1000, 1500, "返贫", ""],
]  # fmt: skip


def run(*args: str | Path) -> Result:
    return runner.invoke(app, [str(a) for a in args], env={"COLUMNS": "200"})


@pytest.fixture(scope="module")
def small_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two counties of 2017: 丰县 (the conftest roster) and 沛县 (ID_A again: cross-county)."""
    tmp = tmp_path_factory.mktemp("small")
    folder = tmp / "rosters"
    folder.mkdir()
    write_xlsx(folder / "丰县2017年花名册.xlsx", {"Sheet1": small_roster()})
    write_xlsx(folder / "沛县2017年花名册.xlsx", {"Sheet1": PEI})
    db = tmp / "small.duckdb"
    with Store(db) as store:
        ingest([folder], store, load_settings(None))
    assert ID_B  # the conftest roster carries ID_B
    return db


def golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if UPDATE:
        path.parent.mkdir(exist_ok=True)
        path.write_text(text, "utf-8")
    assert path.exists(), f"missing golden file {name}: run with HCS_UPDATE_GOLDEN=1"
    assert text == path.read_text("utf-8"), f"{name} differs; HCS_UPDATE_GOLDEN=1 if intended"


@pytest.mark.parametrize(
    ("name", "args"),
    [
        ("summary_small.md", ["--format", "md"]),
        ("summary_small_since.md", ["--format", "md", "--since", "2016"]),
        ("summary_small_by_county_wing.md", ["--format", "md", "--by", "county-wing"]),
        ("summary_small_en.md", ["--format", "md", "--lang", "en", "--by", "wing"]),
        ("summary_small.csv", ["--format", "csv"]),
        ("summary_small_by_county.csv", ["--format", "csv", "--by", "county"]),
    ],
)
def test_golden_md_and_csv(small_db: Path, name: str, args: list[str]) -> None:
    res = run("summary", "--year", "2017", "--db", small_db, *args)
    assert res.exit_code == 0, res.output
    assert res.stderr == ""
    golden(name, res.stdout)


def test_since_adds_exits_since_and_stays_valid(small_db: Path) -> None:
    res = run("summary", "--year", "2017", "--db", small_db, "--format", "json", "--since", "2016")
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    schema = summary_schema()
    jsonschema.validate(doc, schema)
    ex = doc["exits_since"]
    assert ex["since"] == 2016
    assert ex["exits"] == sum(n for y, n in doc["exits_by_year"].items() if 2016 <= int(y) <= 2017)
    assert ex["exits"] == sum(ex["by_wing"].values()) == 2
    assert list(ex["by_wing"]) == list(doc["wings"])
    plain = json.loads(run("summary", "--year", "2017", "--db", small_db, "-f", "json").stdout)
    assert "exits_since" not in plain
    assert {k: v for k, v in doc.items() if k != "exits_since"} == plain
    table = run("summary", "--year", "2017", "--db", small_db, "--since", "2016")
    assert "2016–2017年累计脱贫" in table.stdout
    for bad in ("2018", "1999"):
        res = run("summary", "--year", "2017", "--db", small_db, "--since", bad)
        assert res.exit_code == 2 and "--since" in res.stderr and res.stdout == ""


def test_detail_adds_the_county_breakdowns(small_db: Path) -> None:
    base = ["summary", "--year", "2017", "--db", small_db, "-f", "json"]
    plain, detail = (json.loads(run(*base, *extra).stdout) for extra in ([], ["--detail"]))
    assert "classification_by_county" not in plain and "issues_by_county" not in plain["quality"]
    classes = detail.pop("classification_by_county")
    issues = detail["quality"].pop("issues_by_county")
    assert detail == plain
    assert classes["沛县"] == {**dict.fromkeys(plain["classification"], 0), **{
        k: v for k, v in classes["沛县"].items() if v}}  # fmt: skip
    assert sum(classes["丰县"].values()) == plain["counties"]["丰县"]["persons"]
    assert sum(sum(c.values()) for c in issues.values()) == sum(
        plain["quality"]["issues_by_code"].values()
    )


def test_by_chooses_tables_and_csv_rows(small_db: Path) -> None:
    with Store(small_db, read_only=True) as store:
        doc = summarize(store, 2017).to_dict()
    md = {
        by: run("summary", "--year", "2017", "--db", small_db, "-f", "md", "--by", by).stdout
        for by in ("county", "wing", "county-wing")
    }
    assert "## 分县" in md["county"] and "## 按产业" not in md["county"]
    assert "## 按产业(一体两翼)" in md["wing"] and "## 分县" not in md["wing"]
    assert "## 分县分产业" in md["county-wing"] and "| 沛县 | 小计 |" in md["county-wing"]
    assert all("## 数据来源" in t and "## 数据质量" not in t for t in md.values())
    _, all_rows = summary_csv_rows(doc)
    for by, want in (("wing", 7), ("county", 1 + 2), ("county-wing", 2 * 6)):
        _, rows = summary_csv_rows(doc, by)
        assert len(rows) == want and all(r in all_rows for r in rows)
    _, cells = summary_csv_rows(doc, "county-wing")
    assert all(r[2] and r[3] for r in cells)
    res = run("summary", "--year", "2017", "--db", small_db, "--by", "town")
    assert res.exit_code == 2


def test_out_writes_the_format_of_the_extension(small_db: Path, tmp_path: Path) -> None:
    base = ["summary", "--year", "2017", "--db", small_db]
    for ext, fmt in (("json", "json"), ("csv", "csv"), ("md", "md")):
        target = tmp_path / "out" / f"s.{ext}"
        res = run(*base, "--out", target)
        assert res.exit_code == 0, res.output
        assert res.stdout == ""
        lines = res.stderr.splitlines()
        assert (
            len(lines) == 1
            and lines[0].startswith("hcs summary 2017: ")
            and str(target) in lines[0]
        )
        bom = ext == "csv"  # CLI.md: CSV files carry a BOM for Excel; stdout gets none
        assert target.read_bytes().startswith(b"\xef\xbb\xbf") is bom
        assert target.read_text("utf-8-sig") == run(*base, "--format", fmt).stdout
    xlsx = tmp_path / "out" / "s.xlsx"
    assert run(*base, "--out", xlsx, "--quiet").stderr == ""
    wb = openpyxl.load_workbook(xlsx)
    assert wb.sheetnames == ["汇总", "分县", "分类", "脱贫年度", "数据质量"]
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "s.csv",
        "s.json",
        "s.md",
        "s.xlsx",
    ]


def test_out_usage_errors(small_db: Path, tmp_path: Path) -> None:
    base = ["summary", "--year", "2017", "--db", small_db]
    res = run(*base, "--out", tmp_path / "s.txt")
    assert res.exit_code == 2 and "cannot tell the format" in res.stderr
    res = run(*base, "--out", tmp_path / "s.json", "--format", "csv")
    assert res.exit_code == 2 and "does not match" in res.stderr
    assert list(tmp_path.iterdir()) == []


def test_a_failed_out_leaves_the_previous_file(
    small_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import handcraft_stats.report.summary as summary_module

    target = tmp_path / "s.md"
    target.write_text("previous", "utf-8")

    def broken(*args: Any) -> str:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(summary_module, "summary_text", broken)
    res = run("summary", "--year", "2017", "--db", small_db, "--out", target)
    assert res.exit_code == 3 and "No space left" in res.stderr
    assert target.read_text("utf-8") == "previous"
    assert [p.name for p in tmp_path.iterdir()] == ["s.md"]


@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
def test_a_fix_list_that_fails_to_be_written_leaves_the_previous_file(
    small_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, suffix: str
) -> None:
    """`issues --out` (and `check --out`, the same writer) as `summary --out`: the disk
    filling up halfway leaves the file there before, not a truncated one."""
    import handcraft_stats.report.fixlist as fixlist
    import handcraft_stats.report.text as text_module

    target = tmp_path / f"问题清单{suffix}"
    target.write_bytes(b"previous")

    def half_xlsx(frame: Any, path: Path, lang: str = "zh") -> None:
        path.write_bytes(b"PK\x03\x04 half")
        raise OSError(28, "No space left on device")

    def half_csv(*args: Any) -> str:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(fixlist, "write_fix_list", half_xlsx)
    monkeypatch.setattr(text_module, "to_csv", half_csv)
    res = run("issues", "--year", "2017", "--db", small_db, "--out", target, "-f", "json")
    assert res.exit_code == 3 and "disk full" in res.stderr, res.stderr
    assert target.read_bytes() == b"previous"
    assert [p.name for p in tmp_path.iterdir()] == [target.name]


def test_label_overrides_from_config(small_db: Path, tmp_path: Path) -> None:
    cfg = tmp_path / "hcs.toml"
    cfg.write_text(
        '[labels.section]\ntitle = "{city}{year}年巾帼巧手统计"\n'
        '[labels.wing]\nhandicraft = ["手工编织", "Weaving"]\n',
        "utf-8",
    )
    base = ["summary", "--year", "2017", "--db", small_db, "-f", "md", "--config", cfg]
    md = run(*base).stdout
    assert md.startswith("# 徐州市2017年巾帼巧手统计") and "| 手工编织 |" in md
    assert "| Weaving |" in run(*base, "--lang", "en").stdout
    # without the config, the packaged labels again
    assert "| 手工加工 |" in run("summary", "--year", "2017", "--db", small_db, "-f", "md").stdout


def test_detail_adds_the_county_breakdowns_to_the_table_and_md(small_db: Path) -> None:
    """`--detail` ("also classes and issues by county") changed only the json: the table
    and md now carry the two tables too, each county's column summing to the city's."""
    base = ["summary", "--year", "2017", "--db", small_db, "-f", "md"]
    plain, detail = run(*base).stdout, run(*base, "--detail").stdout
    assert "## 分县分类建档" not in plain and "## 问题(按代码×县)" not in plain
    assert "## 分县分类建档" in detail and "## 问题(按代码×县)" in detail
    assert detail.startswith(plain.rstrip("\n"))
    doc = json.loads(run("summary", "--year", "2017", "--db", small_db, "-f", "json",
                         "--detail").stdout)  # fmt: skip
    section = detail.split("## 分县分类建档")[1].split("##")[0]
    rows = [r.strip("|").split("|") for r in section.splitlines() if r.startswith("| ")][1:]
    counties = list(doc["counties"])
    cells = [[c.strip() for c in row] for row in rows]
    assert all(len(r) == len(counties) + 2 for r in cells) and len(cells) == 8  # the classes
    for j, county in enumerate(counties, 1):  # each county's column: its persons
        assert sum(int(r[j]) for r in cells) == doc["counties"][county]["persons"]
    assert sum(int(r[-1]) for r in cells) == doc["totals"]["persons"]  # the city, once
    en = run(*base, "--detail", "--lang", "en").stdout
    assert "## Classes by county" in en and "## Issues by code and county" in en
