"""birth_mismatch: a birth-date column (出生日期 / 出生年月) that disagrees with the birth
date in the row's ID number (digits 7-14) is a warning on that row, naming both dates
and never the ID; a year and month alone (出生年月 1975.03) is compared by its month."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import datetime
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pytest
from typer.testing import CliRunner

from handcraft_stats import Store, ingest, load_settings
from handcraft_stats.checks import Catalogue
from handcraft_stats.cli import app
from handcraft_stats.normalize.frame import normalize_frame
from handcraft_stats.normalize.idnumber import check_character
from handcraft_stats.normalize.vocab import Vocabulary
from handcraft_stats.report.labels import label

CODE = "birth_mismatch"


def ident(area: str, born: str, seq: str) -> str:
    """A valid ID: area code, birth date YYYYMMDD, three sequence digits (even third: a
    woman), its check character."""
    body = area + born + seq
    return body + check_character(body)


def bad_check(valid: str) -> str:
    return valid[:17] + ("0" if valid[17] != "0" else "1")


# 沛县 (320322): a 出生日期 column of full dates, as text and as Excel date cells
PEI = {
    "张丽": ident("320322", "19750302", "002"),
    "王芳": ident("320322", "19800505", "024"),
    "陈梅": ident("320322", "19900202", "046"),
    "李兰": ident("320322", "19681111", "068"),
    "赵霞": bad_check(ident("320322", "19720720", "082")),
    "孙红": ident("320322", "19850808", "004"),
    "周燕": "32032219851203",  # 14 digits: no birth date to compare
}
PEI_ROWS: list[list[Any]] = [
    ["沛县2017年妇女“巧手”行动花名册"],
    ["序号", "姓名", "身份证号码", "出生日期", "劳动能力", "从业产业", "联系电话", "脱贫状态"],
    [1, "张丽", PEI["张丽"], "1975-03-02", "普通劳动力", "手工", "13812345678", "未脱贫"],
    [2, "王芳", PEI["王芳"], "1980-05-15", "普通劳动力", "家政", "13812345679", "未脱贫"],
    [3, "陈梅", PEI["陈梅"], datetime(1990, 2, 2), "普通劳动力", "手工", "13812345680", "未脱贫"],
    [4, "李兰", PEI["李兰"], datetime(1968, 1, 11), "弱劳动力", "手工", "13812345681", "未脱贫"],
    [5, "赵霞", PEI["赵霞"], "1972.7.2", "普通劳动力", "手工", "13812345682", "未脱贫"],
    [6, "孙红", PEI["孙红"], "", "普通劳动力", "农业", "13812345683", "未脱贫"],
    [7, "周燕", PEI["周燕"], "1985-12-03", "普通劳动力", "农业", "13812345684", "未脱贫"],
    [8, "吴萍", "", "1979-09-09", "普通劳动力", "农业", "13812345685", "未脱贫"],
]
# the rows (spreadsheet row numbers) whose column and ID disagree, and the issue values
PEI_MISMATCH = {
    4: "出生日期 1980-05-15, 身份证 1980-05-05",  # a text date, one digit off
    6: "出生日期 1968-01-11, 身份证 1968-11-11",  # an Excel date cell
    7: "出生日期 1972-07-02, 身份证 1972-07-20",  # an ID with a bad check character
}

# 丰县 (320321): a 出生年月 column, a year and month alone mostly
FENG = {
    "刘英": ident("320321", "19750315", "022"),
    "杨梅": ident("320321", "19800620", "044"),
    "胡敏": ident("320321", "19851012", "066"),
    "马玲": ident("320321", "19660101", "088"),
    "郑娟": ident("320321", "19700209", "008"),
    "林艳": ident("320321", "19770930", "028"),
}
FENG_ROWS: list[list[Any]] = [
    ["丰县2017年巧手行动花名册"],
    ["序号", "姓名", "身份证号码", "出生年月", "劳动能力", "从业产业", "联系电话", "脱贫状态"],
    [1, "刘英", FENG["刘英"], "1975.03", "普通劳动力", "手工", "13912345670", "未脱贫"],
    [2, "杨梅", FENG["杨梅"], "1980年7月", "普通劳动力", "手工", "13912345671", "未脱贫"],
    [3, "胡敏", FENG["胡敏"], 1985.1, "普通劳动力", "手工", "13912345672", "未脱贫"],
    [4, "马玲", FENG["马玲"], 196601, "普通劳动力", "手工", "13912345673", "未脱贫"],
    [5, "郑娟", FENG["郑娟"], "1971.02", "普通劳动力", "手工", "13912345674", "未脱贫"],
    [6, "林艳", FENG["林艳"], datetime(1977, 9, 30), "普通劳动力", "手工", "13912345675", "未脱贫"],
]  # fmt: skip
FENG_MISMATCH = {
    4: "出生年月 1980年7月, 身份证 1980-06-20",  # June in the ID
    7: "出生年月 1971.02, 身份证 1970-02-09",  # another year
}
# 1985.1 in a number cell is 1985.10 (October, the ID's month) as well as 1985.01: agrees


def write_roster(path: Path, rows: list[list[Any]]) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "花名册"
    for row in rows:
        ws.append(row)
    for cell in ws["D"]:
        if isinstance(cell.value, datetime):
            cell.number_format = "yyyy-mm-dd"  # a date cell, as a clerk formats one
    wb.save(path)
    return path


@pytest.fixture(scope="module")
def rosters(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("rosters")
    write_roster(folder / "沛县2017年花名册.xlsx", PEI_ROWS)
    write_roster(folder / "丰县2017年花名册.xlsx", FENG_ROWS)
    return folder


@pytest.fixture(scope="module")
def db(rosters: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("db") / "t.duckdb"
    with Store(path) as store:
        ingest([rosters], store, load_settings(None))
    return path


def run(*args: str) -> Any:
    res = CliRunner().invoke(app, list(args))
    assert res.exit_code == 0, res.output
    return res


def no_id_in(text: str) -> None:
    """No ID of the rosters, nor its birth digits beside its area code, in `text`."""
    for i in [*PEI.values(), *FENG.values()]:
        assert i not in text and i[:14] not in text
    assert not re.search(r"\d{11,}", text)


def mismatches(rows: list[dict[str, Any]]) -> dict[tuple[str, int], str]:
    return {(r["county"], int(r["source_row"])): r["value"] for r in rows if r["code"] == CODE}


def expected() -> dict[tuple[str, int], str]:
    return {
        **{("沛县", row): v for row, v in PEI_MISMATCH.items()},
        **{("丰县", row): v for row, v in FENG_MISMATCH.items()},
    }


def test_the_rule_is_in_the_catalogue_with_labels() -> None:
    cat = Catalogue.load()
    assert cat.severity(CODE) == "warning"
    assert "{value}" in cat.rules[CODE]["zh"] and "{value}" in cat.rules[CODE]["en"]
    assert label("issue", CODE, "zh") == "出生日期与身份证不符"
    assert label("issue", CODE, "en") != CODE


def test_issues_lists_exactly_the_disagreeing_rows(db: Path) -> None:
    res = run("issues", "--year", "2017", "--db", str(db), "--format", "json")
    rows = json.loads(res.stdout)
    assert mismatches(rows) == expected()
    found = [r for r in rows if r["code"] == CODE]
    assert {r["severity"] for r in found} == {"warning"}
    assert {r["column"] for r in found} == {"birth_date"}
    for r in found:
        assert r["value"] in r["message"]
    no_id_in(json.dumps(found, ensure_ascii=False))
    # unmasked output shows IDs in full: the issue's value holds none to show
    unmasked = run("issues", "--year", "2017", "--db", str(db), "--code", CODE, "--unmasked",
                   "--format", "json")  # fmt: skip
    assert mismatches(json.loads(unmasked.stdout)) == expected()
    no_id_in(unmasked.stdout)


def test_issues_filters_by_the_code_in_csv_and_english(db: Path) -> None:
    res = run("issues", "--year", "2017", "--db", str(db), "--code", CODE, "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(res.stdout)))
    assert mismatches(rows) == expected() and len(rows) == len(expected())
    en = run("issues", "--year", "2017", "--db", str(db), "--code", CODE, "--lang", "en",
             "--format", "json")  # fmt: skip
    messages = [r["message"] for r in json.loads(en.stdout)]
    assert messages and all(m.startswith("The birth date disagrees") for m in messages)


def test_summary_counts_the_issue(db: Path) -> None:
    res = run("summary", "--year", "2017", "--db", str(db), "--format", "json")
    assert json.loads(res.stdout)["quality"]["issues_by_code"][CODE] == len(expected())


def test_the_column_date_is_kept(db: Path) -> None:
    """The record keeps the column's date (docs/metrics.md §3); a year and month alone
    takes the ID's, as before."""
    with Store(db, read_only=True) as store:
        born = store.df(
            "SELECT name, strftime(birth_date, '%Y-%m-%d') AS b FROM records ORDER BY name"
        )
    kept = dict(zip(born["name"], born["b"], strict=True))
    assert kept["王芳"] == "1980-05-15" and kept["李兰"] == "1968-01-11"
    assert kept["赵霞"] == "1972-07-02"
    assert kept["杨梅"] == "1980-06-20" and kept["刘英"] == "1975-03-15"
    assert kept["孙红"] == "1985-08-08"  # blank cell: the ID's


def test_check_shows_the_issue(rosters: Path, tmp_path: Path) -> None:
    """`hcs check` (the county's dry run): the report counts it under its Chinese label,
    the fix list names the rows, the xlsx fix list too, without an ID."""
    table = run("check", str(rosters))
    assert "出生日期与身份证不符" in table.stdout and CODE in table.stdout
    res = run("check", str(rosters), "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(res.stdout)))
    assert mismatches(rows) == expected()
    no_id_in("\n".join(r["value"] + r["message"] for r in rows if r["code"] == CODE))
    out = tmp_path / "fix.xlsx"
    run("check", str(rosters), "--out", str(out))
    wb = openpyxl.load_workbook(out)
    listed = [row for ws in wb.worksheets for row in ws.iter_rows(values_only=True)
              if row and row[0] == CODE]  # fmt: skip
    assert len(listed) == len(expected())
    no_id_in("\n".join(str(v) for row in listed for v in row))


def test_the_rule_can_be_switched_off(rosters: Path, tmp_path: Path) -> None:
    cfg = tmp_path / "hcs.toml"
    cfg.write_text(f'[checks]\noff = ["{CODE}"]\n', "utf-8")
    res = run("check", str(rosters), "--config", str(cfg), "--format", "csv")
    assert CODE not in res.stdout


def test_normalize_frame_compares_per_value() -> None:
    """The frame level: equal cells and IDs repeated over many rows, a cell without an
    ID, an ID without a cell, a cell that is no date, a float 1980.1 (January or
    October), a datetime cell; only the disagreeing rows."""
    a, b = PEI["张丽"], FENG["胡敏"]  # 1975-03-02, 1985-10-12
    cells: list[object] = [
        "1975-03-02",
        "1975-03-20",
        "",
        "1975年3月",
        "1975年4月",
        1985.1,
        198510,
        "见户口本",
        datetime(1975, 3, 2),
        "1975-03-02",
        1985.11,
    ]
    ids = [a, a, a, a, a, b, b, a, a, "", b]  # fmt: skip
    raw = pd.DataFrame({
        "name": [f"女{i}" for i in range(len(cells))] * 3,
        "id_number": ids * 3,
        "birth_date": cells * 3,
    }, dtype=object)  # fmt: skip
    frame, issues = normalize_frame(raw, Vocabulary())
    found = {(i.index, i.value) for i in issues if i.code == CODE}
    n = len(cells)
    want = {(1, "出生日期 1975-03-20, 身份证 1975-03-02"),
            (4, "出生年月 1975年4月, 身份证 1975-03-02"),
            (10, "出生年月 1985.11, 身份证 1985-10-12")}  # fmt: skip
    assert found == {(i + k * n, v) for i, v in want for k in range(3)}
    assert {i.column for i in issues if i.code == CODE} == {"birth_date"}
    born = [str(d) if d is not None else None for d in frame["birth_date"]][:n]
    assert born[:6] == ["1975-03-02", "1975-03-20", "1975-03-02", "1975-03-02", "1975-03-02",
                        "1985-10-12"]  # fmt: skip
    assert born[9] == "1975-03-02"  # no ID: the column's date, nothing compared
