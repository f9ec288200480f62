"""Survivorship: an unreadable capacity or willingness (`unknown`) carries no information.

A roster's 劳动能力 "有点劳动力吧" is read as `unknown` (an `unknown_value` issue names the
cell). When that record is the woman's most complete one, her other record's 普通劳动力
fills her capacity as a blank would, and the unreadable text is no `conflict`: until
session 19 she was counted 劳动能力不明 though a roster states her capacity."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
from typer.testing import CliRunner

from conftest import HEADER, ID_A, ID_B, ingested, write_xlsx
from handcraft_stats import Store, load_settings
from handcraft_stats.cli import app
from handcraft_stats.link import link_period
from handcraft_stats.normalize.vocab import Vocabulary
from handcraft_stats.parse import parse_file

SETTINGS = load_settings(None)
# 序号, 姓名, 身份证号码, 劳动能力, 就业意愿, 从业产业, 培训次数, 帮扶前收入, 当年收入(元), 脱贫年度
UNREADABLE = [1, "张丽", ID_A, "有点劳动力吧", "是", "手工编织", 3, 3000, 9000, ""]
ABLE = [2, "张丽", ID_A, "普通劳动力", "", "", "", "", "", ""]


def parsed(tmp_path: Path, *rows: list[Any]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The records (record ids 1, 2, … in row order) and issues of a one-sheet roster."""
    path = write_xlsx(tmp_path / "丰县2017.xlsx", {"S": [HEADER, *rows]})
    pf = parse_file(path, path.read_bytes(), SETTINGS, Vocabulary())
    return pf.records.assign(record_id=range(1, len(pf.records) + 1), file_id=1), pf.issues


def conflicts_of(rec: pd.DataFrame) -> list[tuple[int, str, str]]:
    c = link_period(rec, "probable", "salt").conflicts
    return sorted(zip(c["record_id"], c["column"], c["value"], strict=True))


def test_an_unknown_capacity_of_the_survivor_is_filled_from_her_other_record(
    tmp_path: Path,
) -> None:
    rec, issues = parsed(tmp_path, UNREADABLE, ABLE)
    assert rec["filled"].tolist() == [8, 3]  # the unreadable record is her survivor
    assert rec["labor_capacity"].tolist() == ["unknown", "able"]
    linked = link_period(rec, "probable", "salt")
    assert len(linked.persons) == 1
    person = linked.persons.iloc[0]
    assert int(person["survivor"]) == 1
    assert (person["labor_capacity"], person["willing"]) == ("able", "yes")
    assert person["class"] == "able_willing"
    assert person["wing"] == "handicraft" and int(person["trainings"]) == 3
    assert conflicts_of(rec) == []  # neither her unknown nor her blanks disagree
    # the unreadable cell is still named, by the record's unknown_value issue
    found = issues[issues["code"] == "unknown_value"]
    assert found[["column", "value"]].values.tolist() == [["labor_capacity", "有点劳动力吧"]]


def test_an_unknown_willingness_is_filled_and_a_known_disagreement_still_conflicts(
    tmp_path: Path,
) -> None:
    """Record 1 (survivor): capacity and willingness unreadable; record 2: able, no;
    record 3: weak, yes. She takes record 2's values (load order), record 3 conflicts on
    both fields, record 1 on neither."""
    rec, _ = parsed(
        tmp_path,
        [1, "张丽", ID_A, "有点劳动力吧", "看情况", "手工", 3, 3000, 9000, ""],
        [2, "张丽", ID_A, "普通劳动力", "不愿意", "", "", "", "", ""],
        [3, "张丽", ID_A, "弱劳动力", "愿意", "", "", "", "", ""],
    )
    assert rec["willing"].tolist() == ["unknown", "no", "yes"]
    person = link_period(rec, "probable", "salt").persons.iloc[0]
    assert (person["labor_capacity"], person["willing"]) == ("able", "no")
    assert person["class"] == "able_unwilling"
    assert conflicts_of(rec) == [
        (3, "labor_capacity", "弱劳动力或半劳动力"),
        (3, "willing", "愿意"),
    ]


def test_an_unknown_on_a_less_complete_record_is_no_conflict(tmp_path: Path) -> None:
    """Her survivor says 普通劳动力 / 愿意, another record 说不清 / 看情况: she is able and
    willing, and only the unknown_value issues name the other record's cells (until
    session 19 they were conflicts too, valued 不明)."""
    rec, issues = parsed(
        tmp_path,
        [1, "张丽", ID_A, "说不清", "看情况", "", "", "", "", ""],
        [2, "张丽", ID_A, "普通劳动力", "愿意", "手工", 3, 3000, 9000, ""],
    )
    person = link_period(rec, "probable", "salt").persons.iloc[0]
    assert int(person["survivor"]) == 2 and person["class"] == "able_willing"
    assert conflicts_of(rec) == []
    assert sorted(issues.loc[issues["code"] == "unknown_value", "column"]) == [
        "labor_capacity", "willing"
    ]  # fmt: skip


def test_a_woman_whose_records_all_say_unknown_or_nothing_stays_unknown(tmp_path: Path) -> None:
    rec, _ = parsed(
        tmp_path,
        [1, "张丽", ID_A, "", "", "手工", 3, 3000, 9000, ""],  # blank: missing
        [2, "张丽", ID_A, "有点劳动力吧", "看情况", "", "", "", "", ""],
        [3, "张丽", ID_A, "说不清", "", "", "", "", "", ""],
        [1, "王芳", ID_B, "", "", "家政", 2, "", "", ""],  # blank in all her records
        [2, "王芳", ID_B, "", "", "", "", "", "", ""],
    )
    p = link_period(rec, "probable", "salt").persons
    got = zip(p["id_key"], p["labor_capacity"], p["willing"], p["class"], strict=True)
    assert {key: rest for key, *rest in got} == {
        ID_A: ["unknown", "unknown", "unknown"], ID_B: ["unknown", "unknown", "unknown"]
    }  # fmt: skip
    assert conflicts_of(rec) == []


def test_ingest_and_summary_count_her_as_able(tmp_path: Path) -> None:
    """Two counties' rosters list her: 丰县's (most complete) says 有点劳动力吧, 沛县's
    says 普通劳动力. `hcs summary` counts her 有劳动能力·有就业意愿, not 劳动能力不明, and
    reports the unreadable cell but no conflict."""
    db = ingested(
        tmp_path,
        {
            "丰县2017.xlsx": [HEADER, UNREADABLE],
            "沛县2017.xlsx": [HEADER, ABLE, [3, "王芳", ID_B, "弱劳动力", "否", "家政", 1,
                                             2000, 2500, ""]],
        },
    )  # fmt: skip
    res = CliRunner().invoke(
        app, ["summary", "--year", "2017", "--db", str(db), "--format", "json"]
    )
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    classes = {k: v for k, v in doc["classification"].items() if v}
    assert classes == {"able_willing": 1, "weak_unwilling": 1}
    assert doc["quality"]["issues_by_code"].get("unknown_value") == 1
    assert "conflict" not in doc["quality"]["issues_by_code"]
    assert doc["quality"]["cross_county_persons"] == 1
    with Store(db, read_only=True) as store:
        person = store.df(
            "SELECT labor_capacity, willing, class FROM persons WHERE id_number = ?", [ID_A]
        )
        assert person.values.tolist() == [["able", "yes", "able_willing"]] * 2  # both tiers
        issues = store.df('SELECT code, "column", value FROM issues ORDER BY code')
        assert issues.values.tolist() == [["unknown_value", "labor_capacity", "有点劳动力吧"]]
