"""`hcs ingest --engine spark`: parse roster files on Spark executors, link, write Parquet.

* **Parsing** runs on the executors: `binaryFile` reads each file's bytes and
  `mapInPandas` calls `parse.parse_file` — the same read → layout → columns → normalize
  code as `hcs ingest` — one file per task (the file open cost is set to a whole
  partition, so Spark never packs two files into one task).
* **Storing** on the driver: the parsed files go through `versions.store_files` into an
  in-memory DuckDB store, exactly as `hcs ingest` stores them (ids in load order,
  versions, issues), so both engines start linking from the same records.
* **Linking**: `pipeline.relink`, with every blocking join of `blocking.py` (the
  probable tier's candidate pairs) run as a Spark join through narwhals. The certain
  tier's ID groups, the union-find (strongest link first, cannot-links) and survivorship
  run on the driver in pandas: they are sequential by definition and take ~18 s per
  million records (docs/performance.md).
* **Writing**: the dataset of engine.py (all periods, unmasked: it is the cluster's copy
  of the store), swapped into DIR in one step.
"""

from __future__ import annotations

import pickle
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import pandas as pd

from .atomic import export_folder
from .config import DEFAULT_MASTER, Settings
from .engine import spark_session, write_dataset
from .errors import NotARosterFile, RefusedFile
from .export import dataset_tables
from .inputs import find_inputs
from .normalize.vocab import Vocabulary
from .outcome import NOT_A_ROSTER, FileOutcome, IngestReport, Progress, outcome_of
from .parse import ParsedFile, parse_file
from .pipeline import not_parsed, period_issues, relink, unreadable_folders
from .store import Store
from .versions import store_files

SALT_FILE = "_hcs_salt"  # beside the tables: person keys stay stable across runs


def _local(uri: str) -> str:
    """A path as Spark reports it (file:/a/b, percent-encoded or not) -> /a/b."""
    parsed = urlparse(uri)
    return unquote(parsed.path) if parsed.scheme in ("file", "") else uri


def _parser(
    settings: Settings, county: str | None, year: int | None, given: dict[str, tuple[int, str]]
) -> Callable[[Iterator[pd.DataFrame]], Iterator[pd.DataFrame]]:
    """The mapInPandas function: (path, content) rows -> (position, pickled result)."""

    def run(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        vocab = Vocabulary(settings.vocab_extra)
        for batch in batches:
            out: list[tuple[int, bytes]] = []
            for uri, content in zip(batch["path"], batch["content"], strict=True):
                position, name = given[_local(str(uri))]
                path = Path(name)
                result: ParsedFile | FileOutcome
                try:
                    result = parse_file(path, bytes(content), settings, vocab, county, year)
                except NotARosterFile as exc:  # 填表说明.txt: listed, no data problem
                    result = FileOutcome(name, path.name, NOT_A_ROSTER, exc.message)
                except RefusedFile as exc:
                    result = FileOutcome(name, path.name, "refused", exc.message)
                out.append((position, pickle.dumps(result)))
            yield pd.DataFrame(out, columns=["position", "payload"])

    return run


def parse_on_spark(
    session: Any, files: list[Path], settings: Settings, county: str | None = None,
    year: int | None = None,
) -> list[ParsedFile | FileOutcome]:  # fmt: skip
    """Parse every file on the executors (one file per task); results in file order."""
    given = {str(p.absolute()): (i, str(p)) for i, p in enumerate(files)}
    conf = session.conf
    before = conf.get("spark.sql.files.openCostInBytes")
    conf.set("spark.sql.files.openCostInBytes", conf.get("spark.sql.files.maxPartitionBytes"))
    try:
        raw = session.read.format("binaryFile").load(list(given))
        parsed = raw.select("path", "content").mapInPandas(
            _parser(settings, county, year, given), "position int, payload binary"
        )
        rows = parsed.collect()
    finally:
        conf.set("spark.sql.files.openCostInBytes", before)
    results: list[Any] = [None] * len(files)
    for row in rows:
        results[row["position"]] = pickle.loads(row["payload"])
    return results


def _salt(store: Store, out_dir: Path) -> str:
    previous = out_dir / SALT_FILE
    if previous.is_file():
        store.con.execute("UPDATE meta SET value = ? WHERE key = 'salt'", [previous.read_text()])
    return store.salt()


def ingest_spark(
    paths: Iterable[Path], out_dir: Path, settings: Settings, county: str | None = None,
    year: int | None = None, master: str = DEFAULT_MASTER, on_progress: Progress | None = None,
) -> IngestReport:  # fmt: skip
    """Parse on Spark, link with Spark joins, write the Parquet dataset into out_dir."""
    files, ignored, unreadable = find_inputs(paths)
    session = spark_session(master)
    if on_progress:
        on_progress("read", 1, 2, f"{len(files)} files on Spark")
    parsed = parse_on_spark(session, files, settings, county, year)
    outcomes: list[FileOutcome] = unreadable_folders(unreadable)
    not_rosters: list[tuple[str, str]] = []
    links: Counter[str] = Counter()
    persons: dict[str, int] = {}
    with Store(Path(":memory:")) as store:
        salt = _salt(store, out_dir)
        for res in parsed:
            if isinstance(res, FileOutcome):
                not_parsed(res, outcomes, not_rosters)
            elif store.find_file(res.sha256) is not None:
                outcomes.append(outcome_of(res, "unchanged"))
            else:
                outcomes.append(outcome_of(res, store_files(store, [res])[0]))
        periods = store.periods()
        for i, period in enumerate(periods, 1):
            if on_progress:
                on_progress("link", i, len(periods), str(period))
            linked = relink(store, period, settings, backend=session)["probable"]
            accepted = linked.links.loc[linked.links["status"] == "accepted", "reason"]
            links.update(Counter(accepted))
            persons[str(period)] = len(linked.persons)
        tables = dataset_tables(store, periods, unmasked=True)
        found = period_issues(store, outcomes, periods)
    with export_folder(out_dir) as tmp:
        write_dataset(tmp, tables)
        (tmp / SALT_FILE).write_text(salt, "utf-8")
    return IngestReport(outcomes, dict(links), persons, ignored, period_issues=found,
                        not_rosters=not_rosters)  # fmt: skip
