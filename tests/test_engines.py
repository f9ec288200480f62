"""Every figure on every engine (DuckDB on the store, DuckDB on a Parquet dataset, Spark on
the same dataset), each compared with a pandas reference computed here from the store's
tables, independently of metrics.py."""

from __future__ import annotations

import json
import sys
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from handcraft_stats import Store, load_settings, summarize
from handcraft_stats.classify import CLASSES, WINGS
from handcraft_stats.cli import app
from handcraft_stats.engine import ParquetTables, open_tables, spark_available, spark_session
from handcraft_stats.errors import UsageError
from handcraft_stats.export import export_parquet

SPARK_MISSING = spark_available()
needs_spark = pytest.mark.skipif(
    SPARK_MISSING is not None, reason=f"Spark tests need pyspark and Java 17: {SPARK_MISSING}"
)
ENGINES = [
    "duckdb-store",
    "duckdb-parquet",
    pytest.param("spark-parquet", marks=[pytest.mark.spark, needs_spark]),
]
ORDER = [d.name for d in load_settings(None).divisions]


@pytest.fixture(scope="session")
def spark() -> Any:
    """The one Spark session of the test run (local[2], 2 shuffle partitions, no UI)."""
    if SPARK_MISSING is not None:
        pytest.skip(f"Spark tests need pyspark and Java 17: {SPARK_MISSING}")
    return spark_session("local[2]")


@pytest.fixture(scope="module")
def datasets(sample_db: tuple[Path, Any, Any], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Both sample periods exported as Parquet datasets (unmasked), one folder per year."""
    root = tmp_path_factory.mktemp("parquet")
    with Store(sample_db[0], read_only=True) as store:
        for year in (2016, 2017):
            export_parquet(store, year, root / str(year), unmasked=True)
    return root


_TABLES: dict[str, Any] = {}


def tables_for(engine: str, db: Path, datasets: Path, year: int, request: Any) -> Any:
    if engine == "duckdb-store":
        return Store(db, read_only=True)
    key = f"{engine}:{year}"
    if key not in _TABLES:  # one source per engine and year: Spark caches what it read
        if engine.startswith("spark"):
            request.getfixturevalue("spark")
        _TABLES[key] = ParquetTables(datasets / str(year), engine.split("-")[0])
    return _TABLES[key]


# -- the pandas reference ----------------------------------------------------------
def _mean(cents: pd.Series) -> float | None:
    if cents.empty:
        return None
    value = Decimal(int(cents.sum())) / Decimal(len(cents)) / 100
    return float(value.quantize(Decimal("0.01"), ROUND_HALF_UP))


def _figures(g: pd.DataFrame, year: int) -> dict[str, Any]:
    trainings = g["trainings"].fillna(0)
    both = g["income_before_cents"].notna() & g["income_after_cents"].notna()
    return {
        "persons": len(g),
        "trained": int((trainings >= 1).sum()),
        "training_person_times": int(trainings.sum()),
        "new_practitioners": int(g["new_practitioner"].sum()),
        "income_increase_mean": _mean((g["income_after_cents"] - g["income_before_cents"])[both]),
        "exits": int(((g["status"] == "exited") & (g["exit_year"] == year)).sum()),
        "returned_to_poverty": int((g["status"] == "returned").sum()),
    }


def _by(values: pd.Series) -> dict[str, int]:
    counts = values.value_counts()
    return {str(k): int(counts[k]) for k in sorted(counts.index, key=str)}


def reference(store: Store, year: int, tier: str, since: int) -> dict[str, Any]:
    """METRICS.md §7 and docs/metrics.md §6 in pandas, from the store's raw tables."""
    persons = store.df(
        "SELECT * EXCLUDE (county, other_counties) FROM persons WHERE period = ? AND tier = ?",
        [year, tier],
    )
    members = store.df("SELECT * FROM person_records WHERE period = ? AND tier = ?", [year, tier])
    files = store.df("SELECT * FROM files WHERE active AND period = ?", [year])
    records = store.df("SELECT file_id, exit_year FROM records")
    issues = store.df("SELECT * FROM issues")
    links = store.df("SELECT * FROM links WHERE period = ? AND tier = ?", [year, tier])
    skipped = store.df("SELECT * FROM skipped_rows")
    placed = members[["person_key", "county"]].drop_duplicates().merge(persons, on="person_key")
    issues = issues[issues["file_id"].isin(files["file_id"])]
    issues = issues[issues["tier"].isna() | (issues["tier"] == tier)]
    counties = {}
    for county in sorted(placed["county"].unique(), key=lambda c: (ORDER.index(c), c)):
        mine = placed[placed["county"] == county]
        counties[county] = {
            **_figures(mine, year),
            "wings": {w: _figures(mine[mine["wing"] == w], year) for w in WINGS},
        }
    exited = persons[persons["status"] == "exited"]
    # every exit year on the period's records, 0 where no person exited that year
    written = records.loc[records["file_id"].isin(files["file_id"]), "exit_year"].dropna()
    by_year = {str(int(y)): 0 for y in written.unique()}
    by_year.update(_by(exited["exit_year"].dropna().astype(int)))
    since_rows = exited[exited["exit_year"].between(since, year)]
    return {
        "year": year,
        "link_tier": tier,
        "source": {
            "files": len(files),
            "records": int(records["file_id"].isin(files["file_id"]).sum()),
            "persons": len(persons),
            "persons_on_probable_links": int(persons["probable"].sum()),
        },
        "totals": _figures(persons, year),
        "wings": {w: _figures(persons[persons["wing"] == w], year) for w in WINGS},
        "counties": counties,
        "classification": {c: int((persons["class"] == c).sum()) for c in CLASSES},
        "exits_by_year": {k: by_year[k] for k in sorted(by_year, key=int)},
        "quality": {
            "issues_by_code": _by(issues["code"]),
            "links_by_reason": _by(links.loc[links["status"] == "accepted", "reason"]),
            "cross_county_persons": int((persons["counties"] > 1).sum()),
            "rows_skipped_by_kind": _by(
                skipped.loc[skipped["file_id"].isin(files["file_id"]), "kind"]
            ),
            "issues_by_county": {
                c: _by(issues.loc[issues["county"] == c, "code"]) for c in counties
            },
        },
        "classification_by_county": {
            c: {k: int(((placed["county"] == c) & (placed["class"] == k)).sum()) for k in CLASSES}
            for c in counties
        },
        "exits_since": {
            "since": since,
            "exits": len(since_rows),
            "by_wing": {w: int((since_rows["wing"] == w).sum()) for w in WINGS},
        },
    }


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(
    ("year", "tier"), [(2017, "probable"), (2017, "certain"), (2016, "probable")]
)
def test_every_figure_equals_the_pandas_reference(
    engine: str, year: int, tier: str, sample_db: tuple[Path, Any, Any], datasets: Path,
    request: pytest.FixtureRequest,
) -> None:  # fmt: skip
    db = sample_db[0]
    with Store(db, read_only=True) as store:
        expected = reference(store, year, tier, since=2016)
    source = tables_for(engine, db, datasets, year, request)
    try:
        doc = summarize(source, year, tier, ORDER, since=2016, details=True).to_dict()
    finally:
        if isinstance(source, Store):
            source.close()
    assert set(doc) == set(expected)
    for key, value in expected.items():
        if key == "quality":
            for part, counts in value.items():
                assert doc[key][part] == counts, (engine, part)
                assert json.dumps(doc[key][part]) == json.dumps(counts), (engine, part, "order")
        else:
            assert doc[key] == value, (engine, key)
    assert list(doc["counties"]) == list(expected["counties"])
    assert expected["totals"]["persons"] > 2000 and expected["quality"]["links_by_reason"]


def test_parquet_dataset_layout_and_masking(
    sample_db: tuple[Path, Any, Any], tmp_path: Path
) -> None:
    with Store(sample_db[0], read_only=True) as store:
        result = export_parquet(store, 2017, tmp_path / "ds")
        record_columns = list(store.df("SELECT * FROM records LIMIT 0").columns)
    root = tmp_path / "ds"
    assert result.persons == 2240 and result.rosters == 15
    counties = sorted(p.name for p in (root / "records" / "period=2017").iterdir())
    assert "county=丰县" in counties and len(counties) == 10
    assert (root / ".hcs-export").exists()
    records = pq.read_table(root / "records" / "period=2017" / "county=丰县").to_pandas()
    assert set(record_columns) - {"period", "county"} == set(records.columns)
    ids = records["id_number"].dropna()
    assert len(ids) and ids.str.contains(r"\*").all()
    persons = pq.read_table(root / "persons").to_pandas()
    assert set(persons["tier"]) == {"certain", "probable"}
    assert persons.groupby(["tier", "person_key"]).size().max() >= 2  # county membership
    for name in ("files", "issues", "skipped", "links", "person_records"):
        assert (root / name).is_dir(), name


def test_summary_json_is_the_same_from_the_database_and_a_dataset(
    sample_db: tuple[Path, Any, Any], tmp_path: Path
) -> None:
    db = str(sample_db[0])
    runner = CliRunner()
    res = runner.invoke(app, ["export", "--year", "2017", "--db", db, "--parquet",
                              str(tmp_path / "ds"), "--quiet"])  # fmt: skip
    assert res.exit_code == 0, res.output
    base = ["summary", "--year", "2017", "--format", "json", "--since", "2016"]
    from_db = runner.invoke(app, [*base, "--db", db])
    from_ds = runner.invoke(app, [*base, "--engine", "duckdb", "--source", str(tmp_path / "ds")])
    assert from_db.exit_code == 0 and from_ds.exit_code == 0, from_ds.output
    assert from_db.stdout == from_ds.stdout
    assert json.loads(from_ds.stdout)["source"]["persons"] == 2240


def _names_masked(text: str | None) -> str | None:
    """export_rows.names_masked of one extras value, written out again."""
    import json as jsonlib
    import re

    from handcraft_stats.export_rows import PERSON_TITLE
    from handcraft_stats.normalize.text import mask_name

    if text is None or not re.search(PERSON_TITLE, text):
        return text
    cells = jsonlib.loads(text)
    return jsonlib.dumps({k: mask_name(v) if isinstance(v, str) and re.search(PERSON_TITLE, k)
                          else v for k, v in cells.items()}, ensure_ascii=False)  # fmt: skip


def test_parquet_masks_are_the_python_masks(
    sample_db: tuple[Path, Any, Any], tmp_path: Path
) -> None:
    """The dataset masked in SQL equals the unmasked one passed through the Python rules
    (mask_id, mask_phone, mask_name, scrub) value by value, table by table, in the same
    row order."""
    from handcraft_stats.export import dataset_tables
    from handcraft_stats.export_rows import COUNTED, scrub, scrub_source
    from handcraft_stats.normalize.idnumber import mask_id
    from handcraft_stats.normalize.phone import mask_phone
    from handcraft_stats.normalize.text import mask_name

    with Store(sample_db[0], read_only=True) as store:
        plain = dataset_tables(store, [2017], unmasked=True)
        masked = dataset_tables(store, [2017])

    def by(fn: Any, values: list[Any]) -> list[Any]:
        return [None if v is None else fn(v) for v in values]

    names = dict.fromkeys(("name", "name_raw", "name_key", "household_head", "broker"), mask_name)
    rules = {"id_number": mask_id, "id_key": mask_id, "phone": mask_phone, **names}
    for name in plain:
        want = plain[name].to_pydict()
        if name == "issues":  # a name a message quotes is masked as the value is
            want["message"] = [
                m.replace(v, mask_name(v)) if c in names and v and m else m
                for c, v, m in zip(want["column"], want["value"], want["message"], strict=True)
            ]
        free = {**dict.fromkeys(("note", "extras", "message"), scrub),
                **dict.fromkeys(("source_file", "source_sheet"), scrub_source)}  # fmt: skip
        for column, fn in {**rules, **free}.items():
            if column in names and name not in ("records", "persons"):
                continue  # files.name is a file's
            if column in want and (name != "issues" or column == "message"):
                want[column] = by(fn, want[column])
        if name == "records":  # names in person-titled unknown columns (配偶姓名)
            want["extras"] = [_names_masked(v) for v in want["extras"]]
        if name == "files":  # a roster named by an ID
            want["name"], want["path"] = (
                by(scrub_source, want["name"]),
                by(scrub_source, want["path"]),
            )
        if name == "skipped":
            want["sheet"] = by(scrub_source, want["sheet"])
        if name == "issues":
            want["value"] = [
                None
                if v is None
                else v
                if code in COUNTED  # phone_shared: a count, not a phone
                else rules.get(c, scrub)(v)
                if c != "id_key"
                else scrub(v)
                for code, c, v in zip(want["code"], want["column"], want["value"], strict=True)
            ]
        assert masked[name].to_pydict() == want, name
    digits = [v for v in plain["issues"].column("value").to_pylist() if v and v.isdigit()]
    assert len(digits) > 10  # IDs and phones among the issue values: the masks were used


def test_parquet_partitions_keep_their_rows_in_any_order(tmp_path: Path) -> None:
    """A table whose partitions come in several runs is sorted (stably) before writing:
    no partition file is written twice, and rows keep their order within it."""
    import pyarrow as pa

    from handcraft_stats.engine import write_table

    table = pa.table({
        "period": [2017, 2017, 2017, 2017], "county": ["沛县", "丰县", "沛县", "丰县"],
        "record_id": [1, 2, 3, 4],
    })  # fmt: skip
    write_table(tmp_path, "records", table)
    got = {
        folder.name: pq.read_table(folder)["record_id"].to_pylist()
        for folder in sorted((tmp_path / "records" / "period=2017").iterdir())
    }
    assert got == {"county=丰县": [2, 4], "county=沛县": [1, 3]}


def test_a_stream_is_cut_into_whole_partitions(tmp_path: Path) -> None:
    """Batches that end inside a partition, or hold several, give one table per
    partition in order; a partition in two parts is refused, not overwritten."""
    import pyarrow as pa

    from handcraft_stats.engine import partitions, write_dataset

    table = pa.table({
        "period": [2016] * 3 + [2017] * 5, "county": list("aabbbbcc"), "record_id": range(8),
    })  # fmt: skip
    for size in (1, 2, 3, 8):
        parts = list(partitions(table.to_batches(max_chunksize=size), ("period", "county")))
        assert [p["record_id"].to_pylist() for p in parts] == [[0, 1], [2], [3, 4, 5], [6, 7]]
    write_dataset(tmp_path / "ok", [("records", p) for p in parts])
    assert pq.read_table(tmp_path / "ok" / "records").num_rows == 8
    with pytest.raises(RuntimeError, match="two parts"):
        write_dataset(tmp_path / "bad", [("records", table.slice(0, 1)), ("records", table)])


def test_export_parquet_beside_out_and_neither(
    sample_db: tuple[Path, Any, Any], tmp_path: Path
) -> None:
    db = str(sample_db[0])
    runner = CliRunner()
    res = runner.invoke(app, ["export", "-y", "2017", "--db", db, "--out", str(tmp_path / "r"),
                              "--parquet", str(tmp_path / "p")])  # fmt: skip
    assert res.exit_code == 0, res.output
    assert (tmp_path / "r" / "summary.json").exists() and (tmp_path / "p" / "persons").is_dir()
    assert "2,240 persons" in res.stderr and "7 tables" in res.stderr
    res = runner.invoke(app, ["export", "-y", "2017", "--db", db])
    assert res.exit_code == 2 and "--parquet" in res.stderr


def test_source_errors(tmp_path: Path) -> None:
    runner = CliRunner()
    res = runner.invoke(app, ["summary", "-y", "2017", "--source", str(tmp_path)])
    assert res.exit_code == 2 and "not an hcs Parquet dataset" in res.stderr
    with pytest.raises(UsageError, match="--source"):
        open_tables(None, None, "spark")


def test_spark_without_pyspark_exits_2_naming_the_extra(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for name in ("pyspark", "pyspark.sql"):
        monkeypatch.setitem(sys.modules, name, None)
    res = CliRunner().invoke(
        app, ["summary", "-y", "2017", "--engine", "spark", "--master", "local[1]",
              "--source", str(tmp_path)],
    )  # fmt: skip
    assert res.exit_code == 2, res.output
    assert "pip install 'handcraft-stats[spark]'" in res.stderr


def test_ingest_parquet_needs_the_spark_engine(tmp_path: Path) -> None:
    res = CliRunner().invoke(
        app, ["ingest", str(tmp_path), "--parquet", str(tmp_path / "p"), "--db",
              str(tmp_path / "x.duckdb")],
    )  # fmt: skip
    assert res.exit_code == 2 and "--engine spark" in res.stderr


def test_partition_folders_are_named_as_spark_names_them() -> None:
    from handcraft_stats.engine import partition_dir

    assert partition_dir("county", "丰县") == "county=丰县"
    assert partition_dir("county", "a/b=c%") == "county=a%2Fb%3Dc%25"
    assert partition_dir("period", 2017) == "period=2017"
