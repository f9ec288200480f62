"""The Spark options of hcs ingest (`--engine spark --parquet DIR --master URL`)."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ..config import DEFAULT_MASTER, load_settings
from ..errors import UsageError
from .common import given_county, progress

if TYPE_CHECKING:
    from ..pipeline import IngestReport


class Engine(StrEnum):
    duckdb = "duckdb"
    spark = "spark"


IngestEngineOpt = Annotated[
    Engine,
    typer.Option(
        "--engine",
        help="duckdb: into the database; spark: parse on Spark executors, link with Spark "
        "joins, write a Parquet dataset (--parquet DIR; needs hcs[spark]).",
    ),
]
ParquetOutOpt = Annotated[
    Path | None,
    typer.Option("--parquet", help="With --engine spark: the Parquet dataset to write."),
]
MasterOpt = Annotated[
    str,
    typer.Option(
        "--master",
        envvar="HCS_SPARK_MASTER",
        help="Spark master URL (local[N], spark://…, yarn) or Spark Connect sc://….",
    ),
]


def spark_ingest(
    paths: list[Path], parquet: Path | None, master: str, config: Path | None,
    county: str | None, year: int | None, quiet: bool,
) -> IngestReport:  # fmt: skip
    """Run `hcs ingest --engine spark`; the report is shown by the caller."""
    if parquet is None:
        raise UsageError("--engine spark writes a Parquet dataset: pass --parquet DIR")
    from ..spark_ingest import ingest_spark

    settings = load_settings(config)
    county = given_county(settings, county)
    with progress(quiet) as on_progress:
        return ingest_spark(paths, parquet, settings, county, year, master, on_progress)


def check_engine(engine: Engine, parquet: Path | None) -> bool:
    """True for a Spark ingest; --parquet without --engine spark is a usage error."""
    if engine is Engine.duckdb and parquet is not None:
        raise UsageError("--parquet goes with --engine spark (or use hcs export --parquet)")
    return engine is Engine.spark


__all__ = ["DEFAULT_MASTER", "Engine", "IngestEngineOpt", "MasterOpt", "ParquetOutOpt"]
