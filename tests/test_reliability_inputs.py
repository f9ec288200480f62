"""The corpus of bad inputs (tools/make_bad_inputs.py): each file ends with a one-line
reason or lands, the others still land, no traceback, bombs refused fast and small."""

from __future__ import annotations

import json
import os
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Any

import duckdb
import pytest
from typer.testing import CliRunner

from conftest import ROOT
from handcraft_stats.cli import app
from handcraft_stats.errors import RefusedFile
from handcraft_stats.read import read_file
from handcraft_stats.read.limits import Limits, check_archive

sys.path.insert(0, str(ROOT / "tools"))
import make_bad_inputs as bad


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[bad.Case]]:
    out = tmp_path_factory.mktemp("bad inputs 坏文件")
    return out, bad.make(out)


@pytest.fixture(scope="module")
def ingested(
    corpus: tuple[Path, list[bad.Case]], tmp_path_factory: pytest.TempPathFactory
) -> tuple[Any, dict[str, Any], Path]:
    out, _ = corpus
    db = tmp_path_factory.mktemp("db") / "hcs.duckdb"
    started = time.monotonic()
    res = CliRunner().invoke(app, ["ingest", str(out), "--db", str(db), "--format", "json"])
    res.elapsed = time.monotonic() - started  # type: ignore[attr-defined]
    return res, json.loads(res.stdout), db


def _by_path(doc: dict[str, Any], out: Path) -> dict[str, dict[str, Any]]:
    return {str(Path(d["path"]).relative_to(out)): d for d in doc["detail"]}


def test_a_folder_of_bad_inputs_ends_with_exit_1_and_every_good_file_landed(
    corpus: tuple[Path, list[bad.Case]], ingested: tuple[Any, dict[str, Any], Path]
) -> None:
    out, cases = corpus
    res, doc, db = ingested
    assert res.exit_code == 1, res.stderr
    assert "Traceback" not in res.stderr and "Traceback" not in res.stdout
    assert res.elapsed < 60
    detail = _by_path(doc, out)
    for case in cases:
        d = detail[case.path]
        if case.landed:
            assert d["status"] == "ingested" and d["records"] == 3, (case.path, d)
        else:
            assert d["status"] == "refused", (case.path, d)
            assert case.reason in d["reason"] and "\n" not in d["reason"], (case.path, d)
    refused_lines = [ln for ln in res.stderr.splitlines() if ln.startswith("refused ")]
    assert len(refused_lines) == sum(not c.landed for c in cases)
    con = duckdb.connect(str(db), read_only=True)
    landed = sum(c.landed for c in cases)
    assert con.execute("SELECT count(*), sum(records) FROM files WHERE active").fetchone() == (
        landed, 3 * landed,
    )  # fmt: skip


def test_same_named_files_of_one_run_both_land_a_later_run_replaces_them(
    corpus: tuple[Path, list[bad.Case]], tmp_path: Path
) -> None:
    out, _ = corpus
    db = tmp_path / "t.duckdb"
    res = CliRunner().invoke(app, ["ingest", str(out / "甲镇"), str(out / "乙镇"), "--db", str(db)])
    assert res.exit_code == 0, res.stderr
    later = tmp_path / "later"
    later.mkdir()
    (later / "丰县2017年花名册.xlsx").write_bytes(bad.xlsx_bytes({"花名册": bad.roster_rows(5)}))
    res = CliRunner().invoke(app, ["ingest", str(later), "--db", str(db), "--format", "json"])
    assert json.loads(res.stdout)["detail"][0]["status"] == "replaced"
    con = duckdb.connect(str(db), read_only=True)
    rows = con.execute("SELECT active, replaced_by FROM files ORDER BY file_id").fetchall()
    assert rows == [(False, 3), (False, 3), (True, None)]


@pytest.mark.parametrize(
    ("name", "code"),
    [("丰县2017_gb18030.csv", 0), ("丰县2017_utf16_nobom.csv", 0), ("丰县2017_encrypted.xlsx", 1),
     ("丰县2017_not_zip.xlsx", 1), ("县 报送 材料/丰县 2017 年 妇女 花名册.xlsx", 0)],
)  # fmt: skip
def test_one_file_alone_exits_0_or_1_with_one_line(
    corpus: tuple[Path, list[bad.Case]], tmp_path: Path, name: str, code: int
) -> None:
    out, _ = corpus
    res = CliRunner().invoke(app, ["ingest", str(out / name), "--db", str(tmp_path / "t.duckdb")])
    assert res.exit_code == code, res.stderr
    # a line naming the refused file with its reason, then the run's line (hcs ingest: …)
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 + code and lines[-1].startswith("hcs ingest: 1 file (")
    assert "Traceback" not in res.stderr


@pytest.mark.parametrize("name", ["丰县2017_zip_bomb.xlsx", "丰县2017_zip_bomb_lying.xlsx",
                                  "丰县2017_billion_laughs.xlsx", "丰县2017_far_cells.xlsx"])  # fmt: skip
def test_bombs_are_refused_before_calamine_fast_and_in_little_memory(
    corpus: tuple[Path, list[bad.Case]], name: str
) -> None:
    out, _ = corpus
    data = (out / name).read_bytes()
    tracemalloc.start()
    started = time.monotonic()
    try:
        with pytest.raises(RefusedFile):
            check_archive(data, ".xlsx")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert time.monotonic() - started < 5
    assert peak < 16 * bad.GB // 1024  # 16 MB: one inflated chunk at a time


def test_limits_are_settings(corpus: tuple[Path, list[bad.Case]]) -> None:
    out, _ = corpus
    data = (out / "丰县2017_10000_columns.xlsx").read_bytes()
    check_archive(data, ".xlsx", Limits(max_columns=20_000, max_cells=10**9))
    tight = Limits.from_mapping({"max_uncompressed": 1000, "unknown": 1, "max_ratio": True})
    assert tight.max_uncompressed == 1000 and tight.max_ratio == Limits().max_ratio
    with pytest.raises(RefusedFile, match="limit"):
        read_file(out / "x.xlsx", bad.xlsx_bytes({"S": bad.roster_rows(1)}), tight)


def test_linked_folders_are_followed_once_and_loops_not_at_all(tmp_path: Path) -> None:
    from handcraft_stats.pipeline import find_files

    outside, inbox = tmp_path / "usb", tmp_path / "inbox"
    outside.mkdir()
    inbox.mkdir()
    (outside / "丰县2017.xlsx").write_bytes(bad.xlsx_bytes({"S": bad.roster_rows(1)}))
    (inbox / "a").symlink_to(outside, target_is_directory=True)
    (inbox / "b").symlink_to(outside, target_is_directory=True)
    (inbox / "up").symlink_to(tmp_path, target_is_directory=True)
    found, _ = find_files([inbox])
    assert len(found) == 1 and found[0].name == "丰县2017.xlsx"


@pytest.mark.parametrize("name", ["丰县2017_zip_bomb.xlsx", "丰县2017_far_cells.xlsx"])
def test_a_workbook_archive_named_xls_gets_the_archive_limits(
    corpus: tuple[Path, list[bad.Case]], name: str, tmp_path: Path
) -> None:
    """calamine opens a zip archive named .xls (a clerk 'converting' by renaming) as
    what it is: the limits went by the name, so a zip bomb or a cell at XFD1048576
    named .xls reached calamine unchecked. The bytes decide now."""
    out, _ = corpus
    renamed = tmp_path / name.replace(".xlsx", ".xls")
    renamed.write_bytes((out / name).read_bytes())
    with pytest.raises(RefusedFile, match="limit"):
        read_file(renamed, renamed.read_bytes())


def test_a_renamed_workbook_reads_as_what_it_is(tmp_path: Path) -> None:
    """An xlsx named .xls: its formulas without results are flagged as in the .xlsx."""
    import openpyxl

    from conftest import ID_A, ID_B

    wb = openpyxl.Workbook()
    wb.active.append(["姓名", "身份证号码", "帮扶前年收入(元)", "当年收入(元)"])
    wb.active.append(["张丽", ID_A, 3000, "=C2*3"])
    wb.active.append(["王芳", ID_B, 3000, 9000])
    path = tmp_path / "丰县2017.xls"
    wb.save(path)
    (sheet,) = read_file(path, path.read_bytes())
    assert dict(sheet.formulas) == {(1, 3): "=C2*3"}


def test_a_file_named_in_gbk_lands_under_its_name(tmp_path: Path) -> None:
    """A zip unpacked from Chinese Windows names its files in GBK bytes: Python gives
    them as lone surrogates, which ended the run with exit 4 part-way (a good roster
    stored, its period never relinked). The name is read as GB18030: its county comes
    from it, and it is stored and shown as 丰县2017年花名册.csv."""
    import os

    from conftest import ID_A, ID_B

    folder = tmp_path / "in"
    folder.mkdir()
    gbk = os.path.join(os.fsencode(folder), "丰县2017年花名册.csv".encode("gbk"))
    with open(gbk, "wb") as f:
        f.write(f"姓名,身份证号码\n张丽,{ID_A}\n".encode())
    (folder / "沛县2017.csv").write_text(f"姓名,身份证号码\n王芳,{ID_B}\n", "utf-8")
    db = tmp_path / "t.duckdb"
    res = CliRunner().invoke(app, ["ingest", str(folder), "--db", str(db), "--format", "json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert sorted((f["name"], f["county"]) for f in doc["detail"]) == [
        ("丰县2017年花名册.csv", "丰县"), ("沛县2017.csv", "沛县"),
    ]  # fmt: skip
    assert doc["persons_by_period"] == {"2017": 2}


def test_output_is_utf8_whatever_the_locale_and_a_closed_stdout_no_traceback(
    tmp_path: Path,
) -> None:
    """A Latin-1 (or GBK) terminal encoding made JSON bytes of that encoding, or exit 4
    at the first Chinese character; stdout closed (`>&-`) was a traceback and exit 1."""
    import subprocess

    from conftest import ID_A

    (tmp_path / "丰县2017.csv").write_text(f"姓名,身份证号码\n张丽,{ID_A}\n", "utf-8")
    env = {**os.environ, "PYTHONIOENCODING": "latin-1"}
    cmd = [sys.executable, "-m", "handcraft_stats", "check", str(tmp_path), "--format", "json"]
    done = subprocess.run(cmd, capture_output=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.decode("utf-8"))["detail"][0]["county"] == "丰县"
    closed = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            env=env, timeout=120, pass_fds=(), close_fds=True,
                            preexec_fn=lambda: os.close(1))  # fmt: skip
    assert closed.returncode == 0 and b"Traceback" not in closed.stderr, closed.stderr


def test_stderr_that_takes_nothing_does_not_change_the_exit_code(tmp_path: Path) -> None:
    """stderr on a full disk (2>/dev/full) made Rich raise from the first message:
    a clean ingest and a usage error both ended with exit 1 (cron: "data problems")."""
    import subprocess

    from conftest import ID_A

    if not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full")
    (tmp_path / "丰县2017.csv").write_text(f"姓名,身份证号码\n张丽,{ID_A}\n", "utf-8")
    hcs = [sys.executable, "-m", "handcraft_stats"]
    db = str(tmp_path / "t.duckdb")
    commands = (["ingest", str(tmp_path)], ["summary", "--year", "2099"],
                ["summary", "--year", "2017", "--format", "json"])  # fmt: skip
    with open("/dev/full", "w") as full:
        runs = [
            subprocess.run(
                [*hcs, *args, "--db", db], stdout=subprocess.PIPE, stderr=full, timeout=120
            ).returncode
            for args in commands
        ]
    assert runs == [0, 2, 0]


def _as_unprivileged() -> list[str]:
    """A command prefix under which file modes apply: none for a normal user; for root
    (CI containers), `setpriv` dropping every capability, else skip."""
    import shutil

    if os.geteuid() != 0:
        return []
    if shutil.which("setpriv") is None:
        pytest.skip("root without setpriv: file modes do not apply")
    return ["setpriv", "--inh-caps=-all", "--bounding-set=-all"]


def test_a_folder_that_cannot_be_read_is_refused_not_skipped(tmp_path: Path) -> None:
    """A subfolder without read permission vanished from the walk: its rosters were in
    no figure, with exit 0. It is refused naming the folder (exit 1) and the others land;
    named alone it is exit 3 (no permission), not "no roster files found" (exit 2)."""
    import subprocess

    inbox = tmp_path / "in"
    (inbox / "sub").mkdir(parents=True)
    (inbox / "丰县2017.xlsx").write_bytes(bad.xlsx_bytes({"S": bad.roster_rows(2)}))
    (inbox / "sub" / "沛县2017.xlsx").write_bytes(bad.xlsx_bytes({"S": bad.roster_rows(2)}))
    (inbox / "sub").chmod(0)
    try:
        hcs = [*_as_unprivileged(), sys.executable, "-m", "handcraft_stats"]
        run = subprocess.run([*hcs, "ingest", str(inbox), "--db", str(tmp_path / "t.duckdb"),
                              "--format", "json"], capture_output=True, timeout=120)  # fmt: skip
        assert run.returncode == 1, run.stderr
        doc = json.loads(run.stdout)
        assert doc["files_landed"] == 1
        assert [Path(r["file"]).name for r in doc["refused"]] == ["sub"]
        assert "cannot read folder" in doc["refused"][0]["reason"]
        alone = subprocess.run([*hcs, "ingest", str(inbox / "sub"), "--db",
                                str(tmp_path / "u.duckdb")], capture_output=True, timeout=120)  # fmt: skip
        assert alone.returncode == 3 and b"cannot read folder" in alone.stderr
    finally:
        (inbox / "sub").chmod(0o755)


def test_a_disks_own_unreadable_folders_fail_nothing(tmp_path: Path) -> None:
    """A share on a USB or NTFS disk holds System Volume Information and $RECYCLE.BIN,
    which no user may list: refused as unreadable folders, they failed every cron run."""
    import subprocess

    inbox = tmp_path / "in"
    inbox.mkdir()
    (inbox / "丰县2017.xlsx").write_bytes(bad.xlsx_bytes({"S": bad.roster_rows(2)}))
    for name in ("System Volume Information", "$RECYCLE.BIN"):
        (inbox / name).mkdir()
        (inbox / name).chmod(0)
    try:
        hcs = [*_as_unprivileged(), sys.executable, "-m", "handcraft_stats"]
        run = subprocess.run([*hcs, "ingest", str(inbox), "--db", str(tmp_path / "t.duckdb"),
                              "--format", "json"], capture_output=True, timeout=120)  # fmt: skip
        assert run.returncode == 0, run.stderr
        assert json.loads(run.stdout)["refused"] == []
    finally:
        for name in ("System Volume Information", "$RECYCLE.BIN"):
            (inbox / name).chmod(0o755)


def test_a_zip_beside_the_rosters_is_named_not_dropped(tmp_path: Path) -> None:
    """Rosters mailed as a zip: the archive was listed only in the json report, so a
    person reading the table (or cron's log) never learnt that a county's roster was
    not read. It is named on stderr and in the table; a folder of only a zip says so."""
    inbox = tmp_path / "in"
    inbox.mkdir()
    (inbox / "丰县2017.xlsx").write_bytes(bad.xlsx_bytes({"S": bad.roster_rows(2)}))
    (inbox / "沛县2017年花名册.zip").write_bytes(b"PK\x05\x06" + b"\0" * 18)
    res = CliRunner().invoke(app, ["ingest", str(inbox), "--db", str(tmp_path / "t.duckdb"),
                                   "--format", "md"])  # fmt: skip
    assert res.exit_code == 0, res.output
    assert "沛县2017年花名册.zip" in res.stdout and "unpack them first" in res.stderr
    (inbox / "丰县2017.xlsx").unlink()
    res = CliRunner().invoke(app, ["ingest", str(inbox), "--db", str(tmp_path / "t.duckdb")])
    assert res.exit_code == 2 and "unpack archives first" in res.stderr


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are a POSIX thing")
def test_a_pipe_or_a_device_named_like_a_roster_is_refused_and_the_rest_lands(
    tmp_path: Path,
) -> None:
    """A named pipe named 丰县2017年花名册.csv blocked ingest for good, holding the ingest
    lock, and a link to /dev/zero named .csv was read until memory ran out (found by an
    audit, session 23): each is refused at once, the roster beside them lands."""
    import subprocess

    from conftest import ID_A

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "鼓楼区2017年花名册.csv").write_text(f"姓名,身份证号码\n张丽,{ID_A}\n", "utf-8")
    os.mkfifo(inbox / "丰县2017年花名册.csv")
    (inbox / "沛县2017年花名册.csv").symlink_to("/dev/zero")
    cmd = [sys.executable, "-m", "handcraft_stats", "ingest", str(inbox), "--db",
           str(tmp_path / "h.duckdb"), "--format", "json"]  # fmt: skip
    done = subprocess.run(cmd, capture_output=True, timeout=120)
    assert done.returncode == 1, done.stderr
    report = json.loads(done.stdout)
    assert report["files_refused"] == 2 and report["records"] == 1
    err = done.stderr.decode()
    assert "not a regular file (a named pipe)" in err and "not a regular file (a device)" in err
    assert "Traceback" not in err
