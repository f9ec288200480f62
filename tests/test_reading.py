"""A file whose content is stored already is read again when another reading stored it:
another hcs, or other settings of hcs.toml (reading.py). Otherwise a vocabulary spelling
added to hcs.toml, as an unknown_value issue asks, would never reach the stored rosters."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from typer.testing import CliRunner

from conftest import ID_A, ID_B, write_xlsx
from handcraft_stats import Store, ingest, load_settings
from handcraft_stats.cli import app
from handcraft_stats.reading import fingerprint

SETTINGS = load_settings(None)
HEADER = ["姓名", "身份证号码", "从业产业", "脱贫年度"]


def _with_vocab(**spellings: str) -> object:
    return dataclasses.replace(SETTINGS, vocab_extra={"wing": spellings})


def _folder(tmp_path: Path) -> Path:
    folder = tmp_path / "in"
    folder.mkdir()
    write_xlsx(folder / "丰县2017.xlsx", {"Sheet1": [HEADER, ["张丽", ID_A, "柳条编", ""]]})
    write_xlsx(folder / "沛县2017.xlsx", {"Sheet1": [HEADER, ["王芳", ID_B, "家政", 2017]]})
    return folder


def _state(s: Store) -> tuple[list[tuple[object, ...]], int]:
    wings = s.con.execute(
        "SELECT r.source_file, r.wing FROM records r JOIN files f USING (file_id) "
        "WHERE f.active ORDER BY 1"
    ).fetchall()
    issues = s.con.execute(
        "SELECT count(*) FROM issues i JOIN files f USING (file_id) "
        "WHERE f.active AND i.code = 'unknown_value'"
    ).fetchone()
    assert issues is not None
    return wings, int(issues[0])


def test_a_vocabulary_spelling_added_to_hcs_toml_reaches_stored_rosters(tmp_path: Path) -> None:
    folder, db = _folder(tmp_path), tmp_path / "t.duckdb"
    extended = _with_vocab(柳条编="handicraft")
    with Store(db) as s:
        first = ingest([folder], s, SETTINGS)
        assert [f.status for f in first.files] == ["ingested", "ingested"]
        assert _state(s) == (
            [("丰县2017.xlsx", "other"), ("沛县2017.xlsx", "domestic_service")],
            1,
        )
        again = ingest([folder], s, extended)  # type: ignore[arg-type]
        assert [f.status for f in again.files] == ["reread", "reread"]
        assert _state(s) == (
            [("丰县2017.xlsx", "handicraft"), ("沛县2017.xlsx", "domestic_service")],
            0,
        )
        # the same settings again: nothing is read (no file parsed, as before)
        same = ingest([folder], s, extended)  # type: ignore[arg-type]
        assert [f.status for f in same.files] == ["unchanged", "unchanged"]
        assert same.persons == {} and same.to_dict()["records"] == 2
        back = ingest([folder], s, SETTINGS)
        assert [f.status for f in back.files] == ["reread", "reread"]
        assert _state(s)[1] == 1
        files = s.con.execute(
            "SELECT name, version, active, reading FROM files ORDER BY file_id"
        ).fetchall()
    assert [f[:3] for f in files if f[2]] == [
        ("丰县2017.xlsx", 3, True),
        ("沛县2017.xlsx", 3, True),
    ]
    assert {f[3] for f in files} == {fingerprint(SETTINGS), fingerprint(extended)}  # type: ignore[arg-type]
    assert len(files) == 6


def test_files_stored_before_readings_were_kept_are_read_again_once(tmp_path: Path) -> None:
    """A store of an hcs before this one (its files carry no reading) gets this hcs's
    reading at the next ingest, and the ingest after that reads nothing."""
    folder, db = _folder(tmp_path), tmp_path / "t.duckdb"
    with Store(db) as s:
        ingest([folder], s, SETTINGS)
        s.con.execute("UPDATE files SET reading = NULL")
    runner = CliRunner()
    res = runner.invoke(app, ["ingest", str(folder), "--db", str(db), "--format", "json"])
    assert res.exit_code == 0, res.output
    assert sorted(f["status"] for f in json.loads(res.stdout)["detail"]) == ["reread", "reread"]
    assert "2 file(s) stored already were read again" in res.stderr
    res = runner.invoke(app, ["ingest", str(folder), "--db", str(db), "--format", "json"])
    assert json.loads(res.stdout)["files_unchanged"] == 2
    assert "read again" not in res.stderr


def test_history_tells_what_read_each_file_and_an_older_store_has_no_readings(
    tmp_path: Path,
) -> None:
    """`hcs history` (json, csv) carries each version's reading, so a version with the
    content of the one it replaced is seen to come from another reading; a store of an
    hcs before readings, opened read-only (not upgraded), lists its files with none."""
    folder, db = _folder(tmp_path), tmp_path / "t.duckdb"
    with Store(db) as s:
        ingest([folder], s, SETTINGS)
        ingest([folder], s, _with_vocab(柳条编="handicraft"))  # type: ignore[arg-type]
    runner = CliRunner()
    res = runner.invoke(app, ["history", "--db", str(db), "--format", "json"])
    assert res.exit_code == 0, res.output
    rows = json.loads(res.stdout)
    assert [(r["name"], r["version"], r["reading"]) for r in rows] == [
        ("丰县2017.xlsx", 1, fingerprint(SETTINGS)),
        ("沛县2017.xlsx", 1, fingerprint(SETTINGS)),
        ("丰县2017.xlsx", 2, fingerprint(_with_vocab(柳条编="handicraft"))),  # type: ignore[arg-type]
        ("沛县2017.xlsx", 2, fingerprint(_with_vocab(柳条编="handicraft"))),  # type: ignore[arg-type]
    ]
    assert rows[0]["sha256"] == rows[2]["sha256"] and rows[0]["replaced_by_id"] == 3
    csv = runner.invoke(app, ["history", "--db", str(db), "--format", "csv"]).stdout
    assert csv.splitlines()[0].endswith(",reading")
    with Store(db) as s:  # as a store of schema version 4 was
        s.con.execute("ALTER TABLE files DROP COLUMN reading")
        s.con.execute("UPDATE meta SET value = '4' WHERE key = 'schema_version'")
        for column in ("county", "other_counties"):  # schema 7's
            s.con.execute(f"ALTER TABLE persons DROP COLUMN {column}")
    # read-only, after the store's upgrade (schema 7 needs its persons' counties)
    res = runner.invoke(app, ["history", "--db", str(db), "--format", "json"])
    table = runner.invoke(app, ["history", "--db", str(db)])
    assert res.exit_code == 0, res.output
    assert [r["reading"] for r in json.loads(res.stdout)] == [None] * 4
    assert table.exit_code == 0 and "沛县2017.xlsx" in table.stdout
    with Store(db) as s:  # opened to write: upgraded, the old files with no reading
        assert s.con.execute("SELECT count(*) FROM files WHERE reading IS NULL").fetchone() == (4,)


def test_what_decides_a_reading() -> None:
    base = fingerprint(SETTINGS)
    assert fingerprint(load_settings(None)) == base
    assert fingerprint(_with_vocab(柳条编="handicraft")) != base  # type: ignore[arg-type]
    headers = {**SETTINGS.headers, "phone": (*SETTINGS.headers["phone"], "本人电话")}
    assert fingerprint(dataclasses.replace(SETTINGS, headers=headers)) != base
    assert fingerprint(dataclasses.replace(SETTINGS, limits={"max_columns": 10})) != base
    # labels and the city name only name what was read
    assert fingerprint(dataclasses.replace(SETTINGS, labels={"wing": {"other": "其它"}})) == base
    assert fingerprint(dataclasses.replace(SETTINGS, city="某市")) == base


def test_replace_reads_a_submission_again_without_counting_anyone_twice(tmp_path: Path) -> None:
    """--replace after hcs.toml changed: the county's files stored already (one of them
    sent under another name) are read again, replace their stored readings, and the
    file left out of the complete roster is replaced."""
    towns = tmp_path / "towns"
    towns.mkdir()
    write_xlsx(towns / "沛县_龙固镇_2017.xlsx", {"Sheet1": [HEADER, ["张丽", ID_A, "柳条编", ""]]})
    write_xlsx(towns / "沛县_大屯镇_2017.xlsx", {"Sheet1": [HEADER, ["王芳", ID_B, "家政", ""]]})
    whole = tmp_path / "whole"
    whole.mkdir()
    (whole / "龙固镇.xlsx").write_bytes((towns / "沛县_龙固镇_2017.xlsx").read_bytes())
    db = tmp_path / "t.duckdb"
    extended = _with_vocab(柳条编="handicraft")
    with Store(db) as s:
        ingest([towns], s, SETTINGS)
        report = ingest([whole], s, extended, county="沛县", year=2017, replace=True)  # type: ignore[arg-type]
        assert [f.status for f in report.files] == ["reread"]
        assert report.dropped == [("沛县", 2017, "沛县_大屯镇_2017.xlsx")]
        assert _state(s) == ([("龙固镇.xlsx", "handicraft")], 0)
        assert report.persons == {"2017": 1}
