"""Review: dupes with evidence, persons with provenance, decisions that survive re-ingest."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from typer.testing import CliRunner, Result

from conftest import ID_A, ID_B, ingested, write_xlsx
from handcraft_stats import Store, UsageError, ingest, load_settings
from handcraft_stats.cli import app
from handcraft_stats.report.frames import frame_records
from handcraft_stats.review import dupes, evidence, persons, read_decisions, record_decisions

runner = CliRunner()
ID_B15 = ID_B[:6] + ID_B[8:17]
PHONE = "13812345678"
HEADER = ["姓名", "身份证号码", "出生日期", "村(社区)", "联系电话", "从业产业"]
FENG = [
    HEADER,
    ["张丽", ID_A, "", "东村", PHONE, "手工"],
    ["王芳", ID_B15, "", "西村", "", "家政"],
    ["陈梅", "", "1975-05-05", "南村", "", ""],
    ["陈玫", "", "1975-05-05", "南村", "", ""],
    ["刘兰", "", "1980-03-03", "北村", "", ""],
    ["刘兰", "", "1980-03-03", "东村", "", ""],
]
PEI = [HEADER, ["张丽", ID_A, "", "某村", "", "手工"], ["王芳", ID_B, "", "西村", "", "家政"]]


def run(*args: str | Path) -> Result:
    return runner.invoke(app, [str(a) for a in args], env={"COLUMNS": "200"})


def _ingest(folder: Path, db: Path) -> None:
    with Store(db) as store:
        ingest([folder], store, load_settings(None))


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return ingested(tmp_path, {"丰县2017年花名册.xlsx": FENG, "沛县2017年花名册.xlsx": PEI})


def rows_of(res: Result) -> list[dict[str, Any]]:
    assert res.exit_code == 0, res.output
    rows: list[dict[str, Any]] = json.loads(res.stdout)
    return rows


def ids_of(db: Path, name: str) -> list[int]:
    with Store(db, read_only=True) as store:
        frame = store.df("SELECT record_id FROM records WHERE name = ? ORDER BY 1", [name])
    return [int(x) for x in frame["record_id"]]


def same_person(db: Path, a: int, b: int, tier: str = "probable") -> bool:
    with Store(db, read_only=True) as store:
        keys = store.df(
            "SELECT DISTINCT person_key FROM person_records r JOIN records USING (record_id) "
            "WHERE r.tier = ? AND r.record_id IN (?, ?)",
            [tier, a, b],
        )
    return len(keys) == 1


def test_dupes_lists_links_masked_with_evidence(db: Path) -> None:
    res = run("dupes", "--year", "2017", "--db", db, "--format", "json")
    assert res.stderr == ""
    rows = rows_of(res)
    by_reason = {r["reason"]: r for r in rows}
    assert Counter(r["reason"] for r in rows) == {"same_id": 1, "id_upgraded": 1, "name_birth": 1}
    same = by_reason["same_id"]
    assert same["evidence"] == "身份证号相同" and same["link_tier"] == "certain"
    assert {same["county_a"], same["county_b"]} == {"丰县", "沛县"}
    assert same["id_number_a"] == ID_A[:6] + "********" + ID_A[-4:]
    assert "138****5678" in (same["phone_a"], same["phone_b"])
    assert same["source_file_a"] == "丰县2017年花名册.xlsx" and same["source_row_a"] == 2
    assert by_reason["id_upgraded"]["evidence"] == "15位身份证号升级后与18位一致"
    nb = by_reason["name_birth"]
    assert nb["evidence"] == "无有效身份证号；姓名同音，出生日期相同，同村"
    assert nb["link_tier"] == "probable" and nb["decision"] == ""
    with Store(db, read_only=True) as store:
        assert rows == frame_records(dupes(store, 2017))
    for fmt in ("json", "csv", "md", "table"):
        out = run("dupes", "--year", "2017", "--db", db, "--format", fmt).stdout
        assert ID_A not in out and ID_B not in out and ID_B15 not in out and PHONE not in out
    table = run("dupes", "--year", "2017", "--db", db).stdout
    assert "依据" in table and "身份证号相同" in table
    assert "判定(同一人/不同人)" in run("dupes", "--year", "2017", "--db", db, "-f", "md").stdout


def test_dupes_evidence_in_english(db: Path) -> None:
    rows = rows_of(run("dupes", "--year", "2017", "--db", db, "-f", "json", "--lang", "en"))
    by_reason = {r["reason"]: r["evidence"] for r in rows}
    assert by_reason == {
        "same_id": "Same ID number",
        "id_upgraded": "The 15-digit ID, upgraded, equals the 18-digit one",
        "name_birth": "neither has a valid ID; names sound alike, same birth date, same village",
    }
    table = run("dupes", "--year", "2017", "--db", db, "--lang", "en").stdout
    assert "Evidence" in table and "Same ID number" in table and "依据" not in table


def test_id_evidence_names_the_position_in_both_languages() -> None:
    base = {
        "reason": "id_typo",
        "id_key_a": "320321198001010126",
        "id_key_b": None,
        "id_number_a": None,
        "id_number_b": "320321198001010162",
        "name_a": "张丽",
        "name_b": "张莉",
        "name_key_a": "zhang li",
        "name_key_b": "zhang li",
    }
    assert evidence(base) == "身份证号相邻两位颠倒（第17、18位），姓名同音"
    assert evidence(base, "en") == (
        "IDs have two adjacent characters swapped (positions 17, 18), names sound alike"
    )
    one = {**base, "id_number_b": "320321198001010127", "name_b": "张丽"}
    assert evidence(one) == "身份证号仅一位不同（第18位），姓名相同"
    assert evidence(one, "en") == "IDs differ in one character (position 18), same name"
    lost = {**one, "reason": "id_precision_lost", "id_number_b": "320321198001010000"}
    assert evidence(lost) == "身份证号以数字保存，前15位相同，姓名相同"
    assert evidence(lost, "en") == "ID stored as a number, first 15 digits agree, same name"
    # an id_typo of a valid ID ending in 000 and a number's 15 digits (session 21): where
    # the 15 differ; "one character of 18" would overstate it (the audit)
    typo = {**one, "id_key_a": "320321198001020000", "id_number_b": "320321198001010"}
    assert evidence(typo) == "身份证号以数字保存，前15位仅一位不同（第14位），姓名相同"
    assert evidence(typo, "en") == (
        "ID stored as a number, first 15 digits differ in one (position 14), same name"
    )


def test_name_birth_evidence_compares_an_id_birth_date_with_a_column_one() -> None:
    """A birth date from ID digits (19810303) beside one from a birth-date column
    (1981-03-03) is the same date: the evidence said 出生日期不同 on the very links that
    need equal birth dates."""
    r = {
        "reason": "name_birth", "id_key_a": None, "id_key_b": None,
        "id_number_a": "32032119810303002", "id_number_b": None,
        "birth_date_a": None, "birth_date_b": pd.Timestamp("1981-03-03"),
        "name_a": "测秀", "name_b": "测秀", "name_key_a": "ce xiu", "name_key_b": "ce xiu",
        "village_a": "一村", "village_b": "一村", "phone_a": None, "phone_b": None,
    }  # fmt: skip
    assert evidence(r) == "无有效身份证号；姓名相同，出生日期相同，同村"
    assert "出生日期不同" in evidence({**r, "birth_date_b": pd.Timestamp("1981-03-04")})


def test_dupes_filters_by_county_reason_and_tier(db: Path) -> None:
    base = ("dupes", "--year", "2017", "--db", db, "--format", "json")

    def reasons(*extra: str) -> list[str]:
        return sorted(r["reason"] for r in rows_of(run(*base, *extra)))

    assert reasons("--county", "沛县") == ["id_upgraded", "same_id"]
    assert reasons("--county", "丰县") == ["id_upgraded", "name_birth", "same_id"]
    assert reasons("--county", "鼓楼区") == []
    assert reasons("--reason", "name_birth") == ["name_birth"]
    assert reasons("--tier", "certain") == ["id_upgraded", "same_id"]
    assert reasons("--tier", "probable") == ["name_birth"]
    assert reasons("--link", "certain") == ["id_upgraded", "same_id"]
    bad = run(*base, "--reason", "nope")
    assert bad.exit_code == 2 and "unknown reason 'nope'" in bad.stderr and bad.stdout == ""
    assert run(*base, "--tier", "maybe").exit_code == 2
    missing = run("dupes", "--year", "2015", "--db", db)
    assert missing.exit_code == 2 and "periods: 2017" in missing.stderr


def test_different_decision_splits_and_survives_reingest(db: Path, tmp_path: Path) -> None:
    a, b = ids_of(db, "陈梅")[0], ids_of(db, "陈玫")[0]
    assert same_person(db, a, b)
    res = run("review", "different", a, b, "--db", db)
    assert res.exit_code == 0, res.output
    assert res.stdout == "kept 1 decision(s); relinked periods: 2017\n" and res.stderr == ""
    assert not same_person(db, a, b)
    base = ("dupes", "--year", "2017", "--db", db, "--format", "json")
    assert "name_birth" not in [r["reason"] for r in rows_of(run(*base))]
    rejected = [r for r in rows_of(run(*base, "--rejected")) if r["reason"] == "name_birth"]
    assert [r["status"] for r in rejected] == ["rejected"]
    folder = tmp_path / "r"
    _ingest(folder, db)  # the same content again: nothing changes
    assert not same_person(db, a, b)
    # a changed version of the roster (one more row): new record ids, the decision holds
    write_xlsx(folder / "丰县2017年花名册.xlsx", {"S": [*FENG, ["孙红", "", "", "东村", "", ""]]})
    _ingest(folder, db)
    a2, b2 = ids_of(db, "陈梅")[-1], ids_of(db, "陈玫")[-1]
    assert a2 > a and not same_person(db, a2, b2)
    # the corrected roster again under another file name: a second roster of the county
    write_xlsx(
        folder / "丰县2017年花名册（修订）.xlsx", {"S": [*FENG, ["周英", "", "", "", "", ""]]}
    )
    _ingest(folder, db)
    a3, b3 = ids_of(db, "陈梅")[-1], ids_of(db, "陈玫")[-1]
    assert same_person(db, a2, a3) and not same_person(db, a3, b3)
    assert not same_person(db, a2, b3) and not same_person(db, a3, b2)


def test_same_decision_merges_records_no_rule_links(db: Path) -> None:
    a, b = ids_of(db, "刘兰")
    assert not same_person(db, a, b)
    res = run("review", "same", a, b, "--db", db)
    assert res.exit_code == 0, res.output
    assert same_person(db, a, b) and same_person(db, a, b, "certain")
    rows = rows_of(run("dupes", "--year", "2017", "--db", db, "-f", "json", "--reason", "review"))
    assert [(r["record_a"], r["record_b"], r["link_tier"], r["evidence"]) for r in rows] == [
        (a, b, "certain", "人工确认为同一人")
    ]


def test_a_listing_deciding_one_pair_both_ways_is_refused_naming_the_rows(
    db: Path, tmp_path: Path
) -> None:
    """Two rows deciding one pair both ways (either order of its records) are a mistake
    in the listing: refused, naming the rows, nothing kept (the later row used to win
    without a word). The same decision twice is one decision; a later review overrides
    an earlier one."""
    a, b = ids_of(db, "刘兰")
    listing = tmp_path / "d.csv"
    listing.write_text(f"record_a,record_b,decision\n{a},{b},different\n{b},{a},same\n", "utf-8")
    res = run("review", "--file", listing, "--db", db)
    assert res.exit_code == 2
    assert f"rows 2 and 3 decide records {min(a, b)} and {max(a, b)} both ways" in res.stderr
    with Store(db, read_only=True) as store:
        assert store.df("SELECT * FROM decisions").empty
    listing.write_text(f"record_a,record_b,decision\n{a},{b},是\n{b},{a},同一人\n", "utf-8")
    assert run("review", "--file", listing, "--db", db).exit_code == 0
    assert same_person(db, a, b)
    with Store(db, read_only=True) as store:
        assert store.df("SELECT decision, source FROM decisions").to_dict("records") == [
            {"decision": "same", "source": "d.csv"}
        ]
    listing.write_text(f"record_a,record_b,decision\n{a},{b},different\n", "utf-8")
    assert run("review", "--file", listing, "--db", db).exit_code == 0
    assert not same_person(db, a, b)


@pytest.mark.parametrize(
    ("words", "decision"),
    [
        (["是同一人", "同一个人", "相同", "TRUE", "√", 1], "same"),
        (["不是同一人", "不同", "不是", "FALSE", "×", 0], "different"),
    ],
)
def test_decisions_take_the_words_clerks_write_and_english_headers(
    db: Path, tmp_path: Path, words: list[object], decision: str
) -> None:
    """Besides same/different, 同一人/不同人, 是/否 and y/n: what a clerk types in Excel
    (是同一人, √, a 1 that comes back as 1.0, TRUE); a listing written with `--lang en`
    headers is read too."""
    from handcraft_stats.review import read_decisions

    a, b = ids_of(db, "刘兰")
    for word in words:
        path = write_xlsx(tmp_path / "d.xlsx", {"S": [
            ["Record A", "Record B", "Decision (same/different)"], [a, b, word]]})  # fmt: skip
        got = read_decisions(path)
        assert got.to_dict("records") == [{"record_a": a, "record_b": b, "decision": decision}]


def test_review_file_csv_gb18030_and_xlsx(db: Path, tmp_path: Path) -> None:
    out = run("dupes", "--year", "2017", "--db", db, "--format", "csv").stdout
    lines = out.splitlines()
    filled = [lines[0]] + [ln + ("不同人" if ",name_birth," in ln else "") for ln in lines[1:]]
    path = tmp_path / "filled.csv"
    path.write_bytes(("\n".join([*filled, ",,,"]) + "\n").encode("gb18030"))
    res = run("review", "--file", path, "--db", db)
    assert res.exit_code == 0, res.output
    assert res.stdout == "kept 1 decision(s); relinked periods: 2017\n"
    a, b = ids_of(db, "陈梅")[0], ids_of(db, "陈玫")[0]
    assert not same_person(db, a, b)
    c, d = ids_of(db, "刘兰")
    book = write_xlsx(tmp_path / "filled.xlsx", {"dupes": [
        ["记录A", "记录B", "依据", "判定(同一人/不同人)"], [c, d, "", "Y"], [a, b, "", ""]]})  # fmt: skip
    res = run("review", "--file", book, "--db", db)
    assert res.exit_code == 0, res.output
    assert same_person(db, c, d) and not same_person(db, a, b)


def test_read_decisions_accepts_every_spelling_and_names_a_bad_row(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    body = "record_a,record_b,decision\n1,2,same\n3,4,同一人\n5,6,是\n\n7,8,n\n9,10,否\n11,12,\n"
    path.write_bytes(b"\xef\xbb\xbf" + body.encode("utf-8"))
    frame = read_decisions(path)
    assert frame.values.tolist() == [
        [1, 2, "same"], [3, 4, "same"], [5, 6, "same"], [7, 8, "different"], [9, 10, "different"]
    ]  # fmt: skip
    path.write_text("record_a,record_b,decision\n1,2,same\n3,4,maybe\n", "utf-8")
    with pytest.raises(UsageError, match="row 3: unknown decision 'maybe'"):
        read_decisions(path)
    path.write_text("a,b\n1,2\n", "utf-8")
    with pytest.raises(UsageError, match="no header row"):
        read_decisions(path)
    # an id as written, however long (read through a float, …0024 came back as …0048)
    path.write_text("record_a,record_b,decision\n320321198001010024,2,same\n4.0,5,n\n", "utf-8")
    assert read_decisions(path).values.tolist() == [
        [320321198001010024, 2, "same"], [4, 5, "different"]
    ]  # fmt: skip
    for bad in ("1.5", "①", "²"):  # ① is a digit to str.isdigit, and int() refused it: exit 4
        path.write_text(f"record_a,record_b,decision\n{bad},2,same\n", "utf-8")
        with pytest.raises(UsageError, match=f"row 2: '{re.escape(bad)}' is not a record id"):
            read_decisions(path)


def test_decision_labels_changed_in_hcs_toml_read_back(tmp_path: Path) -> None:
    """hcs.toml may relabel the decisions `hcs dupes` shows ([labels.decision]): a listing
    given back reads with those words too."""
    from handcraft_stats.report.labels import set_overrides

    path = tmp_path / "d.csv"
    path.write_text("record_a,record_b,decision\n1,2,是本人\n3,4,Not her\n", "utf-8")
    with pytest.raises(UsageError, match="unknown decision '是本人'"):
        read_decisions(path)
    set_overrides({"decision": {"same": "是本人", "different": ["非本人", "Not her"]}})
    try:
        assert read_decisions(path).values.tolist() == [[1, 2, "same"], [3, 4, "different"]]
    finally:
        set_overrides({})


def test_review_usage_errors_exit_2(db: Path, tmp_path: Path) -> None:
    assert run("review", "same", "1", "--db", db).exit_code == 2
    assert run("review", "--db", db).exit_code == 2
    assert run("review", "maybe", "1", "2", "--db", db).exit_code == 2
    res = run("review", "same", "1", "99999", "--db", db)
    assert res.exit_code == 2 and "unknown record id(s) 99999" in res.stderr
    a, b = ids_of(db, "张丽")[0], ids_of(db, "王芳")[0]
    res = run("review", "same", a, b, "--db", db)
    assert res.exit_code == 2 and "different valid ID numbers" in res.stderr
    bad = tmp_path / "bad.csv"
    bad.write_text("record_a,record_b,decision\n1,2,perhaps\n", "utf-8")
    res = run("review", "--file", bad, "--db", db)
    assert res.exit_code == 2 and "row 2" in res.stderr and res.stdout == ""
    res = run("review", "same", "1", "2", "--db", tmp_path / "none.duckdb")
    assert res.exit_code == 3 and not (tmp_path / "none.duckdb").exists()
    with Store(db) as store:
        empty = pd.DataFrame(columns=["record_a", "record_b", "decision"])
        assert record_decisions(store, empty, "x") == set()


def test_persons_lists_provenance_masked(db: Path) -> None:
    rows = rows_of(run("persons", "--year", "2017", "--db", db, "--format", "json"))
    with Store(db, read_only=True) as store:
        assert rows == frame_records(persons(store, 2017))
    assert len(rows) == 5  # 8 records: 张丽 and 王芳 listed twice, 陈梅/陈玫 linked
    zhang = next(r for r in rows if r["name"] == "张丽")
    assert zhang["counties"] == "丰县、沛县" and zhang["records"] == 2
    assert zhang["provenance"] == "丰县2017年花名册.xlsx!S!2; 沛县2017年花名册.xlsx!S!2"
    assert zhang["id_number"] == ID_A[:6] + "********" + ID_A[-4:]
    assert [r["counties"] for r in rows] == sorted(r["counties"] for r in rows)
    chen = next(r for r in rows if r["name"] in ("陈梅", "陈玫"))
    assert chen["probable"] is True and chen["records"] == 2
    pei = rows_of(run("persons", "--year", "2017", "--db", db, "-f", "json", "--county", "沛县"))
    assert sorted(r["name"] for r in pei) == ["张丽", "王芳"]
    certain = run("persons", "--year", "2017", "--db", db, "-f", "json", "--link", "certain")
    assert len(rows_of(certain)) == 6
    for fmt in ("table", "md", "csv"):
        out = run("persons", "--year", "2017", "--db", db, "--format", fmt).stdout
        assert ID_A not in out
        assert "丰县2017年花名册.xlsx" in out or fmt == "table"  # a table folds long text
    assert "来源(文件!工作表!行)" in run("persons", "--year", "2017", "--db", db, "-f", "md").stdout


def test_sample_dupes_count_equals_summary_links(sample_db: tuple[Path, Any, Any]) -> None:
    db = sample_db[0]
    rows = rows_of(run("dupes", "--year", "2017", "--db", db, "--format", "json"))
    summary = json.loads(run("summary", "--year", "2017", "--db", db, "--format", "json").stdout)
    assert Counter(r["reason"] for r in rows) == summary["quality"]["links_by_reason"]
    assert all(r["evidence"] for r in rows)
    assert not re.search(r"\d{15}", json.dumps(rows))


def test_review_commands_have_help_with_an_example() -> None:
    for name in ("dupes", "persons", "review", "export"):
        res = run(name, "--help")
        assert res.exit_code == 0 and "Example:" in res.stdout, name


def test_dupes_out_writes_a_listing_excel_opens_and_review_reads_back(
    db: Path, tmp_path: Path
) -> None:
    """`hcs dupes --out x.xlsx|x.csv`: every row (whatever --limit shows), headed by the
    labels, a CSV with a BOM (Excel on Chinese Windows reads BOM-less UTF-8 as GBK); a
    decision filled in comes back through `hcs review --file`."""
    import openpyxl

    xlsx, csv = tmp_path / "疑似重复.xlsx", tmp_path / "疑似重复.csv"
    res = run("dupes", "--year", 2017, "--db", db, "--out", xlsx, "--limit", 1)
    assert res.exit_code == 0 and f"links to {xlsx}" in res.stderr, res.output
    assert run("dupes", "--year", 2017, "--db", db, "--out", csv, "-f", "json").exit_code == 0
    assert csv.read_bytes().startswith(b"\xef\xbb\xbf")
    total = len(json.loads(run("dupes", "--year", 2017, "--db", db, "-f", "json").stdout))
    wb = openpyxl.load_workbook(xlsx)
    ws = wb.active
    header = [c.value for c in ws[1]]
    assert header[:2] == ["记录A", "记录B"] and header[-1] == "判定(同一人/不同人)"
    assert ws.max_row == total + 1 > 2
    # coded values by their labels, as the table and md show them (they were codes)
    from handcraft_stats.report.labels import label

    assert {c.value for c in ws["D"][1:]} <= {"确定", "疑似"}
    row = next(r for r in ws.iter_rows(min_row=2) if r[2].value == label("link", "name_birth"))
    (a, b), row[-1].value = (row[0].value, row[1].value), "不同人"
    wb.save(xlsx)
    assert same_person(db, a, b)
    assert run("review", "--file", xlsx, "--db", db).exit_code == 0
    assert not same_person(db, a, b)
    bad = run("dupes", "--year", 2017, "--db", db, "--out", tmp_path / "d.txt")
    assert bad.exit_code == 2 and "use .xlsx or .csv" in bad.stderr


def test_a_decided_pair_shows_its_decision_and_undecided_leaves_it_out(
    db: Path, tmp_path: Path
) -> None:
    """Re-listing after a review: the decided pairs carry their decision (同一人 / 不同人,
    same / different in English), `--undecided` lists only the others, and the listing
    given back unchanged changes nothing."""
    a, b = ids_of(db, "陈梅")[0], ids_of(db, "陈玫")[0]
    c, d = ids_of(db, "刘兰")
    assert run("review", "different", a, b, "--db", db).exit_code == 0
    assert run("review", "same", c, d, "--db", db).exit_code == 0
    base = ("dupes", "--year", "2017", "--db", db, "-f", "json", "--rejected")
    rows = {(r["record_a"], r["record_b"]): r["decision"] for r in rows_of(run(*base))}
    assert rows[(a, b)] == "不同人" and rows[(c, d)] == "同一人"
    assert sum(1 for v in rows.values() if v) == 2 and len(rows) > 2
    en = {(r["record_a"], r["record_b"]): r["decision"]
          for r in rows_of(run(*base, "--lang", "en"))}  # fmt: skip
    assert en[(a, b)] == "different" and en[(c, d)] == "same"
    left = {(r["record_a"], r["record_b"]) for r in rows_of(run(*base, "--undecided"))}
    assert left == {k for k, v in rows.items() if not v}
    table = run("dupes", "--year", "2017", "--db", db, "--rejected", "--undecided", "--limit", 1)
    assert f"关联记录（{len(left)}）" in table.stdout and f"（共 {len(left)} 行）" in table.stdout
    out = tmp_path / "again.csv"
    assert run(*base, "--out", out).exit_code == 0
    assert run("review", "--file", out, "--db", db).exit_code == 0
    again = {(r["record_a"], r["record_b"]): r["decision"] for r in rows_of(run(*base))}
    assert again == rows and not same_person(db, a, b) and same_person(db, c, d)


def test_a_decision_binds_only_the_two_records_not_a_namesake_of_another_town(
    tmp_path: Path,
) -> None:
    """Three 王芳 without an ID, two in 甲镇 一村 and one in 乙镇's 一村: deciding 1 and 2
    are one woman bound record 3 too (a decision was kept by county, name, ID, birth date
    and village; town and phone are in it now)."""
    folder = tmp_path / "r"
    folder.mkdir()
    header = ["姓名", "身份证号码", "乡镇", "村(社区)", "联系电话"]
    write_xlsx(folder / "丰县2017.xlsx", {"S": [header,
        ["王芳", "", "甲镇", "一村", "13600000001"],
        ["王芳", "", "甲镇", "一村", "13600000002"],
        ["王芳", "", "乙镇", "一村", "13600000003"],
    ]})  # fmt: skip
    db = tmp_path / "t.duckdb"
    _ingest(folder, db)
    a, b, c = ids_of(db, "王芳")
    assert run("review", "same", a, b, "--db", db).exit_code == 0
    assert same_person(db, a, b) and not same_person(db, a, c)


def test_decisions_of_a_schema_5_store_are_carried_to_the_new_signature(tmp_path: Path) -> None:
    """Migration 6 moves each stored decision onto the signatures with town and phone of
    the records it was made on: it still holds after the upgrade and a re-ingest."""
    import duckdb

    from handcraft_stats.store.schema import signature_v1

    folder = tmp_path / "r"
    folder.mkdir()
    write_xlsx(folder / "丰县2017.xlsx", {"S": PEI})
    db = tmp_path / "t.duckdb"
    _ingest(folder, db)
    a, b = ids_of(db, "张丽")[0], ids_of(db, "王芳")[0]
    con = duckdb.connect(str(db))
    sig = {r: con.execute(f"SELECT {signature_v1('x')} FROM records x WHERE record_id = ?",
                          [r]).fetchone()[0] for r in (a, b)}  # type: ignore[index]  # fmt: skip
    con.execute("INSERT INTO decisions VALUES (?, ?, 'same', now(), 'test')",
                [min(sig.values()), max(sig.values())])  # fmt: skip
    con.execute("UPDATE meta SET value = '5' WHERE key = 'schema_version'")
    for column in ("county", "other_counties"):  # schema 7's
        con.execute(f"ALTER TABLE persons DROP COLUMN {column}")
    con.close()
    with Store(db) as s:  # opened for writing: the upgrade
        mapped = s.decisions_for(2017)
    assert mapped[["record_a", "record_b", "decision"]].values.tolist() == [[a, b, "same"]]
    with Store(db, read_only=True) as s:
        (stored,) = s.con.execute("SELECT count(*) FROM decisions").fetchone() or (0,)
        (version,) = s.con.execute(
            "SELECT value FROM meta WHERE key = 'schema_version'"
        ).fetchone() or ("",)
    assert stored == 1 and version == "7"


def test_review_of_a_folder_is_a_usage_error(db: Path, tmp_path: Path) -> None:
    """`review --file FOLDER` was exit 3 "Is a directory", as if the machine had failed;
    it is the user's to fix: exit 2 naming it (session 20)."""
    res = run("review", "--file", tmp_path, "--db", db)
    assert res.exit_code == 2
    assert f"{tmp_path} is a folder, not a decisions file" in res.stderr


def test_a_decision_on_a_record_since_replaced_is_refused(db: Path, tmp_path: Path) -> None:
    """A listing made before 沛县 resent its roster (王芳's village corrected): the decision
    on her old record was "kept" (exit 0) and bound no record, the pair still linked; it
    is refused, naming the record and what to do (session 20). A record of a replaced
    roster whose values are in the roster in force still takes a decision."""
    feng_wang, pei_wang = ids_of(db, "王芳")
    zhang = ids_of(db, "张丽")
    fixed = tmp_path / "fix"
    fixed.mkdir()
    pei = [HEADER, ["张丽", ID_A, "", "某村", "", "手工"], ["王芳", ID_B, "", "北村", "", "家政"]]
    write_xlsx(fixed / "沛县2017年花名册.xlsx", {"S": pei})
    assert run("ingest", fixed, "--replace", "--db", db).exit_code == 0
    res = run("review", "different", feng_wang, pei_wang, "--db", db)
    assert res.exit_code == 2
    assert f"record(s) {pei_wang} (沛县2017年花名册.xlsx) of a roster since replaced" in res.stderr
    assert same_person(db, feng_wang, ids_of(db, "王芳")[-1])
    # 张丽's old record is as the new one: the decision binds it
    assert run("review", "different", zhang[0], zhang[1], "--db", db).exit_code == 0
    assert not same_person(db, zhang[0], ids_of(db, "张丽")[-1])


def test_two_records_of_one_valid_id_decided_different_are_warned_of(db: Path) -> None:
    a, b = ids_of(db, "张丽")
    res = run("review", "different", a, b, "--db", db)
    assert res.exit_code == 0
    assert f"records {a} and {b} have the same valid ID number: kept apart" in res.stderr
