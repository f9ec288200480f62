"""`--lang en` in the human formats (table, md) of every listing: titles, column headings
and coded values are English; json and csv keep the codes; `zh` stays the default."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from conftest import ID_A, ID_B, ingested, write_xlsx
from handcraft_stats.cli import app

HAN = re.compile(r"[\u4e00-\u9fff]")
HEADER = ["姓名", "身份证号码", "出生日期", "村(社区)", "从业产业", "帮扶前年收入(元)"]
FENG = [HEADER, ["张丽", ID_A, "", "东村", "手工", 3000], ["王芳", ID_B, "", "西村", "家政", ""]]
PEI = [HEADER, ["张丽", ID_A, "", "某村", "手工", ""], ["李娜", "", "", "某村", "手工", ""]]
# 丰县's second version: 王芳's wing and income changed
FENG2 = [HEADER, ["张丽", ID_A, "", "东村", "手工", 3000], ["王芳", ID_B, "", "西村", "电商", 4000]]


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    path = ingested(tmp_path, {"丰县2017年花名册.xlsx": FENG, "沛县2017年花名册.xlsx": PEI})
    write_xlsx(tmp_path / "r" / "丰县2017年花名册.xlsx", {"S": FENG2})
    run("ingest", tmp_path / "r", "--db", path, "--quiet")
    return path


def run(*args: object) -> Result:
    res = CliRunner().invoke(app, [str(a) for a in args], env={"COLUMNS": "400"})
    assert res.exit_code == 0, res.output
    return res


def lines(text: str, fmt: str) -> list[str]:
    """The title and heading lines of a rendered listing (no data rows: names and files
    stay as the rosters write them)."""
    rows = [r for r in text.splitlines() if r.strip()]
    if fmt == "md":
        return [
            r
            for i, r in enumerate(rows)
            if r.startswith("#")
            or (r.startswith("|") and i + 1 < len(rows) and rows[i + 1].startswith("|--"))
        ]
    return rows[:2]


LISTINGS = [
    (("persons", "--year", "2017"), "2017 persons (3)", ["Person key", "Counties", "Wing"]),
    (("dupes", "--year", "2017"), "2017 record links (1)", ["Record A", "Link tier", "Evidence"]),
    (("history",), "Files ingested (3)", ["Ingested at", "Source file", "Replaced by"]),
    (("issues", "--year", "2017"), "2017 issues", ["Code", "Severity", "Message"]),
]


@pytest.mark.parametrize(("cmd", "title", "headings"), LISTINGS)
@pytest.mark.parametrize("fmt", ["table", "md"])
def test_listings_in_english(
    db: Path, cmd: tuple[str, ...], title: str, headings: list[str], fmt: str
) -> None:
    out = run(*cmd, "--db", db, "-f", fmt, "--lang", "en").stdout
    head = lines(out, fmt)
    assert title in head[0]
    for h in headings:
        assert h in out
    assert not any(HAN.search(r) for r in head), head


@pytest.mark.parametrize(("cmd", "title"), [
    (("persons", "--year", "2017"), "2017 人员（3）"),
    (("dupes", "--year", "2017"), "2017 关联记录（1）"),
    (("history",), "导入记录（3）"),
    (("issues", "--year", "2017"), "2017 问题清单"),
])  # fmt: skip
def test_chinese_stays_the_default(db: Path, cmd: tuple[str, ...], title: str) -> None:
    out = run(*cmd, "--db", db).stdout
    assert title in out.splitlines()[0]


def test_issue_list_labels_its_columns_and_severities(db: Path) -> None:
    zh = run("issues", "--year", "2017", "--db", db).stdout
    assert "问题代码" in zh and "级别" in zh and "问题说明" in zh
    assert "错误" in zh and "id_missing" in zh  # 李娜 has no ID
    en = run("issues", "--year", "2017", "--db", db, "--lang", "en").stdout
    assert "Error" in en and "错误" not in en
    # json keeps the codes
    js = run("issues", "--year", "2017", "--db", db, "-f", "json", "--lang", "en").stdout
    assert '"severity":' in js and '"Severity"' not in js


def test_an_english_export_writes_its_issues_in_english(db: Path, tmp_path: Path) -> None:
    """issues.csv of `hcs export --lang en` had the stored Chinese messages; the values
    (and what the messages quote of them) stay masked."""
    import csv

    def messages(lang: str) -> dict[str, str]:
        out = tmp_path / lang
        run("export", "--year", "2017", "--out", out, "--db", db, "--lang", lang)
        with (out / "issues.csv").open(encoding="utf-8-sig", newline="") as f:
            return {r["code"]: r["message"] for r in csv.DictReader(f)}

    zh, en = messages("zh"), messages("en")
    assert zh.keys() == en.keys() and "id_missing" in en  # 李娜 has no ID
    assert en["id_missing"] == "ID number missing" and zh["id_missing"] == "身份证号码为空"
    assert all(HAN.search(m) for m in zh.values())
    assert not any(HAN.search(m) for m in en.values())


def test_history_compare_in_english(db: Path) -> None:
    out = run("history", "--db", db, "--compare", "3", "--lang", "en").stdout
    first = out.splitlines()[0]
    assert first.strip() == "丰县 2017 roster versions compared: file 1 → 3"
    for text in (
        "Versions",
        "Old version",
        "New version",
        "Records changed",
        "Fields changed",
        "Income before (yuan)",
        "Wing",
        "E-commerce",
        "Matched by ID number",
    ):
        assert text in out, text
    headings = [r for r in out.splitlines() if r.strip() and not HAN.search(r)]
    assert any("Change" in r and "Old value" in r and "New value" in r for r in headings)
    zh = run("history", "--db", db, "--compare", "3").stdout
    assert "丰县2017年名册版本比较：文件 1 → 3" in zh and "帮扶前年收入(元)" in zh


def test_changes_title_in_english(sample_db: tuple[Path, object]) -> None:
    db = sample_db[0]
    out = run("changes", "--from", "2016", "--to", "2017", "--db", db, "--lang", "en").stdout
    assert out.splitlines()[0].strip().startswith("Changes 2016–2017")


def test_changes_in_english_lists_a_persons_changes_with_commas(
    sample_db: tuple[Path, object],
) -> None:
    """A woman's changes were joined with the Chinese 、 in English too (Entered、Exited)."""
    db = sample_db[0]
    en = run("changes", "--from", "2016", "--to", "2017", "--db", db, "--lang", "en",
             "-f", "md", "--limit", "0").stdout  # fmt: skip
    lasts = [ln.rstrip(" |").rsplit("|", 1)[-1] for ln in en.splitlines() if ln.startswith("| ")]
    assert not any("、" in cell for cell in lasts)  # (counties are names: 云龙区、沛县 stays)
    assert any("Entered, Exited" in cell for cell in lasts)
    zh = run("changes", "--from", "2016", "--to", "2017", "--db", db, "-f", "md",
             "--limit", "0").stdout  # fmt: skip
    assert "、" in zh
