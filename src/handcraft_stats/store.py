"""The only module that talks to DuckDB: schema, migrations, transactions, queries."""

from __future__ import annotations

import json
import os
import re
import secrets
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import duckdb
import pyarrow as pa

from .errors import EnvironmentProblem, UsageError

if TYPE_CHECKING:  # pandas (0.14 s to import) only when a frame is asked for: not by summary
    import numpy as np
    import pandas as pd

RECORD_COLUMNS = """
    record_id BIGINT NOT NULL, file_id INTEGER NOT NULL, period INTEGER NOT NULL,
    county VARCHAR NOT NULL, source_file VARCHAR NOT NULL, source_sheet VARCHAR NOT NULL,
    source_row INTEGER NOT NULL, name VARCHAR, name_raw VARCHAR, name_key VARCHAR,
    id_number VARCHAR, id_status VARCHAR NOT NULL, id_key VARCHAR, birth_date DATE,
    county_text VARCHAR, town VARCHAR, village VARCHAR, household_head VARCHAR,
    relation_to_head VARCHAR, phone VARCHAR, labor_capacity VARCHAR, willing VARCHAR,
    wing VARCHAR, trainings INTEGER, new_practitioner BOOLEAN, income_before DECIMAL(14,2),
    income_after DECIMAL(14,2), exit_year INTEGER, status VARCHAR, broker VARCHAR,
    visit_date DATE, note VARCHAR, filled INTEGER NOT NULL, extras VARCHAR
"""
PERSON_COLUMNS = """
    period INTEGER NOT NULL, tier VARCHAR NOT NULL, person_key VARCHAR NOT NULL,
    survivor BIGINT NOT NULL, records INTEGER NOT NULL, counties INTEGER NOT NULL,
    probable BOOLEAN NOT NULL, name VARCHAR, id_number VARCHAR, birth_date DATE,
    phone VARCHAR, labor_capacity VARCHAR NOT NULL, willing VARCHAR NOT NULL,
    class VARCHAR NOT NULL, wing VARCHAR NOT NULL, trainings INTEGER,
    new_practitioner BOOLEAN NOT NULL, income_before_cents BIGINT, income_after_cents BIGINT,
    exit_year INTEGER, status VARCHAR NOT NULL
"""

MIGRATIONS: list[str] = [
    f"""
    CREATE TABLE meta (key VARCHAR PRIMARY KEY, value VARCHAR);
    CREATE TABLE files (
        file_id INTEGER PRIMARY KEY, name VARCHAR NOT NULL, path VARCHAR NOT NULL,
        sha256 VARCHAR NOT NULL, size BIGINT NOT NULL, format VARCHAR NOT NULL,
        county VARCHAR NOT NULL, period INTEGER NOT NULL, version INTEGER NOT NULL,
        active BOOLEAN NOT NULL, replaced_by INTEGER, ingested_at TIMESTAMP NOT NULL,
        sheets INTEGER NOT NULL, records INTEGER NOT NULL, extras VARCHAR);
    CREATE TABLE sheets (file_id INTEGER NOT NULL, position INTEGER NOT NULL,
        sheet VARCHAR NOT NULL, roster BOOLEAN NOT NULL, reason VARCHAR,
        header_rows VARCHAR, records INTEGER NOT NULL);
    CREATE TABLE skipped_rows (file_id INTEGER NOT NULL, sheet VARCHAR NOT NULL,
        source_row INTEGER NOT NULL, kind VARCHAR NOT NULL);
    CREATE TABLE records ({RECORD_COLUMNS});
    CREATE TABLE issues (file_id INTEGER NOT NULL, record_id BIGINT, period INTEGER NOT NULL,
        county VARCHAR NOT NULL, source_file VARCHAR NOT NULL, source_sheet VARCHAR NOT NULL,
        source_row INTEGER, code VARCHAR NOT NULL, severity VARCHAR NOT NULL,
        "column" VARCHAR, value VARCHAR, message VARCHAR NOT NULL, tier VARCHAR);
    CREATE TABLE links (period INTEGER NOT NULL, tier VARCHAR NOT NULL,
        record_a BIGINT NOT NULL, record_b BIGINT NOT NULL, reason VARCHAR NOT NULL,
        link_tier VARCHAR NOT NULL);
    CREATE TABLE person_records (period INTEGER NOT NULL, tier VARCHAR NOT NULL,
        record_id BIGINT NOT NULL, person_key VARCHAR NOT NULL, county VARCHAR NOT NULL);
    CREATE TABLE persons ({PERSON_COLUMNS});
    """,
    """
    ALTER TABLE links ADD COLUMN status VARCHAR DEFAULT 'accepted';
    CREATE TABLE decisions (sig_a VARCHAR NOT NULL, sig_b VARCHAR NOT NULL,
        decision VARCHAR NOT NULL, decided_at TIMESTAMP NOT NULL, source VARCHAR,
        PRIMARY KEY (sig_a, sig_b));
    """,
    """
    ALTER TABLE persons ADD COLUMN has_id BOOLEAN DEFAULT false;
    """,
    # records without the primary key on record_id (DuckDB cannot drop one: the table
    # is copied). Maintaining its index was a fifth of storing a roster (0.2 s of CPU
    # per 220k records, beside the workers parsing) and served nothing: record ids are
    # handed out under the store's write lock, records are never updated or deleted,
    # and reads scan record_id ranges, which the row groups' min/max already prune.
    f"""
    CREATE TABLE records_v4 ({RECORD_COLUMNS});
    INSERT INTO records_v4 BY NAME SELECT * FROM records;
    DROP TABLE records;
    ALTER TABLE records_v4 RENAME TO records;
    """,
]


class TierRows(NamedTuple):
    """What `Store.replace_tiers` stores for one tier (frames as for replace_links)."""

    tier: str
    links: pd.DataFrame
    members: pd.DataFrame
    persons: pd.DataFrame
    conflicts: pd.DataFrame


@dataclass(frozen=True, slots=True)
class FileRow:
    file_id: int
    name: str
    sha256: str
    county: str
    period: int
    version: int


class Store:
    """A DuckDB file holding files, records, issues, links and persons.

    Personal data: while a Store is open for writing, the process creates files readable
    by their owner only (umask 077), so the database, its .wal and DuckDB's temporary
    files are mode 0600 from their first byte."""

    def __init__(self, path: Path, read_only: bool = False) -> None:
        self.path = path
        self._umask: int | None = None
        self._known: dict[str, dict[str, str]] = {}
        self._unwritten: str | None = None  # bulk_load's checkpoint, not yet run
        if read_only and not path.exists():
            raise EnvironmentProblem(f"database {path} does not exist: run `hcs ingest` first")
        if not read_only:
            self._umask = os.umask(0o077)
        try:
            self.con = quiet(duckdb.connect(str(path), read_only=read_only))
            if not read_only:
                self._migrate()
        except duckdb.IOException as exc:
            self._restore_umask()
            raise EnvironmentProblem(_io_message(path, exc)) from None
        except duckdb.Error as exc:
            self._restore_umask()
            raise EnvironmentProblem(f"cannot open database {path}: {_first(exc)}") from None
        except BaseException:
            self._restore_umask()
            raise

    def close(self) -> None:
        try:
            if self._unwritten is not None:  # DuckDB checkpoints as it closes
                self.con.execute(f"SET checkpoint_threshold = '{self._unwritten}'")
            self.con.close()
        finally:
            self._restore_umask()

    def _restore_umask(self) -> None:
        if self._umask is not None:
            os.umask(self._umask)
            self._umask = None

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- schema -------------------------------------------------------------
    def _migrate(self) -> None:
        has_meta = _one(
            self.con.execute(
                "SELECT count(*) FROM information_schema.tables WHERE table_name = 'meta'"
            )
        )
        version = 0
        if has_meta and has_meta[0]:
            row = _one(self.con.execute("SELECT value FROM meta WHERE key='schema_version'"))
            version = int(row[0]) if row else 0
        for i, sql in enumerate(MIGRATIONS[version:], start=version + 1):
            with self.transaction():
                self.con.execute(sql)
                self.con.execute(
                    "INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", [str(i)]
                )
                if i == 1:
                    self.con.execute("INSERT INTO meta VALUES ('salt', ?)", [secrets.token_hex(16)])

    def salt(self) -> str:
        row = _one(self.con.execute("SELECT value FROM meta WHERE key='salt'"))
        return str(row[0]) if row else ""

    @contextmanager
    def transaction(self, con: duckdb.DuckDBPyConnection | None = None) -> Iterator[None]:
        """One transaction on the store's connection (or `con`, one of its cursors)."""
        con = self.con if con is None else con
        con.execute("BEGIN TRANSACTION")
        try:
            yield
        except BaseException:
            con.execute("ROLLBACK")
            raise
        con.execute("COMMIT")

    @contextmanager
    def bulk_load(self) -> Iterator[None]:
        """Store many files, then write them into the database file once. DuckDB
        checkpoints whenever its log passes 16 MB; every checkpoint recompresses the
        table's last, partly filled row group, so storing ten 22k-record files ran
        checkpoints of 0.1-0.3 s that grew with the table (~0.9 s of a 220k-record
        ingest) where one checkpoint at the end takes 0.36 s. That checkpoint is left to
        `writing_back` (or to closing). Commits stay durable (the log is synced at each
        commit; a killed run's log is replayed at the next open). DuckDB runs on one
        thread meanwhile: the parse workers have the cores, and a roster's inserts are
        small (whole 220k ingests alternating: faster in 12 of 16 pairs, medians
        6.52 -> 6.39 s and 6.63 -> 6.53 s)."""
        row = _one(self.con.execute("SELECT current_setting('checkpoint_threshold')"))
        before = str(row[0]) if row else "16.0 MiB"
        threads = _one(self.con.execute("SELECT current_setting('threads')"))[0]
        self.con.execute(f"SET checkpoint_threshold = '{BULK_LOG}'")
        self.con.execute("SET threads = 1")
        try:
            yield
        except BaseException:
            self.con.execute(f"SET checkpoint_threshold = '{before}'")
            raise
        finally:
            self.con.execute(f"SET threads = {int(threads)}")
        self._unwritten = before

    def write_back(self) -> None:
        """Run the checkpoint `bulk_load` left to do, now."""
        before, self._unwritten = self._unwritten, None
        if before is not None:
            self.con.execute(f"SET checkpoint_threshold = '{before}'")
            self.con.execute("CHECKPOINT")

    @contextmanager
    def writing_back(self) -> Iterator[None]:
        """Run the checkpoint `bulk_load` left to do on a cursor in a thread, while the
        caller computes without the database (DuckDB checkpoints outside Python's lock).
        The checkpoint starts before the block and is waited for after it."""
        before, self._unwritten = self._unwritten, None
        if before is None:
            yield
            return
        cursor = self.con.cursor()
        pool = ThreadPoolExecutor(1, thread_name_prefix="hcs-checkpoint")
        done = pool.submit(cursor.execute, "CHECKPOINT")
        try:
            yield
        finally:
            try:
                done.result()
                written = True
            except duckdb.Error:  # run it again below, in the foreground
                written = False
            finally:
                pool.shutdown()
                cursor.close()
            self.con.execute(f"SET checkpoint_threshold = '{before}'")
            if not written:
                self.con.execute("CHECKPOINT")

    # -- files --------------------------------------------------------------
    def find_file(self, sha256: str) -> FileRow | None:
        row = _one(
            self.con.execute(
                "SELECT file_id, name, sha256, county, period, version FROM files "
                "WHERE sha256 = ? AND active ORDER BY file_id LIMIT 1",
                [sha256],
            )
        )
        return FileRow(*row) if row else None

    def next_ids(self) -> tuple[int, int]:
        row = _one(
            self.con.execute(
                "SELECT (SELECT coalesce(max(file_id), 0) + 1 FROM files), "
                "(SELECT coalesce(max(record_id), 0) + 1 FROM records)"
            )
        )
        assert row is not None
        return int(row[0]), int(row[1])

    def previous_version(self, name: str, county: str, period: int) -> FileRow | None:
        row = _one(
            self.con.execute(
                "SELECT file_id, name, sha256, county, period, version FROM files "
                "WHERE name = ? AND county = ? AND period = ? AND active",
                [name, county, period],
            )
        )
        return FileRow(*row) if row else None

    def next_version(self, county: str, period: int) -> int:
        """Versions count the submissions of one county and period: 1, 2, …"""
        row = _one(
            self.con.execute(
                "SELECT coalesce(max(version), 0) + 1 FROM files WHERE county = ? AND period = ?",
                [county, period],
            )
        )
        return int(row[0]) if row else 1

    def period_issue_counts(self, period: int, rules: Iterable[str], tier: str) -> dict[str, int]:
        """Issues of the whole period by code: the period `rules`' and the conflicts of
        `tier` (both rewritten at every relink, over the active records)."""
        codes = list(rules)
        rows = self.con.execute(
            f"""SELECT code, count(*) FROM issues WHERE period = ?
                AND ((tier IS NULL AND code IN ({", ".join("?" * len(codes))}))
                     OR (tier = ? AND code = 'conflict'))
                GROUP BY code ORDER BY code""",
            [period, *codes, tier],
        ).fetchall()
        return {str(code): int(n) for code, n in rows}

    def active_sizes(self) -> set[int]:
        """The sizes in bytes of the active files: a file of another size is not stored."""
        return {int(r[0]) for r in self.con.execute(
            "SELECT DISTINCT size FROM files WHERE active").fetchall()}  # fmt: skip

    def stored_report(self, file_id: int, period_rules: Iterable[str]) -> dict[str, Any]:
        """What the ingest report says of a stored file, from what was stored of it: its
        sheets, skipped rows by kind and the issues its own checks found (not the
        `period_rules`' nor conflicts, which belong to the period), each in the order the
        parse met them."""
        sheets = self.con.execute(
            "SELECT sheet, roster, reason FROM sheets WHERE file_id = ? ORDER BY position",
            [file_id],
        ).fetchall()
        skipped = self.con.execute(
            """SELECT r.kind, count(*) FROM skipped_rows r
               JOIN sheets s ON s.file_id = r.file_id AND s.sheet = r.sheet
               WHERE r.file_id = ? GROUP BY r.kind
               ORDER BY min(s.position * 2147483648 + r.source_row), r.kind""",
            [file_id],
        ).fetchall()
        codes = list(period_rules)
        issues = self.con.execute(
            f"""SELECT code, count(*), count(*) FILTER (WHERE severity = 'error') FROM issues
               WHERE file_id = ? AND tier IS NULL AND code NOT IN ({", ".join("?" * len(codes))})
               GROUP BY code ORDER BY min(record_id), code""",
            [file_id, *codes],
        ).fetchall()
        records, extras = _one(
            self.con.execute("SELECT records, extras FROM files WHERE file_id = ?", [file_id])
        )
        skipped_sheets, refused_sheets = sheets_not_stored(
            (name, bool(roster), reason or "") for name, roster, reason in sheets
        )
        return {
            "sheets": sum(bool(roster) for _, roster, _ in sheets),
            "sheets_skipped": skipped_sheets,
            "sheets_refused": refused_sheets,
            "records": int(records),
            "rows_skipped_by_kind": {kind: int(n) for kind, n in skipped},
            "issues_by_code": {code: int(n) for code, n, _ in issues},
            "errors": sum(int(e) for _, _, e in issues),
            "unknown_columns": unknown_labels(extras),
        }  # fmt: skip

    def active_files(self, county: str, period: int) -> list[FileRow]:
        rows = self.con.execute(
            "SELECT file_id, name, sha256, county, period, version FROM files "
            "WHERE county = ? AND period = ? AND active ORDER BY file_id",
            [county, period],
        ).fetchall()
        return [FileRow(*r) for r in rows]

    def history(self, county: str | None = None, period: int | None = None) -> pd.DataFrame:
        """Every file ever ingested, oldest first, with what replaced it."""
        return self.df(
            """SELECT f.file_id, f.ingested_at, f.county, f.period, f.version, f.name, f.path,
                      f.format, f.sha256, f.sheets, f.records, f.active,
                      n.name AS replaced_by, f.replaced_by AS replaced_by_id
               FROM files f LEFT JOIN files n ON n.file_id = f.replaced_by
               WHERE ($county IS NULL OR f.county = $county)
                 AND ($period IS NULL OR f.period = $period)
               ORDER BY f.file_id""",
            {"county": county, "period": period},
        )

    def insert_file(self, values: dict[str, Any], tables: dict[str, pd.DataFrame]) -> None:
        """Insert one file and its rows; the caller holds the transaction."""
        cols = ", ".join(values)
        marks = ", ".join("?" for _ in values)
        self.con.execute(f"INSERT INTO files ({cols}) VALUES ({marks})", list(values.values()))
        for table, frame in tables.items():
            if len(frame):
                self.append(table, frame)

    def append(
        self, table: str, frame: pd.DataFrame, con: duckdb.DuckDBPyConnection | None = None
    ) -> None:
        """Bulk insert the frame's columns that the table has (by name), in slices of
        `APPEND_ROWS`: a million persons converted to Arrow at once held ~100 MB more at
        the peak of a million-record ingest. `con`: one of the store's cursors."""
        for start in range(0, len(frame), APPEND_ROWS):
            self._append(table, frame.iloc[start : start + APPEND_ROWS], con or self.con)

    def _append(self, table: str, frame: pd.DataFrame, con: duckdb.DuckDBPyConnection) -> None:
        have = self._columns(table)
        names = [c for c in frame.columns if c in have]
        cols = ", ".join(f'"{c}"' for c in names)
        try:  # DuckDB reads Arrow faster than pandas' arrow-backed strings (~1.7x)
            source: Any = pa.table([self._arrow(table, frame[c]) for c in names], names=names)
        except (pa.ArrowException, ValueError, TypeError):  # mixed object column
            source = frame
        con.register("_hcs_append", source)
        try:
            con.execute(f"INSERT INTO {table} BY NAME SELECT {cols} FROM _hcs_append")
        finally:
            con.unregister("_hcs_append")

    def _columns(self, table: str) -> dict[str, str]:
        """A table's column names and types (the schema changes only in migrations:
        asked once)."""
        if table not in self._known:
            rows = self.con.execute(
                "SELECT column_name, data_type FROM information_schema.columns "
                "WHERE table_name = ?",
                [table],
            ).fetchall()
            self._known[table] = {r[0]: r[1] for r in rows}
        return self._known[table]

    def _arrow(self, table: str, column: pd.Series) -> pa.Array | pa.ChunkedArray:
        """A column as Arrow; an object column of decimals or dates is given the table's
        type, which converts 4-5x faster than letting Arrow infer it value by value."""
        if column.dtype == object:
            declared = _arrow_type(self._columns(table)[str(column.name)])
            if declared is not None:
                return pa.array(column.to_numpy(), type=declared, from_pandas=True)
        return pa.Array.from_pandas(column)

    def deactivate(self, file_id: int, replaced_by: int) -> None:
        self.con.execute(
            "UPDATE files SET active = false, replaced_by = ? WHERE file_id = ?",
            [replaced_by, file_id],
        )

    # -- review decisions ---------------------------------------------------
    SIGNATURE = (
        "md5(concat_ws('|', r.county, coalesce(r.name, ''), coalesce(r.id_number, ''), "
        "coalesce(CAST(r.birth_date AS VARCHAR), ''), coalesce(r.village, '')))"
    )

    def add_decisions(self, pairs: pd.DataFrame, source: str, marks: Iterable[str] = ()) -> int:
        """Keep analysts' decisions (record_a, record_b, decision same|different) by the
        records' content signatures, so they survive re-ingest; returns how many. One
        statement for all of them (a filled-in listing of 10,000 links inserted row by
        row took seconds); of two decisions on one pair the later in `pairs` holds.
        `marks`: `meta` keys set (to "1") in the same transaction."""
        frame = pairs[["record_a", "record_b", "decision"]].assign(  # noqa: F841 (by name)
            pos=range(len(pairs))
        )
        sig = self.SIGNATURE
        matched = f"""SELECT least(sa, sb) AS a, greatest(sa, sb) AS b, decision, pos FROM (
            SELECT (SELECT {sig} FROM records r WHERE r.record_id = f.record_a) AS sa,
                   (SELECT {sig} FROM records r WHERE r.record_id = f.record_b) AS sb,
                   f.decision, f.pos FROM frame f) WHERE sa IS NOT NULL AND sb IS NOT NULL"""
        with self.transaction():
            row = _one(self.con.execute(f"SELECT count(*) FROM ({matched})"))
            self.con.execute(
                f"""INSERT OR REPLACE INTO decisions
                    SELECT a, b, decision, now(), ? FROM ({matched})
                    QUALIFY row_number() OVER (PARTITION BY a, b ORDER BY pos DESC) = 1""",
                [source],
            )
            for key in marks:
                self.con.execute("INSERT OR REPLACE INTO meta VALUES (?, '1')", [key])
        return int(row[0]) if row else 0

    def decisions_for(self, period: int) -> pd.DataFrame:
        """Decisions mapped onto the period's active records."""
        sig = self.SIGNATURE
        return self.df(
            f"""WITH s AS (SELECT r.record_id, {sig} AS sig FROM records r
                          JOIN files f USING (file_id) WHERE f.active AND r.period = ?
                          AND EXISTS (SELECT 1 FROM decisions))  -- no signatures without
                SELECT a.record_id AS record_a, b.record_id AS record_b, d.decision
                FROM decisions d JOIN s a ON a.sig = d.sig_a JOIN s b ON b.sig = d.sig_b
                WHERE a.record_id <> b.record_id ORDER BY 1, 2""",
            [period],
        )

    # -- queries ------------------------------------------------------------
    def df(self, sql: str, params: list[Any] | dict[str, Any] | None = None) -> pd.DataFrame:
        return self.con.execute(sql, params or []).df()

    def rel(self, sql: str) -> duckdb.DuckDBPyRelation:
        return self.con.sql(sql)

    def periods(self) -> list[int]:
        rows = self.con.execute(
            "SELECT DISTINCT period FROM files WHERE active ORDER BY period"
        ).fetchall()
        return [int(r[0]) for r in rows]

    def require_periods(self, *years: int) -> None:
        """UsageError (exit 2) naming the periods held when a year is not in the store."""
        have = self.periods()
        for y in years:
            if y not in have:
                held = ", ".join(map(str, have)) or "none"
                raise UsageError(f"no rosters for {y} in the database (periods: {held})")

    def active_count(self, period: int) -> int:
        """How many records the period's active files hold."""
        row = _one(self.con.execute(
            "SELECT coalesce(sum(records), 0) FROM files WHERE active AND period = ?", [period]
        ))  # fmt: skip
        return int(row[0]) if row else 0

    def active_records(self, period: int, leave_out: tuple[str, ...] = ()) -> pd.DataFrame:
        """The period's records of active files, by record_id (without `leave_out` columns)."""
        # A plain filtered scan keeps the table's order (record ids grow as files land);
        # an ORDER BY or a join would materialise the whole result first (a million
        # records: 1.3 GB at the peak instead of 0.9 GB).
        ids = [r[0] for r in self.con.execute(
            "SELECT file_id FROM files WHERE active AND period = ?", [period]
        ).fetchall()]  # fmt: skip
        rec = self.frame(
            f"SELECT * {_exclude(leave_out)} FROM records "
            "WHERE period = ? AND list_contains(?, file_id)",
            [period, ids],
        )
        if rec["record_id"].is_monotonic_increasing:
            return rec
        return rec.sort_values("record_id", ignore_index=True)

    def frame(self, sql: str, params: list[Any] | None = None) -> pd.DataFrame:
        """`df` for large results: read as Arrow record batches and converted once to the
        dtypes `df` gives (2.6-5.7x faster for records; a whole-result `df` of a million
        records peaked at 7x the frame's size, this at 2x)."""
        self.con.execute("SELECT 1").fetchall()  # ends a result another module left open
        reader = self.con.sql(sql, params=params or []).to_arrow_reader(100_000)
        table = pa.Table.from_batches(list(reader), schema=reader.schema)
        return arrow_frame(table) if table.num_rows else self.df(sql, params)

    def replace_period_issues(
        self, period: int, codes: tuple[str, ...], frame: pd.DataFrame
    ) -> None:
        """Replace the issues of period-wide rules (recomputed at every relink)."""
        with self.transaction():
            marks = ", ".join("?" for _ in codes)
            self.con.execute(
                f"DELETE FROM issues WHERE period = ? AND code IN ({marks})", [period, *codes]
            )
            if len(frame):
                self.append("issues", frame)

    def replace_links(
        self, period: int, tier: str, links: pd.DataFrame, members: pd.DataFrame,
        persons: pd.DataFrame, conflicts: pd.DataFrame,
        con: duckdb.DuckDBPyConnection | None = None,
    ) -> None:  # fmt: skip
        """Replace a tier's links, persons, their records and conflicts (one transaction
        on the store's connection, or on `con`, one of its cursors)."""
        con = self.con if con is None else con
        with self.transaction(con):
            for table in ("links", "person_records", "persons"):
                con.execute(f"DELETE FROM {table} WHERE period = ? AND tier = ?", [period, tier])
            con.execute(
                "DELETE FROM issues WHERE period = ? AND tier = ? AND code = 'conflict'",
                [period, tier],
            )
            for table, frame in (
                ("links", links), ("person_records", members), ("persons", persons),
                ("issues", conflicts),
            ):  # fmt: skip
                if len(frame):
                    self.append(table, frame, con)

    def replace_tiers(self, period: int, tiers: list[TierRows], together: bool = True) -> None:
        """`replace_links` for several tiers, each in its own transaction; `together`: at
        once, each on its own cursor and thread. DuckDB compresses the rows it stores
        outside Python's lock, so the tiers are written side by side on two cores: two
        tiers of 220k persons took 0.53 s one after the other, 0.34 s together (at 1M
        records, 1-2 s less and ~60 MiB more at the peak). A tier that fails leaves the
        others stored; the period stays pending (versions.mark_pending), so the next
        ingest relinks it."""
        for table in ("links", "person_records", "persons", "issues"):
            self._columns(table)  # asked here: the threads share the cache, not the connection
        if len(tiers) < 2 or not together:
            for t in tiers:
                self.replace_links(period, *t)
            return
        self._side_by_side(tiers, lambda c, t: self.replace_links(period, *t, con=c))

    def _side_by_side(
        self, tiers: list[TierRows], write: Callable[[duckdb.DuckDBPyConnection, TierRows], None]
    ) -> None:
        """`write` each tier on a cursor of its own, in threads (DuckDB compresses outside
        Python's lock); the first failure is raised once all have ended."""
        cursors = [self.con.cursor() for _ in tiers]
        try:
            with ThreadPoolExecutor(max(1, len(tiers)), thread_name_prefix="hcs-tier") as pool:
                done = [pool.submit(write, c, t) for t, c in zip(tiers, cursors, strict=True)]
                for future in done:
                    future.result()
        finally:
            for c in cursors:
                c.close()

    # -- relinking a part of a period (delta.py) -----------------------------
    def linked_record_ids(self, period: int, tier: str) -> np.ndarray[Any, Any]:
        """The record ids the period's last relink gave persons at `tier`, sorted."""
        import numpy as np

        rows = self.con.execute(
            "SELECT record_id FROM person_records WHERE period = ? AND tier = ? ORDER BY 1",
            [period, tier],
        ).fetchnumpy()
        return np.asarray(rows["record_id"], dtype=np.int64)

    def stored_link_pairs(self, period: int, tier: str) -> pd.DataFrame:
        """Every stored link of the period at `tier` (accepted or not): record_a, record_b."""
        return self.df(
            "SELECT record_a, record_b FROM links WHERE period = ? AND tier = ?", [period, tier]
        )

    def replace_part(self, period: int, ids: np.ndarray[Any, Any], tiers: list[TierRows]) -> bool:
        """`replace_tiers` for a part of the period (delta.py): the persons, person
        records, links and conflicts of the records `ids` (active or gone) are replaced by
        the tiers' rows, the rest of the period's are kept. False, and nothing written,
        when a new person key is already a person's outside the part. The tiers are
        written side by side, each in its own transaction on its own cursor."""
        part = pa.table({"record_id": pa.array(ids, pa.int64())})
        with self._registered(self.con, delta_ids=part):
            for t in tiers:
                keys = pa.table({"person_key": pa.array(t.persons["person_key"], pa.string())})
                with self._registered(self.con, delta_keys=keys):
                    row = _one(self.con.execute(
                        "SELECT count(*) FROM person_records WHERE period = ? AND tier = ? "
                        "AND record_id NOT IN (SELECT record_id FROM delta_ids) "
                        "AND person_key IN (SELECT person_key FROM delta_keys)",
                        [period, t.tier],
                    ))  # fmt: skip
                if row and row[0]:
                    return False
        for table in ("links", "person_records", "persons", "issues"):
            self._columns(table)  # asked here: the threads share the cache, not the connection
        self._side_by_side(tiers, lambda c, t: self._replace_part(period, part, t, c))
        return True

    def _replace_part(
        self, period: int, part: pa.Table, rows: TierRows, con: duckdb.DuckDBPyConnection
    ) -> None:
        mine = "record_id IN (SELECT record_id FROM delta_ids)"
        tier, at = "period = ? AND tier = ?", [period, rows.tier]
        with self._registered(con, delta_ids=part), self.transaction(con):
            con.execute(
                f"DELETE FROM persons WHERE {tier} AND person_key IN ("
                f"SELECT person_key FROM person_records WHERE {tier} AND {mine})",
                at + at,
            )
            con.execute(f"DELETE FROM person_records WHERE {tier} AND {mine}", at)
            con.execute(
                f"DELETE FROM links WHERE {tier} AND (record_a IN (SELECT record_id FROM "
                "delta_ids) OR record_b IN (SELECT record_id FROM delta_ids))",
                at,
            )
            con.execute(f"DELETE FROM issues WHERE {tier} AND code = 'conflict' AND {mine}", at)
            for table, frame in (
                ("links", rows.links), ("person_records", rows.members),
                ("persons", rows.persons), ("issues", rows.conflicts),
            ):  # fmt: skip
                if len(frame):
                    self.append(table, frame, con)

    @staticmethod
    @contextmanager
    def _registered(con: duckdb.DuckDBPyConnection, **tables: pa.Table) -> Iterator[None]:
        """Arrow tables visible to `con`'s queries by name while the block runs."""
        for name, table in tables.items():
            con.register(name, table)
        try:
            yield
        finally:
            for name in tables:
                con.unregister(name)

    def linked_counts(self, period: int, tier: str) -> tuple[int, dict[str, int]]:
        """The period's persons at `tier` and its accepted links by reason."""
        row = _one(self.con.execute(
            "SELECT count(*) FROM persons WHERE period = ? AND tier = ?", [period, tier]
        ))  # fmt: skip
        reasons = self.con.execute(
            "SELECT reason, count(*) FROM links WHERE period = ? AND tier = ? "
            "AND status = 'accepted' GROUP BY reason ORDER BY reason",
            [period, tier],
        ).fetchall()
        return (int(row[0]) if row else 0), {str(r): int(n) for r, n in reasons}

    # -- versions compared (hcs history --compare) ----------------------------
    def file_records(self, file_ids: list[int]) -> pd.DataFrame:
        """The records of the given files, active or replaced (a replaced file's records
        stay in the store), in the order they were stored: file by file, row by row."""
        return self.frame(
            "SELECT * EXCLUDE (extras) FROM records WHERE list_contains(?, file_id) "
            "ORDER BY record_id",
            [file_ids],
        )


# DuckDB writes the row groups (122,880 rows) of a large insert straight into the
# database file ("optimistic writes"), but a short insert that lands in a row group an
# earlier insert of the same transaction left partly filled sent the whole transaction's
# rows through the log, to be written a second time by the next checkpoint: 220,000
# persons in slices of 200,000 (a second slice of 20,000) logged 13 MB and cost a 0.1 s
# checkpoint per tier after relinking. Slices of whole row groups never leave one partly
# filled: the log keeps a few KiB (tests/test_store.py).
ROW_GROUP = 122_880
APPEND_ROWS = 2 * ROW_GROUP
BULK_LOG = "1.0 GiB"  # the log's size before a checkpoint while files are stored (Store.bulk_load)
_DECIMAL = re.compile(r"DECIMAL\((\d+),(\d+)\)")


def _arrow_type(sql_type: str) -> pa.DataType | None:
    """The Arrow type of a DATE or DECIMAL column (others: inferred)."""
    if sql_type == "DATE":
        return pa.date32()
    m = _DECIMAL.fullmatch(sql_type)
    return pa.decimal128(int(m[1]), int(m[2])) if m else None


@cache
def record_types() -> dict[str, pa.DataType]:
    """The records table's DATE and DECIMAL columns and their Arrow types."""
    pairs = (c.split()[:2] for c in RECORD_COLUMNS.replace("\n", " ").split(", "))
    return {name: t for name, sql in pairs if (t := _arrow_type(sql)) is not None}


def arrow_frame(table: pa.Table) -> pd.DataFrame:
    """An Arrow table from DuckDB as the pandas frame DuckDB's `df` would give: DECIMAL as
    float64, DATE as datetime64[us], integers and booleans with a NULL as pandas'
    nullable types (numpy ones otherwise), text as pandas' arrow-backed strings."""
    columns = []
    for column in table.columns:
        if pa.types.is_decimal(column.type):
            column = column.cast(pa.float64())
        elif pa.types.is_date(column.type):
            column = column.cast(pa.timestamp("us"))
        columns.append(column)
    table = pa.table(columns, names=table.column_names)
    masked = _masked()
    frame: pd.DataFrame = table.to_pandas(types_mapper=masked.get)  # exact, NULLs as NA
    plain = {
        name: column.type.to_pandas_dtype()
        for name, column in zip(table.column_names, table.columns, strict=True)
        if column.type in masked and not column.null_count
    }
    return frame.astype(plain) if plain else frame


@cache
def _masked() -> dict[pa.DataType, Any]:
    import pandas as pd

    return {
        pa.int8(): pd.Int8Dtype(), pa.int16(): pd.Int16Dtype(), pa.int32(): pd.Int32Dtype(),
        pa.int64(): pd.Int64Dtype(), pa.bool_(): pd.BooleanDtype(),
    }  # fmt: skip


def quiet(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """The connection with DuckDB's progress bar off (its cursors follow). DuckDB draws
    the bar on stdout for any query running over 2 s, even when stdout is a file or a
    pipe: `--format json` or csv on a large store, or the long copy of a migration,
    would put it in the middle of the output a script reads."""
    con.execute("SET enable_progress_bar = false").fetchall()  # no result left open
    return con


@cache
def quiet_default() -> None:
    """`quiet` for DuckDB's default connection (narwhals' DuckDB backend runs there)."""
    quiet(duckdb.default_connection())


REFUSED_SHEET = "refused: "  # how a refused roster sheet's reason starts in `sheets`


def sheets_not_stored(
    sheets: Iterable[tuple[str, bool, str]],
) -> tuple[dict[str, str], dict[str, str]]:
    """A file's sheets that hold no records, by (name, roster, reason): those skipped as
    no roster, and those refused (their reason says so, in the store too)."""
    skipped, refused = {}, {}
    for name, roster, reason in sheets:
        if roster:
            continue
        if reason.startswith(REFUSED_SHEET):
            refused[name] = reason.removeprefix(REFUSED_SHEET)
        else:
            skipped[name] = reason
    return skipped, refused


def labels_text(labels: list[str]) -> str | None:
    """A file's unknown column labels for `files.extras`: a JSON array (a label may hold
    a comma)."""
    return json.dumps(labels, ensure_ascii=False) if labels else None


def unknown_labels(text: str | None) -> list[str]:
    """`files.extras` back as labels. Databases written before the JSON array hold the
    labels joined by commas: those are split at the commas, as they were written."""
    if not text:
        return []
    if text.startswith("["):
        try:
            found = json.loads(text)
        except ValueError:
            found = None
        if isinstance(found, list) and all(isinstance(x, str) for x in found):
            return found
    return text.split(",")


def _one(result: duckdb.DuckDBPyConnection) -> Any:
    """A query's first row (or None), read to the end: a result left open by `fetchone`
    makes the connection refuse the relational API (`con.sql`) until it is finished."""
    rows = result.fetchall()
    return rows[0] if rows else None


def _exclude(columns: tuple[str, ...]) -> str:
    if not columns:
        return ""
    if not all(re.fullmatch(r"[a-z_]+", c) for c in columns):
        raise ValueError(f"not column names: {columns}")
    return f"EXCLUDE ({', '.join(columns)})"


def _first(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__


_HOLDER = re.compile(r"held in (?P<program>\S+) \(PID (?P<pid>\d+)\)")


def _io_message(path: Path, exc: Exception) -> str:
    """A clear line for the ways a database cannot be opened (exit code 3)."""
    text = str(exc)
    low = text.lower()
    if "lock" in low:
        holder = _HOLDER.search(text)
        who = f" ({Path(holder['program']).name}, PID {holder['pid']})" if holder else ""
        return (
            f"database {path} is in use by another program{who}; "
            "try again when it ends (hcs ingest runs wait for each other: --wait)"
        )
    if "permission denied" in low:
        return f"cannot open database {path}: permission denied (check its owner and mode)"
    if "not a valid duckdb database" in low:
        return f"{path} is not an hcs database (not a DuckDB file, or damaged)"
    if "no space left" in low or "disk is full" in low:
        return f"disk full: no space left for database {path}; free some space and run again"
    return f"cannot open database {path}: {_first(exc)}"
