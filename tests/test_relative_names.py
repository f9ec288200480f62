"""Names of relatives and helpers written into free text after their role (丈夫李四,
配偶：王建国, 联系人刘红) are masked in what is sent on (masking.RELATIVE, session 20)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner, Result

from conftest import ID_A, ID_B, ID_C, write_xlsx
from handcraft_stats.cli import app
from handcraft_stats.export_rows import scrub
from handcraft_stats.masking import ROLES, SURNAMES, scrub_relatives

FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def run(*args: str | Path) -> Result:
    return CliRunner().invoke(app, [str(a) for a in args], env={"COLUMNS": "200"})


@pytest.mark.parametrize(
    ("note", "want"),
    [
        ("丈夫李四在外务工", "丈夫李*在外务工"),
        ("配偶：王建国，常年在外", "配偶：王**，常年在外"),
        ("儿子张小明在上海打工", "儿子张**在上海打工"),
        ("婆婆是赵桂兰", "婆婆是赵**"),
        ("丈夫王有才残疾", "丈夫王**残疾"),  # 有 ends no name before its second character
        ("联系人刘红 电话", "联系人刘* 电话"),
        ("户主孙子王小明", "户主孙子王**"),  # 孙子 is a role here, not a name
        ("丈夫李四和儿子李小五", "丈夫李*和儿子李**"),
        ("经纪人: 陈梅每月走访", "经纪人: 陈*每月走访"),
        # no name after the role: the text stays
        ("丈夫常年在外", "丈夫常年在外"),
        ("丈夫高血压", "丈夫高血压"),
        ("户主孙子读书", "户主孙子读书"),
        ("儿子于去年去世", "儿子于去年去世"),
        ("丈夫于2016年去世", "丈夫于2016年去世"),
        ("儿子在苏州打工", "儿子在苏州打工"),
        ("丈夫外出务工", "丈夫外出务工"),
        ("单亲家庭", "单亲家庭"),
        ("与户主张**同住", "与户主张**同住"),  # masked before (names_in_note_sql)
    ],
)
def test_a_name_after_a_role_word_is_masked(note: str, want: str) -> None:
    assert scrub_relatives(note) == want
    assert scrub(note) == want


def test_scrub_masks_numbers_and_names_together() -> None:
    assert scrub("丈夫李四 13812345678") == "丈夫李* 138****5678"


NOTE = st.text(
    alphabet=st.sampled_from([*SURNAMES[:12], *"".join(ROLES[:8]), *"在外务工是：，12 a"]),
    max_size=24,
)


@FUZZ
@given(NOTE)
def test_masking_keeps_the_text_but_the_names(note: str) -> None:
    got = scrub_relatives(note)
    assert len(got) == len(note)  # each masked character is one star
    assert all(g == n or g == "*" for g, n in zip(got, note, strict=True))
    assert scrub_relatives(got) == got  # a masked name is found no more
    if not any(r in note for r in ROLES):
        assert got == note


def test_exports_and_issue_lists_mask_a_relatives_name(tmp_path: Path) -> None:
    folder = tmp_path / "r"
    folder.mkdir()
    write_xlsx(folder / "丰县2017年花名册.xlsx", {"S": [
        ["姓名", "身份证号码", "备注", "是否有劳动能力"],
        ["陈梅", ID_A, "丈夫李四在外务工", "有"],
        ["王芳", ID_B, "联系人：赵桂兰", "有点劳动力吧配偶钱大勇"],
    ]})  # fmt: skip
    db = tmp_path / "t.duckdb"
    assert run("ingest", folder, "--db", db).exit_code in (0, 1)
    for unmasked in (False, True):
        out = tmp_path / f"out{unmasked}"
        flag = ["--unmasked"] if unmasked else []
        res = run("export", "--year", "2017", "--out", out, "--db", db, *flag)
        assert res.exit_code == 0, res.output
        records = (out / "records.csv").read_text("utf-8-sig")
        issues = (out / "issues.csv").read_text("utf-8-sig")
        with (out / "records.csv").open(encoding="utf-8-sig", newline="") as f:
            notes = [r["note"] for r in csv.DictReader(f)]
        if unmasked:
            assert notes == ["丈夫李四在外务工", "联系人:赵桂兰"]
            assert "钱大勇" in issues  # the unreadable capacity cell, as written
        else:
            assert notes == ["丈夫李*在外务工", "联系人:赵**"]
            for name in ("李四", "赵桂兰", "钱大勇"):
                assert name not in records + issues
    listing = run("issues", "--year", "2017", "--db", db)
    assert "钱大勇" not in listing.output and "钱**" in listing.output


ID_D = "320321198202020026"


def test_persons_and_dupes_mask_numbers_in_names_and_sheet_names(tmp_path: Path) -> None:
    """`hcs persons` and `hcs dupes` show names in full for the reviewer, but an ID
    typed into the 姓名 column, or naming a sheet (一人一卡: a sheet per woman), went
    out whole; they are masked as IDs are (session 20)."""
    folder = tmp_path / "r"
    folder.mkdir()
    header = ["姓名", "身份证号码", "劳动能力"]
    write_xlsx(folder / "丰县2017年花名册.xlsx", {
        f"周小凤{ID_A}": [header, ["周小凤", ID_A, "有"]],
        "Sheet2": [header, ["王芳", ID_C, "有"], [ID_B, "赵敏敏", "有"], ["李红", ID_D, "有"],
                   [ID_B, "赵敏敏", "有"]],  # name and ID swapped, the row twice
    })  # fmt: skip
    db = tmp_path / "t.duckdb"
    assert run("ingest", folder, "--db", db).exit_code in (0, 1)
    outputs = [run("persons", "--year", "2017", "--db", db, "--format", f).output
               for f in ("csv", "json", "table")]  # fmt: skip
    outputs.append(run("dupes", "--year", "2017", "--db", db, "--format", "csv").output)
    assert "周小凤" in outputs[0]  # names stay
    assert "320321********0024" in outputs[0]  # the sheet's name
    assert "320322********0048" in outputs[0] and "320322********0048" in outputs[3]
    for out in outputs:
        assert ID_A not in out and ID_B not in out


def test_a_sheet_or_file_named_by_a_woman_goes_out_masked(tmp_path: Path) -> None:
    """一人一卡: a sheet (or a file) per woman, named by her. records.csv masked her name
    and gave it whole as her sheet's, in issues.csv, `hcs issues`, the fix lists and the
    masked Parquet dataset too; there it is masked as her name is (session 20)."""
    import pyarrow.dataset as ds

    folder = tmp_path / "r"
    folder.mkdir()
    header = ["姓名", "身份证号码", "劳动能力"]
    write_xlsx(folder / "丰县2017年一人一卡.xlsx", {
        "周小凤": [header, ["周小凤", ID_A, "有点劳动力吧"]],
        f"王芳芳{ID_B}": [header, ["王芳芳", ID_B, "有点劳动力吧"], ["小计"]],
    })  # fmt: skip
    write_xlsx(folder / "丰县2017年李红梅.xlsx", {"S": [header, ["李红梅", ID_C, "有点劳动力吧"]]})
    db = tmp_path / "t.duckdb"
    assert run("ingest", folder, "--db", db).exit_code == 0
    names = ("周小凤", "王芳芳", "李红梅")
    for unmasked in (False, True):
        out, lake = tmp_path / f"out{unmasked}", tmp_path / f"lake{unmasked}"
        flag = ["--unmasked"] if unmasked else []
        res = run("export", "--year", "2017", "--out", out, "--parquet", lake, "--db", db, *flag)
        assert res.exit_code == 0, res.output
        with (out / "records.csv").open(encoding="utf-8-sig", newline="") as f:
            sources = {(r["source_file"], r["source_sheet"]) for r in csv.DictReader(f)}
        with (out / "issues.csv").open(encoding="utf-8-sig", newline="") as f:
            assert {(r["source_file"], r["source_sheet"]) for r in csv.DictReader(f)} == sources
        lake_rows = [
            r for t in ("records", "issues", "skipped", "files")
            for r in ds.dataset(lake / t, partitioning="hive").to_table().to_pylist()
        ]  # fmt: skip
        lake_text = repr([{k: v for k, v in r.items() if k not in RAW} for r in lake_rows])
        if unmasked:
            assert ("丰县2017年一人一卡.xlsx", "周小凤") in sources
            assert ("丰县2017年李红梅.xlsx", "S") in sources
        else:
            assert sources == {
                ("丰县2017年一人一卡.xlsx", "周**"),
                ("丰县2017年一人一卡.xlsx", "王**320322********0048"),
                ("丰县2017年李**.xlsx", "S"),
            }
            assert not any(n in lake_text for n in names), lake_text
    listed = run("issues", "--year", "2017", "--db", db, "--format", "csv").output
    assert "周**" in listed and "丰县2017年李**.xlsx" in listed
    checked = run("check", folder, "--format", "csv").output
    assert "周**" in checked and "丰县2017年李**.xlsx" in checked
    for text in (listed, checked):
        assert not any(n in text for n in names)


# the masked dataset's own columns that keep a name's characters otherwise (its pinyin key)
RAW = ("name_key",)


def test_named_sources_pairs_every_source_with_every_name() -> None:
    """A sheet named as the woman's name was written (張麗, her normalised name 张丽), a
    file named by her: each source against both names (session 20)."""
    import duckdb

    from handcraft_stats.export_rows import active_records, named_sources

    con = duckdb.connect()
    con.execute("CREATE TABLE files (file_id INT, active BOOL)")
    con.execute("INSERT INTO files VALUES (1, true), (2, false)")
    con.execute("CREATE TABLE records (file_id INT, period INT, source_file VARCHAR, "
                "source_sheet VARCHAR, name VARCHAR, name_raw VARCHAR)")  # fmt: skip
    con.execute("""INSERT INTO records VALUES
        (1, 2017, '丰县李红梅.xlsx', 'S', '李红梅', '李 红梅'),
        (1, 2017, 'a.xlsx', '周小凤', '周小凤', '周小凤'),
        (1, 2017, 'a.xlsx', 'Sheet1', '王芳', '王芳'),
        (1, 2017, 'b.xlsx', '張麗', '张丽', '張麗'),
        (1, 2016, 'b.xlsx', '陈梅', '陈梅', '陈梅'),
        (2, 2017, 'c赵敏.xlsx', 'S', '赵敏', '赵敏'),
        (1, 2017, 'x.xlsx', '李', '李', NULL)""")
    assert named_sources(con, active_records(2017)) == {
        "丰县李红梅.xlsx": "丰县李**.xlsx", "周小凤": "周**", "張麗": "張*",
    }  # fmt: skip


def test_the_ingest_report_kept_as_a_log_masks_a_womans_name_in_file_names(
    tmp_path: Path,
) -> None:
    """The ingest report (kept as a log by README's cron line) masked IDs in file and
    sheet names, not a woman's name: 丰县2017年李红梅.xlsx went into the log whole, also
    when a rerun finds the file unchanged (session 20)."""
    folder = tmp_path / "r"
    folder.mkdir()
    header = ["姓名", "身份证号码", "劳动能力"]
    write_xlsx(folder / "丰县2017年李红梅.xlsx", {"S": [header, ["李红梅", ID_C, "有"]]})
    write_xlsx(folder / "丰县2017年花名册.xlsx", {
        "周小凤": [header, ["周小凤", ID_A, "有"]], "Sheet2": [header, ["王芳", ID_B, "有"], []],
    })  # fmt: skip
    db = tmp_path / "t.duckdb"
    for run_no in (1, 2):  # the second finds both unchanged
        for fmt in ("json", "table", "csv", "md"):
            res = run("ingest", folder, "--db", db, "--format", fmt)
            assert res.exit_code == 0, res.output
            assert "李红梅" not in res.output and "丰县2017年李**.xlsx" in res.stdout, (run_no, fmt)
    checked = run("check", folder, "--format", "json")
    assert "李红梅" not in checked.output and "丰县2017年李**.xlsx" in checked.stdout


def test_a_refused_file_named_by_a_woman_listed_elsewhere_is_masked(tmp_path: Path) -> None:
    """A file named by the woman in it that is refused has no records to tell her name
    by: 丰县2017年李红梅.xlsx went into the log (report, stderr) whole. Her name is
    masked when a roster of the store (ingest) or of the run (check) lists her; a name
    no roster holds cannot be told from a town's (丰县2017年王沟镇.xlsx stays)."""
    folder = tmp_path / "r"
    folder.mkdir()
    header = ["姓名", "身份证号码", "劳动能力"]
    write_xlsx(folder / "丰县2017年花名册.xlsx", {"S": [header, ["李红梅", ID_C, "有"]]})
    (folder / "丰县2017年李红梅.xlsx").write_bytes(b"not a workbook")  # her card, broken
    (folder / "丰县2017年王沟镇.xlsx").write_bytes(b"not a workbook either")
    db = tmp_path / "t.duckdb"
    for args in (("ingest", folder, "--db", db), ("check", folder)):
        for fmt in ("json", "table"):
            res = run(*args, "--format", fmt)
            assert res.exit_code == 1, res.output
            assert "李红梅" not in res.output, (args[0], fmt)
            assert "丰县2017年李**.xlsx" in res.stdout and "丰县2017年王沟镇.xlsx" in res.stdout
            assert "refused " in res.stderr and "丰县2017年李**.xlsx" in res.stderr
