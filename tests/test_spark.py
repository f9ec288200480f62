"""hcs on Apache Spark (local mode, one session for the whole run: engine.spark_session
caches it): the sample's summary JSON equals DuckDB's, and `ingest --engine spark`
links the same persons as `ingest` into DuckDB."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import duckdb
import pytest
from typer.testing import CliRunner

from handcraft_stats import Store, ingest, load_settings
from handcraft_stats.cli import app
from handcraft_stats.engine import spark_available, spark_session

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"
MISSING = spark_available()
pytestmark = [
    pytest.mark.spark,
    pytest.mark.skipif(MISSING is not None, reason=f"needs pyspark and Java 17: {MISSING}"),
]


@pytest.fixture(scope="module", autouse=True)
def spark() -> Any:
    return spark_session("local[2]")


def test_summary_json_is_identical_on_duckdb_and_spark(
    sample_db: tuple[Path, Any, Any], tmp_path: Path
) -> None:
    db, runner = str(sample_db[0]), CliRunner()
    res = runner.invoke(app, ["export", "-y", "2017", "--db", db, "--parquet", str(tmp_path)])
    assert res.exit_code == 0, res.output
    for extra in ([], ["--link", "certain", "--since", "2016", "--detail"]):
        base = ["summary", "--year", "2017", "--format", "json", *extra]
        on_duckdb = runner.invoke(app, [*base, "--db", db])
        on_spark = runner.invoke(app, [*base, "--engine", "spark", "--source", str(tmp_path)])
        assert on_duckdb.exit_code == 0, on_duckdb.output
        assert on_spark.exit_code == 0, on_spark.output
        assert on_spark.stdout == on_duckdb.stdout
    assert json.loads(on_spark.stdout)["quality"]["issues_by_county"]


def _persons(con: duckdb.DuckDBPyConnection, records: str, members: str) -> set[Any]:
    """Persons as sets of their records' provenance, per period and tier."""
    rows = con.sql(
        f"""SELECT m.period, m.tier, m.person_key,
                   list(r.source_file || '!' || r.source_sheet || '!' || r.source_row) AS rows
            FROM {members} m JOIN {records} r USING (record_id)
            GROUP BY ALL"""
    ).fetchall()
    return {(period, tier, frozenset(rows)) for period, tier, _, rows in rows}


def test_ingest_on_spark_links_the_same_persons_as_duckdb(tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "lake"
    res = runner.invoke(app, ["ingest", str(SAMPLE / "rosters"), "--engine", "spark",
                              "--parquet", str(out), "--format", "json", "--quiet"])  # fmt: skip
    assert res.exit_code == 0, res.output
    on_spark = json.loads(res.stdout)
    db = tmp_path / "ref.duckdb"
    with Store(db) as store:
        report = ingest([SAMPLE / "rosters"], store, load_settings(None))
    assert on_spark == json.loads(json.dumps(report.to_dict(), default=str))
    assert on_spark["persons_by_period"] == {"2016": 2100, "2017": 2240}

    con = duckdb.connect()
    parquet = "read_parquet('{}/{}/**/*.parquet', hive_partitioning = true)"
    from_lake = _persons(con, parquet.format(out, "records"), parquet.format(out, "person_records"))
    con.execute(f"ATTACH '{db}' AS ref (READ_ONLY)")
    from_db = _persons(con, "ref.records", "ref.person_records")
    assert from_lake == from_db and len(from_db) > 8000

    for year in ("2016", "2017"):  # and the figures of the dataset are the database's
        base = ["summary", "--year", year, "--format", "json", "--detail"]
        on_duckdb = runner.invoke(app, [*base, "--db", str(db)])
        from_spark = runner.invoke(app, [*base, "--engine", "spark", "--source", str(out)])
        assert from_spark.stdout == on_duckdb.stdout, year

    res = runner.invoke(app, ["ingest", str(SAMPLE / "rosters"), "--engine", "spark"])
    assert res.exit_code == 2 and "--parquet" in res.stderr
