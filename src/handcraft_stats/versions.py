"""Writing parsed files into the store as versions (docs/metrics.md §7).

A file replaces the active files of the same name, county and period stored by earlier
runs (files of one run never replace each other: two folders may each hold a
`花名册.xlsx`); with `complete` the files of one submission are the county's whole roster
for the period and replace every other active file of it. Each call is one transaction,
which also marks the period for relinking; the mark goes when the relink is done, so a
run killed in between is finished by the next one.
"""

from __future__ import annotations

import os
import signal
import time
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd

from .inputs import text_of
from .parse import ParsedFile
from .store import FileRow, Store, labels_text
from .store.core import PENDING  # meta key prefix: periods whose links are not recomputed

FAULT_ENV = "HCS_FAULT_PAUSE"  # test-only: "<point>[#n]:<marker file>" pauses at a point
_HITS: Counter[str] = Counter()


def fault_point(name: str) -> None:
    """For crash tests: when HCS_FAULT_PAUSE names this point (`point:marker`, or
    `point#n:marker` for its n-th hit in the process), write the marker file and stop
    the process until it is killed (SIGKILL from the test)."""
    spec = os.environ.get(FAULT_ENV, "")
    if not spec:
        return
    _HITS[name] += 1
    target, _, marker = spec.partition(":")
    point, _, nth = target.partition("#")
    if point == name and marker and (not nth or int(nth) == _HITS[name]):
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


def _values(
    pf: ParsedFile, file_id: int, version: int, records: int, reading: str | None
) -> dict[str, Any]:
    return {
        "file_id": file_id, "name": pf.name, "path": text_of(pf.path), "sha256": pf.sha256,
        "size": pf.size, "format": pf.format, "county": pf.county, "period": pf.period,
        "version": version, "active": True, "replaced_by": None,
        "ingested_at": datetime.now(), "sheets": len(pf.sheets), "records": records,
        "extras": labels_text(pf.unknown_columns), "reading": reading,
    }  # fmt: skip


def store_files(
    store: Store,
    files: list[ParsedFile],
    complete: set[str] | None = None,
    run: set[int] | None = None,
    contents: set[str] | None = None,
    dropped: list[tuple[str, int, str]] | None = None,
    reparse: bool = False,
    reading: str | None = None,
) -> list[str]:
    """Store files of one county and period in one transaction; returns each file's status
    (`ingested`, `replaced`, or `reread`: its content was stored, read by another hcs or
    other settings, or `reparse`). `complete`: the names of the whole submission, `contents`:
    the SHA-256 of its files found stored already (kept whatever their stored name);
    the county's other active files are replaced (added to `dropped`). `run`:
    the ids of files stored earlier in this run (they are not replaced); the new ids are
    added. `reparse`: a file whose content is stored already replaces that stored file too
    (whatever its name, county or period), which is read again by this hcs. `reading`:
    what read them (reading.fingerprint), stored with each file."""
    statuses = []
    run = set() if run is None else run
    with store.transaction():
        new_ids: list[int] = []
        for pf in files:
            previous = [
                f for f in store.active_files(pf.county, pf.period)
                if f.name == pf.name and f.file_id not in run
            ]  # fmt: skip
            if reparse:  # its own earlier reading, wherever it was counted
                seen = {f.file_id for f in previous}
                previous += [f for f in store.active_with_content(pf.sha256)
                             if f.file_id not in seen and f.file_id not in run]  # fmt: skip
            file_id, first = store.next_ids()
            version = store.next_version(pf.county, pf.period)
            tables = _tables(pf, file_id, first)
            pf.first_record_id = first
            store.insert_file(
                _values(pf, file_id, version, len(tables["records"]), reading), tables
            )
            for old in previous:
                store.deactivate(old.file_id, file_id)
                mark_pending(store, old.period)  # another period, when read anew
            same = any(f.sha256 == pf.sha256 for f in previous)  # read again, not resent
            statuses.append("reread" if same else "replaced" if previous else "ingested")
            new_ids.append(file_id)
            run.add(file_id)
            fault_point("file-stored")
        if complete is not None and files:
            gone = _left_out(store, files[0].county, files[0].period, complete, contents, run)
            for old in gone:
                store.deactivate(old.file_id, new_ids[0])
                if statuses[0] == "ingested":  # a reread file stays one (`dropped` says it)
                    statuses[0] = "replaced"
            if dropped is not None:
                dropped += [(old.county, old.period, old.name) for old in gone]
        for period in {pf.period for pf in files}:
            mark_pending(store, period)
        fault_point("before-commit")
    fault_point("after-commit")
    return statuses


def _left_out(
    store: Store, county: str, period: int, complete: set[str], contents: set[str] | None,
    run: set[int],
) -> list[FileRow]:  # fmt: skip
    """The county's active files a complete submission (names, and contents found stored
    already) leaves out: those `--replace` replaces."""
    kept = contents or set()
    return [
        old for old in store.active_files(county, period)
        if old.name not in complete and old.sha256 not in kept and old.file_id not in run
    ]  # fmt: skip


def drop_left_out(
    store: Store, county: str, period: int, complete: set[str], contents: set[str],
    run: set[int],
) -> list[str]:  # fmt: skip
    """`--replace` when no file of a county's submission is new (every one was stored
    already): the county's files it leaves out are replaced by the submission's first
    stored file, in one transaction, and the period is marked for relinking. Returns the
    names of the files replaced."""
    with store.transaction():
        active = store.active_files(county, period)
        kept = [f for f in active if f.name in complete or f.sha256 in contents]
        gone = _left_out(store, county, period, complete, contents, run)
        if not kept or not gone:
            return []
        for old in gone:
            store.deactivate(old.file_id, kept[0].file_id)
        mark_pending(store, period)
    return [old.name for old in gone]


def mark_pending(store: Store, period: int) -> None:
    """Note (inside the caller's transaction) that the period's links must be recomputed."""
    store.con.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", [f"{PENDING}{period}", "1"])


def pending_periods(store: Store) -> set[int]:
    """Periods whose files changed since their last complete relink."""
    rows = store.con.execute("SELECT key FROM meta WHERE starts_with(key, ?)", [PENDING]).fetchall()
    return {int(r[0].removeprefix(PENDING)) for r in rows}


def clear_pending(store: Store, period: int) -> None:
    store.con.execute("DELETE FROM meta WHERE key = ?", [f"{PENDING}{period}"])
