"""A roster naming two years as its period (丰县2016-2017年花名册.xlsx) was filed under the
first without a word; it is refused asking which year, unless another year is stated
alone or --year is given (session 20)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import ID_A, ID_B, write_xlsx
from handcraft_stats import load_settings
from handcraft_stats.cli import app
from handcraft_stats.parse import _detect, year_span

SETTINGS = load_settings(None)


@pytest.mark.parametrize(
    ("name", "title", "year"),
    [
        ("丰县2016-2017年花名册.xlsx", "花名册", None),
        ("丰县2016—2017年花名册.xlsx", "", None),
        ("丰县花名册.xlsx", "丰县2016至2017年度妇女花名册", None),
        ("丰县花名册.xlsx", "丰县2016年-2017年花名册", None),
        # the title states one year: it holds
        ("丰县2016-2017年花名册.xlsx", "丰县2017年妇女巧手脱贫花名册", 2017),
        # another year alone in the same name
        ("丰县2017年花名册（2016-2020脱贫攻坚）.xlsx", "", 2017),
        # no span: a day's range in one year, a date, a span of one year
        ("丰县20170101-20171231花名册.xlsx", "", 2017),
        ("丰县2017-08-10.xlsx", "", 2017),
        ("丰县2017-2017年.xlsx", "", 2017),
    ],
)
def test_two_years_give_no_period(name: str, title: str, year: int | None) -> None:
    assert _detect(SETTINGS, name, ["S"], title, ["S"]) == ("丰县", year)


def test_year_span_names_the_two_years() -> None:
    assert year_span("丰县2016-2017年花名册.xlsx") == "2016–2017"
    assert year_span("丰县花名册", "2016至2017年度") == "2016–2017"
    assert year_span("丰县花名册", "二〇一六至二〇一七年度") == "2016–2017"
    assert _detect(SETTINGS, "丰县花名册.xlsx", ["S"], "丰县二〇一六至二〇一七年度花名册", ["S"]) == (
        "丰县", None,
    )  # fmt: skip
    assert year_span("丰县20170101-20171231") is None


def test_a_roster_of_two_years_is_refused_asking_which(tmp_path: Path) -> None:
    folder = tmp_path / "r"
    folder.mkdir()
    rows = [["丰县妇女巧手花名册"], ["姓名", "身份证号码"], ["张丽", ID_A], ["王芳", ID_B]]
    write_xlsx(folder / "丰县2016-2017年花名册.xlsx", {"S": rows})
    runner = CliRunner()
    db = tmp_path / "t.duckdb"
    res = runner.invoke(app, ["ingest", str(folder), "--db", str(db), "--lang", "en"])
    assert res.exit_code == 1
    assert "the file name or title names two years (2016–2017)" in res.stderr
    res = runner.invoke(app, ["ingest", str(folder), "--db", str(db), "--year", "2017"])
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, ["summary", "--year", "2017", "--db", str(db), "--format", "json"])
    assert res.exit_code == 0 and '"persons": 2' in res.stdout


@pytest.mark.parametrize(
    ("name", "title", "says"),
    [
        ("丰县2017年花名册_v2.xlsx", "沛县2016年妇女巧手脱贫花名册", "沛县 2016"),
        ("丰县2017年花名册.xlsx", "沛县2017年妇女巧手脱贫花名册", "沛县"),
        ("丰县2017年花名册.xlsx", "丰县2016年妇女巧手脱贫花名册", "2016"),
        ("丰县2017年花名册.xlsx", "丰县2017年妇女巧手脱贫花名册", ""),
        ("丰县2017年花名册.xlsx", "徐州市妇女巧手脱贫花名册", ""),  # no county, no year
        ("丰县2017年花名册.xlsx", "丰县2017年花名册（2016年建档立卡）", ""),  # a note's year
        ("花名册.xlsx", "沛县2016年妇女花名册", ""),  # the title gave both: nothing to compare
    ],
)
def test_a_title_naming_another_county_or_year_is_noted(
    tmp_path: Path, name: str, title: str, says: str
) -> None:
    """A roster renamed (or last year's sent again under this year's name) was counted
    under its name's county and year without a word; the report notes what the title
    says (session 20)."""
    from handcraft_stats.normalize.vocab import Vocabulary
    from handcraft_stats.parse import parse_file

    p = write_xlsx(tmp_path / name, {"S": [[title], ["姓名", "身份证号码"], ["张丽", ID_A]]})
    assert parse_file(p, p.read_bytes(), SETTINGS, Vocabulary()).title_says == says


def test_the_title_note_is_on_stderr_and_in_the_report(tmp_path: Path) -> None:
    folder = tmp_path / "r"
    folder.mkdir()
    rows = [["沛县2016年妇女巧手脱贫花名册"], ["姓名", "身份证号码"], ["张丽", ID_A]]
    write_xlsx(folder / "丰县2017年花名册_v2.xlsx", {"S": rows})
    res = CliRunner().invoke(app, ["check", str(folder), "--format", "json"])
    assert res.exit_code == 0, res.output
    assert "names 沛县 2016; it is counted under 丰县 2017" in res.stderr
    assert '"title_says": "沛县 2016"' in res.stdout
    quiet = CliRunner().invoke(app, ["check", str(folder), "--format", "json", "--quiet"])
    assert "names 沛县" not in quiet.stderr
    given = CliRunner().invoke(app, ["check", str(folder), "--year", "2016", "--county", "沛县"])
    assert "names 沛县" not in given.stderr  # what the user gives is not second-guessed
