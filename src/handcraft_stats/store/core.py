"""The connection: opening (umask, migrations), transactions, bulk loads, appending
frames and reading them back. The one place that holds a DuckDB connection."""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self

import duckdb
import pyarrow as pa

from ..errors import EnvironmentProblem, UsageError

if TYPE_CHECKING:  # pandas (0.14 s to import) only when a frame is asked for: not by summary
    import pandas as pd

from ..memory import bounded_memory
from .arrow import APPEND_ROWS, _arrow_type, arrow_frame
from .schema import MIGRATIONS

PENDING = "relink_pending:"  # meta key prefix: periods whose links are not yet recomputed

BULK_LOG = "1.0 GiB"  # the log's size before a checkpoint while files are stored (Store.bulk_load)


class StoreCore:
    """The connection and what every part of the store needs of it."""

    con: duckdb.DuckDBPyConnection

    def __init__(self, path: Path, read_only: bool = False) -> None:
        self.path = path
        self._umask: int | None = None
        self._known: dict[str, dict[str, str]] = {}
        self._unwritten: str | None = None  # bulk_load's checkpoint, not yet run
        if path.is_dir():  # a usage mistake (exit 2), not a database that cannot be opened
            raise UsageError(
                f"--db {path} is a folder: give the database file, e.g. {path / 'hcs.duckdb'}"
            )
        if read_only and not path.exists():
            raise EnvironmentProblem(f"database {path} does not exist: run `hcs ingest` first")
        _not_duckdb(path)
        if not read_only:
            self._umask = os.umask(0o077)
        try:
            self.con = quiet(duckdb.connect(str(path), read_only=read_only))
            older = self._check_ours(read_only)
            if not read_only:
                self._migrate()
            elif older:  # an earlier hcs's store: upgraded once, then read
                self.con.close()
                self._upgrade(older)
                self.con = quiet(duckdb.connect(str(path), read_only=True))
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

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- schema -------------------------------------------------------------
    def _check_ours(self, read_only: bool) -> int | None:
        """EnvironmentProblem (exit 3) unless the file is an hcs database, or an empty one
        to make into one: another program's DuckDB file is neither read (its missing
        tables were an internal error, exit 4) nor given hcs's tables beside its own.
        The store's schema version when an earlier hcs made it (it needs migrations)."""
        tables = {str(r[0]) for r in self.con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'"
        ).fetchall()}  # fmt: skip
        if not tables:
            if read_only:
                self.con.close()
                raise EnvironmentProblem(
                    f"database {self.path} is empty: run `hcs ingest` into it first"
                )
            return None
        version = None
        if "meta" in tables:
            row = _one(self.con.execute("SELECT value FROM meta WHERE key='schema_version'"))
            version = row[0] if row else None
        if version is None or not str(version).isdigit():
            self.con.close()
            shown = ", ".join(sorted(tables)[:5]) + (", …" if len(tables) > 5 else "")
            raise EnvironmentProblem(
                f"{self.path} is not an hcs database: it is a DuckDB database with other "
                f"tables ({shown}); give hcs a database of its own with --db"
            )
        if int(version) > len(MIGRATIONS):
            self.con.close()
            raise EnvironmentProblem(
                f"database {self.path} was made by a newer hcs (schema {version}, this hcs "
                f"knows {len(MIGRATIONS)}): upgrade hcs to read it"
            )
        return int(version) if int(version) < len(MIGRATIONS) else None

    UPGRADE_WAIT = 30.0  # seconds a reading command waits for a store held while upgraded

    def _upgrade(self, version: int) -> None:
        """Migrate an earlier hcs's store before a command that only reads opens it: the
        reads expect this hcs's tables. Once per store; it needs the file writable and no
        other process holding it. Two reading commands started together on an old store
        (cron's summary and export) found it held by the other's upgrade, and one ended
        with exit 3: while another process holds it, this waits (UPGRADE_WAIT) until the
        store is upgraded, by either."""
        import time

        deadline = time.monotonic() + self.UPGRADE_WAIT
        while True:
            try:
                type(self)(self.path).close()
                return
            except EnvironmentProblem as exc:
                if "in use" not in exc.message or time.monotonic() > deadline:
                    raise EnvironmentProblem(
                        f"database {self.path} was made by an earlier hcs (schema {version}, "
                        f"this hcs uses {len(MIGRATIONS)}) and is upgraded once before it is "
                        f"read, which failed: {exc.message}"
                    ) from None
            time.sleep(0.2)
            if self._current():  # upgraded by the other process; it may be reading now
                return

    def _current(self) -> bool:
        """Whether the store is of this hcs's schema (read while others may read it)."""
        try:
            con = duckdb.connect(str(self.path), read_only=True)
        except duckdb.Error:
            return False
        try:
            row = _one(con.execute("SELECT value FROM meta WHERE key='schema_version'"))
            return row is not None and str(row[0]) == str(len(MIGRATIONS))
        except duckdb.Error:
            return False
        finally:
            con.close()

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
            # bounded: copying a table of 40M persons held 20 GB with DuckDB's default
            with bounded_memory(self.con), self.transaction():
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

    def require_periods(self, *years: int, linked: bool = True) -> None:
        """UsageError (exit 2) naming the periods held when a year is not in the store;
        `linked`: EnvironmentProblem (exit 3) when an ingest stopped before it linked the
        year (interrupted, killed, the disk full): its persons are the ones before that
        ingest's files, and every figure of them would be wrong (200,000 records stored,
        none of them in a person, and exit 0)."""
        have = self.periods()
        for y in years:
            if y not in have:
                held = ", ".join(map(str, have)) or "none"
                raise UsageError(f"no rosters for {y} in the database (periods: {held})")
        if not linked:
            return
        pending = self.con.execute(
            "SELECT key FROM meta WHERE key IN (SELECT unnest(?::VARCHAR[]))",
            [[f"{PENDING}{y}" for y in years]],
        ).fetchall()
        if pending:
            y = min(int(k.removeprefix(PENDING)) for (k,) in pending)
            raise EnvironmentProblem(
                f"the persons of {y} are not complete: an ingest or review into this database "
                f"stopped before linking them (interrupted, killed, or the disk was full). Run "
                f"`hcs ingest` again on the same rosters (files stored already are not read "
                f"again); it links {y}, and until then no figure of {y} is given"
            )

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
        records peaked at 7x the frame's size, this at 2x). A list column comes as lists
        and None, not as `df`'s arrays and NA."""
        self.con.execute("SELECT 1").fetchall()  # ends a result another module left open
        reader = self.con.sql(sql, params=params or []).to_arrow_reader(100_000)
        table = pa.Table.from_batches(list(reader), schema=reader.schema)
        return arrow_frame(table) if table.num_rows else self.df(sql, params)

    def batches(self, sql: str, params: dict[str, Any], size: int) -> Iterator[pa.RecordBatch]:
        """A query's result `size` rows at a time, DuckDB bounded to a share of the memory
        meanwhile (memory.py): a province's millions of rows are written, never held."""
        with bounded_memory(self.con):
            yield from self.con.sql(sql, params=params).to_arrow_reader(size)


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


_DUCKDB_MAGIC = b"DUCK"  # bytes 8-11 of a DuckDB database file


def _not_duckdb(path: Path) -> None:
    """EnvironmentProblem (exit 3) for a file there that is no DuckDB database (a CSV,
    a JSON, a roster given as --db): DuckDB opened a CSV as a database of its own or,
    read-only, said "Cannot launch in-memory database in read-only mode!"."""
    try:
        with path.open("rb") as f:
            head = f.read(16)
    except (FileNotFoundError, IsADirectoryError, PermissionError):
        return  # made, refused or reported by DuckDB as before
    if head and head[8:12] != _DUCKDB_MAGIC:
        raise EnvironmentProblem(
            f"{path} is not an hcs database (not a DuckDB file); give hcs a database of its "
            "own with --db"
        )


_HOLDER = re.compile(r"held in (?P<program>\S+) \(PID (?P<pid>\d+)\)")


def _io_message(path: Path, exc: Exception) -> str:
    """A clear line for the ways a database cannot be opened (exit code 3)."""
    text = str(exc)
    low = text.lower()
    if "lock" in low:
        holder = _HOLDER.search(text)
        program = Path(holder["program"]).name if holder else ""
        who = f" ({program}, PID {holder['pid']})" if holder else ""
        # hcs runs as Python: a Python holder is most likely another hcs (an ingest)
        what = (
            "another hcs command or Python program"
            if program.startswith(("python", "hcs"))
            else "another program"
        )
        return (
            f"database {path} is in use by {what}{who}; "
            "try again when it ends (hcs ingest runs wait for each other: --wait)"
        )
    if "permission denied" in low:
        return f"cannot open database {path}: permission denied (check its owner and mode)"
    if "not a valid duckdb database" in low:
        return f"{path} is not an hcs database (not a DuckDB file, or damaged)"
    if "no space left" in low or "disk is full" in low:
        return f"disk full: no space left for database {path}; free some space and run again"
    return f"cannot open database {path}: {_first(exc)}"
