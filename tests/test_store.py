"""The store: one transaction per file, migrations, consistent after a failure."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from conftest import ID_A, ID_B, write_xlsx
from handcraft_stats import Store, ingest, load_settings
from handcraft_stats.errors import EnvironmentProblem
from handcraft_stats.link import PROBABLE, candidates
from handcraft_stats.store import MIGRATIONS, quiet


def test_a_failure_inside_a_file_leaves_nothing_of_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    d = tmp_path / "r"
    d.mkdir()
    write_xlsx(d / "丰县2017.xlsx", {"S": [["姓名", "身份证号"], ["张丽", ID_A]]})
    write_xlsx(d / "沛县2017.xlsx", {"S": [["姓名", "身份证号"], ["王芳", ID_B]]})
    db = tmp_path / "t.duckdb"
    real = Store.append

    def flaky(self: Store, table: str, frame: object) -> None:
        if table == "records" and "王芳" in list(frame["name"]):  # type: ignore[index]
            raise OSError(28, "No space left on device")
        real(self, table, frame)  # type: ignore[arg-type]

    monkeypatch.setattr(Store, "append", flaky)
    with Store(db) as store, pytest.raises(OSError):
        ingest([d], store, load_settings(None))
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT name FROM files").fetchall() == [("丰县2017.xlsx",)]
    assert con.execute("SELECT count(*) FROM records").fetchone() == (1,)
    assert con.execute("SELECT count(*) FROM skipped_rows WHERE file_id <> 1").fetchone() == (0,)


def test_schema_is_migrated_once_and_reopened(tmp_path: Path) -> None:
    db = tmp_path / "t.duckdb"
    with Store(db) as s:
        salt = s.salt()
    with Store(db) as s:
        assert s.salt() == salt
        row = s.con.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
        assert row == (str(len(MIGRATIONS)),)


def test_a_version_3_store_loses_the_records_key_and_nothing_else(
    sample_db: tuple[Path, object], tmp_path: Path
) -> None:
    """Migration 4 copies records into a table without the primary key: every row and
    every other table stay as they were, and the store works on (a re-ingest relinks)."""
    old = tmp_path / "v3.duckdb"
    con = duckdb.connect(str(old))
    first = MIGRATIONS[0].replace("record_id BIGINT NOT NULL", "record_id BIGINT PRIMARY KEY", 1)
    for sql in (first, *MIGRATIONS[1:3]):
        con.execute(sql)
    con.execute(f"ATTACH '{sample_db[0]}' AS s (READ_ONLY)")
    tables = [r[0] for r in con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = 's' ORDER BY 1"
    ).fetchall()]  # fmt: skip
    for t in tables:  # the columns a version 3 store has
        cols = ", ".join(f'"{c[0]}"' for c in con.execute(f"SELECT * FROM {t} LIMIT 0").description)
        con.execute(f"INSERT INTO {t} BY NAME SELECT {cols} FROM s.{t}")
    con.execute("UPDATE meta SET value = '3' WHERE key = 'schema_version'")

    def every(t: str) -> str:
        but = " WHERE key <> 'schema_version'" if t == "meta" else ""
        return f"SELECT * FROM {t}{but} ORDER BY ALL"

    want = {t: con.execute(every(t)).df() for t in tables}
    keyed = "SELECT count(*) FROM duckdb_constraints() WHERE table_name = 'records' AND constraint_type = 'PRIMARY KEY'"
    assert con.execute(keyed).fetchone() == (1,)
    con.close()
    with Store(old) as store:
        assert store.con.execute(keyed).fetchone() == (0,)
        row = store.con.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
        assert row == (str(len(MIGRATIONS)),) and len(MIGRATIONS) == 7  # 4, then 5 to 7
        for t in tables:
            got = store.con.execute(every(t)).df()
            pd.testing.assert_frame_equal(got[list(want[t].columns)], want[t])
        columns = store.con.execute("SELECT * FROM records LIMIT 0").description
        assert [c[0] for c in columns][:3] == ["record_id", "file_id", "period"]
        nulls = "SELECT is_nullable FROM information_schema.columns WHERE table_name = 'records' AND column_name = 'record_id'"
        assert store.con.execute(nulls).fetchone() == ("NO",)


def _older_store(sample: Path, old: Path, version: int) -> list[str]:
    """A copy of the sample store with the tables and columns of schema `version`."""
    con = duckdb.connect(str(old))
    for sql in MIGRATIONS[:version]:
        con.execute(sql)
    con.execute(f"ATTACH '{sample}' AS s (READ_ONLY)")
    tables = [r[0] for r in con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = 's' ORDER BY 1"
    ).fetchall()]  # fmt: skip
    for t in tables:
        cols = ", ".join(f'"{c[0]}"' for c in con.execute(f"SELECT * FROM {t} LIMIT 0").description)
        but = " WHERE key <> 'schema_version'" if t == "meta" else ""
        con.execute(f"DELETE FROM {t}{but}")
        con.execute(f"INSERT INTO {t} BY NAME SELECT {cols} FROM s.{t}{but}")
    con.execute("INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", [str(version)])
    con.close()
    return tables


def test_a_version_6_store_is_upgraded_when_a_reading_command_opens_it(
    sample_db: tuple[Path, object], tmp_path: Path
) -> None:
    """Migration 7 gives each person the counties of her rosters (the first by name, the
    others in order); `hcs summary` opens the store read-only, so the store is upgraded
    first, and its figures are the sample's."""
    from handcraft_stats import summarize

    old = tmp_path / "v6.duckdb"
    _older_store(sample_db[0], old, 6)
    with Store(old, read_only=True) as store:
        row = store.con.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
        assert row == ("7",)
        got = store.con.execute(
            "SELECT period, tier, person_key, [county] || coalesce(other_counties, []) "
            "FROM persons ORDER BY ALL"
        ).fetchall()
        want = store.con.execute(
            "SELECT period, tier, person_key, list_sort(list_distinct(list(county))) "
            "FROM person_records GROUP BY ALL ORDER BY ALL"
        ).fetchall()
        assert got == want and any(len(r[3]) > 1 for r in got)
        figures = summarize(store, 2017, details=True, since=2016).to_dict()
    with Store(sample_db[0], read_only=True) as sample:
        assert figures == summarize(sample, 2017, details=True, since=2016).to_dict()
        rows = "SELECT * EXCLUDE (county, other_counties) FROM persons ORDER BY ALL"
        with Store(old, read_only=True) as store:
            assert store.con.execute(rows).fetchall() == sample.con.execute(rows).fetchall()


def test_a_store_that_cannot_be_upgraded_is_refused_with_the_reason(
    sample_db: tuple[Path, object], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An earlier hcs's store held by another process: a reading command cannot upgrade
    it, and says so (exit 3), instead of failing on a missing column."""
    old = tmp_path / "v6.duckdb"
    _older_store(sample_db[0], old, 6)
    monkeypatch.setattr(Store, "UPGRADE_WAIT", 1.0)
    hold = "import duckdb, sys; c = duckdb.connect(sys.argv[1]); print(1, flush=True); input()"
    holder = subprocess.Popen(  # another process holding the file
        [sys.executable, "-c", hold, str(old)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "1"
        with pytest.raises(EnvironmentProblem, match="in use"):
            Store(old, read_only=True)
    finally:
        holder.communicate("\n", timeout=30)
    with Store(old, read_only=True) as store:  # upgraded once the holder is gone
        row = store.con.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
        assert row == ("7",)


def test_large_reads_give_the_same_frame_as_duckdbs_df(sample_db: tuple[Path, object]) -> None:
    """Store.frame (Arrow batches) must equal DuckDB's df(): dtypes and values, NULLs too."""
    with Store(sample_db[0], read_only=True) as store:
        for sql in (
            "SELECT * FROM records ORDER BY record_id",
            # (a list column, persons' other_counties, comes as lists and None: not read so)
            "SELECT * EXCLUDE (other_counties) FROM persons ORDER BY period, tier, person_key",
            "SELECT * FROM issues ORDER BY ALL",
            "SELECT * FROM records WHERE false",
        ):
            got, want = store.frame(sql), store.df(sql)
            assert list(got.columns) == list(want.columns)
            assert got.dtypes.to_dict() == want.dtypes.to_dict(), sql
            pd.testing.assert_frame_equal(got, want)


def test_append_takes_a_mixed_object_column_that_arrow_refuses(tmp_path: Path) -> None:
    """Inserts go through Arrow; a column Arrow cannot type (numbers and text mixed, as a
    raw value column can be) falls back to DuckDB's pandas scan and still lands."""
    with Store(tmp_path / "h.duckdb") as store:
        frame = pd.DataFrame({
            "file_id": [1, 1], "period": [2017, 2017], "county": ["丰县", "丰县"],
            "source_file": ["a.xlsx", "a.xlsx"], "source_sheet": ["S", "S"],
            "source_row": [3, 4], "code": ["bad_value", "bad_value"],
            "severity": ["warning", "warning"], "value": pd.array([1.5, "x"], dtype=object),
            "message": ["m", "m"],
        })  # fmt: skip
        store.append("issues", frame)
        assert sorted(store.df("SELECT value FROM issues")["value"]) == ["1.5", "x"]


def test_append_types_decimal_and_date_columns_as_the_table_declares(tmp_path: Path) -> None:
    """Object columns of Decimals and dates are converted with the table's Arrow type;
    a value the type cannot hold exactly (three decimals) falls back and still lands."""
    from datetime import date
    from decimal import Decimal

    def persons(income: list[object]) -> pd.DataFrame:
        return pd.DataFrame({
            "period": [2017, 2017], "tier": ["certain"] * 2, "person_key": ["Pa", "Pb"],
            "survivor": [1, 2], "records": [1, 1], "counties": [1, 1], "probable": [False] * 2,
            "birth_date": pd.array([date(1980, 1, 1), None], dtype=object),
            "labor_capacity": ["full"] * 2, "willing": ["yes"] * 2, "class": ["A"] * 2,
            "wing": ["handicraft"] * 2, "new_practitioner": [False] * 2, "status": ["active"] * 2,
            "income_before_cents": [100, None], "name": pd.array(income, dtype=object),
        })  # fmt: skip

    with Store(tmp_path / "h.duckdb") as store:
        store.con.execute("CREATE TABLE money (person_key VARCHAR, amount DECIMAL(14,2))")
        store.append("persons", persons(["张丽", None]))
        typed = store._arrow("money", pd.Series([Decimal("12.50"), None], name="amount"))
        assert str(typed.type) == "decimal128(14, 2)" and typed.null_count == 1
        store.append("money", pd.DataFrame({
            "person_key": ["Pa", "Pb", "Pc"],
            "amount": pd.array([Decimal("12.50"), None, Decimal("1.005")], dtype=object),
        }))  # fmt: skip
        got = store.con.execute(
            "SELECT p.birth_date, m.amount FROM money m LEFT JOIN persons p USING (person_key) "
            "ORDER BY m.person_key"
        ).fetchall()
    assert got == [(date(1980, 1, 1), Decimal("12.50")), (None, None), (None, Decimal("1.01"))]


def test_append_inserts_a_large_frame_in_slices(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import handcraft_stats.store.core as store_module

    monkeypatch.setattr(store_module, "APPEND_ROWS", 2)
    with Store(tmp_path / "h.duckdb") as store:
        store.con.execute("CREATE TABLE t (k INTEGER, v VARCHAR)")
        store.append("t", pd.DataFrame({"k": range(5), "v": list("abcde"), "x": 0}))
        assert store.con.execute("SELECT * FROM t ORDER BY k").fetchall() == [
            (0, "a"), (1, "b"), (2, "c"), (3, "d"), (4, "e")
        ]  # fmt: skip


@pytest.mark.parametrize("slice_rows", [None, 200_000])
def test_large_appends_go_straight_to_the_database_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, slice_rows: int | None
) -> None:
    """Slices of whole row groups are written into the file at once, not through the log
    (then written a second time by a checkpoint), a short last slice too. The control:
    the old 200,000-row slices log 220,000 rows whole (a short second slice)."""
    import handcraft_stats.store.core as store_module
    from handcraft_stats.store import ROW_GROUP

    n = 2 * ROW_GROUP + 20_000  # a short last slice
    if slice_rows:
        monkeypatch.setattr(store_module, "APPEND_ROWS", slice_rows)
        n = slice_rows + 20_000
    frame = pd.DataFrame({"k": range(n), "v": [f"P{i:012x}" for i in range(n)]})
    db = tmp_path / "h.duckdb"
    with Store(db) as store:
        store.con.execute("CREATE TABLE t (k BIGINT, v VARCHAR)")
        store.con.execute("CHECKPOINT")
        with store.transaction():
            store.append("t", frame)
        logged = Path(f"{db}.wal").stat().st_size
        assert store.con.execute("SELECT count(*), max(k) FROM t").fetchone() == (n, n - 1)
    if slice_rows:
        assert logged > 2_000_000
    else:
        assert logged < 100_000


def test_bulk_load_runs_duckdb_on_one_thread_and_restores_it(tmp_path: Path) -> None:
    with Store(tmp_path / "h.duckdb") as store:
        threads = store.con.execute("SELECT current_setting('threads')").fetchall()[0][0]
        with store.bulk_load():
            inside = store.con.execute("SELECT current_setting('threads')").fetchall()[0][0]
        with pytest.raises(RuntimeError), store.bulk_load():
            raise RuntimeError("a file failed")
        after = store.con.execute("SELECT current_setting('threads')").fetchall()[0][0]
    assert inside == 1 and after == threads


def test_a_large_read_after_a_single_row_lookup(sample_db: tuple[Path, object]) -> None:
    """DuckDB 2 refuses a relation while an execute() result is unfinished (fetchone)."""
    with Store(sample_db[0], read_only=True) as store:
        assert store.find_file("0" * 64) is None
        store.con.execute("SELECT record_id FROM records").fetchone()  # left unfinished
        assert len(store.frame("SELECT record_id FROM records")) > 4000


def test_single_row_lookups_leave_the_connection_free_for_relations(tmp_path: Path) -> None:
    """DuckDB refuses `con.sql` while a result is only partly fetched; the store's
    one-row lookups read theirs to the end (the Spark ingest exports right after them)."""
    with Store(tmp_path / "h.duckdb") as store:
        assert store.salt()
        assert store.find_file("0" * 64) is None
        assert store.next_ids() == (1, 1)
        assert store.rel("SELECT 42 AS x").fetchall() == [(42,)]


QUERY = "SELECT count(*) FROM range(20000000) t(x) WHERE x % 7 = 3"


def test_duckdbs_progress_bar_never_reaches_stdout(capfd: pytest.CaptureFixture[str]) -> None:
    """DuckDB draws a progress bar on stdout (even into a file or pipe) for slow queries;
    `quiet` turns it off. The bar is forced here to show at once (progress_bar_time 0)."""
    loud = duckdb.connect()
    loud.execute("SET progress_bar_time = 0")
    loud.execute(QUERY).fetchall()
    assert "100%" in capfd.readouterr().out  # the control: DuckDB does print it
    silenced = duckdb.connect()
    silenced.execute("SET progress_bar_time = 0")
    quiet(silenced)
    capfd.readouterr()  # (the SET itself ran under the forced bar)
    silenced.execute(QUERY).fetchall()
    silenced.cursor().execute(QUERY).fetchall()
    assert capfd.readouterr().out == ""


def test_every_connection_hcs_makes_has_the_progress_bar_off(
    sample_db: tuple[Path, object], tmp_path: Path
) -> None:
    def off(con: duckdb.DuckDBPyConnection) -> bool:
        # fetchall: a result left open (fetchone) makes the connection refuse relations
        return con.execute("SELECT current_setting('enable_progress_bar')").fetchall() == [(False,)]

    with Store(tmp_path / "w.duckdb") as store:
        assert off(store.con) and off(store.con.cursor())
    with Store(sample_db[0], read_only=True) as store:
        assert off(store.con)
        rec = store.active_records(2017)
    candidates(rec, PROBABLE)  # narwhals' DuckDB backend: DuckDB's default connection
    assert off(duckdb.default_connection())


def test_two_readers_of_an_old_store_wait_for_its_upgrade(
    sample_db: tuple[Path, object], tmp_path: Path
) -> None:
    """Cron's summary and export started together on an earlier hcs's store: each found
    it old, and each one's upgrade found the store held by the other's reading, and one
    ended with exit 3, "in use" (the session's audit, 5 of 7 tries). The upgrade waits
    while the store is held. Here another reader holds it for a second."""
    old = tmp_path / "v6.duckdb"
    _older_store(sample_db[0], old, 6)
    hold = (
        "import duckdb, sys, time; c = duckdb.connect(sys.argv[1], read_only=True); "
        "print(1, flush=True); time.sleep(1.0); c.close()"
    )
    holder = subprocess.Popen(
        [sys.executable, "-c", hold, str(old)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "1"
        with Store(old, read_only=True) as store:  # waits, then upgrades and reads
            row = store.con.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
            assert row == ("7",)
    finally:
        holder.wait(timeout=30)
        assert holder.stdout is not None
        holder.stdout.close()
