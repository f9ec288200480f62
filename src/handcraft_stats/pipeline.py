"""ingest and check: files -> parse -> store (one transaction per file) -> link."""

from __future__ import annotations

import ctypes
import gc
import hashlib
import os
import sys
import warnings
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from . import delta
from .blocking import Backend
from .checks import PERIOD_RULES, Catalogue, period_rules, to_rows
from .config import Settings
from .errors import RefusedFile, UsageError
from .link import TIERS, Linked, link_period, link_tiers
from .normalize.vocab import Vocabulary
from .parse import ParsedFile, parse_file
from .read import KNOWN
from .store import Store, TierRows, sheets_not_stored
from .versions import clear_pending, drop_left_out, fault_point, pending_periods, store_files

Progress = Callable[[str, int, int, str], None]


@dataclass
class FileOutcome:
    """What happened to one input file."""

    path: str
    name: str
    status: str  # ingested | replaced | unchanged | refused | checked
    reason: str = ""
    county: str | None = None
    period: int | None = None
    sheets: int = 0
    sheets_skipped: dict[str, str] = field(default_factory=dict)
    records: int = 0
    # roster sheets without a name or ID column, with the reason naming the headers found
    # (the file's other sheets land): a data problem, exit 1
    sheets_refused: dict[str, str] = field(default_factory=dict)
    rows_skipped_by_kind: dict[str, int] = field(default_factory=dict)
    issues_by_code: dict[str, int] = field(default_factory=dict)
    errors: int = 0  # error-level issues
    unknown_columns: list[str] = field(default_factory=list)


@dataclass
class IngestReport:
    """The ingest report of CLI.md."""

    files: list[FileOutcome]
    links_by_reason: dict[str, int]
    persons: dict[str, int]  # period -> persons at the default tier
    ignored: list[str] = field(default_factory=list)
    issues: pd.DataFrame | None = None  # `check` only: every issue, ISSUE_COLUMNS
    # issues of the whole period, no file's own (phone_shared, broker_is_beneficiary,
    # conflict at the default tier), of the periods of this run's files
    period_issues: dict[str, int] = field(default_factory=dict)
    # (county, period, file name): active files `--replace` replaced because the county's
    # complete submission left them out
    dropped: list[tuple[str, int, str]] = field(default_factory=list)
    # --replace and a file was refused: no county's files were replaced for being left out
    replace_held: bool = False

    def _sum(self, attr: str) -> dict[str, int]:
        total: Counter[str] = Counter()
        for f in self.files:
            total.update(getattr(f, attr))
        return dict(sorted(total.items()))

    @property
    def refused(self) -> list[FileOutcome]:
        return [f for f in self.files if f.status == "refused"]

    @property
    def sheets_refused(self) -> list[tuple[FileOutcome, str, str]]:
        """(file, sheet, reason) of every roster sheet refused in a file that landed."""
        return [(f, s, r) for f in self.files for s, r in f.sheets_refused.items()]

    def data_problems(self, strict: bool = False) -> bool:
        """Exit 1: a file or a sheet was refused, or (`strict`) an error-level issue or a
        roster that landed without a record (a template sent back empty: it counts no
        woman of its county and period from now on)."""
        return bool(self.refused or self.sheets_refused) or (
            strict and any(f.errors or self.empty(f) for f in self.files)
        )

    @staticmethod
    def empty(f: FileOutcome) -> bool:
        """A file stored (or checked) although it holds no record: a header only."""
        return f.status in ("ingested", "replaced", "checked") and not f.records

    def to_dict(self) -> dict[str, Any]:
        landed = [f for f in self.files if f.status != "refused"]
        return {
            "files": len(self.files),
            "files_landed": len(landed),
            "files_unchanged": sum(f.status == "unchanged" for f in self.files),
            "files_refused": len(self.refused),
            "sheets": sum(f.sheets for f in landed),
            "records": sum(f.records for f in landed),
            "rows_skipped_by_kind": self._sum("rows_skipped_by_kind"),
            "issues_by_code": dict(
                sorted((Counter(self._sum("issues_by_code")) + Counter(self.period_issues)).items())
            ),
            "period_issues_by_code": dict(sorted(self.period_issues.items())),
            "links_by_reason": dict(sorted(self.links_by_reason.items())),
            "persons_by_period": self.persons,
            "refused": [{"file": f.path, "reason": f.reason} for f in self.refused],
            "sheets_refused": [
                {"file": f.path, "sheet": sheet, "reason": reason}
                for f, sheet, reason in self.sheets_refused
            ],
            "ignored": self.ignored,
            "files_left_out": [
                {"county": c, "period": p, "file": name} for c, p, name in self.dropped
            ],
            "replace_held": self.replace_held,
            "detail": [vars(f) for f in self.files],
        }


def find_files(paths: Iterable[Path]) -> tuple[list[Path], list[str]]:
    """Expand folders recursively (skipping ~$ lock files and hidden files). Linked folders
    are followed once: a link to a folder that contains it (a symlink loop) is not
    followed, a folder already walked is not walked again, and a file reached twice is
    read once."""
    found: list[Path] = []
    ignored: list[str] = []
    seen_dirs: set[tuple[int, int]] = set()
    seen_files: set[tuple[int, int]] = set()
    for p in paths:
        if p.is_dir():
            for root, dirs, files in os.walk(p, followlinks=True):
                here = _identity(Path(root))
                if here in seen_dirs:
                    dirs[:] = []
                    continue
                seen_dirs.add(here)
                dirs[:] = sorted(
                    d for d in dirs if not d.startswith(".") and not _loops(Path(root), d)
                )
                for f in files:
                    fp = Path(root) / f
                    if f.startswith((".", "~$")):
                        continue
                    if fp.suffix.lower() not in KNOWN:
                        ignored.append(str(fp))
                    elif (key := _identity(fp)) not in seen_files:
                        seen_files.add(key)
                        found.append(fp)
        elif p.exists():
            found.append(p)
        else:
            raise UsageError(f"no such file or folder: {p}")
    if not found:
        raise UsageError("no roster files found (looked for .xlsx .xlsm .xls .ods .csv .txt)")
    return sorted(dict.fromkeys(found), key=lambda x: x.as_posix()), sorted(ignored)


def _loops(root: Path, name: str) -> bool:
    """A linked folder that is `root` itself or one of its parents."""
    link = root / name
    if not link.is_symlink():
        return False
    try:
        return root.resolve().is_relative_to(link.resolve())
    except (OSError, RuntimeError):
        return True


def _identity(p: Path) -> tuple[int, int]:
    """(device, inode) of what the path leads to; a broken or looping link is itself."""
    try:
        st = p.stat()
    except OSError:
        st = p.lstat()
    return st.st_dev, st.st_ino


def _outcome(pf: ParsedFile, status: str) -> FileOutcome:
    skipped, refused = sheets_not_stored((s.name, s.roster, s.reason) for s in pf.sheets)
    return FileOutcome(
        path=str(pf.path), name=pf.name, status=status, county=pf.county, period=pf.period,
        sheets=sum(s.roster for s in pf.sheets),
        sheets_skipped=skipped, sheets_refused=refused,
        records=len(pf.records), rows_skipped_by_kind=dict(pf.skipped_by_kind),
        issues_by_code=dict(Counter(pf.issues["code"])), unknown_columns=pf.unknown_columns,
        errors=int((pf.issues["severity"] == "error").sum()),
    )  # fmt: skip


def _parse(
    path: Path, settings: Settings, county: str | None, year: int | None,
    salt: str | None = None,
) -> ParsedFile | FileOutcome:  # fmt: skip
    try:
        data = path.read_bytes()
    except OSError as exc:
        return FileOutcome(str(path), path.name, "refused", f"cannot read file: {exc.strerror}")
    try:
        return parse_file(path, data, settings, _vocabulary(settings), county, year, salt)
    except RefusedFile as exc:
        return FileOutcome(str(path), path.name, "refused", exc.message)


_VOCABS: dict[int, Vocabulary] = {}


def _vocabulary(settings: Settings) -> Vocabulary:
    """One Vocabulary (with its lookup cache) per settings object and process."""
    key = id(settings.vocab_extra)
    if key not in _VOCABS:
        _VOCABS[key] = Vocabulary(settings.vocab_extra)
    return _VOCABS[key]


PARALLEL_BYTES = 512 * 1024
SPAWNED_PARALLEL_BYTES = 16 * 1024 * 1024  # a spawned worker imports everything (~1.5 s)
# Workers are forked on Linux: they start with every module already imported, which
# saves ~0.5 s of a 220k-record ingest over a forkserver (each worker importing pandas,
# pyarrow and numpy itself). The parent's DuckDB threads are idle while workers start
# and a worker never touches the database; it ends with os._exit, running no finalisers.
_START = "fork" if sys.platform == "linux" else "spawn"


def auto_jobs(files: list[Path]) -> int:
    """Worker processes for parsing: one per core (at most 8) when there is enough work
    to pay for starting them. Measured with forked workers: the bundled sample (0.8 MB,
    23 files) ingests in 2.2 s with two and 2.6 s with one; 100k records in 4.0 s and
    5.9 s; a few small files are not worth a process."""
    size = sum(p.stat().st_size for p in files if p.is_file())
    enough = PARALLEL_BYTES if _START == "fork" else SPAWNED_PARALLEL_BYTES
    if len(files) < 2 or size < enough:
        return 1
    return max(1, min(os.cpu_count() or 1, 8))


def parse_all(
    files: list[Path], settings: Settings, county: str | None, year: int | None,
    jobs: int | None = None, on_progress: Progress | None = None, salt: str | None = None,
) -> Iterator[ParsedFile | FileOutcome]:  # fmt: skip
    """Parse files in order, in `jobs` worker processes (one file per task)."""
    jobs = auto_jobs(files) if jobs is None else jobs
    parse = partial(_parse, settings=settings, county=county, year=year, salt=salt)
    if jobs <= 1:
        results: Iterable[ParsedFile | FileOutcome] = (parse(p) for p in files)
        pool = None
    else:
        pool = ProcessPoolExecutor(
            max_workers=jobs, mp_context=get_context(_START), initializer=_young_every,
            initargs=(gc.get_threshold()[0],),
        )  # fmt: skip
        with warnings.catch_warnings():  # Python 3.12+: DuckDB's idle threads (see _START)
            warnings.simplefilter("ignore", DeprecationWarning)
            results = pool.map(parse, files)
    try:
        for n, (path, res) in enumerate(zip(files, results, strict=True), 1):
            if on_progress:
                on_progress("read", n, len(files), path.name)
            yield res
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)


YOUNG_COLLECTION = 50_000  # container allocations between collections (Python: 700)


@contextmanager
def fewer_collections() -> Iterator[None]:
    """Collect cyclic garbage less often while ingesting or checking. A roster's rows are
    tens of thousands of lists, so Python's default (a young collection every 700
    allocations, a full one as the heap grows by a quarter) ran collections that found
    nothing and took ~10% of a 220k-record ingest (8.3 s -> 7.5 s with collection off).
    Nothing is turned off: the collector runs every `YOUNG_COLLECTION` allocations, and
    forked parse workers inherit the setting (spawned ones get it from `_young_every`)."""
    before = gc.get_threshold()
    gc.set_threshold(max(YOUNG_COLLECTION, before[0]), *before[1:])
    try:
        yield
    finally:
        gc.set_threshold(*before)


def roomy_heap() -> None:
    """For a process that ingests (the CLI calls it first; forked parse workers inherit
    it): glibc's malloc keeps up to 1 GiB of freed memory for reuse and serves blocks
    up to 256 MiB from its heap, instead of giving freed memory back at once and mapping
    every block above 128 KiB anew. Parsing and relinking allocate and free arrays of
    every size over and over, and memory taken from the kernel again is faulted in and
    zeroed again: a 220k-record period's first link_tiers spent 0.27 s of 0.65 in the
    kernel, the second 0.07 s. Whole 220k ingests alternating with the code before were
    faster in 6 of 8 pairs (median 6.40 -> 6.25 s; the same setting as GLIBC_TUNABLES:
    12 of 13 pairs); the 1M peak stayed 1.7-1.8 GiB. Off Linux nothing is changed (and
    musl's mallopt does nothing)."""
    if not sys.platform.startswith("linux"):
        return
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    mallopt(_M_MMAP_THRESHOLD, 256 * 2**20)
    mallopt(_M_TRIM_THRESHOLD, 2**30)


_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # glibc's malloc.h


def _young_every(allocations: int) -> None:
    gc.set_threshold(allocations, *gc.get_threshold()[1:])


ISSUE_COLUMNS = ["code", "severity", "county", "source_file", "source_sheet", "source_row",
                 "column", "value", "message"]  # fmt: skip


def check(
    paths: Iterable[Path],
    settings: Settings,
    county: str | None = None,
    year: int | None = None,
    on_progress: Progress | None = None,
    jobs: int | None = None,
) -> IngestReport:
    """Everything ingest does except storing; the report carries every issue found."""
    with fewer_collections():
        return _check(paths, settings, county, year, on_progress, jobs)


def _check(
    paths: Iterable[Path], settings: Settings, county: str | None, year: int | None,
    on_progress: Progress | None, jobs: int | None,
) -> IngestReport:  # fmt: skip
    files, ignored = find_files(paths)
    cat = Catalogue.load(settings.checks)
    outcomes, frames, issues = [], [], []
    for res in parse_all(files, settings, county, year, jobs, on_progress):
        if isinstance(res, FileOutcome):
            outcomes.append(res)
            continue
        outcomes.append(_outcome(res, "checked"))
        frames.append(res.records)
        prov = res.records.reset_index(drop=True).iloc[res.issues["index"]]
        issues.append(res.issues.drop(columns="index").assign(
            county=res.county, source_file=res.name,
            source_sheet=prov["source_sheet"].to_numpy(), source_row=prov["source_row"].to_numpy(),
        ))  # fmt: skip
    links: Counter[str] = Counter()
    persons: dict[str, int] = {}
    period_found: Counter[str] = Counter()
    if frames:
        rec = pd.concat(frames, ignore_index=True)
        rec["record_id"], rec["file_id"] = range(1, len(rec) + 1), 0
        for period, part in rec.groupby("period"):
            linked = link_period(part, TIERS[-1], "check")
            links.update(_accepted(linked))
            persons[str(period)] = len(linked.persons)
            found = to_rows(period_rules(part.reset_index(drop=True), cat), cat, int(str(period)))
            found["record_id"] = part["record_id"].to_numpy()[found["index"].to_numpy(dtype=int)]
            conflicts = linked.conflicts.assign(code="conflict")
            issues.append(_with_provenance(part, pd.concat([found, conflicts]), cat))
            period_found.update(found["code"])
            period_found.update(conflicts["code"])
    report = IngestReport(outcomes, dict(links), persons, ignored, period_issues=dict(period_found))
    if issues:
        found = pd.concat(issues, ignore_index=True)[ISSUE_COLUMNS]
        report.issues = found.sort_values(["county", "source_file", "source_sheet", "source_row"],
                                          kind="stable", ignore_index=True)  # fmt: skip
    return report


def _accepted(linked: Linked) -> Counter[str]:
    return Counter(linked.links.loc[linked.links["status"] == "accepted", "reason"])


def relink(
    store: Store, period: int, settings: Settings | None = None, backend: Backend = "duckdb",
    own_keys: Iterable[tuple[int, np.ndarray[Any, Any]]] = (), whole: bool = True,
) -> dict[str, Linked]:  # fmt: skip
    """Link one period's active records at every tier, rerun the period rules, store.
    `own_keys`: (first record id, `id_person_keys`) of files this run parsed. `whole`
    False: relink only the records this run's changes reach when the stored links allow
    (delta.py); the result then holds that part's links and persons only."""
    cat = Catalogue.load(settings.checks if settings else None)
    large = store.active_count(period) > BESIDE_LINKING
    if large:
        store.write_back()
    rec = store.active_records(period, leave_out=("name_raw", "extras"))  # not used here
    own = _own_keys(rec["record_id"].to_numpy(), own_keys)
    # the period rules before linking: their frames are gone when the persons are built
    found = to_rows(period_rules(rec.reset_index(drop=True), cat), cat, period)
    found["record_id"] = rec["record_id"].to_numpy()[found["index"].to_numpy(dtype=int)]
    store.replace_period_issues(period, PERIOD_RULES, _with_provenance(rec, found, cat))
    del found
    decisions = store.decisions_for(period)
    salt = store.salt()
    part = None if whole else delta.changed_part(store, period, rec, decisions, backend)
    cand = None
    if part is not None:  # only the records the run's changes reach
        if not len(part.ids):  # no record came or went
            delta.stamp(store, period, rekeyed=False, whole=False)
            return {}
        rec = rec.iloc[part.at].reset_index(drop=True)
        own, decisions, cand = own[part.at], part.decisions, part.cand
    with store.writing_back():  # a bulk load's checkpoint, while linking computes
        out = link_tiers(rec, salt, decisions, backend, own, cand)
    made: dict[int, pd.DataFrame] = {}  # conflicts with provenance, per conflicts frame
    rows = []
    for tier, linked in out.items():
        if id(linked.conflicts) not in made:  # tiers without links of their own share it
            found = linked.conflicts.assign(code="conflict")
            made[id(linked.conflicts)] = _with_provenance(rec, found, cat)
        tag: dict[str, Any] = {"period": period, "tier": tier}
        rows.append(TierRows(
            tier, linked.links.assign(**tag), linked.members.assign(**tag),
            linked.persons.assign(**tag), made[id(linked.conflicts)].assign(**tag),
        ))  # fmt: skip
    del rec, made
    if part is None:
        store.replace_tiers(period, rows, together=not large)
    elif not delta.replace_part(store, period, part, rows):
        # a new person key is taken outside the part: the whole period resolves it
        return relink(store, period, settings, backend, own_keys)
    for _ in rows:
        fault_point("relink-tier")
    delta.stamp(store, period, any(x.rekeyed for x in out.values()), whole=part is None)
    return out


# Periods of more records write a bulk load back before linking, not beside it (both
# at once raised a million-record ingest's peak from 1,845 to 2,030 MiB; the target is
# 2 GB), and store their tiers one after the other (side by side: ~60 MiB more at the
# 1M peak). At 220k records each saves 0.2-0.3 s of 7.
BESIDE_LINKING = 400_000


def _own_keys(
    record_ids: np.ndarray[Any, Any], parts: Iterable[tuple[int, np.ndarray[Any, Any]]]
) -> np.ndarray[Any, Any]:
    """The records' own person keys, from (first record id, keys) of the files this run
    stored (b"" for the others: relinking hashes those)."""
    out = np.full(len(record_ids), b"", dtype="S13")
    for first, keys in parts:
        at, n = int(np.searchsorted(record_ids, first)), len(keys)
        # record ids are sorted and unique: the file's records sit at at..at+n-1
        whole = n > 0 and at + n <= len(record_ids) and record_ids[at + n - 1] - first == n - 1
        if whole and record_ids[at] == first:
            out[at : at + n] = keys
    return out


def _with_provenance(rec: pd.DataFrame, found: pd.DataFrame, cat: Catalogue) -> pd.DataFrame:
    """Issues on records (record_id, code, column, value) with provenance and messages."""
    cols = ["file_id", "period", "county", "source_file", "source_sheet", "source_row"]
    iss = found.join(rec[["record_id", *cols]].set_index("record_id"), on="record_id")
    iss["severity"] = iss["code"].map(cat.severity)
    made = pd.Series([cat.message(c, v) for c, v in zip(iss["code"], iss["column"], strict=True)],
                     index=iss.index, dtype=object)  # fmt: skip
    if "message" in iss.columns:
        made = iss["message"].where(iss["message"].notna(), made)
    iss["message"] = made
    return iss


def ingest(
    paths: Iterable[Path],
    store: Store,
    settings: Settings,
    county: str | None = None,
    year: int | None = None,
    on_progress: Progress | None = None,
    jobs: int | None = None,
    replace: bool = False,
) -> IngestReport:
    """Read, check, normalise and store every file; relink the periods touched.

    `replace`: the files given are each county's complete roster for their period.
    """
    with fewer_collections():
        return _ingest(paths, store, settings, county, year, on_progress, jobs, replace)


def _ingest(
    paths: Iterable[Path], store: Store, settings: Settings, county: str | None,
    year: int | None, on_progress: Progress | None, jobs: int | None, replace: bool,
) -> IngestReport:  # fmt: skip
    files, ignored = find_files(paths)
    outcomes: list[FileOutcome] = []
    hashes: dict[int, str] = {}
    known = stored_already(store, files, hashes)  # reported where the parse reaches them
    todo = [(at, p) for at, p in enumerate(files) if at not in known]
    early = iter(sorted(known.items()))
    next_known = next(early, None)

    def report_known(before: int) -> None:
        nonlocal next_known
        while next_known is not None and next_known[0] < before:
            outcomes.append(next_known[1])
            next_known = next(early, None)

    touched: set[int] = pending_periods(store)  # left by a run that was killed
    stale = set(touched)  # their stored links are older than their records: relink whole
    groups: dict[tuple[str, int], list[ParsedFile]] = {}
    # --replace: a county's submission is its new files, by name (each replaces the stored
    # file of its name), and its files stored already, by content (whatever their name)
    names: dict[tuple[str, int], set[str]] = {}
    contents: dict[tuple[str, int], set[str]] = {}
    for at, f in known.items():
        if f.county is not None and f.period is not None:
            contents.setdefault((f.county, f.period), set()).add(hashes[at])
    dropped: list[tuple[str, int, str]] = []  # (county, period, file) --replace replaced
    run: set[int] = set()  # files stored by this run never replace each other
    keys: dict[int, list[tuple[int, np.ndarray[Any, Any]]]] = {}  # period: files' own keys
    with store.bulk_load():  # one checkpoint after the files, not one every 16 MB
        parsed = parse_all([p for _, p in todo], settings, county, year, jobs, on_progress,
                           store.salt())  # fmt: skip
        for (at, _), res in zip(todo, parsed, strict=True):
            report_known(at)
            if isinstance(res, FileOutcome):
                outcomes.append(res)
                continue
            if store.find_file(res.sha256) is not None:
                outcomes.append(_outcome(res, "unchanged"))
                contents.setdefault((res.county, res.period), set()).add(res.sha256)
            elif replace:
                names.setdefault((res.county, res.period), set()).add(res.name)
                groups.setdefault((res.county, res.period), []).append(res)
            else:
                fault_point("before-store")
                outcomes.append(_outcome(res, store_files(store, [res], run=run)[0]))
                touched.add(res.period)
                _keep_keys(keys, res)
        report_known(len(files))
        # a refused file may be any county's: --replace then replaces nothing left out
        held = replace and any(f.status == "refused" for f in outcomes)
        for key, group in groups.items():
            fault_point("before-store")
            complete = None if held else names[key]
            statuses = store_files(store, group, complete, run, contents.get(key), dropped)
            for pf, status in zip(group, statuses, strict=True):
                outcomes.append(_outcome(pf, status))
                _keep_keys(keys, pf)
            touched.add(key[1])
        for key in sorted(contents.keys() - groups.keys()) if replace and not held else ():
            gone = drop_left_out(store, *key, set(), contents[key], run)  # nothing new
            if gone:
                dropped += [(*key, name) for name in gone]
                touched.add(key[1])
    links: Counter[str] = Counter()
    persons: dict[str, int] = {}
    for i, period in enumerate(sorted(touched), 1):
        if on_progress:
            on_progress("link", i, len(touched), str(period))
        fault_point("before-link")
        relink(store, period, settings, own_keys=keys.get(period, ()), whole=period in stale)
        fault_point("after-link")
        clear_pending(store, period)
        count, by_reason = store.linked_counts(period, TIERS[-1])
        links.update(by_reason)
        persons[str(period)] = count
    store.write_back()  # when nothing was relinked (every file unchanged or refused)
    found = period_issues(store, outcomes, touched)
    return IngestReport(
        outcomes, dict(links), persons, ignored, period_issues=found, dropped=sorted(dropped),
        replace_held=held,
    )  # fmt: skip


def period_issues(
    store: Store, outcomes: list[FileOutcome], touched: Iterable[int] = ()
) -> dict[str, int]:
    """The issues of the whole period (`IngestReport.period_issues`) of every period a
    file of the run landed in or was found unchanged in, and of those relinked."""
    periods = {f.period for f in outcomes if f.status != "refused" and f.period is not None}
    found: Counter[str] = Counter()
    for period in sorted(periods | set(touched)):
        found.update(store.period_issue_counts(period, PERIOD_RULES, TIERS[-1]))
    return dict(found)


def stored_already(
    store: Store, files: list[Path], hashes: dict[int, str] | None = None
) -> dict[int, FileOutcome]:
    """Input files (by position) whose content an active stored file has, found before
    any parsing: a county resending one roster of ten re-reads one. Only files of a
    stored file's size are hashed; a file that cannot be read is left to the parser to
    refuse. Their report comes from what was stored of them (`Store.stored_report`)."""
    sizes = store.active_sizes()
    found: dict[int, FileOutcome] = {}
    for at, path in enumerate(files):
        try:
            if path.stat().st_size not in sizes:
                continue
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
        except OSError:
            continue
        row = store.find_file(digest)
        if row is not None:
            if hashes is not None:
                hashes[at] = digest
            found[at] = FileOutcome(
                path=str(path), name=path.name, status="unchanged", county=row.county,
                period=row.period, **store.stored_report(row.file_id, PERIOD_RULES),
            )  # fmt: skip
    return found


def _keep_keys(keys: dict[int, list[tuple[int, np.ndarray[Any, Any]]]], pf: ParsedFile) -> None:
    if pf.own_keys is not None and pf.first_record_id is not None:
        keys.setdefault(pf.period, []).append((pf.first_record_id, pf.own_keys))
