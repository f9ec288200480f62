"""Crash safety: `hcs ingest` killed with SIGKILL at 24 positions of a run over four
files in two periods (one of them replacing an older version). After each kill the
database opens, holds only whole files, and a rerun ends with the same summary as an
uninterrupted run."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from conftest import ID_A, ID_B, ID_C, write_xlsx
from handcraft_stats.cli import app
from handcraft_stats.versions import FAULT_ENV

HEADER = ["姓名", "身份证号码", "从业产业", "脱贫年度"]
# 4 files stored one by one, then 2 periods linked at 2 tiers
POINTS = [f"{p}#{n}" for p in ("before-store", "file-stored", "before-commit", "after-commit")
          for n in range(1, 5)]  # fmt: skip
POINTS += [f"{p}#{n}" for p in ("before-link", "after-link") for n in (1, 2)]
POINTS += [f"relink-tier#{n}" for n in range(1, 5)]
BATCH = 6  # processes paused at once


def run(*args: object) -> object:
    return CliRunner().invoke(app, [str(a) for a in args])


def summaries(db: Path) -> dict[int, object]:
    out = {}
    for year in (2016, 2017):
        res = run("summary", "--year", year, "--db", db, "--format", "json")
        assert res.exit_code == 0, res.output  # type: ignore[attr-defined]
        out[year] = json.loads(res.stdout)  # type: ignore[attr-defined]
    return out


def whole_files_only(db: Path) -> None:
    """Every file row has all its records, sheets are there, replacements point at files."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        broken = con.execute(
            """SELECT f.name FROM files f LEFT JOIN (SELECT file_id, count(*) AS n FROM records
                 GROUP BY file_id) r USING (file_id)
               WHERE coalesce(r.n, 0) <> f.records"""
        ).fetchall()
        assert broken == []
        orphans = con.execute(
            "SELECT count(*) FROM records WHERE file_id NOT IN (SELECT file_id FROM files)"
        ).fetchone()
        assert orphans == (0,)
        dangling = con.execute(
            "SELECT count(*) FROM files WHERE replaced_by IS NOT NULL "
            "AND replaced_by NOT IN (SELECT file_id FROM files)"
        ).fetchone()
        assert dangling == (0,)
    finally:
        con.close()


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict[int, object]]:
    """(base database with an old 丰县2017, folder of the run, reference summaries)."""
    root = tmp_path_factory.mktemp("crash")
    old, new = root / "old", root / "new"
    old.mkdir()
    new.mkdir()
    write_xlsx(old / "丰县2017.xlsx", {"S": [HEADER, ["张丽", ID_A, "手工", ""]]})
    write_xlsx(new / "丰县2016.xlsx", {"S": [HEADER, ["张丽", ID_A, "手工", ""],
                                             ["王芳", ID_B, "家政", 2016]]})  # fmt: skip
    write_xlsx(new / "沛县2016.xlsx", {"S": [HEADER, ["陈梅", ID_C, "电商", ""]]})
    write_xlsx(new / "丰县2017.xlsx", {"S": [HEADER, ["张丽", ID_A, "电商", 2017],
                                             ["王芳", ID_B, "家政", 2016]]})  # fmt: skip
    write_xlsx(new / "沛县2017.xlsx", {"S": [HEADER, ["陈梅", ID_C, "电商", 2017],
                                             ["张莉", "", "农业", ""]]})  # fmt: skip
    base = root / "base.duckdb"
    assert run("ingest", old, "--db", base).exit_code == 0  # type: ignore[attr-defined]
    ref = root / "ref.duckdb"
    shutil.copy(base, ref)
    assert run("ingest", new, "--db", ref).exit_code == 0  # type: ignore[attr-defined]
    return base, new, summaries(ref)


def _start(point: str, db: Path, folder: Path, marker: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, FAULT_ENV: f"{point}:{marker}"}
    args = ["ingest", str(folder), "--db", str(db), "--quiet", "--jobs", "1"]
    return subprocess.Popen([sys.executable, "-m", "handcraft_stats", *args], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip


def test_killed_anywhere_the_database_holds_whole_files_and_a_rerun_finishes(
    setup: tuple[Path, Path, dict[int, object]], tmp_path: Path
) -> None:
    base, folder, reference = setup
    assert len(POINTS) >= 20
    survived = []
    for i in range(0, len(POINTS), BATCH):
        batch = POINTS[i : i + BATCH]
        procs = {}
        for point in batch:
            db = tmp_path / f"{point.replace('#', '-')}.duckdb"
            shutil.copy(base, db)
            marker = tmp_path / f"{point.replace('#', '-')}.pid"
            procs[point] = (_start(point, db, folder, marker), db, marker)
        deadline = time.monotonic() + 60
        for point, (proc, _, marker) in procs.items():
            while not marker.exists():
                assert proc.poll() is None, f"hcs ended before reaching {point}"
                assert time.monotonic() < deadline, point
                time.sleep(0.02)
            proc.send_signal(signal.SIGKILL)
            proc.wait()
        for point, (_, db, _) in procs.items():
            whole_files_only(db)
            res = run("ingest", folder, "--db", db, "--quiet")
            assert res.exit_code == 0, (point, res.output)  # type: ignore[attr-defined]
            whole_files_only(db)
            assert summaries(db) == reference, point
            survived.append(point)
    assert survived == POINTS


def test_no_figure_of_a_period_an_interrupted_ingest_left_unlinked(
    setup: tuple[Path, Path, dict[int, object]], tmp_path: Path
) -> None:
    """Killed after storing its files and before linking them, an ingest left the old
    persons in place: summary and export gave them with exit 0 (200,000 records stored,
    none of them counted). Every command giving figures or persons of the period is
    exit 3 saying what to do, `history` still lists the files, and the next ingest
    completes the period."""
    base, folder, reference = setup
    db = tmp_path / "t.duckdb"
    shutil.copy(base, db)
    marker = tmp_path / "m.pid"
    proc = _start("before-link", db, folder, marker)
    deadline = time.monotonic() + 60
    while not marker.exists():
        assert proc.poll() is None and time.monotonic() < deadline
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    for args in (["summary", "--year", 2017], ["export", "--year", 2017, "--out", tmp_path / "x"],
                 ["persons", "--year", 2017], ["issues", "--year", 2017],
                 ["dupes", "--year", 2017], ["changes", "--from", 2016, "--to", 2017]):  # fmt: skip
        res = run(*args, "--db", db)
        assert res.exit_code == 3, (args, res.output)  # type: ignore[attr-defined]
        assert "not complete" in res.stderr and "hcs ingest" in res.stderr  # type: ignore[attr-defined]
    assert not (tmp_path / "x").exists()
    assert run("history", "--db", db).exit_code == 0  # type: ignore[attr-defined]
    assert run("ingest", folder, "--db", db, "--quiet").exit_code == 0  # type: ignore[attr-defined]
    assert summaries(db) == reference


def _paused(args: list[str], point: str, marker: Path) -> subprocess.Popen[bytes]:
    """hcs in a session of its own (a terminal's Ctrl-C reaches the whole group), paused
    at `point` once `marker` exists."""
    env = {**os.environ, FAULT_ENV: f"{point}:{marker}"}
    proc = subprocess.Popen([sys.executable, "-m", "handcraft_stats", *args], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            start_new_session=True)  # fmt: skip
    deadline = time.monotonic() + 60
    while not marker.exists():
        assert proc.poll() is None and time.monotonic() < deadline, point
        time.sleep(0.02)
    return proc


def test_ctrl_c_to_a_parallel_ingest_ends_it_and_frees_the_database(
    setup: tuple[Path, Path, dict[int, object]], tmp_path: Path
) -> None:
    """A Ctrl-C reaches the parse workers too: one interrupted while it held the pool's
    queue lock left hcs waiting for it for good, holding the ingest lock. Workers leave
    SIGINT to the main process: the run ends with 130 and the next ingest runs."""
    base, folder, reference = setup
    db = tmp_path / "t.duckdb"
    shutil.copy(base, db)
    args = ["ingest", str(folder), "--db", str(db), "--jobs", "2"]
    proc = _paused(args, "before-store", tmp_path / "m.pid")
    os.killpg(proc.pid, signal.SIGINT)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130 and b"hcs: interrupted" in stderr
    assert b"internal error" not in stderr
    res = run("ingest", folder, "--db", db, "--quiet", "--wait", 5)
    assert res.exit_code == 0, res.output  # type: ignore[attr-defined]
    assert summaries(db) == reference


def test_sigterm_to_an_export_ends_it_cleanly(
    setup: tuple[Path, Path, dict[int, object]], tmp_path: Path
) -> None:
    """SIGTERM (cron's, systemd's, timeout's) was not handled: exit 143 without a word,
    and the export's temporary folder with its records.csv stayed beside DIR. It now
    stops the run as Ctrl-C does: the previous DIR kept, nothing left beside it."""
    base = setup[0]
    out = tmp_path / "out"
    assert run("export", "--year", 2017, "--out", out, "--db", base).exit_code == 0  # type: ignore[attr-defined]
    before = sorted(p.name for p in out.iterdir())
    args = ["export", "--year", "2017", "--out", str(out), "--db", str(base)]
    proc = _paused(args, "export-written", tmp_path / "m.pid")
    proc.send_signal(signal.SIGTERM)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 143 and b"hcs: interrupted" in stderr
    assert sorted(p.name for p in out.iterdir()) == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith((".out.tmp", ".out.old"))] == []


_POOL = """
import os, sys, time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from handcraft_stats import workers
pool = ProcessPoolExecutor(1, mp_context=get_context(workers._START),
                           initializer=workers._young_every, initargs=(700, os.getpid()))
print(pool.submit(os.getpid).result(), flush=True)
pool.submit(time.sleep, 120)
time.sleep(120)
"""


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state not in ("Z", "X")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_a_worker_ends_with_a_main_process_killed_outright() -> None:
    """SIGKILL (the out-of-memory killer) to the main process left its parse workers
    parsing on, holding their memory, until their files were done."""
    with subprocess.Popen([sys.executable, "-c", _POOL], stdout=subprocess.PIPE) as proc:
        assert proc.stdout is not None
        worker = int(proc.stdout.readline())
        assert _alive(worker)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    deadline = time.monotonic() + 20
    while _alive(worker) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(worker)
