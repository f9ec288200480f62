"""records.csv and issues.csv rows from the store, as Arrow batches in load order.

IDs and phones are masked in SQL; free text (notes, issue values and messages) is
scrubbed in Python only where it holds a run of 11 digits. Records are read in slices of
record ids on a cursor of their own, the next slice while this one is written, so a year
of ten million records streams without being held as Python rows.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .engine import arrow
from .masking import (
    NUMBER_IN_TEXT,
    NUMBER_IN_TEXT_RE2,
    RELATIVE_RE2,
    masked_run,
    masked_sources,
    scrub_relatives,
)
from .masking import scrub_source as scrub_source
from .normalize.text import mask_name
from .review import check_period
from .store import Store

FIELDS = (
    "name", "id_number", "id_status", "birth_date", "town", "village", "household_head",
    "relation_to_head", "phone", "labor_capacity", "willing", "wing", "trainings",
    "new_practitioner", "income_before", "income_after", "exit_year", "status", "broker",
    "visit_date", "note",
)  # fmt: skip
RECORD_COLUMNS = ("person_key", "county", "source_file", "source_sheet", "source_row",
                  *FIELDS, "class")  # fmt: skip
ISSUE_COLUMNS = ("code", "severity", "county", "source_file", "source_sheet", "source_row",
                 "column", "value", "message")  # fmt: skip
NAMES = ("name", "household_head", "broker")  # masked to their first character
PERSONAL = ("id_number", "phone", *NAMES)  # issue columns whose values are masked
# where a record or issue comes from: scrubbed as free text is (a roster or sheet named by
# a woman's ID or phone: 一人一卡 workbooks have a sheet per woman)
SOURCES = ("source_file", "source_sheet")
_DIGITS = NUMBER_IN_TEXT
_DIGIT_RUN = f"{NUMBER_IN_TEXT_RE2}|{RELATIVE_RE2}"  # what scrub() could mask, in RE2
_CHUNK = 1 << 19  # records per query of records.csv
_FAR = 1 << 20  # record ids spread wider than this (and 4 per record) are looked up sorted


@contextmanager
def beside_cursor(store: Store) -> Iterator[tuple[ThreadPoolExecutor, Any]]:
    """A worker thread and a cursor of its own on the store (DuckDB connections are not
    shared between threads); on exit the work is waited for and the cursor closed."""
    cursor = store.con.cursor()
    try:
        with ThreadPoolExecutor(1) as pool:
            yield pool, cursor
    finally:
        cursor.close()


def scrub(text: Any) -> Any:
    """Free text with every ID or phone number masked (typed into a note or an
    unreadable cell): a run of 11+ digits, or one written in groups; and a name written
    after a role word (丈夫李四 → 丈夫李*; masking.py)."""
    if not isinstance(text, str):
        return text
    return scrub_relatives(_DIGITS.sub(masked_run, text))


def mask_id_sql(v: str) -> str:
    """SQL of normalize.idnumber.mask_id."""
    return (  # substr, not left/right: a tenth less CPU at 10M records
        f"CASE WHEN length({v}) <= 10 THEN repeat('*', length({v})) "
        f"WHEN length({v}) = 18 THEN substr({v}, 1, 6) || '********' || substr({v}, 15, 4) "
        f"ELSE substr({v}, 1, 6) || repeat('*', length({v}) - 6) END"
    )


def mask_phone_sql(v: str) -> str:
    """SQL of normalize.phone.mask_phone."""
    return (
        f"CASE WHEN length({v}) = 11 THEN left({v}, 3) || '****' || right({v}, 4) "
        f"WHEN length({v}) >= 7 THEN left({v}, 3) || repeat('*', length({v}) - 5) "
        f"|| right({v}, 2) ELSE repeat('*', length({v})) END"
    )


def mask_name_sql(v: str) -> str:
    """SQL of normalize.text.mask_name."""
    # the usual lengths spelt out: a third less CPU than repeat() on every name; substr
    # where left() was: the mask's own cost (beyond reading the name) 0.64 -> 0.21 s of
    # CPU per name column at 10M records
    first = f"substr({v}, 1, 1)"
    return (
        f"CASE length({v}) WHEN 2 THEN {first} || '*' WHEN 3 THEN {first} || '**' "
        f"WHEN 4 THEN {first} || '***' WHEN 1 THEN '*' WHEN 0 THEN '' "
        f"ELSE {first} || repeat('*', length({v}) - 1) END"
    )


def names_in_note_sql(note: str, table: str = "") -> str:
    """SQL of a record's note with the names of its own record masked where the note
    writes them (与户主张大山同住, 经纪人李红联系: the name, as written and normalised, the
    household head's and the broker's, two characters or more), as mask_name masks them
    (张**). A name the record does not hold (丈夫李四) is not recognised. A blank note
    (most are) is not searched: DuckDB evaluates a CASE branch only on its rows, and the
    eight replacements on every row were 2 s of CPU at 10M records."""
    masked = note
    for column in ("name", "name_raw", "household_head", "broker"):
        v = f"{table}{column}"
        masked = (f"replace({masked}, CASE WHEN length({v}) >= 2 THEN {v} ELSE chr(0) END, "
                  f"coalesce({mask_name_sql(v)}, ''))")  # fmt: skip
    return f"CASE WHEN {note} IS NULL THEN NULL ELSE {masked} END"


# METRICS.md §4: what a blank cell of these fields is. The store keeps the blank (NULL),
# so that a woman's blank cell in one roster never outvotes her filled one in another
# (survivorship, docs/metrics.md §5); records.csv gives each record's canonical value, as
# a person's values and class are given (classify.py fills persons the same way).
BLANK_IS = {
    "labor_capacity": "coalesce(r.labor_capacity, 'unknown')",
    "willing": "coalesce(r.willing, 'unknown')",
    "wing": "coalesce(r.wing, 'none')",
    "new_practitioner": "coalesce(r.new_practitioner, false)",
    "status": "coalesce(r.status, CASE WHEN r.exit_year IS NULL THEN 'not_exited' "
    "ELSE 'exited' END)",
}


def _fields_sql(unmasked: bool) -> str:
    """SQL of the records' FIELDS (table r), blank vocabulary fields as METRICS.md §4
    reads them, IDs, phones and names masked unless `unmasked`."""
    masks: dict[str, Any] = {} if unmasked else {
        "id_number": mask_id_sql, "phone": mask_phone_sql,
        **dict.fromkeys(NAMES, mask_name_sql),
    }  # fmt: skip

    def one(f: str) -> str:
        if f in masks:
            return f"{masks[f](f'r.{f}')} AS {f}"
        if f == "note" and not unmasked:
            return f"{names_in_note_sql('r.note', 'r.')} AS note"
        return f"{BLANK_IS[f]} AS {f}" if f in BLANK_IS else f"r.{f}"

    return ", ".join(map(one, FIELDS))


def record_batches(
    store: Store, year: int, tier: str, unmasked: bool, renames: dict[str, str] | None = None
) -> Iterator[pa.RecordBatch]:
    """The period's active records in load order (RECORD_COLUMNS), with person key and
    class at `tier`; IDs and phones masked and digit runs in notes scrubbed unless
    `unmasked`, files and sheets named by a woman as `renames` (default: named_sources
    of the period). Read in slices of record ids on a cursor of their own, the next slice
    while this one is written."""
    check_period(store, year, tier)
    with beside_cursor(store) as (pool, cursor):
        classes = _classes(cursor, year, tier)
        if renames is None:
            renames = {} if unmasked else named_sources(cursor, active_records(year))
        if classes is None:  # a record in two persons (never written by hcs): as one join
            yield from _joined_records(cursor, year, tier, unmasked, renames)
            return
        read = _SliceReader(cursor, year, tier, unmasked, classes, renames)
        slices = _slices(cursor, year)
        # keep memory freed by one slice for the next instead of faulting it in again
        # (this process's DuckDB; only the speed changes)
        cursor.execute("SET allocator_flush_threshold = '4GB'")
        ahead: list[Future[pa.Table]] = []
        try:
            ahead = [pool.submit(read, *s) for s in slices[:1]]
            for i in range(len(slices)):
                table = ahead.pop().result()
                ahead += [pool.submit(read, *s) for s in slices[i + 1 : i + 2]]
                yield from table.to_batches(1 << 16)
        finally:
            # a reader that stopped early (the disk full, the export cancelled) leaves a
            # slice being read on the cursor: its end is waited for, its result dropped
            wait(ahead)
            cursor.execute("RESET allocator_flush_threshold")


class _SliceReader:
    """Reads one slice of record ids: the records (masked), their person keys and classes,
    in RECORD_COLUMNS, notes scrubbed. The queries are plain range scans (no join), so
    DuckDB returns the rows in the store's order, which is record id order unless records
    were rewritten; a slice that comes otherwise is sorted here."""

    def __init__(self, con: Any, year: int, tier: str, unmasked: bool,
                 classes: _Classes,
                 renames: dict[str, str]) -> None:  # fmt: skip
        fields = _fields_sql(unmasked)
        active = con.execute("SELECT file_id FROM files WHERE active").fetchall()
        self.active = np.array([r[0] for r in active], dtype=np.int64)
        y, where = int(year), "record_id >= {lo} AND record_id < {hi}"
        self.records = (  # (records of replaced files are dropped here: a filter on file_id
            # in the query would cost the rows their order)
            f"SELECT record_id, file_id, county, source_file, source_sheet, source_row, {fields} "
            f"FROM records r WHERE period = {y} AND {where}"
        )
        self.keys = (
            f"SELECT record_id, person_key FROM person_records WHERE period = {y} "
            f"AND tier = '{tier}' AND {where}"
        )
        self.con, self.unmasked, self.classes, self.renames = con, unmasked, classes, renames

    def __call__(self, lo: int, hi: int) -> pa.Table:
        chunk = arrow(self.con.sql(self.records.format(lo=lo, hi=hi)))
        active = np.isin(chunk["file_id"].to_numpy(), self.active)
        if not active.all():
            chunk = chunk.filter(pa.array(active))
        chunk, got = _in_order(chunk.drop_columns(["file_id"]))
        people, known = _in_order(arrow(self.con.sql(self.keys.format(lo=lo, hi=hi))))
        chunk = chunk.drop_columns(["record_id"])
        chunk = chunk.add_column(0, "person_key", people["person_key"].take(_at(known, got)))
        chunk = chunk.append_column("class", self.classes.of(got))
        if not self.unmasked:
            chunk = scrubbed_all(renamed(chunk, self.renames), (*SOURCES, "note"))
        return chunk.select(list(RECORD_COLUMNS))


def _in_order(table: pa.Table) -> tuple[pa.Table, np.ndarray]:
    """The table sorted by record id (unless it already is), and its record ids."""
    ids = table["record_id"].to_numpy()
    if len(ids) > 1 and not bool((np.diff(ids) > 0).all()):
        order = np.argsort(ids, kind="stable")
        table, ids = table.take(order), ids[order]
    return table, ids


def _at(ids: np.ndarray, wanted: np.ndarray) -> pa.Array:
    """Where each wanted id is in the sorted `ids` (null where it is not)."""
    if not len(ids):
        return pa.nulls(len(wanted), pa.int64())
    at = np.minimum(np.searchsorted(ids, wanted), len(ids) - 1)
    return pa.array(at, mask=ids[at] != wanted)


class _Classes:
    """Record id -> the class of her person at a tier, as a table addressed by record id
    (the ids of a period's records are nearly consecutive)."""

    def __init__(self, low: int, codes: np.ndarray, names: pa.Array) -> None:
        self.low, self.codes, self.names = low, codes, names

    def of(self, ids: np.ndarray) -> pa.Array:
        """The classes of the records `ids` (null: none)."""
        at = ids - self.low
        inside = (at >= 0) & (at < len(self.codes))
        codes = np.full(len(ids), -1, dtype=np.int16)
        codes[inside] = self.codes[at[inside]]
        return self.names.take(pa.array(codes, mask=codes < 0))


def _classes(con: Any, year: int, tier: str) -> _Classes | None:
    """The class of each record's person at `tier`; None when a record belongs to two
    persons, or to none of the persons table (never written by hcs). A woman with one
    record (most) is found by her survivor: only those with several are joined with
    person_records, a join of a tenth of the rows."""
    y = int(year)
    names = [r[0] for r in con.execute(
        f"SELECT DISTINCT class FROM persons WHERE period = {y} AND tier = '{tier}' "
        "AND class IS NOT NULL ORDER BY class"
    ).fetchall()]  # fmt: skip
    listed = ", ".join("'" + n.replace("'", "''") + "'" for n in names) or "NULL"
    code = f"coalesce(list_position([{listed}], p.class) - 1, -1)::SMALLINT AS code"
    person = f"p.period = {y} AND p.tier = '{tier}'"
    table = arrow(con.sql(
        f"SELECT p.survivor AS record_id, {code} FROM persons p WHERE {person} "
        f"AND p.records = 1 UNION ALL SELECT pr.record_id, {code} FROM person_records pr "
        f"JOIN persons p ON p.person_key = pr.person_key AND {person} AND p.records > 1 "
        f"WHERE pr.period = {y} AND pr.tier = '{tier}'"
    ))  # fmt: skip
    (listed_records,) = con.execute(
        f"SELECT count(*) FROM person_records WHERE period = {y} AND tier = '{tier}'"
    ).fetchone()
    ids = table["record_id"].to_numpy()
    if len(ids) != listed_records:
        return None
    if not len(ids):
        return _Classes(0, np.zeros(0, dtype=np.int16), pa.array(names, pa.string()))
    low, high = int(ids.min()), int(ids.max())
    if high - low >= 4 * len(ids) + _FAR:  # ids far apart (never seen): sorted instead
        order = np.argsort(ids, kind="stable")
        if (np.diff(ids[order]) == 0).any():
            return None
        return _Sorted(ids[order], table["code"].to_numpy()[order], pa.array(names, pa.string()))
    codes = np.full(high - low + 1, -2, dtype=np.int16)  # -2: no record
    codes[ids - low] = table["code"].to_numpy()
    if int(np.count_nonzero(codes != -2)) != len(ids):  # a record in two persons
        return None
    codes[codes == -2] = -1
    return _Classes(low, codes, pa.array(names, pa.string()))


class _Sorted(_Classes):
    """_Classes of record ids far apart: looked up in their sorted list."""

    def __init__(self, ids: np.ndarray, codes: np.ndarray, names: pa.Array) -> None:
        super().__init__(0, codes, names)
        self.ids, self.known = ids, pa.array(codes, mask=codes < 0)

    def of(self, ids: np.ndarray) -> pa.Array:
        return self.names.take(self.known.take(_at(self.ids, ids)))


def _slices(con: Any, year: int) -> list[tuple[int, int]]:
    """Ranges of record ids holding at most about _CHUNK of the period's active records
    each, cut between buckets of ids counted in one aggregation (an exact quantile of the
    ids took 0.4-0.6 s at 10M records, before the first slice could be read)."""
    where = f"period = {int(year)} AND file_id IN (SELECT file_id FROM files WHERE active)"
    n, lo, hi = con.execute(
        f"SELECT count(*), min(record_id), max(record_id) FROM records WHERE {where}"
    ).fetchall()[0]
    if not n:
        return []
    lo, hi = int(lo), int(hi)
    if n <= _CHUNK:
        return [(lo, hi + 1)]
    step = max(1, min((hi - lo + 1) // 4096, _CHUNK // 4))  # ids per bucket
    buckets = con.execute(
        f"SELECT (record_id - {lo}) // {step} AS b, count(*) FROM records WHERE {where} "
        "GROUP BY b ORDER BY b"
    ).fetchall()
    edges, held = [lo], 0
    for bucket, count in buckets:
        if held and held + count > _CHUNK:
            edges.append(lo + int(bucket) * step)
            held = 0
        held += int(count)
    edges.append(hi + 1)
    return list(itertools.pairwise(edges))


def scrubbed(
    table: pa.Table, name: str, where: pa.Array | pa.ChunkedArray | None = None,
    fn: Callable[[Any], Any] | None = None,
) -> pa.Table:  # fmt: skip
    """The text column `name` with scrub() (or `fn`; scrub_source for SOURCES) applied to
    the values (at the rows of `where`) that hold a run of 11 digits; the others are left
    as they are."""
    fn = fn or (scrub_source if name in SOURCES else scrub)
    column = table[name].combine_chunks()
    distinct = pc.unique(column)
    if 2 * len(distinct) <= len(column):
        # repeated values (a file's name on each of its rows, notes mostly empty): the
        # pattern is tried on each distinct value once, a third of the time at 10M rows
        found = pc.fill_null(pc.match_substring_regex(distinct, _DIGIT_RUN), False)
        if not pc.any(found).as_py():
            return table
        hits = pc.is_in(column, value_set=distinct.filter(found))
    else:
        hits = pc.fill_null(pc.match_substring_regex(column, _DIGIT_RUN), False)
    if where is not None:  # a table's column is chunked: the mask must be one array
        hits = pc.and_(
            hits, where.combine_chunks() if isinstance(where, pa.ChunkedArray) else where
        )
    if not pc.any(hits).as_py():
        return table
    scrubbed = pa.array([fn(v) for v in column.filter(hits).to_pylist()], pa.string())
    column = pc.replace_with_mask(column, hits, scrubbed)
    return table.set_column(table.column_names.index(name), name, column)


# a kept unknown column whose title names a person (配偶姓名, 联系人, 户主, a 经纪人 column
# hcs does not know as the broker): its values are names, masked as names are
PERSON_TITLE = "|".join((
    "姓名", "名字", "户主", "配偶", "爱人", "老公", "媳妇", "家属", "家人", "亲属", "丈夫", "妻子",
    "子女", "儿子", "女儿", "父亲", "母亲", "监护人", "联系人", "经纪人", "帮扶人", "责任人",
    "负责人", "干部", "代理人", "经办人",
))  # fmt: skip
_PERSON_TITLE = re.compile(PERSON_TITLE)


def names_masked(table: pa.Table, name: str = "extras") -> pa.Table:
    """The `extras` JSON column with the values of person-titled keys masked (mask_name):
    the masked Parquet dataset sent 配偶姓名 张大海 in full. Only rows whose text holds
    such a title are parsed."""
    column = table[name].combine_chunks()
    hits = pc.fill_null(pc.match_substring_regex(column, PERSON_TITLE), False)
    if not pc.any(hits).as_py():
        return table

    def mask(text: str | None) -> str | None:
        if text is None:
            return None
        cells = json.loads(text)
        for key, value in cells.items():
            if isinstance(value, str) and _PERSON_TITLE.search(key):
                cells[key] = mask_name(value)
        return json.dumps(cells, ensure_ascii=False)

    masked = pa.array([mask(v) for v in column.filter(hits).to_pylist()], pa.string())
    column = pc.replace_with_mask(column, hits, masked)
    return table.set_column(table.column_names.index(name), name, column)


def active_records(year: int) -> str:
    """SQL on records: those of the period's active files."""
    return f"period = {int(year)} AND file_id IN (SELECT file_id FROM files WHERE active)"


def named_sources(con: Any, where: str) -> dict[str, str]:
    """masked_sources of the records `where` (SQL on records): the file and sheet names
    that hold the name of a woman listed in them, and how they go out."""
    return masked_sources(source_name_pairs(con, where))


def source_name_pairs(con: Any, where: str) -> list[tuple[str, str]]:
    """(file or sheet name, the name of a woman listed in it that it holds) of the
    records `where` (SQL on records)."""
    rows: list[tuple[str, str]] = con.execute(
        f"""SELECT DISTINCT p.s, p.n FROM (
              SELECT unnest([
                  {{'s': source_file, 'n': name}}, {{'s': source_file, 'n': name_raw}},
                  {{'s': source_sheet, 'n': name}}, {{'s': source_sheet, 'n': name_raw}}]) AS p
              FROM records WHERE {where}
                AND (contains(source_sheet, name) OR contains(source_file, name)
                     OR contains(source_sheet, name_raw) OR contains(source_file, name_raw)))
            WHERE length(p.n) >= 2 AND contains(p.s, p.n)"""
    ).fetchall()
    return rows


def renamed(table: pa.Table, renames: dict[str, str], columns: Iterable[str] = SOURCES) -> pa.Table:
    """The table with its file and sheet name `columns` (a files table's `name` and `path`,
    skipped rows' `sheet`) as `renames` sends them out (named_sources)."""
    if not renames:
        return table
    keys, values = pa.array(list(renames), pa.string()), pa.array(list(renames.values()))
    for name in columns:
        column = table[name].combine_chunks()
        if name == "path":  # a file's path ends with its name
            column = pa.array([_renamed_path(v, renames) for v in column.to_pylist()], pa.string())
        else:
            at = pc.index_in(column, value_set=keys)
            if at.null_count == len(at):
                continue
            column = pc.coalesce(values.take(at), column)
        table = table.set_column(table.column_names.index(name), name, column)
    return table


def _renamed_path(path: str | None, renames: dict[str, str]) -> str | None:
    if path is None:
        return None
    head, sep, tail = path.replace("\\", "/").rpartition("/")
    return path if tail not in renames else path[: len(head) + len(sep)] + renames[tail]


def scrubbed_all(
    table: pa.Table, names: Iterable[str], fn: Callable[[Any], Any] | None = None
) -> pa.Table:
    """scrubbed() of each of the text columns `names`."""
    for name in names:
        table = scrubbed(table, name, fn=fn)
    return table


def _joined_records(
    con: Any, year: int, tier: str, unmasked: bool, renames: dict[str, str]
) -> Iterator[pa.RecordBatch]:
    """record_batches as one DuckDB join (for a store where a record is in two persons)."""
    fields = _fields_sql(unmasked)
    table = arrow(con.sql(
        f"""SELECT pr.person_key, r.county, r.source_file, r.source_sheet, r.source_row,
                   {fields}, p.class
            FROM records r JOIN files f USING (file_id)
            LEFT JOIN person_records pr
              ON pr.record_id = r.record_id AND pr.period = {int(year)} AND pr.tier = '{tier}'
            LEFT JOIN persons p
              ON p.person_key = pr.person_key AND p.period = {int(year)} AND p.tier = '{tier}'
            WHERE f.active AND r.period = {int(year)} ORDER BY r.record_id"""
    ))  # fmt: skip
    if not unmasked:
        table = scrubbed_all(renamed(table, renames), (*SOURCES, "note"))
    yield from table.to_batches(1 << 16)


def issue_batches(store: Store, year: int, tier: str, unmasked: bool) -> Iterator[pa.RecordBatch]:
    """Issues of the period's active files (conflicts: of `tier`), in load order; values of
    ID and phone columns masked, and any long digit run in value or message."""
    check_period(store, year, tier)
    yield from issue_table(store.con, year, tier, unmasked).to_batches(1 << 16)


def issue_table(
    con: Any, year: int, tier: str, unmasked: bool, renames: dict[str, str] | None = None
) -> pa.Table:
    """issue_batches as one table (ISSUE_COLUMNS), read on `con`; `renames`: as for
    record_batches."""
    cols = ", ".join(f'i."{c}"' for c in ISSUE_COLUMNS if c not in ("value", "message"))
    value = "i.value" if unmasked else issue_value_sql("i.")
    message = "i.message" if unmasked else issue_message_sql("i.")
    table = arrow(con.sql(
        f"""SELECT {cols}, {value} AS value, {message} AS message
            FROM issues i JOIN files f USING (file_id)
            WHERE f.active AND f.period = {int(year)}
              AND (i.tier IS NULL OR i.tier = '{tier}')
            ORDER BY i.file_id, i.record_id NULLS FIRST, i.source_row, i.code, i."column" """
    ))  # fmt: skip
    if unmasked:
        return table.select(list(ISSUE_COLUMNS))
    if renames is None:
        renames = named_sources(con, active_records(year))
    return scrubbed_issues(table, renames).select(list(ISSUE_COLUMNS))


# rules on the phone column whose value is a count, not a phone (phone_shared: how many
# household heads share the number): not masked as a phone
COUNTED = frozenset({"phone_shared"})
# rules whose value is a formula or an error code (=VLOOKUP(…) → #N/A, #REF!), never a
# person's value: not masked as their column's values are (an ID cell's #REF! was *****),
# only scrubbed as any text is (a run of digits)
AS_WRITTEN = frozenset({"formula_no_value", "error_value"})


def issue_value_sql(alias: str = "") -> str:
    """SQL of an issue's value as sent on: masked by its column for IDs and phones
    (PERSONAL); `alias`: the issues table's, with its dot."""
    v = f"{alias}value"
    counted = ", ".join(f"'{c}'" for c in sorted(COUNTED | AS_WRITTEN))  # no person's
    return (
        f"""CASE WHEN {alias}code IN ({counted}) THEN {v} """
        f"""WHEN {alias}"column" = 'id_number' THEN {mask_id_sql(v)} """
        f"""WHEN {alias}"column" = 'phone' THEN {mask_phone_sql(v)} """
        f"""WHEN {alias}"column" IN ({_NAMES_SQL}) THEN {mask_name_sql(v)} ELSE {v} END"""
    )


_NAMES_SQL = ", ".join(f"'{c}'" for c in NAMES)


def issue_message_sql(alias: str = "") -> str:
    """SQL of an issue's message as sent on: a name it quotes (a conflict on 姓名, a broker
    named like a beneficiary) masked as the value is."""
    v, m = f"{alias}value", f"{alias}message"
    written = ", ".join(f"'{c}'" for c in sorted(AS_WRITTEN))
    return (
        f"""CASE WHEN {alias}"column" IN ({_NAMES_SQL}) AND {v} <> '' """
        f"""AND {alias}code NOT IN ({written}) """
        f"THEN replace({m}, {v}, {mask_name_sql(v)}) ELSE {m} END"
    )


def scrubbed_issues(table: pa.Table, renames: dict[str, str] | None = None) -> pa.Table:
    """Issues with scrub() applied to their messages, and to the values of columns other
    than PERSONAL (those are masked in SQL), where a run of 11 digits is; their file and
    sheet names as `renames` (named_sources) sends them out."""
    table = renamed(table, renames or {})
    personal = pc.and_(
        pc.fill_null(pc.is_in(table["column"], pa.array(PERSONAL)), False),
        pc.invert(pc.fill_null(pc.is_in(table["code"], pa.array(sorted(AS_WRITTEN))), False)),
    )
    table = scrubbed(table, "value", pc.invert(personal))
    return scrubbed_all(table, ("message", *SOURCES))
