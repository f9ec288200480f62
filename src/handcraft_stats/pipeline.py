"""ingest and check: files -> parse -> store (one transaction per file) -> link."""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable
from contextlib import closing
from pathlib import Path
from stat import S_ISREG
from typing import Any

import numpy as np
import pandas as pd

from . import delta
from .blocking import Backend
from .checks import PERIOD_RULES, Catalogue, period_rules, to_rows
from .config import Settings
from .inputs import find_files, find_inputs, text_of
from .link import TIERS, Linked, link_period, link_tiers
from .masking import masked_sources, names_in_sources
from .outcome import NOT_A_ROSTER, FileOutcome, IngestReport, Progress, outcome_of
from .parse import ParsedFile
from .reading import fingerprint
from .reasons import reason
from .report.labels import label
from .store import Store, TierRows
from .versions import clear_pending, drop_left_out, fault_point, pending_periods, store_files
from .workers import auto_jobs, fewer_collections, parse_all, roomy_heap

# the names callers and tests know from here
__all__ = [
    "FileOutcome",
    "IngestReport",
    "Progress",
    "auto_jobs",
    "check",
    "fewer_collections",
    "find_files",
    "ingest",
    "parse_all",
    "relink",
    "roomy_heap",
    "stored_already",
]


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
    files, ignored, unreadable = find_inputs(paths)
    cat = Catalogue.load(settings.checks)
    outcomes: list[FileOutcome] = unreadable_folders(unreadable)
    frames, issues = [], []
    not_rosters: list[tuple[str, str]] = []
    pairs: list[tuple[object, object]] = []  # (file or sheet name, a woman's name)
    # closing: the workers end however this loop ends (see `_ingest`)
    with closing(parse_all(files, settings, county, year, jobs, on_progress)) as parsed:
        for res in parsed:
            if isinstance(res, FileOutcome):
                not_parsed(res, outcomes, not_rosters)
                continue
            outcomes.append(outcome_of(res, "checked"))
            frames.append(res.records)
            pairs += _source_names(res.name, res.records)
            prov = res.records.reset_index(drop=True).iloc[res.issues["index"]]
            issues.append(res.issues.drop(columns="index").assign(
                county=res.county, source_file=res.name,
                source_sheet=prov["source_sheet"].to_numpy(),
                source_row=prov["source_row"].to_numpy(),
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
    # a refused file has no records to tell a woman's name by: the run's women's names
    people = {n for _, n in pairs if isinstance(n, str) and len(n) >= 2}
    refused = {f.name for f in outcomes if f.status == "refused"}
    named = [(r, n) for r in refused for n in people if n in r]
    report = IngestReport(outcomes, dict(links), persons, ignored, period_issues=dict(period_found),
                          not_rosters=not_rosters, named_sources=masked_sources(pairs),
                          masked_names=names_in_sources([*pairs, *named]))  # fmt: skip
    if issues:
        found = pd.concat(issues, ignore_index=True)[ISSUE_COLUMNS]
        report.issues = found.sort_values(["county", "source_file", "source_sheet", "source_row"],
                                          kind="stable", ignore_index=True)  # fmt: skip
    return report


def _source_names(file_name: str, records: pd.DataFrame) -> list[tuple[object, object]]:
    """(source, name) pairs of one parsed file: its name and its sheets' names against
    the names of its women (what export_rows.source_name_pairs reads from the store)."""
    pairs: list[tuple[object, object]] = []
    for column in ("name", "name_raw"):
        if column in records.columns:
            people = records[["source_sheet", column]].drop_duplicates()
            pairs += zip(people["source_sheet"], people[column], strict=True)
            pairs += ((file_name, n) for n in people[column].drop_duplicates())
    return pairs


def _names_in_files(store: Store, outcomes: list[FileOutcome]) -> dict[str, str]:
    """masked_names of the run's files, from their stored records (stored or unchanged);
    of a refused file (it has no records to tell), the stored women's names its name
    holds (丰县2017年李红梅.xlsx refused, 李红梅 on another roster: 李**)."""
    from .export_rows import source_name_pairs

    names = sorted({f.name for f in outcomes if f.status != "refused"})
    masked: dict[str, str] = {}
    if names:
        listed = ", ".join("'" + n.replace("'", "''") + "'" for n in names)
        active = (
            f"file_id IN (SELECT file_id FROM files WHERE active) AND source_file IN ({listed})"
        )
        masked = names_in_sources(source_name_pairs(store.con, active))
    for refused in sorted({f.name for f in outcomes if f.status == "refused"}):
        held = store.con.execute(
            "SELECT DISTINCT name FROM records WHERE length(name) >= 2 AND strpos(?, name) > 0",
            [refused],
        ).fetchall()  # fmt: skip
        masked.update(names_in_sources((refused, name) for (name,) in held))
    return masked


def unreadable_folders(folders: list[tuple[str, str]]) -> list[FileOutcome]:
    """Folders that could not be listed, as refused: their rosters are unknown."""
    return [FileOutcome(path, Path(path).name, "refused", reason("unreadable_folder", detail=why))
            for path, why in folders]  # fmt: skip


def not_parsed(
    res: FileOutcome, outcomes: list[FileOutcome], not_rosters: list[tuple[str, str]]
) -> None:
    """A file that was not parsed: refused, or named as no roster and holding none."""
    if res.status == NOT_A_ROSTER:
        not_rosters.append((res.path, res.reason))
    else:
        outcomes.append(res)


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
    # a conflict's message names its field by label (同一人的多条记录取值不一致：姓名), as the
    # fix list's column does, not by code
    made = pd.Series([cat.message(c, label("column", v) if c == "conflict" else v)
                      for c, v in zip(iss["code"], iss["column"], strict=True)],
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
    reparse: bool = False,
) -> IngestReport:
    """Read, check, normalise and store every file; relink the periods touched.

    `replace`: the files given are each county's complete roster for their period.
    `reparse`: files whose content is stored already are read again (by this version of
    hcs: its normalisation and checks) and replace their stored reading.
    """
    with fewer_collections():
        return _ingest(paths, store, settings, county, year, on_progress, jobs, replace,
                       reparse)  # fmt: skip


def _ingest(
    paths: Iterable[Path], store: Store, settings: Settings, county: str | None,
    year: int | None, on_progress: Progress | None, jobs: int | None, replace: bool,
    reparse: bool = False,
) -> IngestReport:  # fmt: skip
    files, ignored, unreadable = find_inputs(paths)
    outcomes: list[FileOutcome] = unreadable_folders(unreadable)
    not_rosters: list[tuple[str, str]] = []
    hashes: dict[int, str] = {}
    reading = fingerprint(settings)
    # reported where the parse reaches them (none with `reparse`: every file is read; nor
    # those another hcs or other settings read: they are read again)
    known = {} if reparse else stored_already(store, files, hashes, reading)
    # content stored already under another county or year than its name (or --county,
    # --year) states: refused, neither read nor taken as part of a --replace submission
    moved = _stored_elsewhere(store, settings, files, known, hashes, county, year)
    todo = [(at, p) for at, p in enumerate(files) if at not in known and at not in moved]
    early = iter(sorted({**known, **moved}.items()))
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
    # files stored by this run, or found unchanged by it, never replace each other: a
    # town's unchanged 丰县2017年花名册.xlsx was replaced by another town's file of that
    # name stored in the same run (its women left every figure, reported "unchanged"),
    # and an inbox holding a roster's two versions swapped them at every run (until
    # session 18)
    run: set[int] = {row.file_id for at in known if (row := store.find_file(hashes[at]))}
    keys: dict[int, list[tuple[int, np.ndarray[Any, Any]]]] = {}  # period: files' own keys
    # closing: when storing fails (a full disk), the pool's workers are told to stop before
    # the error travels on. Left to the generator's `finally`, they ran only when the
    # generator was collected, which the error's traceback prevented: the process waited
    # for its workers at exit for good.
    parsed = parse_all([p for _, p in todo], settings, county, year, jobs, on_progress,
                       store.salt())  # fmt: skip
    with store.bulk_load(), closing(parsed):  # one checkpoint after the files, not one per 16 MB
        for (at, _), res in zip(todo, parsed, strict=True):
            report_known(at)
            if isinstance(res, FileOutcome):
                not_parsed(res, outcomes, not_rosters)
                continue
            stored = store.find_file(res.sha256)
            again = stored is not None and (reparse or stored.reading != reading)
            if stored is not None and (not again or stored.file_id in run):
                run.add(stored.file_id)
                outcomes.append(outcome_of(res, "unchanged"))
                contents.setdefault((res.county, res.period), set()).add(res.sha256)
            elif replace:
                names.setdefault((res.county, res.period), set()).add(res.name)
                groups.setdefault((res.county, res.period), []).append(res)
            else:
                fault_point("before-store")
                status = store_files(store, [res], run=run, reparse=again, reading=reading)[0]
                outcomes.append(outcome_of(res, status))
                touched.add(res.period)
                _keep_keys(keys, res)
        report_known(len(files))
        # a refused file may be any county's: --replace then replaces nothing left out
        held = replace and any(f.status == "refused" for f in outcomes)
        for key, group in groups.items():
            fault_point("before-store")
            complete = None if held else names[key]
            # a stored content in the group is one read again (`again` above)
            statuses = store_files(store, group, complete, run, contents.get(key), dropped,
                                   True, reading)  # fmt: skip
            for pf, status in zip(group, statuses, strict=True):
                outcomes.append(outcome_of(pf, status))
                _keep_keys(keys, pf)
            touched.add(key[1])
        for key in sorted(contents.keys() - groups.keys()) if replace and not held else ():
            gone = drop_left_out(store, *key, set(), contents[key], run)  # nothing new
            if gone:
                dropped += [(*key, name) for name in gone]
                touched.add(key[1])
    touched |= pending_periods(store)  # --reparse: a reading of another period replaced
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
        replace_held=held, shared=shared_women(store, outcomes), not_rosters=not_rosters,
        masked_names=_names_in_files(store, outcomes),
    )  # fmt: skip


def shared_women(
    store: Store, outcomes: list[FileOutcome]
) -> list[tuple[str, int, str, str, int, int]]:
    """The run's new files whose women are mostly on an older active file of the same
    county and period (`Store.shared_women`): a corrected roster sent under a new name
    is stored beside the old one, both counted, until `--replace` puts it in its place."""
    new: dict[int, list[tuple[str, str]]] = {}
    for f in outcomes:
        if f.status == "ingested" and f.county is not None and f.period is not None:
            new.setdefault(f.period, []).append((f.county, f.name))
    return [(c, period, name, other, k, n) for period, files in sorted(new.items())
            for c, name, other, k, n in store.shared_women(period, files)]  # fmt: skip


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


def _stored_elsewhere(
    store: Store, settings: Settings, files: list[Path], known: dict[int, FileOutcome],
    hashes: dict[int, str], county: str | None, year: int | None,
) -> dict[int, FileOutcome]:  # fmt: skip
    """The files of `known` (taken out of it) whose content is stored under another
    county or year than --county/--year give, or, under a new name, than the name states:
    refused, saying where the content counts. One content counts under one county and
    year; such a file was reported "unchanged" under the stored ones, so last year's
    roster sent again as 丰县2018年花名册.csv left 丰县 out of 2018 without a word, and with
    --replace --year 2018 dropped 丰县's other 2017 files (an audit, session 23). The
    same name again (a file filed under --year before) stays unchanged."""
    from .parse import name_says

    moved: dict[int, FileOutcome] = {}
    for at, f in sorted(known.items()):
        row = store.find_file(hashes[at])
        if row is None:
            continue
        named_county, named_year = name_says(settings, files[at].name) if (
            files[at].name != row.name) else (None, None)  # fmt: skip
        said_county, said_year = county or named_county, year or named_year
        if (said_county or f.county) == f.county and (said_year or f.period) == f.period:
            continue
        said = " ".join(str(x) for x in (said_county, said_year) if x is not None)
        moved[at] = FileOutcome(f.path, f.name, "refused", reason(
            "stored_elsewhere", stored=f"{f.county} {f.period}", said=said,
        ))  # fmt: skip
        del known[at]
    return moved


def stored_already(
    store: Store, files: list[Path], hashes: dict[int, str] | None = None,
    reading: str | None = None,
) -> dict[int, FileOutcome]:  # fmt: skip
    """Input files (by position) whose content an active stored file has, found before
    any parsing: a county resending one roster of ten re-reads one. Only files of a
    stored file's size are hashed; a file that cannot be read is left to the parser to
    refuse. Their report comes from what was stored of them (`Store.stored_report`).
    `reading` (reading.fingerprint): a file stored by another reading is not one of them."""
    sizes = store.active_sizes()
    found: dict[int, FileOutcome] = {}
    for at, path in enumerate(files):
        try:
            st = path.stat()
            if st.st_size not in sizes or not S_ISREG(st.st_mode):  # a pipe: the parser's
                continue
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
        except OSError:
            continue
        row = store.find_file(digest)
        if row is not None and (reading is None or row.reading == reading):
            if hashes is not None:
                hashes[at] = digest
            found[at] = FileOutcome(
                path=text_of(path), name=text_of(path.name), status="unchanged", county=row.county,
                period=row.period, **store.stored_report(row.file_id, PERIOD_RULES),
            )  # fmt: skip
    return found


def _keep_keys(keys: dict[int, list[tuple[int, np.ndarray[Any, Any]]]], pf: ParsedFile) -> None:
    if pf.own_keys is not None and pf.first_record_id is not None:
        keys.setdefault(pf.period, []).append((pf.first_record_id, pf.own_keys))
