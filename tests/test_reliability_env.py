"""Environment: concurrent runs, a database locked/unreadable/full, file modes, masked
errors and tracebacks, CSV formula injection."""

from __future__ import annotations

import errno
import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import duckdb
import pytest
from typer.testing import CliRunner

from conftest import ID_A, ID_B, ID_C, write_xlsx
from handcraft_stats import Store
from handcraft_stats.cli import app
from handcraft_stats.report.text import to_csv
from handcraft_stats.versions import FAULT_ENV

HEADER = ["姓名", "身份证号码", "从业产业", "联系电话"]
PHONE = "13812345678"


def run(*args: object) -> Any:
    return CliRunner().invoke(app, [str(a) for a in args])


def folder(root: Path, name: str, county: str, *ids: str) -> Path:
    d = root / name
    d.mkdir()
    for i, ident in enumerate(ids):
        row = [f"张{name}{i}", ident, "手工", PHONE]
        write_xlsx(d / f"{county}2017_{i}.xlsx", {"S": [HEADER, row]})
    return d


def hcs(*args: object, fault: str = "", marker: Path | None = None) -> subprocess.Popen[str]:
    env = {**os.environ, FAULT_ENV: f"{fault}:{marker}"} if fault else dict(os.environ)
    return subprocess.Popen([sys.executable, "-m", "handcraft_stats", *map(str, args)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip


def paused(proc: subprocess.Popen[str], marker: Path) -> None:
    deadline = time.monotonic() + 30
    while not marker.exists():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline
        time.sleep(0.02)


def active(db: Path) -> list[tuple[str, int]]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        rows = con.execute(
            "SELECT f.name, (SELECT count(*) FROM records r WHERE r.file_id = f.file_id) "
            "FROM files f WHERE active ORDER BY name"
        ).fetchall()
    finally:
        con.close()
    return [(str(n), int(c)) for n, c in rows]


def test_two_ingests_at_once_take_turns_and_both_land(tmp_path: Path) -> None:
    a = folder(tmp_path, "a", "丰县", ID_A, ID_B)
    b = folder(tmp_path, "b", "沛县", ID_C, ID_A)
    db = tmp_path / "t.duckdb"
    procs = [hcs("ingest", d, "--db", db, "--jobs", "1") for d in (a, b)]
    results = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], results
    assert "Traceback" not in "".join(r[1] for r in results)
    assert [n for n, c in active(db)] == ["丰县2017_0.xlsx", "丰县2017_1.xlsx", "沛县2017_0.xlsx",
                                          "沛县2017_1.xlsx"]  # fmt: skip


def test_the_second_run_waits_with_a_message_or_gives_up_with_exit_3(tmp_path: Path) -> None:
    a = folder(tmp_path, "a", "丰县", ID_A)
    b = folder(tmp_path, "b", "沛县", ID_C)
    db, marker = tmp_path / "t.duckdb", tmp_path / "first.pid"
    first = hcs("ingest", a, "--db", db, fault="after-commit", marker=marker)
    paused(first, marker)
    gave_up = hcs("ingest", b, "--db", db, "--wait", "0.5")
    _, err = gave_up.communicate(timeout=60)
    assert gave_up.returncode == 3, err
    assert "another hcs ingest" in err.splitlines()[-1] and "--wait" in err
    waiting = hcs("ingest", b, "--db", db, "--wait", "60")
    # its first line says it waits (read, not slept for: a loaded machine starts it late)
    assert waiting.stderr is not None
    said = waiting.stderr.readline()
    assert "waiting for another hcs ingest" in said, said
    assert waiting.poll() is None  # still waiting for the first run
    first.send_signal(signal.SIGKILL)  # the lock ends with its process
    first.communicate()
    _, err = waiting.communicate(timeout=60)
    assert waiting.returncode == 0, said + err
    assert active(db) == [("丰县2017_0.xlsx", 1), ("沛县2017_0.xlsx", 1)]


def test_database_in_use_by_another_program_is_exit_3(tmp_path: Path) -> None:
    db = tmp_path / "t.duckdb"
    holder = subprocess.Popen(
        [sys.executable, "-c", f"import duckdb,time; c=duckdb.connect({str(db)!r}); "
         "print('open', flush=True); time.sleep(60)"],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "open"
        res = run("ingest", folder(tmp_path, "a", "丰县", ID_A), "--db", db)
        assert res.exit_code == 3
        # a Python process holds it: most likely another hcs command, and said so
        assert "in use by another hcs command or Python program" in res.stderr
        assert f"PID {holder.pid}" in res.stderr
        res = run("summary", "--year", 2017, "--db", db)
        assert res.exit_code == 3 and "in use" in res.stderr
    finally:
        holder.kill()
        holder.communicate()


def test_another_programs_duckdb_file_is_exit_3_and_left_as_it_was(tmp_path: Path) -> None:
    """A DuckDB file of another program: exit 3 naming it, for reading (its missing tables
    were an internal error, exit 4) and for ingest (which gave it hcs's tables beside its
    own); an empty one is refused for reading and made an hcs database by ingest."""
    db = tmp_path / "other.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute("CREATE TABLE orders (id INTEGER)")
    for args in (
        ("summary", "--year", 2017),
        ("history",),
        ("export", "--year", 2017, "--out", tmp_path / "out"),
        ("ingest", folder(tmp_path, "a", "丰县", ID_A)),
    ):
        res = run(*args, "--db", db)
        assert res.exit_code == 3, (args, res.output)
        assert "is not an hcs database" in res.stderr and "orders" in res.stderr
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT table_name FROM information_schema.tables").fetchall() == [
            ("orders",)
        ]
    empty = tmp_path / "empty.duckdb"
    duckdb.connect(str(empty)).close()
    res = run("summary", "--year", 2017, "--db", empty)
    assert res.exit_code == 3 and "is empty" in res.stderr
    assert run("ingest", folder(tmp_path, "b", "丰县", ID_A), "--db", empty).exit_code == 0
    assert run("summary", "--year", 2017, "--db", empty).exit_code == 0


def test_unreadable_database_is_exit_3(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "t.duckdb"
    db.write_bytes(b"not a database" * 500)
    res = run("ingest", folder(tmp_path, "a", "丰县", ID_A), "--db", db)
    assert res.exit_code == 3 and "is not an hcs database" in res.stderr, res.stderr

    db = tmp_path / "real.duckdb"  # a DuckDB file, which DuckDB then cannot open
    duckdb.connect(str(db)).close()

    def denied(*args: object, **kwargs: object) -> None:
        raise duckdb.IOException(f'IO Error: Cannot open file "{db}": Permission denied')

    monkeypatch.setattr(duckdb, "connect", denied)
    res = run("summary", "--year", 2017, "--db", db)
    assert res.exit_code == 3 and "permission denied" in res.stderr


def unprivileged(*args: object) -> subprocess.CompletedProcess[str]:
    """hcs in a process that file modes bind: as root (CI, these sandboxes), without the
    capabilities that let root read any file (util-linux's setpriv)."""
    cmd = [sys.executable, "-m", "handcraft_stats", *map(str, args)]
    if os.geteuid() == 0:
        cmd = ["setpriv", "--bounding-set", "-dac_override,-dac_read_search", "--", *cmd]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120)


def _can_drop_privileges() -> bool:
    if os.name != "posix":
        return False
    if os.geteuid() != 0:
        return True
    if shutil.which("setpriv") is None:
        return False
    probe = ["setpriv", "--bounding-set", "-dac_override,-dac_read_search", "--", "true"]
    return subprocess.run(probe, capture_output=True).returncode == 0


UNPRIVILEGED = pytest.mark.skipif(
    not _can_drop_privileges(), reason="root reads any file, and setpriv cannot bind it here"
)


@UNPRIVILEGED
def test_database_without_read_permission_is_exit_3(tmp_path: Path) -> None:
    db = tmp_path / "t.duckdb"
    assert run("ingest", folder(tmp_path, "a", "丰县", ID_A), "--db", db).exit_code == 0
    db.chmod(0)
    for command in (["summary", "--year", 2017], ["persons", "--year", 2017], ["history"]):
        res = unprivileged(*command, "--db", db)
        assert res.returncode == 3 and "permission denied" in res.stderr, res.stderr
        assert "Usage" not in res.stderr and "not readable" not in res.stderr


def test_a_database_in_a_folder_that_does_not_exist_names_the_folder(tmp_path: Path) -> None:
    """Exit 3 naming the folder the user gave, not hcs's lock file beside the database."""
    files = folder(tmp_path, "a", "丰县", ID_A)
    res = run("ingest", files, "--db", tmp_path / "no" / "t.duckdb")
    assert res.exit_code == 3, res.output
    assert res.stderr.strip() == f"hcs: folder {tmp_path / 'no'} does not exist"


@UNPRIVILEGED
def test_a_database_in_a_folder_hcs_may_not_write_is_exit_3(tmp_path: Path) -> None:
    files = folder(tmp_path, "a", "丰县", ID_A)
    locked = tmp_path / "ro"
    locked.mkdir()
    locked.chmod(0o555)
    res = unprivileged("ingest", files, "--db", locked / "t.duckdb")
    assert res.returncode == 3, res.stderr
    assert f"cannot write in folder {locked}: permission denied" in res.stderr
    assert "hcs-lock" not in res.stderr


@UNPRIVILEGED
def test_an_unreadable_roster_named_directly_is_refused_with_the_reason(tmp_path: Path) -> None:
    """CLI.md: a file refused is exit 1 (it was click's usage error, exit 2, for a file
    named on the command line, and the run stopped before the readable files)."""
    files = folder(tmp_path, "a", "丰县", ID_A, ID_B)
    locked, good = sorted(files.iterdir())
    locked.chmod(0)
    res = unprivileged("ingest", locked, good, "--db", tmp_path / "t.duckdb", "--format", "json")
    assert res.returncode == 1, res.stderr
    report = json.loads(res.stdout)
    assert report["refused"] == [{"file": str(locked), "reason": "cannot read file: "
                                  "Permission denied"}]  # fmt: skip
    assert report["files_landed"] == 1 and report["records"] == 1
    config = tmp_path / "hcs.toml"
    config.write_text('city = "徐州市"\n', "utf-8")
    config.chmod(0)
    res = unprivileged("check", good, "--config", config)
    assert res.returncode == 3 and "Permission denied" in res.stderr, res.stderr


def test_disk_full_is_exit_3_and_keeps_whole_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = Store.insert_file
    calls = []

    def full(self: Store, *args: Any) -> None:
        calls.append(1)
        if len(calls) == 2:
            raise OSError(errno.ENOSPC, "No space left on device")
        original(self, *args)

    monkeypatch.setattr(Store, "insert_file", full)
    db = tmp_path / "t.duckdb"
    res = run("ingest", folder(tmp_path, "a", "丰县", ID_A, ID_B), "--db", db)
    assert res.exit_code == 3 and "disk full" in res.stderr, res.stderr
    assert "Traceback" not in res.stderr
    assert " : " not in res.stderr  # no path known: said without a stray colon
    assert active(db) == [("丰县2017_0.xlsx", 1)]


FAILING = """
import errno, sys
import handcraft_stats.pipeline as pipeline
from handcraft_stats import Store
from handcraft_stats.cli import main
original, calls = Store.insert_file, []
def full(self, *args):
    calls.append(1)
    if len(calls) == 2:
        raise OSError(errno.ENOSPC, "No space left on device")
    original(self, *args)
def broken(*args):
    raise RuntimeError("a bug")
if sys.argv[1] == "ingest":
    Store.insert_file = full  # the second file finds the disk full
else:
    pipeline.outcome_of = broken  # check: the first file's report fails
sys.argv = ["hcs", *sys.argv[1:]]
main()
"""


@pytest.mark.parametrize(
    ("command", "code", "said"),
    [("ingest", 3, "disk full"), ("check", 4, "internal error (RuntimeError: a bug)")],
)
def test_an_error_while_workers_parse_ends_them_and_the_process(
    tmp_path: Path, command: str, code: int, said: str
) -> None:
    """A full disk (or a bug) while two workers still parse: the process reports it with
    its exit code and ends. It used to wait for its workers for good: they were stopped
    only when the unfinished generator was collected, which the error's traceback
    prevented, and `hcs` ends without Python's teardown."""
    files = folder(tmp_path, "a", "丰县", ID_A, ID_B, ID_C)
    args = [command, files, "--jobs", "2", "-q"]
    if command == "ingest":
        args += ["--db", tmp_path / "t.duckdb"]
    proc = subprocess.run([sys.executable, "-c", FAILING, *map(str, args)], capture_output=True,
                          text=True, timeout=120)  # fmt: skip
    assert proc.returncode == code and said in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.skipif(os.name != "posix", reason="file modes")
def test_database_and_wal_are_created_owner_only(tmp_path: Path) -> None:
    db, marker = tmp_path / "t.duckdb", tmp_path / "p.pid"
    proc = hcs("ingest", folder(tmp_path, "a", "丰县", ID_A), "--db", db, fault="after-commit",
               marker=marker)  # fmt: skip
    try:
        paused(proc, marker)
        wal = db.with_name(db.name + ".wal")
        assert wal.exists()
        for p in (db, wal):
            assert stat.S_IMODE(p.stat().st_mode) == 0o600, p
    finally:
        proc.kill()
        proc.communicate()
    assert run("ingest", db.parent / "a", "--db", db).exit_code == 0
    assert stat.S_IMODE(db.stat().st_mode) == 0o600


@pytest.mark.parametrize("debug", [False, True])
def test_errors_and_tracebacks_never_show_id_or_phone_numbers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, debug: bool
) -> None:
    import handcraft_stats.pipeline as cli_ingest  # the command imports it when it runs

    def boom(*args: object, **kwargs: object) -> None:
        raise ValueError(f"cannot store row: {ID_A} {ID_C} phone {PHONE}")

    monkeypatch.setattr(cli_ingest, "ingest", boom)
    args = ["ingest", folder(tmp_path, "a", "丰县", ID_A), "--db", tmp_path / "t.duckdb"]
    res = run(*args, *(["--debug"] if debug else []))
    assert res.exit_code == 4
    text = res.stderr + res.stdout
    for secret in (ID_A, ID_C, PHONE, ID_A[:15]):
        assert secret not in text
    assert ("Traceback" in text) is debug and "320*************24" in text


def test_csv_outputs_neutralise_formulas(tmp_path: Path) -> None:
    text = to_csv(["a", "b", "c"], [["=1+1", -5, "+86 138"], ["@SUM(A1)", None, "-x"]])
    assert text.splitlines() == ["a,b,c", "'=1+1,-5,'+86 138", "'@SUM(A1),,'-x"]
    d = tmp_path / "in"
    d.mkdir()
    write_xlsx(d / "=HYPERLINK 丰县2017.xlsx", {"S": [HEADER, ["张丽", ID_A, "手工", ""]]})
    res = run("ingest", d, "--db", tmp_path / "t.duckdb", "--format", "csv")
    assert res.exit_code == 0 and "\n'=HYPERLINK" in res.stdout
    out = tmp_path / "issues.csv"
    write_xlsx(d / "沛县2017.xlsx", {"S": [HEADER, ["=cmd|' /C calc'!A0", "12", "手工", ""]]})
    run("ingest", d, "--db", tmp_path / "t.duckdb")
    res = run("issues", "--year", 2017, "--db", tmp_path / "t.duckdb", "--out", out,
              "--format", "json")  # fmt: skip
    assert res.exit_code == 0, res.output
    lines = out.read_text("utf-8-sig").splitlines()
    assert not any(cell.startswith(("=", "+", "-", "@")) for ln in lines for cell in ln.split(","))
    assert json.loads(res.stdout)
