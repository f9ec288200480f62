"""The speed paths of ingest store exactly what the plain paths store."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from conftest import ID_A, ID_B, SAMPLE
from handcraft_stats import Store, ingest, load_settings, pipeline, workers
from handcraft_stats.parse import ParsedFile
from handcraft_stats.store import record_types
from handcraft_stats.versions import store_files

SETTINGS = load_settings(None)
TABLES = {
    "records": "SELECT * EXCLUDE (file_id) FROM records ORDER BY source_file, source_row",
    "persons": "SELECT * REPLACE (array_to_string(other_counties, '、') AS other_counties) "
    "FROM persons ORDER BY tier, person_key",
    "person_records": "SELECT pr.tier, pr.person_key, pr.county, r.source_file, r.source_row "
    "FROM person_records pr JOIN records r USING (record_id) ORDER BY ALL",
    "issues": "SELECT i.* EXCLUDE (file_id, record_id) FROM issues i ORDER BY ALL",
}


def _contents(db: Path) -> dict[str, pd.DataFrame]:
    with Store(db, read_only=True) as store:
        return {name: store.df(sql) for name, sql in TABLES.items()}


def _ingest(folder: Path, db: Path, jobs: int) -> None:
    with Store(db) as store:
        ingest([folder], store, SETTINGS, jobs=jobs)


def _without_salt(tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Person keys depend on the database's secret salt: name each person by her first
    record (file, row) instead; record ids depend on the order files landed in."""
    pr = tables["person_records"].copy()
    pr["row"] = pr["source_file"] + ":" + pr["source_row"].astype(str)
    first = pr.groupby(["tier", "person_key"])["row"].transform("min")
    name = dict(zip(pr["person_key"], first, strict=True))
    out = {}
    for table, frame in tables.items():
        frame = frame.drop(columns=["survivor"], errors="ignore")
        if "person_key" in frame.columns:
            frame = frame.assign(person_key=frame["person_key"].map(name))
        out[table] = frame.sort_values(list(frame.columns), ignore_index=True)
    return out


def test_forked_workers_store_what_one_process_stores(tmp_path: Path) -> None:
    folder = SAMPLE / "rosters" / "2017"
    _ingest(folder, tmp_path / "one.duckdb", jobs=1)
    _ingest(folder, tmp_path / "two.duckdb", jobs=2)
    one = _without_salt(_contents(tmp_path / "one.duckdb"))
    two = _without_salt(_contents(tmp_path / "two.duckdb"))
    assert len(one["records"]) > 1000 and len(one["persons"]) > 1000
    for name in TABLES:
        pd.testing.assert_frame_equal(one[name], two[name], obj=name)


def test_tiers_written_side_by_side_equal_tiers_written_one_by_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both tiers are stored at once on two cursors; the result equals storing them one
    after the other on the store's connection. No probable link is accepted here: the
    probable tier holds the same persons and conflicts."""
    folder = tmp_path / "rosters"
    folder.mkdir()
    (folder / "丰县2017.csv").write_text(
        "姓名,身份证号码,村(社区),从业产业,当年收入(元)\n"
        f"张丽,{ID_A},王庄村,手工编织,12000\n"
        f"张丽,{ID_A},李庄村,家政服务,12000\n"  # same woman: a conflicting wing
        f"王芳,{ID_B},王庄村,电商,9000\n",
        "utf-8",
    )
    threads: list[str] = []
    together = Store.replace_links

    def spy(self: Store, *args: object, **kwargs: object) -> None:
        import threading

        threads.append(threading.current_thread().name)
        together(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Store, "replace_links", spy)
    _ingest(folder, tmp_path / "together.duckdb", jobs=1)
    assert len(threads) == 2 and all(t.startswith("hcs-tier") for t in threads)

    def one_by_one(self: Store, period: int, tiers: list[object], **kw: object) -> None:
        for t in tiers:
            together(self, period, *t)  # type: ignore[arg-type,misc]

    monkeypatch.setattr(Store, "replace_tiers", one_by_one)
    _ingest(folder, tmp_path / "apart.duckdb", jobs=1)
    side = _without_salt(_contents(tmp_path / "together.duckdb"))
    apart = _without_salt(_contents(tmp_path / "apart.duckdb"))
    with Store(tmp_path / "together.duckdb", read_only=True) as store:
        by_tier = store.df("SELECT tier, count(*) AS n FROM persons GROUP BY tier ORDER BY tier")
        conflicts = store.df(
            "SELECT tier, \"column\" FROM issues WHERE code = 'conflict' ORDER BY tier"
        )
    assert by_tier["n"].tolist() == [2, 2]  # certain, probable
    assert conflicts.values.tolist() == [["certain", "wing"], ["probable", "wing"]]
    for name in TABLES:
        pd.testing.assert_frame_equal(side[name], apart[name], obj=name)


def test_a_tier_that_fails_to_store_leaves_the_period_to_relink(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One tier's write fails (a full disk, say): the error reaches the caller, and the
    period stays pending so the next ingest relinks it whole."""
    from handcraft_stats.versions import pending_periods

    folder = SAMPLE / "rosters" / "2017"
    db = tmp_path / "h.duckdb"
    real = Store.replace_links

    def failing(self: Store, period: int, tier: str, *rest: object, **kw: object) -> None:
        if tier == "probable":
            raise OSError("No space left on device")
        real(self, period, tier, *rest, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(Store, "replace_links", failing)
    with pytest.raises(OSError), Store(db) as store:
        ingest([folder], store, SETTINGS, jobs=1)
    monkeypatch.setattr(Store, "replace_links", real)
    with Store(db) as store:
        assert pending_periods(store) == {2017}
        report = ingest([folder], store, SETTINGS, jobs=1)  # files unchanged: relinks
        assert pending_periods(store) == set()
        assert all(f.status == "unchanged" for f in report.files)
        counts = store.df("SELECT tier, count(*) AS n FROM persons GROUP BY tier ORDER BY tier")
    assert counts["n"].iloc[0] > 1000 and counts["n"].iloc[1] > 1000


def test_person_keys_made_by_the_parse_equal_those_relinking_makes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ingest hashes ID person keys in the parse workers and relinking hashes only the
    rest; a relink without them (as after a re-ingest) gives every person the same key."""
    from handcraft_stats import person_keys

    hashed: list[int] = []  # how many keys each relink hashed (both tiers)
    mac, relink = person_keys._mac, pipeline.relink

    def counted(salt: str, bases: list[str]) -> list[str]:
        if hashed:
            hashed[-1] += len(bases)
        return mac(salt, bases)

    def relinked(*args: object, **kw: object) -> object:
        hashed.append(0)
        return relink(*args, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(person_keys, "_mac", counted)
    monkeypatch.setattr(pipeline, "relink", relinked)
    db = tmp_path / "h.duckdb"
    _ingest(SAMPLE / "rosters" / "2017", db, jobs=1)
    sql = "SELECT tier, record_id, person_key FROM person_records ORDER BY ALL"
    with Store(db) as store:
        made = store.df(sql)
        persons = int(store.df("SELECT count(*) AS n FROM persons")["n"][0])  # both tiers
        pipeline.relink(store, 2017, SETTINGS)
        pd.testing.assert_frame_equal(store.df(sql), made)
    assert 0 < hashed[0] < persons / 5  # at ingest: clusters of several, rows without an ID
    assert hashed[1] == persons  # without the parse's keys: every person of both tiers


def _thresholds_seen(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Record the collector's young threshold each time a file is parsed (in-process)."""
    import gc

    seen: list[int] = []
    real = workers.parse_file

    def spy(*args: object, **kwargs: object) -> object:
        seen.append(gc.get_threshold()[0])
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(workers, "parse_file", spy)
    return seen


def test_ingest_collects_garbage_less_often_and_restores_the_collector(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import gc

    before = gc.get_threshold()
    seen = _thresholds_seen(monkeypatch)
    _ingest(SAMPLE / "rosters" / "2017", tmp_path / "h.duckdb", jobs=1)
    assert seen and set(seen) == {max(workers.YOUNG_COLLECTION, before[0])}
    assert gc.get_threshold() == before
    with pytest.raises(RuntimeError), pipeline.fewer_collections():
        assert gc.get_threshold()[0] >= workers.YOUNG_COLLECTION
        raise RuntimeError("a failed ingest")
    assert gc.get_threshold() == before  # restored on the way out of a failure too


def test_a_spawned_worker_gets_the_collector_setting() -> None:
    import gc

    before = gc.get_threshold()
    try:
        workers._young_every(12_345)
        assert gc.get_threshold() == (12_345, *before[1:])
    finally:
        gc.set_threshold(*before)


def _wal_bytes(db: Path) -> int:
    wal = db.with_name(db.name + ".wal")
    return wal.stat().st_size if wal.exists() else 0


def test_bulk_load_defers_the_checkpoint_to_writing_back(tmp_path: Path) -> None:
    from handcraft_stats.store import BULK_LOG

    db = tmp_path / "h.duckdb"
    setting = "SELECT current_setting('checkpoint_threshold')"
    with Store(db) as store:
        default = store.con.execute(setting).fetchall()
        with store.bulk_load():
            store.con.execute("CREATE TABLE t AS SELECT range AS x FROM range(100000)")
        assert store.con.execute(setting).fetchall() == [(BULK_LOG,)]
        assert _wal_bytes(db) > 0  # committed to the log, not yet to the database file
        with store.writing_back():
            total = sum(range(10**6))  # the caller computes meanwhile
        assert total and _wal_bytes(db) == 0
        assert store.con.execute(setting).fetchall() == default
    with Store(db, read_only=True) as store:
        assert store.df("SELECT count(*) AS n FROM t")["n"].iloc[0] == 100000


def test_writing_back_checkpoints_in_the_foreground_when_the_background_one_fails(
    tmp_path: Path,
) -> None:
    """The background checkpoint fails: it is run again after the block, and the ingest
    does not fail for it."""
    import duckdb

    class Refusing:  # the store's connection, whose cursors refuse to checkpoint
        def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
            self.con = con

        def cursor(self) -> object:
            class Cursor:
                def execute(self, sql: str) -> None:
                    raise duckdb.TransactionException(f"cannot {sql} now")

                def close(self) -> None:
                    pass

            return Cursor()

        def __getattr__(self, name: str) -> object:
            return getattr(self.con, name)

    db = tmp_path / "h.duckdb"
    with Store(db) as store:
        with store.bulk_load():
            store.con.execute("CREATE TABLE t AS SELECT range AS x FROM range(100000)")
        real, store.con = store.con, Refusing(store.con)  # type: ignore[assignment]
        with store.writing_back():
            assert _wal_bytes(db) > 0
        store.con = real
        assert _wal_bytes(db) == 0
    with Store(db, read_only=True) as store:
        assert store.df("SELECT count(*) AS n FROM t")["n"].iloc[0] == 100000


def test_closing_after_a_bulk_load_writes_the_database_file(tmp_path: Path) -> None:
    db = tmp_path / "h.duckdb"
    with Store(db) as store, store.bulk_load():
        store.con.execute("CREATE TABLE t AS SELECT range AS x FROM range(1000)")
    assert _wal_bytes(db) == 0
    with Store(db, read_only=True) as store:
        assert store.df("SELECT count(*) AS n FROM t")["n"].iloc[0] == 1000


def test_bulk_load_leaves_no_change_after_a_failure(tmp_path: Path) -> None:
    db = tmp_path / "h.duckdb"
    with Store(db) as store:
        setting = "SELECT current_setting('checkpoint_threshold')"
        default = store.con.execute(setting).fetchone()
        with pytest.raises(ValueError), store.bulk_load():
            raise ValueError("a refused file")
        assert store.con.execute(setting).fetchone() == default


def test_a_large_period_writes_back_before_linking_and_stores_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Above BESIDE_LINKING records the bulk load's checkpoint runs before linking, not
    beside it, and the tiers are stored one after the other (memory); what is stored is
    the same either way."""
    folder = SAMPLE / "rosters" / "2017"
    _ingest(folder, tmp_path / "beside.duckdb", jobs=1)
    calls: list[int] = []
    real = Store.write_back

    def spy(self: Store) -> None:
        if self._unwritten is not None:  # a checkpoint to run (not the final no-op)
            calls.append(self.active_count(2017))
        real(self)

    threads: list[str] = []
    one = Store.replace_links

    def tier_spy(self: Store, *args: object, **kwargs: object) -> None:
        import threading

        threads.append(threading.current_thread().name)
        one(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(pipeline, "BESIDE_LINKING", 0)
    monkeypatch.setattr(Store, "write_back", spy)
    monkeypatch.setattr(Store, "replace_links", tier_spy)
    _ingest(folder, tmp_path / "before.duckdb", jobs=1)
    beside = _without_salt(_contents(tmp_path / "beside.duckdb"))
    before = _without_salt(_contents(tmp_path / "before.duckdb"))
    assert calls == [len(before["records"])]
    assert threads == ["MainThread", "MainThread"]  # one tier after the other
    for name in TABLES:
        pd.testing.assert_frame_equal(beside[name], before[name], obj=name)


def test_money_and_dates_handed_over_as_arrow_store_what_python_objects_store(
    tmp_path: Path,
) -> None:
    """Rosters parsed to be stored carry money and dates as Arrow columns of the store's
    types; stored, every record is what the Python decimals and dates give."""
    files = sorted(p for p in (SAMPLE / "rosters").rglob("*") if p.is_file())
    for typed in (False, True):
        with Store(tmp_path / f"{typed}.duckdb") as store:
            for path in files:
                pf = workers._parse(path, SETTINGS, None, None, store.salt() if typed else None)
                assert isinstance(pf, ParsedFile), pf
                kinds = {str(pf.records[c].dtype) for c in record_types()}
                assert kinds == ({"decimal128(14, 2)[pyarrow]", "date32[day][pyarrow]"}
                                 if typed else {"object"})  # fmt: skip
                store_files(store, [pf])
    plain, typed = (_contents(tmp_path / f"{t}.duckdb")["records"] for t in (False, True))
    assert len(plain) == 4424
    pd.testing.assert_frame_equal(plain, typed)


@pytest.mark.skipif(not Path("/proc/self/statm").exists(), reason="Linux only (glibc)")
@pytest.mark.parametrize("roomy", [False, True])
def test_roomy_heap_keeps_freed_memory_for_reuse(roomy: bool) -> None:
    """After `roomy_heap`, a freed 64 MiB block stays in the process for the next
    allocation (no new page faults); without it (the control) glibc maps such a block
    and gives it back at once. Run in a fresh interpreter: the setting is process-wide."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "import numpy as np\n"
        "from handcraft_stats.pipeline import roomy_heap\n"
        "if sys.argv[1] == 'yes':\n"
        "    roomy_heap()\n"
        "def rss():\n"
        "    return int(open('/proc/self/statm').read().split()[1]) * 4096\n"
        "block = np.ones(64 * 2**20, dtype=np.uint8)\n"
        "held = rss()\n"
        "del block\n"
        "print(held - rss())\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, "yes" if roomy else "no"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    given_back = int(out.stdout.strip())
    if roomy:
        assert given_back < 8 * 2**20
    else:
        assert given_back > 48 * 2**20


def test_never_more_parse_workers_than_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """-j 64 on 30 files started 64 workers: 26 s instead of 4.6."""
    from concurrent.futures import ProcessPoolExecutor

    from conftest import write_xlsx

    started: list[int] = []

    class Counted(ProcessPoolExecutor):
        def __init__(self, max_workers: int, **kw: object) -> None:
            started.append(max_workers)
            super().__init__(max_workers, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(workers, "ProcessPoolExecutor", Counted)
    files = [write_xlsx(tmp_path / f"丰县2017_{i}.xlsx", {"S": [["姓名", "身份证号码"], ["张丽", i]]})
             for i in (ID_A, ID_B)]  # fmt: skip
    got = list(workers.parse_all(files, load_settings(None), None, None, jobs=64))
    assert started == [2] and len(got) == 2
