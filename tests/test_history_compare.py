"""hcs history --compare: two versions of a county's roster, record by record."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from conftest import ID_A, ID_B, ID_C, write_xlsx
from handcraft_stats import Store, ingest, load_settings
from handcraft_stats.cli import app
from handcraft_stats.compare import FIELDS, ROW_COLUMNS, compare_versions
from handcraft_stats.normalize.idnumber import check_character

SETTINGS = load_settings(None)
HEADER = ["序号", "姓名", "身份证号码", "出生日期", "联系电话", "从业产业", "帮扶前收入",
          "当年收入(元)", "脱贫状态", "脱贫年度", "备注"]  # fmt: skip


def _id(body17: str) -> str:
    return body17 + check_character(body17)


ID_D = _id("32032119850304002")  # 刘兰: no ID in the first version
ID_E = _id("32032119920715004")  # 赵敏: only in the second
PHONE_OLD, PHONE_NEW = "13812345678", "13987654321"

V1: list[list[Any]] = [
    ["徐州市丰县2017年妇女精准扶贫建档立卡花名册"],
    ["填报单位：丰县妇联", "", "", "填报日期：2017年11月"],
    HEADER,
    [1, "张丽", ID_A, "", "", "手工编织", "3,500", "15000", "已脱贫", "2017年", ""],
    [2, "王芳", ID_B, "", PHONE_OLD, "家政", "3000", "3000元", "未脱贫", "", ""],
    [3, "陈梅", ID_C, "", "", "电商", "", "", "未脱贫", "", ""],
    [4, "刘兰", "", "1985-03-04", "", "农业", "2800", "9000", "已脱贫", 2017, ""],
    ["合计", "4人"],
]  # fmt: skip
V2: list[list[Any]] = [
    ["徐州市丰县2017年妇女精准扶贫建档立卡花名册（更正）"],
    ["填报单位：丰县妇联", "", "", "填报日期：2017年12月"],
    HEADER,
    [1, "张丽", ID_A, "", "", "手工编织", "3500", "1.5万", "已脱贫", 2017, ""],
    [2, "王芳", ID_B, "", PHONE_NEW, "家政", "3000", "12000", "已脱贫", 2017, ""],
    [3, "刘兰", ID_D, "1985-03-04", "", "农业", "2800", "9000", "已脱贫", 2017, ""],
    [4, "赵敏", ID_E, "", "", "巾帼电商", "", "8000", "未脱贫", "", "电话" + PHONE_OLD],
    ["合计", "4人"],
]  # fmt: skip
FULL = (ID_A, ID_B, ID_C, ID_D, ID_E, PHONE_OLD, PHONE_NEW)


def run(*args: object) -> Result:
    return CliRunner().invoke(app, [str(a) for a in args])


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """丰县 2017 sent twice (file 1, replaced by file 2) and 沛县 2017 (file 3)."""
    first, fix, other = tmp_path / "first", tmp_path / "fix", tmp_path / "other"
    for d in (first, fix, other):
        d.mkdir()
    write_xlsx(first / "丰县2017年花名册.xlsx", {"Sheet1": V1})
    write_xlsx(fix / "丰县2017年花名册.xlsx", {"Sheet1": V2})
    write_xlsx(other / "沛县2017年花名册.xlsx", {"Sheet1": [HEADER[:3], [1, "孙红", ID_C]]})
    path = tmp_path / "t.duckdb"
    with Store(path) as s:
        for d in (first, fix, other):
            ingest([d], s, SETTINGS)
    return path


def doc_of(db: Path, *ids: int, unmasked: bool = False) -> dict[str, Any]:
    with Store(db, read_only=True) as s:
        new, old = (ids[1], ids[0]) if len(ids) == 2 else (ids[0], None)
        return compare_versions(s, new, old, unmasked=unmasked).to_dict()


def test_added_removed_and_changed_fields_of_a_resent_roster(db: Path) -> None:
    doc = doc_of(db, 1, 2)
    assert (doc["county"], doc["period"]) == ("丰县", 2017)
    assert doc["totals"] == {
        "added": 1, "removed": 1, "changed": 2, "unchanged": 1,
        "matched_by_id": 2, "matched_by_name_birth": 1, "matched_by_name_place": 0,
    }  # fmt: skip
    rows = doc["rows"]
    assert isinstance(rows, list)
    got = [(r["change"], r["name"], r["field"], r["old_value"], r["new_value"], r["matched_by"])
           for r in rows]  # fmt: skip
    assert got == [
        ("added", "赵敏", None, None, None, None),
        ("removed", "陈梅", None, None, None, None),
        ("changed", "王芳", "phone", "138****5678", "139****4321", "id"),
        ("changed", "王芳", "income_after", 3000.0, 12000.0, "id"),
        ("changed", "王芳", "exit_year", None, 2017, "id"),
        ("changed", "王芳", "status", "not_exited", "exited", "id"),
        # her ID was missing in the first version: matched by name + birth date
        ("changed", "刘兰", "id_number", None, ID_D[:6] + "********" + ID_D[-4:], "name_birth"),
    ]
    # 张丽: "3,500" = "3500", "15000" = "1.5万", "2017年" = 2017: the same values, no change
    assert "张丽" not in [r["name"] for r in rows]
    assert doc["fields_changed"] == {
        f: 1 if f in ("phone", "income_after", "exit_year", "status", "id_number") else 0
        for f in FIELDS
    }
    removed = rows[1]
    assert removed["old_source"] == "丰县2017年花名册.xlsx!Sheet1!6"
    assert removed["new_source"] is None and removed["id_number"] == "341321********008X"


def test_compare_new_alone_is_against_the_version_it_replaced(db: Path) -> None:
    assert doc_of(db, 2) == doc_of(db, 1, 2)
    back = doc_of(db, 2, 1)  # the other way round: what was added is removed
    assert back["totals"]["added"] == 1 and back["rows"][0]["name"] == "陈梅"


def _versions(tmp_path: Path, *versions: list[list[Any]]) -> Path:
    """One database with `丰县2017.xlsx` ingested once per version (file ids 1, 2, …)."""
    path = tmp_path / "t.duckdb"
    with Store(path) as s:
        for i, rows in enumerate(versions):
            d = tmp_path / f"v{i + 1}"
            d.mkdir()
            write_xlsx(d / "丰县2017.xlsx", {"S": [HEADER[:4], *rows]})
            ingest([d], s, SETTINGS)
    return path


def test_two_different_valid_ids_are_never_matched_by_name_and_birth(tmp_path: Path) -> None:
    other = _id("32032119850304004")  # another woman: same name and birth date
    db = _versions(
        tmp_path,
        [[1, "刘兰", ID_D, ""], [2, "刘兰", "", "1985-03-04"]],
        [[1, "刘兰", other, ""]],
        [[1, "刘兰", ID_D, ""]],
    )
    doc = doc_of(db, 1, 2)
    # the record without an ID meets the new one; the one with ID_D is removed
    assert doc["totals"]["removed"] == 1 and doc["totals"]["matched_by_name_birth"] == 1
    masked = ID_D[:6] + "********" + ID_D[-4:]
    assert [r["id_number"] for r in doc["rows"] if r["change"] == "removed"] == [masked]
    doc = doc_of(db, 2, 3)  # two valid IDs only: two women
    assert (doc["totals"]["added"], doc["totals"]["removed"]) == (1, 1)
    assert doc["totals"]["matched_by_name_birth"] == 0


def test_a_row_listed_twice_and_now_once_is_one_record_removed(tmp_path: Path) -> None:
    db = _versions(
        tmp_path,
        [[1, "张丽", ID_A, ""], [2, "张丽", ID_A, ""], [3, "王芳", ID_B, ""]],
        [[1, "张丽", ID_A, ""], [2, "王芳", ID_B, ""]],
    )
    doc = doc_of(db, 1, 2)
    assert doc["totals"] == {
        "added": 0, "removed": 1, "changed": 0, "unchanged": 2,
        "matched_by_id": 2, "matched_by_name_birth": 0, "matched_by_name_place": 0,
    }  # fmt: skip
    assert doc["rows"][0]["old_source"] == "丰县2017.xlsx!S!3"


def test_women_without_id_or_birth_date_are_matched_by_name_and_place(tmp_path: Path) -> None:
    """周梅, twice, without ID or birth date and unchanged: she was removed twice and
    added twice. 陈静's ID blanked and 李娟's filled in (no birth date column) showed each
    as one woman removed and one added (until session 18): both are one woman whose ID
    changed. 周梅 without an ID meets 周梅 without one first."""
    zhou = [[1, "周梅", "", ""], [2, "周梅", "", ""]]
    db = _versions(
        tmp_path,
        [*zhou, [3, "王芳", ID_B, ""], [4, "陈静", ID_A, ""], [5, "李娟", "", ""]],
        [*zhou, [3, "王芳", ID_B, ""], [4, "陈静", "", ""], [5, "李娟", ID_C, ""],
         [6, "刘兰", "", ""]],
    )  # fmt: skip
    doc = doc_of(db, 1, 2)
    assert doc["totals"] == {
        "added": 1, "removed": 0, "changed": 2, "unchanged": 3,
        "matched_by_id": 1, "matched_by_name_birth": 0, "matched_by_name_place": 4,
    }  # fmt: skip
    rows = {(r["change"], r["name"], r["field"]): r for r in doc["rows"]}
    assert set(rows) == {
        ("added", "刘兰", None), ("changed", "陈静", "id_number"), ("changed", "李娟", "id_number"),
        ("changed", "陈静", "birth_date"), ("changed", "李娟", "birth_date"),
    }  # fmt: skip
    assert rows[("changed", "李娟", "id_number")]["old_value"] is None
    assert rows[("changed", "李娟", "birth_date")]["new_value"] == "1990-02-02"
    # the row's birth date is the stored one (ISO), not the text matching reads
    assert rows[("changed", "李娟", "id_number")]["birth_date"] == "1990-02-02"


def test_the_samples_corrected_roster_shows_exactly_the_planted_corrections(
    sample_db: tuple[Path, object, object],
) -> None:
    """data/sample/corrections: 丰县 2017 resent with an ID completed (it had a digit short:
    matched by name + the birth date in its digits), an income, a wing and an exit filled
    in, one woman taken off and one added (tools/sample/corrections.py)."""
    db = sample_db[0]
    listing = json.loads(run("history", "--db", db, "--county", "丰县", "--year", 2017,
                             "--format", "json").stdout)  # fmt: skip
    (new,) = [f["file_id"] for f in listing if f["active"]]
    res = run("history", "--compare", new, "--db", db, "--format", "json")
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert doc["totals"] == {
        "added": 1, "removed": 1, "changed": 4, "unchanged": 262,
        "matched_by_id": 264, "matched_by_name_birth": 2, "matched_by_name_place": 0,
    }  # fmt: skip
    assert {f for f, n in doc["fields_changed"].items() if n} == {
        "id_number", "income_before", "wing", "exit_year", "status",
    }  # fmt: skip
    fixed = [r for r in doc["rows"] if r["field"] == "id_number"]
    assert [r["matched_by"] for r in fixed] == ["name_birth"]
    assert len(fixed[0]["old_value"]) == 17 and len(fixed[0]["new_value"]) == 18


def test_cli_json_is_the_library_document_and_masked(db: Path) -> None:
    res = run("history", "--compare", 1, 2, "--db", db, "--format", "json")
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout) == doc_of(db, 1, 2)
    doc = json.loads(res.stdout)
    assert list(doc) == ["county", "period", "old", "new", "unmasked", "totals",
                         "fields_changed", "rows"]  # fmt: skip
    assert all(list(r) == ROW_COLUMNS for r in doc["rows"])
    assert [f["file_id"] for f in doc["old"]["files"]] == [1] and doc["old"]["records"] == 4
    assert doc["new"]["files"][0]["active"] is True and len(doc["new"]["files"][0]["sha256"]) == 64
    assert res.stderr == ""


@pytest.mark.parametrize("fmt", ["table", "json", "csv", "md"])
def test_every_format_masks_ids_and_phones_unless_unmasked(db: Path, fmt: str) -> None:
    res = run("history", "--compare", 2, "--db", db, "--format", fmt)
    assert res.exit_code == 0, res.output
    assert not [v for v in FULL if v in res.stdout], res.stdout
    assert "139****4321" in res.stdout
    res = run("history", "--compare", 2, "--db", db, "--format", fmt, "--unmasked")
    assert res.exit_code == 0, res.output
    assert ID_D in res.stdout and PHONE_NEW in res.stdout


def test_csv_rows_and_human_tables(db: Path) -> None:
    res = run("history", "--compare", 1, 2, "--db", db, "--format", "csv")
    assert res.exit_code == 0, res.output
    table = list(csv.DictReader(io.StringIO(res.stdout)))
    assert list(table[0]) == ROW_COLUMNS
    assert [r["change"] for r in table] == ["added", "removed", *["changed"] * 5]
    # money as records.csv writes it (it was 3000.0)
    money = [(r["old_value"], r["new_value"]) for r in table if r["field"] == "income_after"]
    assert money == [("3000.00", "12000.00")]
    md = run("history", "--compare", 1, 2, "--db", db, "--format", "md").stdout
    assert "丰县2017年名册版本比较：文件 1 → 2" in md
    assert "| 修改 | 王芳 |" in md and "| 脱贫状态 | 未脱贫 | 已脱贫 |" in md
    assert "| 当年收入(元) | 3,000.00 | 12,000.00 |" in md and "姓名+出生日期" in md
    out = run("history", "--compare", 1, 2, "--db", db).stdout
    assert "新增" in out and "删除" in out and "2017" in out and "2,017" not in out


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("--compare", 99), "no file 99"),
        (("--compare", 1, 99), "no file 99"),
        (("--compare", 1), "file 1 replaced no file"),
        (("--compare", 2, 2), "two different files"),
        (("--compare", 1, 3), "one county's roster for one period"),
        (("--compare", 2, "--county", "沛县"), "not --county 沛县"),
        (("--compare", 2, "--year", 2016), "not --year 2016"),
        ((2,), "go with --compare"),
        (("--unmasked",), "go with --compare"),
    ],
)
def test_bad_ids_exit_2_with_a_message(db: Path, args: tuple[object, ...], says: str) -> None:
    res = run("history", *args, "--db", db)
    assert res.exit_code == 2, res.output
    assert says in res.stderr and "Traceback" not in res.output
    assert res.stdout == ""


def test_a_non_number_id_is_a_usage_error(db: Path) -> None:
    res = run("history", "--compare", "v1", "--db", db)
    assert res.exit_code == 2 and "Traceback" not in res.output


def test_limit_cuts_the_rows_listed_not_the_totals(db: Path) -> None:
    whole = json.loads(run("history", "--compare", "2", "--db", db, "-f", "json").stdout)
    n = len(whole["rows"])
    assert n > 2
    cut = json.loads(run("history", "--compare", "2", "--db", db, "-f", "json",
                         "--limit", "2").stdout)  # fmt: skip
    assert cut["rows"] == whole["rows"][:2] and cut["totals"] == whole["totals"]
    rows = run("history", "--compare", "2", "--db", db, "-f", "csv", "--limit", "2").stdout
    assert len(list(csv.reader(io.StringIO(rows)))) == 1 + 2
    table = run("history", "--compare", "2", "--db", db, "--limit", "2", "--lang", "en").stdout
    assert f"{n - 2:,} more rows not listed (of {n:,})" in table
    # only the rows of changes are cut: the versions, totals and fields show whole (a
    # --limit below their length cut the totals table too)
    one = run("history", "--compare", "2", "--db", db, "--limit", "1", "-f", "md").stdout
    assert one.count("more rows not listed") + one.count("行未列出") == 1
    full = run("history", "--compare", "2", "--db", db, "-f", "md").stdout
    totals = full.split("\n## ")[2]  # versions, then totals
    assert totals in one


def test_capacity_and_willingness_changes_are_shown_by_label() -> None:
    """A capacity or willingness change reads 普通劳动力 → 弱劳动力或半劳动力 in the tables,
    not able → weak (the JSON keeps the codes)."""
    from handcraft_stats.report.comparison import _human

    assert _human("labor_capacity", "weak", "zh") == "弱劳动力或半劳动力"
    assert _human("labor_capacity", "able", "en") == "Able to work"
    assert _human("willing", "no", "zh") == "不愿意"
    assert _human("willing", None, "zh") is None


def test_compare_new_after_a_replace_that_only_left_a_file_out(tmp_path: Path) -> None:
    """--replace with every file sent stored already: the file left out is "replaced by"
    the submission's first stored file, which is older. `--compare` of that file showed
    its own unchanged women as added and the left-out town's as removed; it shows the
    county's roster losing the town: nobody added, the town's women removed."""
    towns = tmp_path / "towns"
    towns.mkdir()
    head = ["姓名", "身份证号码"]
    write_xlsx(towns / "沛县_大屯镇_2017.xlsx", {"S": [head, ["张丽", ID_A], ["王芳", ID_B]]})
    write_xlsx(towns / "沛县_龙固镇_2017.xlsx", {"S": [head, ["陈梅", ID_C]]})
    db = tmp_path / "t.duckdb"
    with Store(db) as s:
        ingest([towns], s, load_settings(None))
        (towns / "沛县_龙固镇_2017.xlsx").unlink()
        ingest([towns], s, load_settings(None), replace=True)
        history = s.history()
    kept = int(history.loc[history["name"] == "沛县_大屯镇_2017.xlsx", "file_id"].iloc[0])
    doc = doc_of(db, kept)
    assert (doc["totals"]["added"], doc["totals"]["removed"], doc["totals"]["changed"]) == (
        0, 1, 0,
    )  # fmt: skip
    assert [r["name"] for r in doc["rows"]] == ["陈梅"]


@pytest.mark.parametrize("fmt", ["table", "json", "csv", "md"])
def test_a_roster_named_by_her_id_is_masked_in_history_and_compare(
    tmp_path: Path, fmt: str
) -> None:
    """A roster named by a woman's ID or phone (一人一卡): `hcs history` masked its name
    and path but not the `replaced_by` of the version it replaced, and `--compare` showed
    it whole in the versions and in every source (found by an audit, session 23). Masked
    unless --unmasked."""
    name = f"丰县2017年{ID_A}_{PHONE_OLD}.xlsx"
    db = tmp_path / "t.duckdb"
    for k, rows in enumerate((V1, V2)):
        d = tmp_path / f"v{k}"
        d.mkdir()
        write_xlsx(d / name, {"Sheet1": rows})
        with Store(db) as s:
            ingest([d], s, SETTINGS)
    for args in (("history",), ("history", "--compare", 2)):
        res = run(*args, "--db", db, "--format", fmt)
        assert res.exit_code == 0, res.output
        flat = "".join(res.stdout.split())
        assert ID_A not in flat and PHONE_OLD not in flat, res.stdout
        assert "丰县2017年" in flat
    res = run("history", "--compare", 2, "--db", db, "--format", fmt, "--unmasked")
    assert name in "".join(res.stdout.split()) or ID_A in res.stdout
