"""The CLI through CliRunner: exit codes, stdout/stderr separation, JSON = library result."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import duckdb
from typer.testing import CliRunner

from conftest import ID_A, SAMPLE, write_xlsx
from handcraft_stats import Store, load_settings, summarize
from handcraft_stats.cli import app

runner = CliRunner()
SAMPLE_ONE = next((SAMPLE / "rosters" / "2017").glob("*.xlsx"))


def run(*args: str | Path) -> object:
    return runner.invoke(app, [str(a) for a in args], env={"COLUMNS": "120"})


def test_ingest_then_summary_json_equals_library(roster_dir: Path, tmp_path: Path) -> None:
    db = tmp_path / "t.duckdb"
    res = run("ingest", roster_dir, "--db", db, "--format", "json")
    assert res.exit_code == 0, res.output  # type: ignore[attr-defined]
    report = json.loads(res.stdout)  # type: ignore[attr-defined]
    assert report["records"] == 3 and report["files_refused"] == 0
    res = run("summary", "--year", "2017", "--db", db, "--format", "json", "--link", "certain")
    assert res.exit_code == 0, res.output  # type: ignore[attr-defined]
    assert res.stderr == ""  # type: ignore[attr-defined]
    with Store(db, read_only=True) as store:
        lib = summarize(store, 2017, "certain", [d.name for d in load_settings(None).divisions])
    assert json.loads(res.stdout) == lib.to_dict()  # type: ignore[attr-defined]
    assert lib.to_dict()["totals"]["persons"] == 3


def test_bad_files_are_refused_while_good_ones_land(roster_dir: Path, tmp_path: Path) -> None:
    (roster_dir / "丰县2017空.csv").write_bytes(b"")
    (roster_dir / "沛县2017.xlsx").write_bytes(b"this is not a workbook")
    write_xlsx(roster_dir / "睢宁县2017.xlsx", {"汇总": [["乡镇", "人数"], ["a", 1]],
                                                 "S": [["乡镇", "脱贫人数"], ["a", 1]]})  # fmt: skip
    db = tmp_path / "t.duckdb"
    res = run("ingest", roster_dir, "--db", db, "--format", "json")
    assert res.exit_code == 1, res.output  # type: ignore[attr-defined]
    report = json.loads(res.stdout)  # type: ignore[attr-defined]
    reasons = {Path(r["file"]).name: r["reason"] for r in report["refused"]}
    assert set(reasons) == {"丰县2017空.csv", "沛县2017.xlsx", "睢宁县2017.xlsx"}
    assert "empty file" in reasons["丰县2017空.csv"]
    assert "headers found: 乡镇, 脱贫人数" in reasons["睢宁县2017.xlsx"]
    err_lines = res.stderr.strip().splitlines()  # type: ignore[attr-defined]
    assert all(line.startswith("refused ") for line in err_lines[:-1]) and len(err_lines) == 4
    assert err_lines[-1].startswith("hcs ingest: 4 files (1 stored, 0 unchanged, 3 refused)")
    assert report["records"] == 3
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT count(*) FROM records").fetchone() == (3,)
    assert con.execute("SELECT count(*) FROM files").fetchone() == (1,)


def test_reingesting_same_content_changes_nothing(roster_dir: Path, tmp_path: Path) -> None:
    db = tmp_path / "t.duckdb"
    assert run("ingest", roster_dir, "--db", db).exit_code == 0  # type: ignore[attr-defined]
    res = run("ingest", roster_dir, "--db", db, "--format", "json")
    assert json.loads(res.stdout)["files_unchanged"] == 1  # type: ignore[attr-defined]
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT count(*) FROM records").fetchone() == (3,)


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    assert run("ingest", tmp_path / "nope", "--db", tmp_path / "x.duckdb").exit_code == 2  # type: ignore[attr-defined]
    empty = tmp_path / "empty"
    empty.mkdir()
    res = run("ingest", empty, "--db", tmp_path / "x.duckdb")
    assert res.exit_code == 2 and "no roster files" in res.stderr  # type: ignore[attr-defined]
    assert run("summary", "--year", "abc").exit_code == 2  # type: ignore[attr-defined]
    assert run("summary", "--year", "2017", "--format", "xml").exit_code == 2  # type: ignore[attr-defined]


def test_summary_for_a_year_not_loaded_is_a_usage_error(roster_dir: Path, tmp_path: Path) -> None:
    db = tmp_path / "t.duckdb"
    run("ingest", roster_dir, "--db", db)
    res = run("summary", "--year", "2015", "--db", db)
    assert res.exit_code == 2 and "periods: 2017" in res.stderr  # type: ignore[attr-defined]


def test_missing_or_locked_database_exits_3(roster_dir: Path, tmp_path: Path) -> None:
    res = run("summary", "--year", "2017", "--db", tmp_path / "none.duckdb")
    assert res.exit_code == 3 and "run `hcs ingest` first" in res.stderr  # type: ignore[attr-defined]
    bad = tmp_path / "bad.duckdb"
    bad.write_bytes(b"not a database" * 100)
    res = run("summary", "--year", "2017", "--db", bad)
    assert res.exit_code == 3 and "Traceback" not in res.output  # type: ignore[attr-defined]
    # a CSV given as --db (DuckDB read it as "an in-memory database in read-only mode")
    csv_db = tmp_path / "summary.csv"
    csv_db.write_text("year,county\n2017,丰县\n", "utf-8")
    for args in (["summary", "--year", "2017"], ["ingest", roster_dir]):
        res = run(*args, "--db", csv_db)
        assert res.exit_code == 3, res.output  # type: ignore[attr-defined]
        assert "summary.csv is not an hcs database (not a DuckDB file)" in res.stderr  # type: ignore[attr-defined]
    assert csv_db.read_text("utf-8") == "year,county\n2017,丰县\n"  # left as it was


def test_check_stores_nothing_and_strict_fails_on_errors(tmp_path: Path) -> None:
    rows = [["姓名", "身份证号码"], ["张丽", ID_A[:-1] + "9"]]
    write_xlsx(tmp_path / "丰县2017.xlsx", {"S": rows})
    res = run("check", tmp_path / "丰县2017.xlsx", "--format", "json")
    assert res.exit_code == 0, res.output  # type: ignore[attr-defined]
    assert json.loads(res.stdout)["issues_by_code"] == {"id_bad_check": 1}  # type: ignore[attr-defined]
    strict = run("check", tmp_path / "丰县2017.xlsx", "--strict")
    assert strict.exit_code == 1  # type: ignore[attr-defined]
    # why, on stderr: cron's log showed exit 1 beside "0 refused" and nothing else
    assert "--strict: 1 error-level issue(s) in 1 file(s)" in strict.stderr  # type: ignore[attr-defined]
    assert not list(tmp_path.glob("*.duckdb"))
    # --db, common to every command (CLI.md), is accepted and opens nothing
    assert run("check", tmp_path / "丰县2017.xlsx", "--db", tmp_path / "x.duckdb").exit_code == 0  # type: ignore[attr-defined]
    assert not list(tmp_path.glob("*.duckdb"))
    res = run("ingest", tmp_path / "丰县2017.xlsx", "--db", tmp_path / "t.duckdb", "--strict")
    assert res.exit_code == 1 and "hcs issues --severity error" in res.stderr  # type: ignore[attr-defined]


def test_summary_table_and_md_use_chinese_labels(roster_dir: Path, tmp_path: Path) -> None:
    db = tmp_path / "t.duckdb"
    run("ingest", roster_dir, "--db", db)
    table = run("summary", "--year", "2017", "--db", db)
    assert table.exit_code == 0 and "登记人数" in table.stdout and "手工加工" in table.stdout  # type: ignore[attr-defined]
    md = run("summary", "--year", "2017", "--db", db, "--format", "md")
    assert "| 丰县 |" in md.stdout and "## 分县" in md.stdout  # type: ignore[attr-defined]
    assert "| 关联层级 | 疑似 |" in md.stdout  # type: ignore[attr-defined]  # the tier's label
    en = run("summary", "--year", "2017", "--db", db, "--format", "md", "--lang", "en")
    assert "Registered" in en.stdout and "| Link tier | Probable |" in en.stdout  # type: ignore[attr-defined]
    csv = run("summary", "--year", "2017", "--db", db, "--format", "csv")
    lines = csv.stdout.splitlines()  # type: ignore[attr-defined]
    assert lines[0].startswith("year,link_tier,county,wing,persons")
    assert lines[1].startswith("2017,probable,,,3,")


def test_small_roster_figures(roster_dir: Path, tmp_path: Path) -> None:
    db = tmp_path / "t.duckdb"
    run("ingest", roster_dir, "--db", db)
    doc = json.loads(run("summary", "--year", "2017", "--db", db, "--format", "json").stdout)  # type: ignore[attr-defined]
    t = doc["totals"]
    assert (t["persons"], t["trained"], t["training_person_times"], t["exits"]) == (3, 2, 5, 1)
    assert doc["exits_by_year"] == {"2016": 1, "2017": 1}
    assert doc["classification"]["able_willing"] == 1
    assert doc["classification"]["weak_unwilling"] == 1
    assert doc["classification"]["unable"] == 1
    assert doc["wings"]["handicraft"]["income_increase_mean"] == 0.0
    assert doc["wings"]["none"]["persons"] == 1


def test_a_bug_exits_4_with_one_line_and_debug_shows_the_traceback(
    roster_dir: Path, tmp_path: Path, monkeypatch: object
) -> None:
    import handcraft_stats.metrics as cmd  # the command imports it when it runs

    db = tmp_path / "t.duckdb"
    run("ingest", roster_dir, "--db", db)

    def broken(*a: object, **k: object) -> object:
        raise RuntimeError("boom")

    monkeypatch.setattr(cmd, "summarize", broken)  # type: ignore[attr-defined]
    res = run("summary", "--year", "2017", "--db", db)
    assert res.exit_code == 4  # type: ignore[attr-defined]
    assert res.stderr.count("\n") == 1 and "internal error" in res.stderr  # type: ignore[attr-defined]
    assert "Traceback" not in res.output  # type: ignore[attr-defined]
    res = run("summary", "--year", "2017", "--db", db, "--debug")
    assert res.exit_code == 4 and "Traceback" in res.stderr  # type: ignore[attr-defined]


def test_python_dash_m_runs_the_cli() -> None:
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, "-m", "handcraft_stats", "--help"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "ingest" in out.stdout and "summary" in out.stdout


def test_the_command_skips_only_the_teardown(
    sample_db: tuple[Path, object], tmp_path: Path
) -> None:
    """`hcs` ends with os._exit once the command is done: exit handlers run, every byte of
    a large output reaches the pipe, the exit code is the command's, and no thread is
    left behind; only Python's teardown is skipped."""
    import subprocess
    import sys

    mark = tmp_path / "atexit.txt"
    code = (
        "import atexit, pathlib, sys, threading\n"
        "from handcraft_stats.cli import main\n"
        "mark = pathlib.Path(sys.argv[1])\n"
        "def bye():\n"
        "    alive = [t.name for t in threading.enumerate() if t is not threading.main_thread()]\n"
        "    mark.write_text(repr(alive))\n"
        "atexit.register(bye)\n"
        "sys.argv = ['hcs', *sys.argv[2:]]\n"
        "main()\n"
        "print('not reached', file=sys.stderr)\n"
    )
    db = str(sample_db[0])
    big = subprocess.run(
        [sys.executable, "-c", code, str(mark), "issues", "--db", db, "--year", "2017",
         "--format", "csv"],
        capture_output=True, text=True,
    )  # fmt: skip
    assert big.returncode == 0, big.stderr
    assert "not reached" not in big.stderr
    assert mark.read_text() == "[]"
    assert len(big.stdout.encode()) > 65_536  # more than a pipe's buffer
    same = run("issues", "--db", db, "--year", "2017", "--format", "csv")  # in this process
    assert big.stdout == same.stdout  # type: ignore[attr-defined]
    mark.unlink()
    usage = subprocess.run(
        [sys.executable, "-c", code, str(mark), "summary", "--db", db, "--year", "1999"],
        capture_output=True, text=True,
    )  # fmt: skip
    assert usage.returncode == 2 and mark.exists()
    missing = subprocess.run(
        [sys.executable, "-c", code, str(mark), "summary", "--db", str(tmp_path / "no.duckdb"),
         "--year", "2017"],
        capture_output=True, text=True,
    )  # fmt: skip
    assert missing.returncode == 3 and "no.duckdb" in missing.stderr


def test_summary_runs_without_importing_pandas(sample_db: tuple[Path, object]) -> None:
    """Figures are read through DuckDB and narwhals: pandas (0.14 s to import, a tenth
    of `hcs summary` over 10M records) is left unimported, and the figures are those the
    library computes. Nor is pydantic, which typer 0.29 brings in to coerce the options
    (~0.1 s a command: pyproject.toml keeps typer below it)."""
    import subprocess
    import sys

    code = (
        "import atexit, runpy, sys\n"
        "sys.argv = ['hcs', 'summary', '--year', '2017', '--db', sys.argv[1], '--format', 'json']\n"
        "atexit.register(lambda: print('pandas' in sys.modules, 'pydantic' in sys.modules,\n"
        "                              file=sys.stderr))  # hcs ends with os._exit\n"
        "runpy.run_module('handcraft_stats', run_name='__main__')\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(sample_db[0])], capture_output=True, text=True, check=True
    )
    assert out.stderr.strip().splitlines()[-1] == "False False"
    with Store(sample_db[0], read_only=True) as store:
        lib = summarize(store, 2017, "probable", [d.name for d in load_settings(None).divisions])
    assert json.loads(out.stdout) == lib.to_dict()


def test_ingest_turns_numpy_huge_page_advice_off(tmp_path: Path) -> None:
    """`hcs ingest` sets NUMPY_MADVISE_HUGEPAGE=0 before numpy is imported (a value the
    user set is kept): numpy then reports its huge-page advice as off."""
    import subprocess
    import sys

    (tmp_path / "r").mkdir()
    write_xlsx(tmp_path / "r" / "丰县2017.xlsx", {"S": [["姓名", "身份证号"], ["张丽", ID_A]]})
    code = (
        "import atexit, runpy, sys\n"
        "sys.argv = ['hcs', 'ingest', sys.argv[1], '--db', sys.argv[2], '--quiet']\n"
        "def advice():  # at exit: hcs ends with os._exit\n"
        "    from numpy._core.multiarray import _set_madvise_hugepage\n"
        "    print(_set_madvise_hugepage(True), flush=True)\n"
        "atexit.register(advice)\n"
        "runpy.run_module('handcraft_stats', run_name='__main__')\n"
    )
    args = [sys.executable, "-c", code, str(tmp_path / "r"), str(tmp_path / "h.duckdb")]
    out = subprocess.run(args, capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "False"


COMMANDS = ("ingest", "check", "summary", "persons", "dupes", "review", "export", "changes",
            "history", "issues", "config init", "config show")  # fmt: skip


def test_every_command_has_help_with_an_example() -> None:
    for name in COMMANDS:
        res = run(*name.split(), "--help")
        assert res.exit_code == 0 and "Example:" in res.stdout, name  # type: ignore[attr-defined]


def test_help_paragraphs_flow_at_the_terminal_width() -> None:
    """A docstring's line breaks are not kept: the terminal wraps each paragraph."""
    from handcraft_stats.cli.common import flowing

    doc = """Read rosters, check, store. Two runs
        into one database take turns.

        Example: hcs ingest data/sample/rosters
        """
    assert flowing(doc) == (
        "Read rosters, check, store. Two runs into one database take turns.\n\n"
        "Example: hcs ingest data/sample/rosters"
    )
    wide = CliRunner().invoke(app, ["ingest", "--help"], env={"COLUMNS": "200"})
    assert "store. Two runs into one database take turns" in wide.stdout


def test_parallel_parsing_gives_the_same_result(tmp_path: Path) -> None:
    from conftest import SAMPLE

    one = run("check", SAMPLE / "rosters" / "2017", "--format", "json", "--jobs", "1")
    two = run("check", SAMPLE / "rosters" / "2017", "--format", "json", "--jobs", "2")
    assert one.exit_code == two.exit_code == 0
    assert json.loads(one.stdout) == json.loads(two.stdout)  # type: ignore[attr-defined]


def test_ingest_of_a_folder_without_rosters_makes_no_database(tmp_path: Path) -> None:
    """Exit 2 for no input files, and nothing left behind: no database, no lock file."""
    empty = tmp_path / "rosters"
    empty.mkdir()
    (empty / "说明.docx").write_bytes(b"x")
    db = tmp_path / "hcs.duckdb"
    res = CliRunner().invoke(app, ["ingest", str(empty), "--db", str(db)])
    assert res.exit_code == 2 and "no roster files found" in res.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rosters"]


def test_the_ingest_report_speaks_the_users_language(roster_dir: Path, tmp_path: Path) -> None:
    """A table or md report has Chinese headings and statuses (CLI.md: human formats are
    Chinese unless --lang en); its csv keeps the codes of json."""
    (roster_dir / "沛县2017.xlsx").write_bytes(b"this is not a workbook")
    db = tmp_path / "t.duckdb"
    zh = run("ingest", roster_dir, "--db", db, "-q")
    assert zh.exit_code == 1  # type: ignore[attr-defined]
    text = zh.stdout  # type: ignore[attr-defined]
    for words in ("县(市、区)", "已导入", "拒收", "合计", "拒收的文件", "跳过的行（按类型）",
                  "2017年人数", "title  标题行"):  # fmt: skip
        assert words in text, words
    assert "ingested" not in text and "files landed" not in text.lower()
    en = run("ingest", roster_dir, "--db", db, "-q", "--lang", "en", "--format", "md")
    md = en.stdout  # type: ignore[attr-defined]
    assert "| File | County | Year | Status |" in md and "| Unchanged |" in md
    assert "## Refused" in md and "| Files landed | 1 |" in md
    csv_text = run("ingest", roster_dir, "--db", db, "-q", "--format", "csv").stdout  # type: ignore[attr-defined]
    assert csv_text.splitlines()[0] == "file,county,year,status,sheets,records,skipped,issues"
    assert {line.split(",")[3] for line in csv_text.splitlines()[1:]} == {"unchanged", "refused"}
    check = run("check", roster_dir, "-q", "--lang", "en").stdout  # type: ignore[attr-defined]
    assert "Checked" in check and "Rows skipped by kind" in check


def test_county_and_year_given_are_a_division_and_a_year_of_the_program(tmp_path: Path) -> None:
    """METRICS.md §1: a roster's county is a known division, its period 2000-2099. A
    former name given (铜山县) is today's county; any other text is refused before a
    database is made (taken as given, a typo became an eleventh county in every figure)."""
    roster = write_xlsx(tmp_path / "花名册.xlsx", {"S": [["姓名", "身份证号码"], ["张丽", ID_A]]})
    db = tmp_path / "t.duckdb"
    for county in ("北京", "铜山", "铜山区妇联"):
        res: Any = run("ingest", roster, "--db", db, "--county", county, "--year", "2017")
        assert res.exit_code == 2 and f"--county '{county}' is not a county of 徐州市" in res.stderr
        assert "铜山区, 丰县" in res.stderr and not db.exists()
    for year in ("17", "1999", "2100"):
        res = run("check", roster, "--county", "丰县", "--year", year)
        assert res.exit_code == 2 and "2000<=x<=2099" in res.stderr, res.stderr
    res = run("ingest", roster, "--db", db, "--county", " 铜山县 ", "--year", "2017",
              "--format", "json")  # fmt: skip
    assert res.exit_code == 0, res.stderr
    assert [(f["county"], f["period"]) for f in json.loads(res.stdout)["detail"]] == [
        ("铜山区", 2017)
    ]
    with Store(db, read_only=True) as s:
        assert s.con.execute("SELECT DISTINCT county FROM records").fetchall() == [("铜山区",)]
    help_text = run("history", "--help").stdout
    assert "Only files of this period" in help_text and "else from names" not in help_text


def test_every_output_format_survives_a_reader_that_stops_early(
    sample_db: tuple[Path, object],
) -> None:
    """`hcs ... | head`: the reader leaves (here before the first byte); the command ends
    with its own exit code (0 here), not rich's exit 1 for tables ("data problems" to a
    cron job with pipefail), and prints no traceback."""
    import subprocess
    import sys

    db = str(sample_db[0])
    for command in (["summary"], ["persons", "--limit", "0"]):
        for fmt in ("table", "md", "csv", "json"):
            proc = subprocess.Popen(
                [sys.executable, "-m", "handcraft_stats", *command, "--db", db, "--year",
                 "2017", "--format", fmt],
                stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            )  # fmt: skip
            assert proc.stdout is not None and proc.stderr is not None
            proc.stdout.close()  # gone before hcs writes
            stderr = proc.stderr.read().decode()
            proc.stderr.close()
            assert proc.wait(timeout=60) == 0, (command, fmt, stderr)
            assert "Traceback" not in stderr and "Error" not in stderr, stderr


def test_filters_are_checked_alike_and_former_county_names_work_everywhere(
    sample_db: tuple[Path, Any], tmp_path: Path
) -> None:
    """--county 北京 is exit 2 in every listing (it listed nothing, exit 0, outside
    ingest); 铜山县 lists 铜山区's rows; an unknown --code, a reversed or equal
    --from/--to, and an --out of neither .xlsx nor .csv are exit 2 before any work."""
    db = sample_db[0]
    for cmd in (("persons", "--year", 2017), ("issues", "--year", 2017), ("dupes", "--year", 2017),
                ("history",)):  # fmt: skip
        bad = run(*cmd, "--db", db, "--county", "北京", "-f", "json")
        assert bad.exit_code == 2 and "is not a county of" in bad.stderr, cmd
        former = run(*cmd, "--db", db, "--county", "铜山县", "-f", "json")
        today = run(*cmd, "--db", db, "--county", "铜山区", "-f", "json")
        assert former.exit_code == 0 and former.stdout == today.stdout, cmd
        assert json.loads(today.stdout), cmd  # 铜山区 has rows in every listing
    res = run("issues", "--year", 2017, "--db", db, "--code", "nosuch")
    assert res.exit_code == 2 and "id_bad_check" in res.stderr
    for y1, y2 in ((2017, 2016), (2017, 2017)):
        res = run("changes", "--from", y1, "--to", y2, "--db", db)
        assert res.exit_code == 2 and "earlier period" in res.stderr
    for cmd in (("issues", "--year", 2017, "--db", db), ("check", SAMPLE_ONE)):
        res = run(*cmd, "--out", tmp_path / "x.txt")
        assert res.exit_code == 2 and "use .xlsx or .csv" in res.stderr, cmd
        assert not (tmp_path / "x.txt").exists()
    quiet = run("issues", "--year", 2017, "--db", db, "--out", tmp_path / "i.csv", "--quiet")
    assert quiet.exit_code == 0 and quiet.stderr == "" and (tmp_path / "i.csv").exists()
    assert (
        run("persons", "--year", 2017, "--db", db, "--limit", 10**20, "-f", "json").exit_code == 0
    )


def test_changes_csv_writes_lists_as_text(sample_db: tuple[Path, Any]) -> None:
    """counties_from / counties_to were Python list text (['睢宁县']) in the csv."""
    import csv
    import io

    res = run("changes", "--from", 2016, "--to", 2017, "--db", sample_db[0], "-f", "csv")
    rows = list(csv.DictReader(io.StringIO(res.stdout)))
    assert rows and not any("[" in v for r in rows for v in r.values() if v)
    moved = [r for r in rows if "moved_county" in r["changes"].split()]
    assert moved and all(r["counties_from"] and r["counties_to"] for r in moved)


def test_a_refused_file_is_named_on_stderr_with_quiet_too(tmp_path: Path) -> None:
    """--quiet leaves out progress and notes, not errors: a refused file is named with
    its reason (it said nothing, exit 1); without --quiet one line sums the run up."""
    folder = tmp_path / "in"
    folder.mkdir()
    write_xlsx(folder / "丰县2017.xlsx", {"S": [["姓名", "身份证号码"], ["张丽", ID_A]]})
    (folder / "沛县2017.xlsx").write_text("not a workbook", "utf-8")
    db = tmp_path / "t.duckdb"
    quiet = run("ingest", folder, "--db", db, "--quiet", "-f", "json")
    assert quiet.exit_code == 1
    assert quiet.stderr.splitlines() == [
        f"refused {folder / '沛县2017.xlsx'}: cannot open as .xlsx workbook: the file is text, "
        "not a zip archive"
    ]
    loud = run("ingest", folder, "--db", db, "-f", "json")
    assert loud.exit_code == 1
    assert "hcs ingest: 2 files (0 stored, 1 unchanged, 1 refused), 1 records" in loud.stderr


def test_a_folder_where_a_file_goes_is_a_usage_error(
    sample_db: tuple[Path, Any], tmp_path: Path
) -> None:
    """`--out DIR` of a single file and `--config DIR` are exit 2 saying so (they were
    exit 3 naming a temporary file); a file where the export folder goes, too."""
    db, folder = sample_db[0], tmp_path / "d.json"
    folder.mkdir()
    for cmd in (("summary", "--year", 2017, "--db", db, "--out", folder),
                ("issues", "--year", 2017, "--db", db, "--out", folder),
                ("dupes", "--year", 2017, "--db", db, "--out", folder),
                ("summary", "--year", 2017, "--db", db, "--config", tmp_path)):  # fmt: skip
        res = run(*cmd)
        said = " ".join(res.stderr.replace("│", " ").split())  # click's box wraps lines
        assert res.exit_code == 2 and "is a directory" in said, cmd
    afile = tmp_path / "f.txt"
    afile.write_text("x", "utf-8")
    res = run("export", "--year", 2017, "--db", db, "--out", afile)
    said = " ".join(res.stderr.replace("│", " ").split())
    assert res.exit_code == 2 and "is a file" in said and afile.read_text("utf-8") == "x"


def test_check_csv_names_the_refused_files_on_stderr(roster_dir: Path) -> None:
    """--format csv prints the fix list alone: a refused file was named nowhere (exit 1)."""
    (roster_dir / "沛县2017.xlsx").write_bytes(b"this is not a workbook")
    res = run("check", roster_dir, "--format", "csv")
    assert res.exit_code == 1  # type: ignore[attr-defined]
    assert "refused" in res.stderr and "沛县2017.xlsx" in res.stderr  # type: ignore[attr-defined]
    assert res.stdout.startswith("code,")  # type: ignore[attr-defined]


def test_check_json_lists_at_most_limit_issues(roster_dir: Path) -> None:
    """json lists every issue unless given --limit (it ignored --limit)."""
    every = json.loads(run("check", roster_dir, "--format", "json").stdout)["issues"]  # type: ignore[attr-defined]
    two = json.loads(run("check", roster_dir, "--format", "json", "--limit", "1").stdout)  # type: ignore[attr-defined]
    assert len(every) > 1 and two["issues"] == every[:1]


def test_a_folder_given_as_the_database_is_a_usage_error(roster_dir: Path, tmp_path: Path) -> None:
    """README: a folder where a file goes is exit 2 (it was exit 3, "IO Error … Is a
    directory", and ingest left a lock file beside the folder)."""
    folder = tmp_path / "dbs"
    folder.mkdir()
    for args in (["ingest", roster_dir], ["persons", "--year", "2017"]):
        res = run(*args, "--db", folder)
        assert res.exit_code == 2 and "is a folder" in res.stderr, res.output  # type: ignore[attr-defined]
    assert not (tmp_path / ".dbs.hcs-lock").exists()
    res = run("config", "init", folder, "--force")
    assert res.exit_code == 2 and "is a folder" in res.stderr  # type: ignore[attr-defined]


def test_a_stored_file_given_another_county_says_it_was_not_read_again(
    roster_dir: Path, tmp_path: Path
) -> None:
    """--county with a file stored already under another county: the file was unchanged
    and not read again, which was said nowhere (then a note; since session 23 it is
    refused, saying where it counts and what --reparse does); --reparse reads it with the
    county given."""
    db = tmp_path / "t.duckdb"
    assert run("ingest", roster_dir, "--db", db).exit_code == 0
    res = run("ingest", roster_dir, "--db", db, "--county", "沛县")
    said = " ".join(res.stderr.split())  # type: ignore[attr-defined]
    assert res.exit_code == 1 and "is the roster stored already as 丰县 2017" in said
    assert "says 沛县" in said and "add --reparse (the roster then leaves" in said
    res = run("ingest", roster_dir, "--db", db, "--county", "沛县", "--reparse")
    assert res.exit_code == 0 and "is the roster stored" not in res.stderr  # type: ignore[attr-defined]
    with Store(db, read_only=True) as s:
        counties = {r[0] for r in s.con.execute("SELECT county FROM files WHERE active").fetchall()}
    assert counties == {"沛县"}


def test_a_table_wider_than_the_terminal_keeps_every_figure() -> None:
    """At 40 or 80 columns Rich fitted a wide table by cutting cells below their minimum
    width: 新沂市's 101 showed as 1, 24,821.32 as 24,821.3, and the last columns (邳州市,
    全市(去重)) were dropped, without a mark. The table is printed as wide as its figures
    need; the terminal wraps its lines."""
    from io import StringIO

    from rich.console import Console

    from handcraft_stats.cli.render import print_tables
    from handcraft_stats.report.tables import Table

    counties = ["鼓楼区", "云龙区", "贾汪区", "泉山区", "铜山区", "丰县", "沛县", "睢宁县",
                "新沂市", "邳州市", "全市(去重)"]  # fmt: skip
    figures = [49, 63, 92, 63, 159, 116, 127, 152, 101, 137, 1049]
    table = Table("分县分类建档", ["分类", *counties, "人均增收(元)"],
                  [["有劳动能力·有就业意愿", *figures, 24821.32]])  # fmt: skip
    for width in (40, 80):
        out = StringIO()
        print_tables(Console(file=out, width=width, color_system=None), [table])
        row = next(line for line in out.getvalue().splitlines() if "有劳动能力" in line)
        assert row.split()[1:] == [*(f"{n:,}" for n in figures), "24,821.32"], width


def test_db_and_config_may_come_before_the_command(
    sample_db: tuple[Path, object], tmp_path: Path
) -> None:
    """`hcs --db FILE summary …` (the way git -C and docker -H are written) was "No such
    option: --db", exit 2: what comes before the command is the command's."""
    import subprocess
    import sys

    db = str(sample_db[0])
    settings = tmp_path / "hcs.toml"
    settings.write_text("", encoding="utf-8")

    def hcs(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "handcraft_stats", *args], capture_output=True, text=True,
            cwd=tmp_path,
        )  # fmt: skip

    after = hcs("summary", "--year", "2017", "--format", "json", "--db", db)
    before = hcs("--db", db, "summary", "--year", "2017", "--format", "json")
    assert after.returncode == before.returncode == 0, before.stderr
    assert before.stdout == after.stdout and '"persons": 2240' in before.stdout
    both = hcs(f"--db={db}", "--config", str(settings), "issues", "--year", "2017", "-f", "csv")
    assert both.returncode == 0, both.stderr
    assert both.stdout == hcs("issues", "--year", "2017", "-f", "csv", "--db", db).stdout
    # the command's own --db still wins over one before it; an unknown store is exit 3
    own = hcs("--db", str(tmp_path / "none.duckdb"), "summary", "--year", "2017", "--db", db)
    assert own.returncode == 0, own.stderr
    missing = hcs("--db", str(tmp_path / "none.duckdb"), "summary", "--year", "2017")
    assert missing.returncode == 3 and "does not exist" in missing.stderr
    assert hcs("--db", db).returncode == 2  # no command: the usage, exit 2
    helped = hcs("--db", db, "--help")
    assert helped.returncode == 0 and "Usage: hcs [OPTIONS] COMMAND" in helped.stdout
    # the command's options before its name too (the session's audit)
    early = hcs("--db", db, "--year", "2017", "summary", "--format", "json")
    assert early.returncode == 0 and early.stdout == after.stdout, early.stderr
