"""Versions and history: idempotent re-ingest, replacement, --replace, crash safety."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from conftest import ID_A, ID_B, ID_C, write_xlsx
from handcraft_stats import Store, ingest, load_settings, summarize
from handcraft_stats.cli import app
from handcraft_stats.store import labels_text, unknown_labels
from handcraft_stats.versions import FAULT_ENV

SETTINGS = load_settings(None)
HEADER = ["姓名", "身份证号码", "从业产业", "脱贫年度"]


def roster(path: Path, *rows: list[object]) -> Path:
    return write_xlsx(path, {"Sheet1": [HEADER, *rows]})


def run(*args: object) -> object:
    return CliRunner().invoke(app, [str(a) for a in args])


def totals(db: Path, year: int = 2017) -> dict[str, object]:
    with Store(db, read_only=True) as s:
        doc = summarize(s, year).to_dict()
    return {"totals": doc["totals"], "counties": doc["counties"], "source": doc["source"]}


def test_same_content_twice_changes_nothing_and_says_so(tmp_path: Path) -> None:
    d = tmp_path / "a"
    d.mkdir()
    roster(d / "丰县2017.xlsx", ["张丽", ID_A, "手工", 2017])
    db = tmp_path / "t.duckdb"
    assert run("ingest", d, "--db", db).exit_code == 0  # type: ignore[attr-defined]
    before = totals(db)
    res = run("ingest", d, "--db", db, "--format", "json")
    report = json.loads(res.stdout)  # type: ignore[attr-defined]
    assert report["files_unchanged"] == 1 and report["detail"][0]["status"] == "unchanged"
    assert totals(db) == before
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT count(*) FROM files").fetchone() == (1,)


def test_a_new_version_replaces_the_old_and_figures_equal_newest_only(tmp_path: Path) -> None:
    old, new = tmp_path / "old", tmp_path / "new"
    old.mkdir()
    new.mkdir()
    roster(old / "丰县2017.xlsx", ["张丽", ID_A, "手工", 2017], ["王芳", ID_B, "家政", ""])
    roster(new / "丰县2017.xlsx", ["张丽", ID_A, "电商", 2017], ["陈梅", ID_C, "农业", 2017])
    db, only = tmp_path / "t.duckdb", tmp_path / "only.duckdb"
    with Store(db) as s:
        ingest([old], s, SETTINGS)
        report = ingest([new], s, SETTINGS)
    assert report.files[0].status == "replaced"
    with Store(only) as s:
        ingest([new], s, SETTINGS)
    assert totals(db) == totals(only)
    res = run("history", "--db", db, "--format", "json")
    rows = json.loads(res.stdout)  # type: ignore[attr-defined]
    assert [(r["version"], r["active"], r["replaced_by"]) for r in rows] == [
        (1, False, "丰县2017.xlsx"), (2, True, None),
    ]  # fmt: skip
    assert rows[0]["sha256"] != rows[1]["sha256"]


def test_town_files_add_up_and_replace_one_by_one(tmp_path: Path) -> None:
    d = tmp_path / "r"
    d.mkdir()
    roster(d / "沛县_龙固镇_2017.xlsx", ["张丽", ID_A, "手工", ""])
    roster(d / "沛县_大屯镇_2017.xlsx", ["王芳", ID_B, "手工", ""])
    db = tmp_path / "t.duckdb"
    with Store(db) as s:
        ingest([d], s, SETTINGS)
    assert totals(db)["totals"]["persons"] == 2  # type: ignore[index]
    fix = tmp_path / "fix"
    fix.mkdir()
    roster(fix / "沛县_大屯镇_2017.xlsx", ["王芳", ID_B, "手工", ""], ["陈梅", ID_C, "", ""])
    with Store(db) as s:
        ingest([fix], s, SETTINGS)
    assert totals(db)["totals"]["persons"] == 3  # type: ignore[index]


def test_replace_option_replaces_the_whole_county_period(tmp_path: Path) -> None:
    d = tmp_path / "r"
    d.mkdir()
    roster(d / "沛县_龙固镇_2017.xlsx", ["张丽", ID_A, "手工", ""])
    roster(d / "沛县_大屯镇_2017.xlsx", ["王芳", ID_B, "手工", ""])
    roster(d / "丰县2017.xlsx", ["刘兰", "", "手工", ""])
    db = tmp_path / "t.duckdb"
    run("ingest", d, "--db", db)
    whole = tmp_path / "whole"
    whole.mkdir()
    roster(whole / "沛县2017年花名册.xlsx", ["陈梅", ID_C, "电商", 2017])
    res = run("ingest", whole, "--db", db, "--replace", "--format", "json")
    assert res.exit_code == 0, res.output  # type: ignore[attr-defined]
    doc = totals(db)
    assert doc["counties"]["沛县"]["persons"] == 1  # type: ignore[index]
    assert doc["counties"]["丰县"]["persons"] == 1  # type: ignore[index]
    con = duckdb.connect(str(db), read_only=True)
    replaced = con.execute("SELECT name FROM files WHERE NOT active ORDER BY name").fetchall()
    assert replaced == [("沛县_大屯镇_2017.xlsx",), ("沛县_龙固镇_2017.xlsx",)]


def _parsed_outcomes(folder: Path, status: str) -> list[dict[str, object]]:
    """The report of every roster under `folder` as parsing it gives (the old way)."""
    from handcraft_stats.inputs import find_files
    from handcraft_stats.outcome import outcome_of
    from handcraft_stats.parse import parse_file
    from handcraft_stats.workers import _vocabulary

    files, _ = find_files([folder])
    out = []
    for f in files:
        pf = parse_file(f, f.read_bytes(), SETTINGS, _vocabulary(SETTINGS))
        out.append(vars(outcome_of(pf, status)))
    return out


def test_a_rerun_reads_no_stored_content_and_reports_it_as_parsing_would(
    tmp_path: Path, monkeypatch: object
) -> None:
    """Unchanged files are found by size and SHA-256 before parsing: a rerun of the whole
    sample (30 files: xlsx, xls, ods, csv; title rows, totals, skipped sheets, unknown columns,
    thousands of issues) parses nothing, and its report of each file is the one parsing
    gives, in the same order. One changed file is the only one parsed."""
    import shutil

    import handcraft_stats.workers as workers
    from conftest import SAMPLE

    rosters = tmp_path / "rosters"
    shutil.copytree(SAMPLE / "rosters", rosters)
    db = tmp_path / "t.duckdb"
    with Store(db) as s:
        first = ingest([rosters], s, SETTINGS, jobs=1)
    seen: list[str] = []
    parse = workers.parse_file

    def counting(path: Path, *a: object, **k: object) -> object:
        seen.append(path.name)
        return parse(path, *a, **k)  # type: ignore[arg-type]

    monkeypatch.setattr(workers, "parse_file", counting)
    with Store(db) as s:
        again = ingest([rosters], s, SETTINGS, jobs=1)
    assert seen == []
    assert [vars(f) for f in again.files] == _parsed_outcomes(rosters, "unchanged")
    assert {f.status for f in again.files} == {"unchanged"} and len(again.files) == 30
    assert sum(f.errors + sum(f.issues_by_code.values()) for f in again.files) > 100
    assert again.to_dict()["records"] == first.to_dict()["records"]
    changed = next(p for p in sorted(rosters.rglob("*.xlsx")) if "沛县" not in str(p))
    roster(changed, ["张丽", ID_A, "手工", 2017])
    with Store(db) as s:
        third = ingest([rosters], s, SETTINGS, jobs=1)
    assert seen == [changed.name]
    assert [f.status for f in third.files].count("unchanged") == 29
    assert next(f for f in third.files if f.name == changed.name).status == "replaced"


def _two_towns_ingested(tmp_path: Path) -> tuple[Path, Path]:
    """沛县's two town files for 2017 in a folder, ingested: (folder, database)."""
    d = tmp_path / "r"
    d.mkdir()
    roster(d / "沛县_龙固镇_2017.xlsx", ["张丽", ID_A, "手工", ""])
    roster(d / "沛县_大屯镇_2017.xlsx", ["王芳", ID_B, "手工", ""])
    db = tmp_path / "t.duckdb"
    run("ingest", d, "--db", db)
    return d, db


def _submission(tmp_path: Path, d: Path, name: str) -> Path:
    """A folder tmp_path/whole holding 龙固镇's stored roster of `d`, sent as `name`."""
    whole = tmp_path / "whole"
    whole.mkdir()
    (whole / name).write_bytes((d / "沛县_龙固镇_2017.xlsx").read_bytes())
    return whole


def test_replace_keeps_the_unchanged_files_of_the_submission(tmp_path: Path) -> None:
    """With --replace, files found unchanged before parsing are still part of the
    county's complete roster: none of them is replaced."""
    d, db = _two_towns_ingested(tmp_path)
    roster(d / "沛县_大屯镇_2017.xlsx", ["王芳", ID_B, "手工", ""], ["陈梅", ID_C, "电商", ""])
    res = run("ingest", d, "--db", db, "--replace", "--format", "json")
    assert res.exit_code == 0, res.output  # type: ignore[attr-defined]
    statuses = {f["name"]: f["status"] for f in json.loads(res.stdout)["detail"]}  # type: ignore[attr-defined]
    assert statuses == {"沛县_龙固镇_2017.xlsx": "unchanged", "沛县_大屯镇_2017.xlsx": "replaced"}
    assert totals(db)["counties"]["沛县"]["persons"] == 3  # type: ignore[index]


def test_replace_with_only_unchanged_files_drops_the_files_left_out(tmp_path: Path) -> None:
    """沛县 sent two town files; now its complete roster is one of them, unchanged (the
    other town has no woman left): with --replace the other is replaced all the same,
    although no file is new. It used to stay in force, counting its women."""
    d, db = _two_towns_ingested(tmp_path)
    whole = _submission(tmp_path, d, "沛县_龙固镇_2017.xlsx")
    res = run("ingest", whole, "--db", db, "--replace", "--format", "json")
    assert res.exit_code == 0, res.output  # type: ignore[attr-defined]
    doc = json.loads(res.stdout)  # type: ignore[attr-defined]
    assert [f["status"] for f in doc["detail"]] == ["unchanged"]
    assert doc["files_left_out"] == [
        {"county": "沛县", "period": 2017, "file": "沛县_大屯镇_2017.xlsx"}
    ]
    assert totals(db)["counties"]["沛县"]["persons"] == 1  # type: ignore[index]
    con = duckdb.connect(str(db), read_only=True)
    rows = con.execute("SELECT name, active, replaced_by FROM files ORDER BY file_id").fetchall()
    con.close()
    kept = next(i for i, r in enumerate(rows, 1) if r[0] == "沛县_龙固镇_2017.xlsx")
    assert ("沛县_大屯镇_2017.xlsx", False, kept) in rows
    again = run("ingest", whole, "--db", db, "--replace")
    assert "no longer part" not in again.stderr  # type: ignore[attr-defined]


def test_the_tables_of_files_left_out_show_the_year_as_a_year(tmp_path: Path) -> None:
    """The table of files replaced for being left out showed 2,017 (session 20)."""
    d, db = _two_towns_ingested(tmp_path)
    whole = _submission(tmp_path, d, "沛县_龙固镇_2017.xlsx")
    res = run("ingest", whole, "--db", db, "--replace")
    assert res.exit_code == 0, res.output  # type: ignore[attr-defined]
    left = res.stdout.split("--replace）")[-1]  # type: ignore[attr-defined]
    assert "沛县_大屯镇_2017.xlsx" in left and "2017" in left and "2,017" not in left


def test_replace_keeps_a_stored_file_sent_under_another_name(tmp_path: Path) -> None:
    """A file of the complete roster whose content is stored under another name is part of
    the submission: the stored file is kept, not replaced (it was, by its name)."""
    d, db = _two_towns_ingested(tmp_path)
    whole = _submission(tmp_path, d, "龙固镇.xlsx")
    roster(whole / "沛县_新镇_2017.xlsx", ["陈梅", ID_C, "电商", ""])
    res = run("ingest", whole, "--db", db, "--replace", "--county", "沛县", "--year", "2017",
              "--format", "json")  # fmt: skip
    assert res.exit_code == 0, res.output  # type: ignore[attr-defined]
    doc = json.loads(res.stdout)  # type: ignore[attr-defined]
    assert doc["files_left_out"] == [
        {"county": "沛县", "period": 2017, "file": "沛县_大屯镇_2017.xlsx"}
    ]
    assert totals(db)["counties"]["沛县"]["persons"] == 2  # type: ignore[index]
    res = run("ingest", whole, "--db", db, "--replace", "--county", "沛县", "--year", "2017")
    assert "no longer part" not in res.stderr  # type: ignore[attr-defined]


def test_replace_with_a_refused_file_replaces_nothing_left_out(tmp_path: Path) -> None:
    """沛县 resends both town files with --replace; 龙固镇's is unchanged and 大屯镇's new
    version cannot be read. The refused file may be any county's, so no file is replaced
    for being left out: 大屯镇's stored version stays in force (it was dropped)."""
    d, db = _two_towns_ingested(tmp_path)
    whole = _submission(tmp_path, d, "沛县_龙固镇_2017.xlsx")
    (whole / "沛县_大屯镇_2017.xlsx").write_bytes(b"PK\x03\x04 not a workbook")
    res = run("ingest", whole, "--db", db, "--replace", "--format", "json")
    assert res.exit_code == 1  # type: ignore[attr-defined]
    doc = json.loads(res.stdout)  # type: ignore[attr-defined]
    assert doc["files_left_out"] == [] and doc["replace_held"] is True
    assert "replaced no file for being left out" in res.stderr  # type: ignore[attr-defined]
    assert totals(db)["counties"]["沛县"]["persons"] == 2  # type: ignore[index]
    # with a new file beside the refused one, the new one lands and replaces its name only
    roster(whole / "沛县_龙固镇_2017.xlsx", ["张丽", ID_A, "手工", ""], ["陈梅", ID_C, "电商", ""])
    res = run("ingest", whole, "--db", db, "--replace", "--format", "json")
    assert json.loads(res.stdout)["files_left_out"] == []  # type: ignore[attr-defined]
    assert totals(db)["counties"]["沛县"]["persons"] == 3  # type: ignore[index]


def test_replace_counts_a_stored_file_by_content_not_by_the_name_it_is_sent_under(
    tmp_path: Path,
) -> None:
    """A file found stored already is part of the submission by its content: sent under
    大屯镇's name with 龙固镇's content, it keeps 龙固镇 and 大屯镇's own content (not sent)
    is replaced."""
    d, db = _two_towns_ingested(tmp_path)
    whole = _submission(tmp_path, d, "沛县_大屯镇_2017.xlsx")
    res = run("ingest", whole, "--db", db, "--replace", "--format", "json")
    assert res.exit_code == 0, res.output  # type: ignore[attr-defined]
    assert json.loads(res.stdout)["files_left_out"] == [  # type: ignore[attr-defined]
        {"county": "沛县", "period": 2017, "file": "沛县_大屯镇_2017.xlsx"}
    ]
    assert totals(db)["counties"]["沛县"]["persons"] == 1  # type: ignore[index]


def test_a_first_version_sent_again_after_a_second_is_in_force_again(tmp_path: Path) -> None:
    d = tmp_path / "r"
    d.mkdir()
    first = roster(d / "丰县2017.xlsx", ["张丽", ID_A, "手工", ""]).read_bytes()
    db = tmp_path / "t.duckdb"
    run("ingest", d, "--db", db)
    roster(d / "丰县2017.xlsx", ["张丽", ID_A, "手工", ""], ["王芳", ID_B, "手工", ""])
    run("ingest", d, "--db", db)
    assert totals(db)["totals"]["persons"] == 2  # type: ignore[index]
    (d / "丰县2017.xlsx").write_bytes(first)
    res = run("ingest", d, "--db", db, "--format", "json")
    assert json.loads(res.stdout)["detail"][0]["status"] == "replaced"  # type: ignore[attr-defined]
    assert totals(db)["totals"]["persons"] == 1  # type: ignore[index]
    con = duckdb.connect(str(db), read_only=True)
    versions = con.execute("SELECT version, active FROM files ORDER BY file_id").fetchall()
    con.close()
    assert versions == [(1, False), (2, False), (3, True)]


def test_a_file_found_unchanged_is_never_replaced_by_another_file_of_the_run(
    tmp_path: Path,
) -> None:
    """Two towns' rosters of one name in two folders: when one town corrects its file,
    the other, unchanged (and reported so), was replaced by it, its women gone from every
    figure. And an inbox holding a roster's two versions of one name swapped them at
    every run; both stay in force (and are pointed out as versions), run after run."""
    inbox = tmp_path / "in"
    (inbox / "甲镇").mkdir(parents=True)
    (inbox / "乙镇").mkdir()
    roster(inbox / "甲镇" / "丰县2017年花名册.xlsx", ["张丽", ID_A, "手工", ""])
    roster(inbox / "乙镇" / "丰县2017年花名册.xlsx", ["王芳", ID_B, "家政", ""])
    db = tmp_path / "t.duckdb"
    run("ingest", inbox, "--db", db)
    assert totals(db)["totals"]["persons"] == 2  # type: ignore[index]
    roster(inbox / "甲镇" / "丰县2017年花名册.xlsx", ["张丽", ID_A, "手工", 2017])
    res = run("ingest", inbox, "--db", db, "--format", "json")
    status = {Path(f["path"]).parent.name: f["status"]
              for f in json.loads(res.stdout)["detail"]}  # type: ignore[attr-defined]  # fmt: skip
    assert status == {"甲镇": "replaced", "乙镇": "unchanged"}
    assert totals(db)["totals"]["persons"] == 2  # type: ignore[index]
    assert totals(db)["totals"]["exits"] == 1  # type: ignore[index]
    # two versions of one roster in one inbox: both in force, and no flip at the next runs
    (inbox / "旧").mkdir()
    roster(inbox / "旧" / "丰县2017年花名册.xlsx", ["张丽", ID_A, "手工", ""])
    for _ in range(3):
        run("ingest", inbox, "--db", db)
        with Store(db, read_only=True) as s:
            active = sorted(f.file_id for f in s.active_files("丰县", 2017))
        assert totals(db)["totals"]["persons"] == 2  # type: ignore[index]
    again = json.loads(run("ingest", inbox, "--db", db, "--format", "json").stdout)  # type: ignore[attr-defined]
    assert {f["status"] for f in again["detail"]} == {"unchanged"}
    with Store(db, read_only=True) as s:
        assert sorted(f.file_id for f in s.active_files("丰县", 2017)) == active


def _killed_at(point: str, args: list[str], tmp_path: Path) -> None:
    marker = tmp_path / f"{point}.pid"
    env = {**os.environ, FAULT_ENV: f"{point}:{marker}"}
    proc = subprocess.Popen([sys.executable, "-m", "handcraft_stats", *args], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    deadline = time.monotonic() + 60
    while not marker.exists():
        assert proc.poll() is None, "hcs ended before reaching the fault point"
        assert time.monotonic() < deadline
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()


def test_a_replacement_killed_midway_leaves_the_previous_version_in_force(tmp_path: Path) -> None:
    _, db = _two_towns_ingested(tmp_path)
    before = totals(db)
    whole = tmp_path / "whole"
    whole.mkdir()
    roster(whole / "沛县2017年花名册.xlsx", ["陈梅", ID_C, "电商", 2017])
    args = ["ingest", str(whole), "--db", str(db), "--replace", "--quiet"]
    for point in ("file-stored", "before-commit"):
        _killed_at(point, args, tmp_path)
        assert totals(db) == before  # the database opens and holds the old version only
    assert run("ingest", whole, "--db", db, "--replace").exit_code == 0  # type: ignore[attr-defined]
    assert totals(db)["counties"]["沛县"]["persons"] == 1  # type: ignore[index]


def test_an_unchanged_files_unknown_columns_are_reported_whole(tmp_path: Path) -> None:
    """Labels hcs does not know are kept with the file; a label holding a comma comes
    back whole when the file is reported unchanged (it was split at the comma)."""
    d = tmp_path / "r"
    d.mkdir()
    labels = ["备注,其他", "帮扶人", "联系人"]
    write_xlsx(d / "丰县2017.xlsx", {"Sheet1": [
        [*HEADER, *labels], ["张丽", ID_A, "手工", 2017, "a,b", "李", "王"],
    ]})  # fmt: skip
    db = tmp_path / "t.duckdb"
    with Store(db) as s:
        first = ingest([d], s, SETTINGS, jobs=1)
        again = ingest([d], s, SETTINGS, jobs=1)
    assert first.files[0].unknown_columns == labels
    assert again.files[0].status == "unchanged"
    assert again.files[0].unknown_columns == labels


@given(st.lists(st.text(min_size=1), max_size=5))
def test_unknown_labels_survive_the_files_table(labels: list[str]) -> None:
    assert unknown_labels(labels_text(labels)) == labels


def test_labels_written_before_the_json_array_are_split_at_commas() -> None:
    assert unknown_labels("备注,联系人") == ["备注", "联系人"]
    assert unknown_labels("[帮扶人]") == ["[帮扶人]"]
    assert unknown_labels(None) == [] and unknown_labels("") == []


def test_a_header_only_roster_replacing_a_countys_only_file_empties_the_period(
    tmp_path: Path,
) -> None:
    """A period left with no active record relinks to no persons (it crashed in
    relinking: the own-keys lookup and survivorship indexed an empty array)."""
    old, new = tmp_path / "old", tmp_path / "new"
    old.mkdir()
    new.mkdir()
    roster(old / "丰县2017.xlsx", ["张丽", ID_A, "手工", 2017])
    roster(new / "丰县2017.xlsx")
    db = tmp_path / "t.duckdb"
    assert run("ingest", old, "--db", db).exit_code == 0  # type: ignore[attr-defined]
    res = run("ingest", new, "--db", db, "--format", "json")
    assert res.exit_code == 0, res.output  # type: ignore[attr-defined]
    doc = json.loads(res.stdout)  # type: ignore[attr-defined]
    assert doc["detail"][0]["status"] == "replaced" and doc["persons_by_period"] == {"2017": 0}
    assert totals(db)["totals"]["persons"] == 0  # type: ignore[index]
    assert "holds no records (a header only); it replaced the earlier version" in (
        res.stderr  # type: ignore[attr-defined]
    )
    # under --strict (cron) the empty template is a data problem: exit 1, stored all the same
    write_xlsx(new / "丰县2017.xlsx", {"Sheet1": [["丰县2017年妇女花名册"], HEADER]})
    strict = run("ingest", new, "--db", db, "--strict")
    assert strict.exit_code == 1, strict.output  # type: ignore[attr-defined]
    assert run("ingest", new, "--db", db, "--strict").exit_code == 0  # type: ignore[attr-defined]
    checked = run("check", new / "丰县2017.xlsx", "--strict")
    assert checked.exit_code == 1  # type: ignore[attr-defined]
    # the dry run says so too (it said nothing without --strict)
    assert "holds no records (a header only): ingested, 丰县 2017 would count no woman" in (
        run("check", new / "丰县2017.xlsx").stderr  # type: ignore[attr-defined]
    )


def _records(db: Path) -> list[tuple[object, ...]]:
    with Store(db, read_only=True) as s:
        return s.con.execute(
            "SELECT r.source_file, r.source_row, r.name, r.id_number, r.id_status, r.id_key "
            "FROM records r JOIN files f USING (file_id) WHERE f.active ORDER BY 1, 2"
        ).fetchall()


def test_reparse_reads_stored_files_again_with_this_hcs(tmp_path: Path) -> None:
    """A store ingested by an older hcs keeps that version's reading: `--reparse` reads
    its files again (here: a reading that took "\\u200b" + ID for a malformed ID, as
    hcs did before it dropped invisible characters), replacing it, and the figures are
    those of a fresh ingest."""
    folder = tmp_path / "r"
    folder.mkdir()
    roster(folder / "丰县2017.xlsx", ["张丽", "\u200b" + ID_A, "手工编织", ""],
           ["王芳", ID_B, "家政", 2017])  # fmt: skip
    roster(folder / "沛县2017.xlsx", ["张丽", ID_A, "手工编织", ""])
    fresh, db = tmp_path / "fresh.duckdb", tmp_path / "old.duckdb"
    with Store(fresh) as s:
        ingest([folder], s, SETTINGS)
    with Store(db) as s:
        ingest([folder], s, SETTINGS)
        s.con.execute(  # what the older hcs made of the cell
            "UPDATE records SET id_number = '\u200b' || id_number, id_status = 'malformed', "
            "id_key = NULL WHERE source_file = '丰县2017.xlsx' AND name = '张丽'"
        )
    assert _records(db) != _records(fresh)
    again = run("ingest", folder, "--db", db, "--format", "json")
    assert again.exit_code == 0, again.output  # type: ignore[attr-defined]
    report = json.loads(again.stdout)  # type: ignore[attr-defined]
    assert report["files_unchanged"] == 2
    assert _records(db) != _records(fresh)  # without --reparse: unchanged, as stored
    res = run("ingest", folder, "--db", db, "--format", "json", "--reparse")
    assert res.exit_code == 0, res.output  # type: ignore[attr-defined]
    report = json.loads(res.stdout)  # type: ignore[attr-defined]
    assert sorted(f["status"] for f in report["detail"]) == ["reread", "reread"]
    assert _records(db) == _records(fresh)
    assert totals(db)["totals"] == totals(fresh)["totals"]
    with Store(db, read_only=True) as s:
        files = s.con.execute("SELECT name, version, active FROM files ORDER BY file_id").fetchall()
    assert files == [("丰县2017.xlsx", 1, False), ("沛县2017.xlsx", 1, False),
                     ("丰县2017.xlsx", 2, True), ("沛县2017.xlsx", 2, True)]  # fmt: skip


def test_reparse_replaces_its_content_under_another_name_and_once(tmp_path: Path) -> None:
    """The stored reading is found by content: a renamed copy replaces it (no woman is
    stored twice), and two copies in one run are read once."""
    first, second = tmp_path / "a", tmp_path / "b"
    first.mkdir()
    second.mkdir()
    src = roster(first / "丰县2017.xlsx", ["张丽", ID_A, "手工编织", ""], ["陈梅", ID_C, "", ""])
    (second / "丰县2017年花名册.xlsx").write_bytes(src.read_bytes())
    (second / "丰县2017年花名册（副本）.xlsx").write_bytes(src.read_bytes())
    db = tmp_path / "t.duckdb"
    with Store(db) as s:
        ingest([first], s, SETTINGS)
        report = ingest([second], s, SETTINGS, reparse=True)
        active = s.con.execute("SELECT name FROM files WHERE active").fetchall()
        stored = s.con.execute(
            "SELECT count(*) FROM records r JOIN files f USING (file_id) WHERE f.active"
        ).fetchall()
    assert sorted(f.status for f in report.files) == ["reread", "unchanged"]
    assert active == [("丰县2017年花名册.xlsx",)] and stored == [(2,)]
    assert report.persons == {"2017": 2}


def test_reparse_is_for_the_database_not_spark(tmp_path: Path) -> None:
    folder = tmp_path / "r"
    folder.mkdir()
    roster(folder / "丰县2017.xlsx", ["张丽", ID_A, "手工编织", ""])
    res = run("ingest", folder, "--reparse", "--engine", "spark", "--parquet", tmp_path / "p")
    assert res.exit_code == 2 and "--reparse" in res.output  # type: ignore[attr-defined]


def _women(first: int, n: int) -> list[list[object]]:
    """n women with valid IDs of their own (numbered from `first`), each with a wing."""
    from handcraft_stats.normalize.idnumber import check_character

    out: list[list[object]] = []
    for i in range(first, first + n):
        body = f"32032119800101{i:03d}"
        out.append([f"女{i}", body + check_character(body), "手工", ""])
    return out


def test_a_corrected_roster_under_a_new_name_is_pointed_out_and_replace_puts_it_in_place(
    tmp_path: Path,
) -> None:
    """METRICS §6 wants a county's new version to replace the old; hcs cannot tell a new
    version sent under a new name from another roster of the county (towns send one file
    each), so both are counted. The report names such a file (most of its women are on
    an older file of the county and period) and says how to put it in place."""
    folder, db, runner = tmp_path / "in", tmp_path / "t.duckdb", CliRunner()
    folder.mkdir()
    roster(folder / "丰县2017.xlsx", *_women(0, 20))
    town = roster(tmp_path / "丰县2017大沙河镇.xlsx", *_women(15, 20))  # 5 of 20 shared
    fixed = roster(tmp_path / "丰县2017（更正版）.xlsx", *_women(1, 19))  # one woman less
    assert runner.invoke(app, ["ingest", str(folder), "--db", str(db)]).exit_code == 0
    res = runner.invoke(app, ["ingest", str(town), "--db", str(db), "--format", "json"])
    assert json.loads(res.stdout)["possible_versions"] == [] and "note:" not in res.stderr
    res = runner.invoke(app, ["ingest", str(fixed), "--db", str(db), "--format", "json"])
    assert json.loads(res.stdout)["possible_versions"] == [
        {
            "county": "丰县",
            "period": 2017,
            "file": "丰县2017（更正版）.xlsx",
            "stored_file": "丰县2017.xlsx、丰县2017大沙河镇.xlsx",
            "shared_women": 19,
            "women": 19,
        }
    ]  # fmt: skip  (the older files it shares women with, most shared first)
    assert "note: 19 of the 19 women of 丰县2017（更正版）.xlsx (by ID) are on 丰县2017.xlsx" in (
        res.stderr)  # fmt: skip
    assert "with --replace" in res.stderr
    with Store(db, read_only=True) as s:
        assert summarize(s, 2017).to_dict()["totals"]["persons"] == 35  # 20 + 15 new
    # as the note says: --replace puts the corrected roster in place of the county's
    # other files of the period, the town's too
    res = runner.invoke(app, ["ingest", str(fixed), "--replace", "--db", str(db),
                              "--format", "json"])  # fmt: skip
    left_out = json.loads(res.stdout)["files_left_out"]
    assert {f["file"] for f in left_out} == {"丰县2017.xlsx", "丰县2017大沙河镇.xlsx"}


def test_the_table_and_md_reports_name_possible_versions_and_a_held_replace(
    tmp_path: Path,
) -> None:
    """`possible_versions` and `replace_held` were only in the json and the stderr notes:
    with --quiet (cron keeping the table as a log) nothing said both rosters counted."""
    folder, db, runner = tmp_path / "in", tmp_path / "t.duckdb", CliRunner()
    folder.mkdir()
    roster(folder / "丰县2017.xlsx", *_women(0, 20))
    fixed = roster(tmp_path / "丰县2017（更正版）.xlsx", *_women(1, 19))
    assert runner.invoke(app, ["ingest", str(folder), "--db", str(db)]).exit_code == 0
    res = runner.invoke(app, ["ingest", str(fixed), "--db", str(db), "--format", "md",
                              "--quiet", "--lang", "en"])  # fmt: skip
    assert "Possibly a corrected version of a stored roster" in res.stdout
    assert "| 丰县 | 2017 | 丰县2017（更正版）.xlsx | 丰县2017.xlsx | 19 | 19 |" in res.stdout
    # a county's town files resent as one roster: a third of it on each town file
    towns = tmp_path / "towns"
    towns.mkdir()
    for i, town in enumerate(("华山镇", "凤城镇", "宋楼镇")):
        roster(towns / f"沛县2017{town}.xlsx", *_women(100 + 10 * i, 10))
    assert runner.invoke(app, ["ingest", str(towns), "--db", str(db)]).exit_code == 0
    whole = roster(tmp_path / "沛县2017年妇女花名册.xlsx", *_women(101, 30))
    res = runner.invoke(app, ["ingest", str(whole), "--db", str(db), "--format", "json"])
    (found,) = json.loads(res.stdout)["possible_versions"]
    assert (found["shared_women"], found["women"]) == (29, 30)
    assert found["stored_file"] == "沛县2017凤城镇.xlsx、沛县2017宋楼镇.xlsx、沛县2017华山镇.xlsx"
    held = tmp_path / "held"
    held.mkdir()
    roster(held / "沛县2017.xlsx", *_women(40, 3))
    (held / "睢宁县2017.xlsx").write_bytes(b"PK\x03\x04 truncated")
    res = runner.invoke(app, ["ingest", str(held), "--replace", "--db", str(db), "--quiet"])
    assert res.exit_code == 1
    assert "--replace 未替换任何文件" in res.stdout


def test_last_years_roster_sent_again_under_this_years_name_is_refused(tmp_path: Path) -> None:
    """A content stored as 丰县 2017 arriving as 丰县2018年花名册.csv was "unchanged" under
    2017: 丰县 left out of 2018 without a word, and with --replace --year 2018 丰县's other
    2017 file was dropped (found by an audit, session 23). It is refused, saying where it
    counts; the other files stay; the same name again is unchanged, as before."""
    first, again = tmp_path / "first", tmp_path / "again"
    first.mkdir()
    again.mkdir()
    text = f"姓名,身份证号码\n张丽,{ID_A}\n王芳,{ID_B}\n"
    (first / "丰县2017年花名册.csv").write_text(text, "utf-8")
    (first / "丰县_甲镇_2017.csv").write_text(f"姓名,身份证号码\n陈梅,{ID_C}\n", "utf-8")
    (again / "丰县2018年花名册.csv").write_text(text, "utf-8")
    db = tmp_path / "t.duckdb"
    with Store(db) as s:
        ingest([first], s, SETTINGS)
        for kw in ({}, {"year": 2018, "replace": True}):
            report = ingest([again], s, SETTINGS, **kw)  # type: ignore[arg-type]
            [f] = report.files
            assert f.status == "refused" and "stored already as 丰县 2017" in f.reason
            assert "says 丰县 2018" in f.reason and report.dropped == []
            assert s.df("SELECT count(*) AS n FROM files WHERE active")["n"][0] == 2
            assert list(s.df("SELECT DISTINCT period FROM records")["period"]) == [2017]
        report = ingest([first / "丰县2017年花名册.csv"], s, SETTINGS)
        assert [f.status for f in report.files] == ["unchanged"]
        report = ingest([again], s, SETTINGS, reparse=True)  # moved, as asked
        assert [f.status for f in report.files] != ["refused"]
        periods = s.df("SELECT period, count(*) AS n FROM files WHERE active GROUP BY 1 ORDER BY 1")
        assert periods.values.tolist() == [[2017, 1], [2018, 1]]
