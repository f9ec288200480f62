"""hcs export: records.csv masked, BOM, neutralised cells, atomic and hcs's own folder."""

from __future__ import annotations

import csv
import io
import re
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from conftest import ID_A, ID_B, ID_C, write_xlsx
from handcraft_stats import EnvironmentProblem, Store, ingest, load_settings
from handcraft_stats import export as export_module
from handcraft_stats.cli import app
from handcraft_stats.export import FILES, MARKER, RECORD_COLUMNS, cell_text, export_records

runner = CliRunner()
HEADER = ["姓名", "身份证号码", "联系电话", "户主姓名", "从业产业", "帮扶前收入", "备注"]
ROWS = [
    HEADER,
    ["张丽", ID_A, "13812345678", "-李", "手工", "3,500", "@SUM(A1)"],
    ["张丽", ID_A, "139 0000 1111", "", "手工", "", "-5"],
    ["王芳", ID_B, "", "+李", "家政", "", ""],
    ["陈梅", ID_C, "", "", "", "", "正常"],
]


def run(*args: str | Path) -> Result:
    return runner.invoke(app, [str(a) for a in args], env={"COLUMNS": "120"})


@pytest.fixture
def db(tmp_path: Path) -> Path:
    folder = tmp_path / "r"
    folder.mkdir()
    write_xlsx(folder / "丰县2017年花名册.xlsx", {"S": ROWS})
    # openpyxl would store "=..." as a formula: the formula-looking text comes from a CSV
    csv_rows = [",".join(HEADER), '赵敏,,,"=HYPERLINK(""http://x"")",,,=1+2']
    (folder / "沛县2017年花名册.csv").write_text("\n".join(csv_rows) + "\n", "utf-8")
    path = tmp_path / "t.duckdb"
    with Store(path) as store:
        ingest([folder], store, load_settings(None))
    return path


def read_records(path: Path) -> tuple[bytes, list[dict[str, str]]]:
    data = path.read_bytes()
    return data, list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def test_export_writes_masked_records_csv(db: Path, tmp_path: Path) -> None:
    out = tmp_path / "out" / "2017"
    res = run("export", "--year", "2017", "--out", out, "--db", db)
    assert res.exit_code == 0, res.output
    assert res.stdout == "" and res.stderr.startswith("hcs export 2017: ")
    assert sorted(p.name for p in out.iterdir()) == sorted([MARKER, *FILES])
    data, rows = read_records(out / "records.csv")
    assert data.startswith(b"\xef\xbb\xbf")
    text = data.decode("utf-8-sig")
    assert text.splitlines()[0].split(",") == list(RECORD_COLUMNS)
    assert len(rows) == 5
    # no ID or phone number in the clear; a person key ("P" and 12 hex digits, all of them
    # decimal for 0.35 % of keys: the salt is random) is no number
    assert not re.search(r"(?<![0-9A-Za-z])(?:\d{17}[\dX]|\d{11})", text)
    assert rows[0]["id_number"] == ID_A[:6] + "********" + ID_A[-4:]
    assert rows[0]["phone"] == "138****5678" and rows[0]["income_before"] == "3500.00"
    assert rows[0]["source_file"] == "丰县2017年花名册.xlsx" and rows[0]["source_row"] == "2"
    assert rows[0]["county"] == "丰县" and rows[0]["class"] == "unknown"
    # names masked to their first character (the brief: names are personal data), and
    # still formula-safe where the first character would start a formula
    assert [r["name"] for r in rows] == ["张*", "张*", "王*", "陈*", "赵*"]
    assert rows[0]["household_head"] == "'-*" and rows[0]["note"] == "'@SUM(A1)"
    assert rows[1]["note"] == "'-5" and rows[2]["household_head"] == "'+*"
    link = '=HYPERLINK("http://x")'
    assert rows[4]["household_head"] == "'=" + "*" * (len(link) - 1)
    assert rows[4]["note"] == "'=1+2"
    keys = [r["person_key"] for r in rows]
    assert all(re.fullmatch(r"P[0-9a-f]{12}", k) for k in keys)
    assert keys[0] == keys[1] and len(set(keys)) == 4
    assert not any(ID_A[6:14] in k or ID_A[-6:] in k for k in keys)
    # the same export again replaces the folder whole
    (out / "stray.txt").write_text("x", "utf-8")
    assert run("export", "--year", "2017", "--out", out, "--db", db, "-q").exit_code == 0
    assert not (out / "stray.txt").exists()
    assert sorted(p.name for p in out.parent.iterdir()) == [".2017.hcs-lock", "2017"]


def test_unmasked_export_shows_full_ids(db: Path, tmp_path: Path) -> None:
    out = tmp_path / "full"
    res = run("export", "--year", "2017", "--out", out, "--db", db, "--unmasked")
    assert res.exit_code == 0, res.output
    _, rows = read_records(out / "records.csv")
    assert [r["id_number"] for r in rows] == [ID_A, ID_A, ID_B, ID_C, ""]
    assert rows[0]["phone"] == "13812345678"
    assert [r["name"] for r in rows] == ["张丽", "张丽", "王芳", "陈梅", "赵敏"]
    assert rows[0]["household_head"] == "'-李"
    assert rows[4]["household_head"] == '\'=HYPERLINK("http://x")'


def test_export_refuses_a_folder_that_is_not_an_hcs_export(db: Path, tmp_path: Path) -> None:
    mine = tmp_path / "documents"
    mine.mkdir()
    (mine / "letter.docx").write_text("keep me", "utf-8")
    res = run("export", "--year", "2017", "--out", mine, "--db", db)
    assert res.exit_code == 2 and "not an hcs export folder" in res.stderr
    assert [p.name for p in mine.iterdir()] == ["letter.docx"]
    empty = tmp_path / "empty"
    empty.mkdir()
    assert run("export", "--year", "2017", "--out", empty, "--db", db).exit_code == 0
    res = run("export", "--year", "2016", "--out", tmp_path / "x", "--db", db)
    assert res.exit_code == 2 and not (tmp_path / "x").exists()


def test_a_failed_export_leaves_the_previous_folder(
    db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    with Store(db, read_only=True) as store:
        export_records(store, 2017, out)
        before = (out / "records.csv").read_bytes()

        def broken(path: Path, header: object, rows: object) -> None:
            path.write_text("partial", "utf-8")
            raise OSError(28, "No space left on device")

        monkeypatch.setattr(export_module, "write_csv", broken)
        with pytest.raises(OSError):
            export_records(store, 2017, out)
    assert (out / "records.csv").read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir() if "tmp" in p.name) == []


@pytest.mark.skipif(sys.platform == "win32", reason="fcntl")
def test_a_second_export_into_the_same_folder_fails_clearly(db: Path, tmp_path: Path) -> None:
    import fcntl

    out = tmp_path / "out"
    with (tmp_path / ".out.hcs-lock").open("a+b") as held:
        fcntl.flock(held.fileno(), fcntl.LOCK_EX)
        with Store(db, read_only=True) as store, pytest.raises(EnvironmentProblem):
            export_records(store, 2017, out)
        res = run("export", "--year", "2017", "--out", out, "--db", db, "--wait", "0.2")
        assert res.exit_code == 3 and "another hcs export" in res.stderr
    assert not out.exists()


def test_cell_text_neutralises_formulas() -> None:
    assert [cell_text(v) for v in ("=A1", "+1", "-1", "@x", "\tx", "\rx", "a=b", None, True)] == [
        "'=A1", "'+1", "'-1", "'@x", "'\tx", "'\rx", "a=b", "", "true"
    ]  # fmt: skip


def test_blank_vocabulary_cells_are_exported_as_metrics_reads_them(tmp_path: Path) -> None:
    """METRICS.md §4: a blank capacity or willingness is `unknown`, a blank wing `none`,
    a blank new-practitioner mark `false`, a blank status `exited` with an exit year and
    `not_exited` without; a filled cell is exported as read. The store keeps the blanks
    (a blank in one roster must not outvote a filled cell in another): records.csv
    gives each record's canonical value, not an empty cell."""
    header = ["姓名", "身份证号码", "劳动能力", "就业意愿", "从业产业", "是否新增从业", "脱贫年度",
              "脱贫状态"]  # fmt: skip
    rows = [
        header,
        ["张丽", ID_A, "", "", "", "", "", ""],
        ["王芳", ID_B, "", "", "", "", 2017, ""],
        ["陈梅", ID_C, "弱劳动力", "否", "家政", "是", "", "返贫"],
    ]
    folder = tmp_path / "r"
    folder.mkdir()
    write_xlsx(folder / "丰县2017年花名册.xlsx", {"S": rows})
    db = tmp_path / "t.duckdb"
    with Store(db) as store:
        ingest([folder], store, load_settings(None))
        stored = store.con.execute(
            "SELECT labor_capacity, willing, wing, new_practitioner, status FROM records "
            "ORDER BY record_id"
        ).fetchall()
    assert stored[0][:4] == (None, None, None, None)  # the blanks, as read
    res = run("export", "--year", "2017", "--out", tmp_path / "out", "--db", db, "-q")
    assert res.exit_code == 0, res.output
    _, got = read_records(tmp_path / "out" / "records.csv")
    fields = ["labor_capacity", "willing", "wing", "new_practitioner", "status", "class"]
    assert [[r[f] for f in fields] for r in got] == [
        ["unknown", "unknown", "none", "false", "not_exited", "unknown"],
        ["unknown", "unknown", "none", "false", "exited", "unknown"],
        ["weak", "no", "domestic_service", "true", "returned", "weak_unwilling"],
    ]


def test_a_phone_typed_into_another_column_is_masked_not_a_crash(tmp_path: Path) -> None:
    """A phone in 从业产业 and an ID in 劳动能力 (typed into the wrong column) are issue
    values of columns other than the ID and phone: their digit runs are masked in
    issues.csv. The export ended with exit 4 (an Arrow error: the mask was chunked),
    and cron got no report at all."""
    folder = tmp_path / "r"
    folder.mkdir()
    write_xlsx(folder / "丰县2017年花名册.xlsx", {"S": [
        ["姓名", "身份证号码", "从业产业", "劳动能力"],
        ["张丽", ID_A, "13912345678", "普通劳动力"],
        ["王芳", ID_B, "手工", ID_C],
    ]})  # fmt: skip
    db = tmp_path / "t.duckdb"
    with Store(db) as store:
        ingest([folder], store, load_settings(None))
    out = tmp_path / "out"
    res = run("export", "--year", "2017", "--out", out, "--db", db)
    assert res.exit_code == 0, res.output
    text = (out / "issues.csv").read_text("utf-8-sig")
    assert "unknown_value" in text and "139****5678" in text
    assert "13912345678" not in text and ID_C not in text


@pytest.mark.parametrize("parquet", ["same", "same/lake", "."])
def test_out_and_parquet_must_be_two_separate_folders(
    db: Path, tmp_path: Path, parquet: str
) -> None:
    """Each folder is replaced whole: one folder for both kept only the Parquet dataset
    (exit 0, the five report files gone); nested, one replaced the other's contents."""
    out = tmp_path / "same"
    res = run("export", "--year", "2017", "--out", out, "--parquet", tmp_path / parquet,
              "--db", db)  # fmt: skip
    assert res.exit_code == 2 and "two separate folders" in res.stderr
    assert not out.exists()


def test_a_roster_or_sheet_named_by_an_id_is_masked_in_what_is_sent_on(tmp_path: Path) -> None:
    """一人一卡: a workbook with a sheet per woman, named by her ID, in a file named by a
    phone. source_file and source_sheet of records.csv, issues.csv, `hcs issues` and the
    masked Parquet dataset carried both in full; `--unmasked` keeps them."""
    folder = tmp_path / "r"
    folder.mkdir()
    card = tmp_path / "r" / "丰县2017年13912345678报送.xlsx"
    write_xlsx(card, {
        ID_A: [["姓名", "身份证号码", "劳动能力"], ["张丽", ID_A, "普通劳动力"]],
        ID_B: [["姓名", "身份证号码", "劳动能力"], ["王芳", ID_B, "强壮"]],  # unknown_value
    })  # fmt: skip
    db = tmp_path / "t.duckdb"
    with Store(db) as store:
        ingest([folder], store, load_settings(None))
    out, lake = tmp_path / "out", tmp_path / "lake"
    res = run("export", "--year", "2017", "--out", out, "--parquet", lake, "--db", db)
    assert res.exit_code == 0, res.output
    listing = run("issues", "--year", "2017", "--format", "csv", "--db", db)
    assert listing.exit_code == 0 and "强壮" in listing.stdout
    texts = {
        "records.csv": (out / "records.csv").read_text("utf-8-sig"),
        "issues.csv": (out / "issues.csv").read_text("utf-8-sig"),
        "hcs issues": listing.stdout,
    }
    import pyarrow.dataset as ds

    for table in ("records", "issues", "files"):
        texts[table] = str(ds.dataset(lake / table, partitioning="hive").to_table().to_pylist())
    for where, text in texts.items():
        assert ID_A not in text and ID_B not in text and "13912345678" not in text, where
    assert "139****5678" in texts["records.csv"] and ID_B[:6] + "********" in texts["issues.csv"]
    _, got = read_records(out / "records.csv")
    assert [r["town"] for r in got] == ["", ""]  # a sheet named by an ID names no town
    plain = tmp_path / "plain"
    assert run("export", "--year", "2017", "--out", plain, "--db", db, "--unmasked").exit_code == 0
    assert ID_B in (plain / "issues.csv").read_text("utf-8-sig")


def test_names_in_unknown_columns_are_masked_in_the_parquet_dataset(tmp_path: Path) -> None:
    """配偶姓名 and a 经纪人 column hcs does not know are kept in `extras`: the masked
    Parquet dataset sent those names in full (README: names masked)."""
    import json as jsonlib

    import pyarrow.dataset as ds

    folder = tmp_path / "r"
    folder.mkdir()
    write_xlsx(folder / "丰县2017年花名册.xlsx", {"S": [
        ["姓名", "身份证号码", "配偶姓名", "经纪人", "帮扶措施", "爱人"],
        ["张丽", ID_A, "王大海", "李四", "技能培训", "赵强"],
        ["王芳", ID_B, None, None, "小额贷款", None],
    ]})  # fmt: skip
    db = tmp_path / "t.duckdb"
    with Store(db) as store:
        ingest([folder], store, load_settings(None))
    for unmasked, want in ((False, ["王**", "李*", "赵*"]), (True, ["王大海", "李四", "赵强"])):
        lake = tmp_path / f"lake{unmasked}"
        args = ["export", "--year", "2017", "--parquet", lake, "--db", db]
        assert run(*args, *(["--unmasked"] if unmasked else [])).exit_code == 0
        rows = ds.dataset(lake / "records", partitioning="hive").to_table().to_pylist()
        extras = [jsonlib.loads(r["extras"]) for r in rows if r["extras"]]
        assert [extras[0]["配偶姓名"], extras[0]["经纪人"], extras[0]["爱人"]] == want
        assert [e["帮扶措施"] for e in extras] == ["技能培训", "小额贷款"]


def test_names_a_note_writes_are_masked_where_the_record_holds_them(tmp_path: Path) -> None:
    """A note that names the woman, her household head or her broker (与户主张大山同住)
    went out in full in records.csv and the masked Parquet dataset; the names her record
    holds are masked there as in their own columns (张**). Since session 20 also a name
    written after a role word (丈夫李四: masking.RELATIVE)."""
    import pyarrow.dataset as ds

    folder = tmp_path / "r"
    folder.mkdir()
    write_xlsx(folder / "丰县2017年花名册.xlsx", {"S": [
        ["姓名", "身份证号码", "户主姓名", "结对经纪人", "备注"],
        ["张丽", ID_A, "张大山", "李红", "与户主张大山同住，经纪人李红每月走访"],
        ["王芳", ID_B, None, None, "王芳本人外出务工"],
        ["陈梅", ID_C, None, None, "丈夫李四在外"],
    ]})  # fmt: skip
    db = tmp_path / "t.duckdb"
    with Store(db) as store:
        ingest([folder], store, load_settings(None))
    masked = ["与户主张**同住,经纪人李*每月走访", "王*本人外出务工", "丈夫李*在外"]
    for unmasked in (False, True):
        want = (
            masked
            if not unmasked
            else ["与户主张大山同住,经纪人李红每月走访", "王芳本人外出务工", "丈夫李四在外"]
        )
        flag = ["--unmasked"] if unmasked else []
        out, lake = tmp_path / f"out{unmasked}", tmp_path / f"lake{unmasked}"
        res = run("export", "--year", "2017", "--out", out, "--parquet", lake, "--db", db, *flag)
        assert res.exit_code == 0, res.output
        with (out / "records.csv").open(encoding="utf-8-sig", newline="") as f:
            assert [r["note"] for r in csv.DictReader(f)] == want
        rows = ds.dataset(lake / "records", partitioning="hive").to_table().to_pylist()
        assert [r["note"] for r in sorted(rows, key=lambda r: r["record_id"])] == want


def test_an_output_under_a_file_is_a_usage_error(db: Path, tmp_path: Path) -> None:
    """`--out afile/s.json` was exit 3 "File exists", as if the output clashed with
    something; a part of the path being a file is the user's to fix: exit 2 naming it."""
    (tmp_path / "afile").write_text("x", "utf-8")
    for args in (["summary", "--year", "2017", "--out", tmp_path / "afile" / "s.json"],
                 ["export", "--year", "2017", "--out", tmp_path / "afile" / "x"]):  # fmt: skip
        res = run(*args, "--db", db)
        assert res.exit_code == 2, res.output
        assert f"{tmp_path / 'afile'} is a file, not a folder" in res.stderr
