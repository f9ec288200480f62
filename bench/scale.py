"""The year's figures on DuckDB and on Spark (local mode) from a Parquet dataset.

Invents persons directly as Parquet in the dataset layout of engine.py (no rosters, no
linking: this measures the figures), then times `summarize` on DuckDB and on Spark and
checks that both documents are identical. Times are also given as ratios to a baseline
measured in the same run: one DuckDB GROUP BY over the persons files (the floor).

    .venv/bin/python bench/scale.py --sizes 1000000,10000000
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa

from handcraft_stats.classify import CLASSES, WINGS
from handcraft_stats.engine import ParquetTables, spark_session, write_table
from handcraft_stats.metrics import summarize

YEAR = 2017
STATUSES = ("not_exited", "exited", "returned")


def persons(n: int, counties: int, rng: np.random.Generator) -> pa.Table:
    """n persons of the probable tier; 2 % are also on a second county's roster."""
    county = rng.integers(0, counties, n)
    second = rng.random(n) < 0.02
    trainings = rng.integers(0, 6, n).astype("float64")
    trainings[rng.random(n) < 0.1] = np.nan
    before = rng.integers(0, 800_000, n).astype("float64")
    before[rng.random(n) < 0.2] = np.nan
    exit_year = rng.integers(2014, 2019, n).astype("float64")
    status = rng.choice(len(STATUSES), n, p=[0.6, 0.35, 0.05])
    exit_year[status == 0] = np.nan
    table = {
        "tier": np.full(n, "probable"),
        "person_key": np.char.add("P", np.arange(n).astype(str)),
        "counties": np.where(second, 2, 1),
        "probable": rng.random(n) < 0.01,
        "class": np.array(CLASSES)[rng.integers(0, len(CLASSES), n)],
        "wing": np.array(WINGS)[rng.integers(0, len(WINGS), n)],
        "trainings": pa.array(trainings, pa.int32(), from_pandas=True),
        "new_practitioner": rng.random(n) < 0.3,
        "income_before_cents": pa.array(before, pa.int64(), from_pandas=True),
        "income_after_cents": pa.array(
            before + rng.integers(0, 300_000, n), pa.int64(), from_pandas=True
        ),
        "exit_year": pa.array(exit_year, pa.int32(), from_pandas=True),
        "status": np.array(STATUSES)[status],
        "period": np.full(n, YEAR, dtype="int32"),
        "county": np.char.add("县", county.astype(str)),
    }
    base = pa.table(table)
    extra = base.filter(pa.array(second)).set_column(
        13, "county", pa.array(np.char.add("县", ((county[second] + 1) % counties).astype(str)))
    )
    return pa.concat_tables([base, extra])


def dataset(root: Path, n: int, counties: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    people = persons(n, counties, rng)
    write_table(root, "persons", people)
    names = [f"县{c}" for c in range(counties)]
    write_table(root, "files", pa.table({
        "file_id": np.arange(counties, dtype="int32"), "name": [f"{c}.xlsx" for c in names],
        "period": np.full(counties, YEAR, dtype="int32"), "county": names,
    }))  # fmt: skip
    write_table(root, "records", pa.table({
        "record_id": np.arange(n, dtype="int64"), "period": np.full(n, YEAR, dtype="int32"),
        "county": people["county"].slice(0, n),
    }))  # fmt: skip
    empty = {"period": pa.array([], pa.int32()), "county": pa.array([], pa.string())}
    issues = {"code": pa.array([], pa.string()), "tier": pa.array([], pa.string())}
    write_table(root, "issues", pa.table({**issues, **empty}))
    write_table(root, "skipped", pa.table({"kind": pa.array([], pa.string()), **empty}))
    write_table(root, "links", pa.table({
        "tier": pa.array([], pa.string()), "reason": pa.array([], pa.string()),
        "status": pa.array([], pa.string()), "period": pa.array([], pa.int32())}))  # fmt: skip


def timed(fn: object) -> tuple[float, object]:
    started = time.perf_counter()
    result = fn()  # type: ignore[operator]
    return time.perf_counter() - started, result


def measure(n: int, counties: int, seed: int, master: str) -> None:
    """One size: write the dataset, time the baseline, DuckDB and Spark; print a row."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        dataset(root, n, counties, seed)
        glob = f"{root}/persons/**/*.parquet"
        base, _ = timed(lambda: duckdb.sql(
            f"SELECT wing, count(*), sum(trainings), avg(income_after_cents) "
            f"FROM read_parquet('{glob}', hive_partitioning = true) GROUP BY wing"
        ).fetchall())  # fmt: skip
        on_duck, duck = timed(
            lambda: summarize(ParquetTables(root, "duckdb"), YEAR, since=2015).to_dict()
        )
        on_spark, spark = timed(
            lambda: summarize(ParquetTables(root, "spark", master), YEAR, since=2015).to_dict()
        )
        same = json.dumps(duck) == json.dumps(spark)
        print(f"| {n:,} | {base:.2f} s | {on_duck:.1f} s | {on_duck / base:.0f}× | "
              f"{on_spark:.1f} s | {on_spark / base:.0f}× | {on_spark / on_duck:.1f}× | "
              f"{'yes' if same else 'NO'} |", flush=True)  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--sizes", default="1000000,10000000")
    ap.add_argument("--counties", type=int, default=100)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--master", default="local[2]")
    args = ap.parse_args()
    session_s, _ = timed(lambda: spark_session(args.master, {"spark.driver.memory": "8g"}))
    print(f"Spark session start: {session_s:.1f} s ({args.master})")
    print("| persons | baseline (one DuckDB GROUP BY) | hcs on DuckDB | × | "
          "hcs on Spark | × | Spark / DuckDB | identical |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|")
    for n in (int(s) for s in args.sizes.split(",")):
        measure(n, args.counties, args.seed, args.master)


if __name__ == "__main__":
    main()
