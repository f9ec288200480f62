"""Writing parsed files into the store as versions (docs/metrics.md §7).

A file replaces the active file of the same name, county and period; with
`complete=True` the files of one submission are the county's whole roster for the
period and replace every other active file of it. Each call is one transaction.
"""

from __future__ import annotations

import os
import signal
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd

from .parse import ParsedFile
from .store import Store

FAULT_ENV = "HCS_FAULT_PAUSE"  # test-only: "<point>:<marker file>" pauses at a fault point


def fault_point(name: str) -> None:
    """For crash tests: when HCS_FAULT_PAUSE names this point, write the marker file and
    stop the process until it is killed (SIGKILL from the test)."""
    spec = os.environ.get(FAULT_ENV, "")
    point, _, marker = spec.partition(":")
    if point == name and marker:
        Path(marker).write_text(str(os.getpid()), "utf-8")
        while True:  # pragma: no cover - ended by SIGKILL
            time.sleep(0.05)
            signal.pause()


def _tables(pf: ParsedFile, file_id: int, first: int) -> dict[str, pd.DataFrame]:
    rec = pf.records.copy()
    rec.insert(0, "record_id", range(first, first + len(rec)))
    rec.insert(1, "file_id", file_id)
    iss = pf.issues.copy()
    prov = rec[["record_id", "source_sheet", "source_row"]].iloc[iss["index"]]
    iss = pd.concat(
        [iss.drop(columns="index").reset_index(drop=True), prov.reset_index(drop=True)], axis=1
    ).assign(file_id=file_id, period=pf.period, county=pf.county, source_file=pf.name)
    sheets = pd.DataFrame(
        [(file_id, i, s.name, s.roster, s.reason, ",".join(map(str, s.header_rows)), s.records)
         for i, s in enumerate(pf.sheets)],
        columns=["file_id", "position", "sheet", "roster", "reason", "header_rows", "records"],
    )  # fmt: skip
    skipped = pf.skipped.assign(file_id=file_id)
    return {"sheets": sheets, "skipped_rows": skipped, "records": rec, "issues": iss}


def _values(pf: ParsedFile, file_id: int, version: int, records: int) -> dict[str, Any]:
    return {
        "file_id": file_id, "name": pf.name, "path": str(pf.path), "sha256": pf.sha256,
        "size": pf.size, "format": pf.format, "county": pf.county, "period": pf.period,
        "version": version, "active": True, "replaced_by": None,
        "ingested_at": datetime.now(), "sheets": len(pf.sheets), "records": records,
        "extras": ",".join(pf.unknown_columns) or None,
    }  # fmt: skip


def store_files(
    store: Store, files: list[ParsedFile], complete: set[str] | None = None
) -> list[str]:
    """Store files of one county and period in one transaction; returns each file's status
    (`ingested` or `replaced`). `complete`: the names of the whole submission."""
    statuses = []
    with store.transaction():
        new_ids: list[int] = []
        for pf in files:
            previous = store.previous_version(pf.name, pf.county, pf.period)
            file_id, first = store.next_ids()
            version = store.next_version(pf.county, pf.period)
            tables = _tables(pf, file_id, first)
            store.insert_file(_values(pf, file_id, version, len(tables["records"])), tables)
            if previous:
                store.deactivate(previous.file_id, file_id)
            statuses.append("replaced" if previous else "ingested")
            new_ids.append(file_id)
            fault_point("file-stored")
        if complete is not None and files:
            for old in store.active_files(files[0].county, files[0].period):
                if old.name not in complete:
                    store.deactivate(old.file_id, new_ids[0])
                    statuses[0] = "replaced"
        fault_point("before-commit")
    return statuses
