"""Engines: where the figures of metrics.py are evaluated, and the Parquet dataset.

The figures are narwhals expressions (metrics.py); a *source* hands them lazy frames:

* `StoreTables`: the DuckDB store (the default engine).
* `ParquetTables`: a Parquet dataset (`hcs export --parquet`, `hcs ingest --engine
  spark`), read by DuckDB (`engine="duckdb"`) or by Spark (`engine="spark"`).

The dataset is a folder of tables, each a Hive-partitioned Parquet dataset
(`records/period=2017/county=丰县/part-0.parquet`): `records`, `persons` (one row per
person and county whose rosters list her, both tiers), `person_records`, `files`,
`issues`, `skipped` (partitioned by period and county) and `links` (by period).
Partition folder names are written as Spark writes them (UTF-8, a few ASCII
characters %-escaped), so Spark, DuckDB and pyarrow read the same values.
"""

from __future__ import annotations

import itertools
import os
import shutil
import sys
import warnings
from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import duckdb
import narwhals as nw
import pyarrow as pa
import pyarrow.parquet as pq

from .config import DEFAULT_MASTER
from .errors import EnvironmentProblem, UsageError
from .store import Store, quiet

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

ENGINES = ("duckdb", "spark")
SPARK_HINT = "pip install 'handcraft-stats[spark]'"
TABLES: dict[str, tuple[str, ...]] = {
    "records": ("period", "county"),
    "persons": ("period", "county"),
    "person_records": ("period", "county"),
    "files": ("period", "county"),
    "issues": ("period", "county"),
    "skipped": ("period", "county"),
    "links": ("period",),
}
_KEY_TYPES = {"period": "INTEGER", "county": "VARCHAR"}
_ESCAPE = set("\"#%'*/:=?\\{[]^\x7f") | {chr(c) for c in range(1, 32)}

Lazy = nw.LazyFrame[Any]


# -- Spark -----------------------------------------------------------------
_SESSIONS: dict[str, SparkSession] = {}


def spark_session(master: str = DEFAULT_MASTER, conf: Mapping[str, str] | None = None) -> Any:
    """The one Spark session of this process for `master` (`local[N]`, `spark://…`,
    `yarn`, or Spark Connect `sc://…`). UsageError (exit 2) without pyspark."""
    if master in _SESSIONS:
        return _SESSIONS[master]
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise UsageError(f"--engine spark needs pyspark: {SPARK_HINT}") from None
    # pyspark 4.x under pandas 3: noise on every conversion, the conversions themselves work
    warnings.filterwarnings(
        "ignore", message="PySpark does not yet fully support pandas", category=FutureWarning
    )
    warnings.filterwarnings(
        "ignore", "The copy keyword is deprecated", DeprecationWarning, module="pyspark"
    )
    if master.startswith("sc://"):
        session = SparkSession.builder.remote(master).getOrCreate()
    else:
        _require_java()
        builder = SparkSession.builder.master(master).appName("hcs")
        settings = {
            "spark.ui.enabled": "false",
            "spark.ui.showConsoleProgress": "false",
            "spark.sql.session.timeZone": "UTC",
            "spark.sql.execution.arrow.pyspark.enabled": "true",
        }
        if master.startswith("local"):
            cores = master.partition("[")[2].rstrip("]")
            settings["spark.sql.shuffle.partitions"] = cores if cores.isdigit() else "2"
            settings["spark.pyspark.python"] = sys.executable  # executors import hcs
            quiet = Path(__file__).parent / "defaults" / "log4j2.properties"
            settings["spark.driver.extraJavaOptions"] = f"-Dlog4j2.configurationFile={quiet}"
            os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        for key, value in {**settings, **(conf or {})}.items():
            builder = builder.config(key, value)
        session = builder.getOrCreate()
        session.sparkContext.setLogLevel("ERROR")
    _SESSIONS[master] = session
    return session


def _require_java() -> None:
    home = os.environ.get("JAVA_HOME")
    if not (home and Path(home, "bin", "java").exists()) and shutil.which("java") is None:
        raise EnvironmentProblem(
            "Spark in local mode needs Java 17 or newer: install it or set JAVA_HOME"
        )


def spark_available() -> str | None:
    """None when a local Spark can start here, else why not (for tests and --help)."""
    try:
        import pyspark  # noqa: F401
    except ImportError:
        return f"pyspark is not installed ({SPARK_HINT})"
    try:
        _require_java()
    except EnvironmentProblem as exc:
        return exc.message
    return None


# -- sources -----------------------------------------------------------------
class StoreTables:
    """The store's tables of one period, as DuckDB relations (only active files count):
    `placed`, one row per person and roster county, and the files, records, issues,
    links, skipped rows."""

    ACTIVE = "SELECT file_id FROM files WHERE active AND period = {y}"
    # One row per person and county of her rosters: the persons' columns, `roster_county`
    # and `first_county`, true in the row that counts her for the city. A person's row
    # names her first county by name (`county`) and the others (`other_counties`, only
    # for the 2-3 % on two or more counties' rosters), so no record is joined: 0.3 s at
    # 10M records where joining person_records took 1.1 s (docs/performance.md).
    PLACED = """
        SELECT p.* EXCLUDE (county, other_counties), p.county AS roster_county,
               true AS first_county
        FROM persons p WHERE p.period = {y}
        UNION ALL
        SELECT p.* EXCLUDE (county, other_counties, roster_county), p.roster_county, false
        FROM (SELECT *, unnest(other_counties) AS roster_county FROM persons
              WHERE period = {y} AND counties > 1) p"""
    SQL: ClassVar[dict[str, str]] = {
        "placed": PLACED,
        "files": "SELECT * FROM files WHERE active AND period = {y}",
        "records": f"SELECT * FROM records WHERE file_id IN ({ACTIVE})",
        "issues": f"SELECT * FROM issues WHERE file_id IN ({ACTIVE})",
        "links": "SELECT * FROM links WHERE period = {y}",
        "skipped": (
            "SELECT s.*, f.county, f.period FROM skipped_rows s JOIN files f USING (file_id) "
            "WHERE f.active AND f.period = {y}"
        ),
    }

    def __init__(self, store: Store, con: duckdb.DuckDBPyConnection | None = None) -> None:
        self.store = store
        self.con = con if con is not None else store.con  # a cursor: for another thread

    def require_period(self, year: int) -> None:
        self.store.require_periods(year)

    def frame(self, name: str, year: int) -> Lazy:
        return nw.from_native(self.con.sql(self.SQL[name].format(y=int(year))))


class ParquetTables:
    """A Parquet dataset read by DuckDB or Spark; `placed` is one row per person and
    roster county (the persons table), with `first_county`."""

    def __init__(self, root: str | Path, engine: str = "duckdb", master: str = DEFAULT_MASTER):
        if engine not in ENGINES:
            raise UsageError(f"unknown engine {engine!r}: use duckdb or spark")
        self.session = spark_session(master) if engine == "spark" else None
        self.root = str(root).rstrip("/")
        if "://" not in self.root and not Path(self.root, "files").is_dir():
            raise UsageError(
                f"{root} is not an hcs Parquet dataset (no files/ table): write one with "
                "`hcs export --year Y --parquet DIR`"
            )
        self.engine = engine
        self.con = quiet(duckdb.connect()) if engine == "duckdb" else None
        self._frames: dict[tuple[str, int], Lazy] = {}

    def _read(self, name: str) -> Lazy:
        path = f"{self.root}/{name}"
        if self.session is not None:  # listed once; read and cached on first use
            frame: Lazy = nw.from_native(self.session.read.parquet(path))
            return frame
        assert self.con is not None
        types = ", ".join(f"'{k}': {_KEY_TYPES[k]}" for k in TABLES[name])
        glob = f"{path}/**/*.parquet".replace("'", "''")
        return nw.from_native(
            self.con.sql(
                f"SELECT * FROM read_parquet('{glob}', hive_partitioning = true, "
                f"hive_types = {{{types}}})"
            )
        )

    def periods(self) -> list[int]:
        rows = self._read("files").select("period").unique().collect().rows()
        return sorted(int(r[0]) for r in rows)

    def require_period(self, year: int) -> None:
        have = self.periods()
        if year not in have:
            held = ", ".join(map(str, have)) or "none"
            raise UsageError(f"no rosters for {year} in the dataset {self.root} (periods: {held})")

    def frame(self, name: str, year: int) -> Lazy:
        if name != "placed":
            return self._read(name).filter(nw.col("period") == year)
        # the persons table has a row per person and county of her rosters; the first
        # county by name counts her for the city
        rows = self._persons(year).rename({"county": "roster_county"})
        one = nw.col("counties") == 1
        single = rows.filter(one).with_columns(nw.lit(True).alias("first_county"))
        shared = rows.filter(~one)
        by = ["tier", "person_key"]
        first = shared.group_by(*by).agg(nw.col("roster_county").min().alias("_first"))
        shared = shared.join(first, on=by).with_columns(
            (nw.col("roster_county") == nw.col("_first")).alias("first_county")
        )
        return nw.concat([single, shared.select(single.collect_schema().names())])

    def _persons(self, year: int) -> Lazy:
        """The period's rows of the persons table, read once and kept in memory (read
        twice: the women listed by one county, and by two or more)."""
        if ("persons", year) not in self._frames:
            lf = self._read("persons").filter(nw.col("period") == year)
            if self.session is not None:
                lf = nw.from_native(lf.to_native().cache())
            else:
                assert self.con is not None
                lf.to_native().create(f"hcs_persons_{int(year)}")
                lf = nw.from_native(self.con.table(f"hcs_persons_{int(year)}"))
            self._frames["persons", year] = lf
        return self._frames["persons", year]


def open_tables(
    store: Store | None, source: str | Path | None, engine: str, master: str = DEFAULT_MASTER
) -> StoreTables | ParquetTables:
    """The store (engine duckdb, no source), or a Parquet dataset on DuckDB or Spark."""
    if engine not in ENGINES:
        raise UsageError(f"unknown engine {engine!r}: use duckdb or spark")
    if source is not None:
        return ParquetTables(source, engine, master)
    if engine == "spark":
        raise UsageError(
            "--engine spark reads a Parquet dataset: pass --source DIR (written by "
            "`hcs export --year Y --parquet DIR` or `hcs ingest --engine spark`)"
        )
    assert store is not None
    return StoreTables(store)


# -- writing ------------------------------------------------------------------
def partition_dir(key: str, value: object) -> str:
    """`key=value` as Spark writes it: UTF-8 kept, a few ASCII characters %-escaped."""
    text = str(value)
    return key + "=" + "".join(f"%{ord(c):02X}" if c in _ESCAPE else c for c in text)


def write_table(root: Path, name: str, table: pa.Table) -> list[tuple[Any, ...]]:
    """One table of the dataset, partitioned by its keys (TABLES), one file per partition.
    An empty table is one file of zero rows (so every reader finds its columns). Rows
    keep their order within a partition. A table whose rows already come grouped by its
    keys (dataset_tables orders them so) is written as it is; another is sorted first
    (stable). The files are written two at a time (pyarrow writes outside Python's lock)."""
    keys = list(TABLES[name])
    base = root / name
    if table.num_rows == 0:
        folder = base.joinpath(*(partition_dir(k, "0" if k == "period" else "-") for k in keys))
        folder.mkdir(parents=True, exist_ok=True)
        pq.write_table(table.drop_columns(keys), folder / "part-0.parquet")
        return []
    runs = _runs(table, keys)
    if len({values for _, _, values in runs}) < len(runs):  # a partition in several runs
        table = table.sort_by([(k, "ascending") for k in keys])
        runs = _runs(table, keys)

    def write(start: int, end: int, values: tuple[Any, ...]) -> None:
        part = table.slice(start, end - start)
        folder = base.joinpath(*(partition_dir(k, v) for k, v in zip(keys, values, strict=True)))
        folder.mkdir(parents=True, exist_ok=True)
        pq.write_table(part.drop_columns(keys), folder / "part-0.parquet")

    with ThreadPoolExecutor(2, thread_name_prefix="hcs-parquet") as pool:
        for done in [pool.submit(write, *run) for run in runs]:
            done.result()
    return [values for _, _, values in runs]


def partitions(batches: Iterable[pa.RecordBatch], keys: Sequence[str]) -> Iterator[pa.Table]:
    """A stream ordered by `keys` cut into one table per partition (a run of equal keys),
    so a table is written partition by partition, never held whole."""
    pending: list[pa.Table] = []
    current: tuple[Any, ...] | None = None
    for batch in batches:
        if not batch.num_rows:
            continue
        table = pa.Table.from_batches([batch])
        for start, end, values in _runs(table, list(keys)):
            if values != current and pending:
                yield pa.concat_tables(pending)
                pending = []
            current = values
            pending.append(table.slice(start, end - start))
    if pending:
        yield pa.concat_tables(pending)


def _runs(table: pa.Table, keys: list[str]) -> list[tuple[int, int, tuple[Any, ...]]]:
    """(start, end, key values) of each run of rows with the same keys, in order."""
    frame = table.select(keys).to_pandas()
    change = (frame != frame.shift()).any(axis=1).to_numpy()
    starts = [int(i) for i in change.nonzero()[0]] + [table.num_rows]
    return [
        (start, end, tuple(frame[k].iloc[start] for k in keys))
        for start, end in itertools.pairwise(starts)
    ]


def write_dataset(
    root: Path, tables: Mapping[str, pa.Table] | Iterable[tuple[str, pa.Table]]
) -> None:
    """Every table (or every (name, table) part: a table may come in several parts, each
    holding whole partitions) written with write_table; a table with no rows in any part
    is one empty file. A partition in two parts would overwrite itself: refused."""
    empty: dict[str, pa.Table] = {}
    written: dict[str, set[tuple[Any, ...]]] = {}
    for name, table in tables.items() if isinstance(tables, Mapping) else tables:
        if not table.num_rows:
            empty.setdefault(name, table)
            continue
        done = written.setdefault(name, set())
        for values in write_table(root, name, table):
            if values in done:
                raise RuntimeError(f"{name}: partition {values} came in two parts")
            done.add(values)
    for name, table in empty.items():
        if name not in written:
            write_table(root, name, table)


def arrow(rel: duckdb.DuckDBPyRelation) -> pa.Table:
    """A DuckDB relation as one Arrow table (declared types kept: DECIMAL, DATE …)."""
    out = rel.arrow()
    return out if isinstance(out, pa.Table) else out.read_all()
