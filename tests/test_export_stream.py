"""records.csv and issues.csv streamed from Arrow batches (report/csvfile.py, export.py):
the same bytes as the row-by-row writer they replaced (kept here as the reference: Python's
csv.writer over cell_text, masks and scrub in Python), on the sample and on awkward values."""

from __future__ import annotations

import csv
import io
import itertools
import shutil
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import handcraft_stats.export_rows as rows_module
from handcraft_stats import Store
from handcraft_stats.export import (
    FIELDS,
    ISSUE_COLUMNS,
    RECORD_COLUMNS,
    cell_text,
    export_records,
    issue_batches,
    scrub,
    scrub_source,
    write_csv,
)
from handcraft_stats.export_rows import (
    COUNTED,
    NAMES,
    mask_id_sql,
    mask_name_sql,
    mask_phone_sql,
    scrubbed,
)
from handcraft_stats.normalize.idnumber import mask_id
from handcraft_stats.normalize.phone import mask_phone
from handcraft_stats.normalize.text import mask_name
from handcraft_stats.report.csvfile import csv_batch, csv_lines

FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# -- the reference: the row-by-row writer of before -------------------------------------
def reference_csv(header: tuple[str, ...], rows: list[list[Any]]) -> bytes:
    buf = io.StringIO(newline="")
    w = csv.writer(buf)
    w.writerow(header)
    w.writerows([cell_text(v) for v in r] for r in rows)
    return ("\ufeff" + buf.getvalue()).encode()


def reference_records(store: Store, year: int, tier: str, unmasked: bool) -> bytes:
    fields = ", ".join(f"r.{f}" for f in FIELDS)
    rows = store.con.execute(
        f"""SELECT pr.person_key, r.county, r.source_file, r.source_sheet, r.source_row,
                   {fields}, p.class, r.name_raw
            FROM records r JOIN files f USING (file_id)
            LEFT JOIN person_records pr
              ON pr.record_id = r.record_id AND pr.period = $year AND pr.tier = $tier
            LEFT JOIN persons p
              ON p.person_key = pr.person_key AND p.period = $year AND p.tier = $tier
            WHERE f.active AND r.period = $year ORDER BY r.record_id""",
        {"year": year, "tier": tier},
    ).fetchall()
    at = {c: RECORD_COLUMNS.index(c) for c in ("id_number", "phone", "note", *NAMES)}
    blank_is = {"labor_capacity": "unknown", "willing": "unknown", "wing": "none",
                "new_practitioner": False}  # METRICS.md §4 (and status, below)  # fmt: skip
    out = []
    for row in rows:
        *cells, name_raw = row
        for c, value in blank_is.items():
            if cells[RECORD_COLUMNS.index(c)] is None:
                cells[RECORD_COLUMNS.index(c)] = value
        status, exit_year = RECORD_COLUMNS.index("status"), RECORD_COLUMNS.index("exit_year")
        if cells[status] is None:
            cells[status] = "not_exited" if cells[exit_year] is None else "exited"
        if not unmasked:
            cells[at["id_number"]] = mask_id(cells[at["id_number"]])
            cells[at["phone"]] = mask_phone(cells[at["phone"]])
            at_note = RECORD_COLUMNS.index("note")
            note = cells[at_note]
            for name in (cells[at["name"]], name_raw, cells[at["household_head"]],
                         cells[at["broker"]]):  # fmt: skip
                if note is not None and name is not None and len(name) >= 2:
                    note = note.replace(name, mask_name(name))
            cells[at_note] = scrub(note)
            for c in ("source_file", "source_sheet"):
                cells[RECORD_COLUMNS.index(c)] = scrub_source(cells[RECORD_COLUMNS.index(c)])
            for c in NAMES:
                cells[at[c]] = None if cells[at[c]] is None else mask_name(cells[at[c]])
        out.append(cells)
    return reference_csv(RECORD_COLUMNS, out)


def reference_issues(store: Store, year: int, tier: str, unmasked: bool) -> bytes:
    cols = ", ".join(f'i."{c}"' for c in ISSUE_COLUMNS)
    rows = store.con.execute(
        f"""SELECT {cols} FROM issues i JOIN files f USING (file_id)
            WHERE f.active AND f.period = $year AND (i.tier IS NULL OR i.tier = $tier)
            ORDER BY i.file_id, i.record_id NULLS FIRST, i.source_row, i.code, i."column" """,
        {"year": year, "tier": tier},
    ).fetchall()
    out = []
    for row in rows:
        cells = list(row)
        if not unmasked:
            column, value = cells[6], cells[7]
            maskers = {"id_number": mask_id, "phone": mask_phone, **dict.fromkeys(NAMES, mask_name)}
            masker = maskers.get(column, scrub)
            # phone_shared's value is a count of household heads, not a phone
            cells[7] = value if cells[0] in COUNTED else masker(value)
            if column in NAMES and value:  # a name the message quotes, masked as the value
                cells[8] = cells[8].replace(value, mask_name(value))
            cells[8] = scrub(cells[8])
            cells[3], cells[4] = scrub_source(cells[3]), scrub_source(cells[4])
        out.append(cells)
    return reference_csv(ISSUE_COLUMNS, out)


@pytest.fixture
def small_slices(monkeypatch: pytest.MonkeyPatch) -> None:
    """Slices of ~100 records: many queries, each read while the previous one is written."""
    monkeypatch.setattr(rows_module, "_CHUNK", 97)


@pytest.mark.parametrize("unmasked", [False, True])
@pytest.mark.parametrize(
    ("year", "tier"), [(2017, "probable"), (2017, "certain"), (2016, "probable")]
)
def test_records_and_issues_csv_are_the_bytes_of_the_row_writer(
    sample_db: tuple[Path, Any, Any], tmp_path: Path, small_slices: None,
    year: int, tier: str, unmasked: bool,
) -> None:  # fmt: skip
    with Store(sample_db[0], read_only=True) as store:
        path = export_records(store, year, tmp_path / "out", tier, unmasked)
        assert path.read_bytes() == reference_records(store, year, tier, unmasked)
        write_csv(
            tmp_path / "issues.csv", ISSUE_COLUMNS, issue_batches(store, year, tier, unmasked)
        )
        assert (tmp_path / "issues.csv").read_bytes() == reference_issues(
            store, year, tier, unmasked
        )


@pytest.mark.parametrize("far", [False, True])
def test_each_record_gets_the_class_of_her_person(
    sample_db: tuple[Path, Any, Any], tmp_path: Path, small_slices: None,
    monkeypatch: pytest.MonkeyPatch, far: bool,
) -> None:  # fmt: skip
    """Women with one record are found by their survivor, the others joined; record ids
    spread far apart are looked up sorted instead of by address."""
    if far:
        monkeypatch.setattr(rows_module, "_FAR", -(10**12))
    with Store(sample_db[0], read_only=True) as store:
        multi = store.con.execute(
            "SELECT count(*) FROM persons WHERE period = 2017 AND tier = 'certain' AND records > 1"
        ).fetchone()
        assert multi is not None and multi[0] > 10  # both ways are taken
        assert rows_module._classes(store.con, 2017, "certain") is not None  # not the join
        path = export_records(store, 2017, tmp_path / "out", "certain", unmasked=True)
        assert path.read_bytes() == reference_records(store, 2017, "certain", True)


@pytest.mark.parametrize("chunk", [97, 1000, 10**9])
def test_slices_hold_every_record_once_and_at_most_a_chunk(
    sample_db: tuple[Path, Any, Any], monkeypatch: pytest.MonkeyPatch, chunk: int
) -> None:
    monkeypatch.setattr(rows_module, "_CHUNK", chunk)
    with Store(sample_db[0], read_only=True) as store:
        where = rows_module.active_records(2017)
        slices = rows_module._slices(store.con, 2017)
        counts = [
            store.con.execute(
                f"SELECT count(*) FROM records WHERE {where} AND record_id >= ? AND record_id < ?",
                [lo, hi],
            ).fetchone()[0]
            for lo, hi in slices
        ]
        total = store.con.execute(f"SELECT count(*) FROM records WHERE {where}").fetchone()[0]
    assert all(a[1] == b[0] for a, b in itertools.pairwise(slices))  # contiguous
    assert sum(counts) == total > 0 and max(counts) <= chunk
    assert len(slices) >= total // chunk


def test_records_stopped_early_end_cleanly(
    sample_db: tuple[Path, Any, Any], small_slices: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A writer that stops (the disk full) closes the stream while the next slice is read
    on its cursor: the close waits for it instead of failing on the busy cursor."""
    read = rows_module._SliceReader.__call__

    def slow(self: Any, lo: int, hi: int) -> pa.Table:
        self.con.execute("SELECT sum(i) FROM range(300000000) t(i)").fetchall()  # busy
        return read(self, lo, hi)

    monkeypatch.setattr(rows_module._SliceReader, "__call__", slow)
    with Store(sample_db[0], read_only=True) as store:
        batches = rows_module.record_batches(store, 2017, "probable", False)
        assert next(batches).num_rows > 0
        batches.close()  # raised "connection is busy" before
        assert store.con.execute("SELECT 1").fetchone() == (1,)


def test_a_record_in_two_persons_is_written_as_the_join_writes_it(
    sample_db: tuple[Path, Any, Any], tmp_path: Path
) -> None:
    """Never written by hcs; a damaged store still exports what the plain join gives."""
    db = tmp_path / "copy.duckdb"
    shutil.copy(sample_db[0], db)
    con = duckdb.connect(str(db))
    con.execute(
        "INSERT INTO person_records SELECT period, tier, record_id, 'Pdouble', county "
        "FROM person_records WHERE period = 2017 AND tier = 'probable' ORDER BY record_id LIMIT 1"
    )
    con.close()
    with Store(db, read_only=True) as store:
        path = export_records(store, 2017, tmp_path / "out")
        assert path.read_bytes() == reference_records(store, 2017, "probable", False)


# -- the pieces ---------------------------------------------------------------------------
AWKWARD = st.text(
    alphabet=st.sampled_from(list("ab,\"\r\n=+-@\t '#张丽\x02\x03\x04\x05\u2028\x8501١٢३X")),
    max_size=8,
)
TEXT = st.none() | AWKWARD


@st.composite
def batches(draw: st.DrawFn) -> pa.RecordBatch:
    n = draw(st.integers(0, 6))
    col = lambda s: draw(st.lists(s, min_size=n, max_size=n))  # noqa: E731
    clean = draw(st.booleans())
    text = st.none() | st.sampled_from(["abc", "张丽", ""]) if clean else TEXT
    batch = pa.RecordBatch.from_pydict({
        "a": pa.array(col(text), pa.string()),
        "b": pa.array(col(text), pa.string()),
        "i": pa.array(col(st.none() | st.integers(-9, 9)), pa.int32()),
        "m": pa.array(col(st.none() | st.decimals(-99, 99, places=2)), pa.decimal128(14, 2)),
        "t": pa.array(col(st.none() | st.booleans()), pa.bool_()),
        "d": pa.array(col(st.none() | st.dates(date(1, 1, 1), date(9999, 12, 31))), pa.date32()),
    })  # fmt: skip
    start = draw(st.integers(0, n))
    return batch.slice(start, draw(st.integers(0, n - start)))


@FUZZ
@given(batches())
def test_csv_batch_writes_what_csv_writer_writes(batch: pa.RecordBatch) -> None:
    want = csv_lines(zip(*(c.to_pylist() for c in batch.columns), strict=True)).encode()
    assert bytes(csv_batch(batch)) == want


@settings(max_examples=40, deadline=None)
@given(st.data())
def test_long_batches_of_repeated_values_are_written_as_csv_writer_writes(
    data: st.DataObject,
) -> None:
    # batches of hundreds of rows, values repeated or not: lines with a cell to quote are
    # spliced among pyarrow's by their lengths
    n = data.draw(st.integers(65, 400))
    pick = lambda s: data.draw(st.lists(s, min_size=1, max_size=6))  # noqa: E731
    few = lambda s: st.sampled_from(pick(s))  # noqa: E731
    col = lambda s: [data.draw(s) for _ in range(n)]  # noqa: E731
    many = data.draw(st.booleans())  # mostly distinct values
    batch = pa.RecordBatch.from_pydict({
        "a": pa.array(col(few(TEXT)), pa.string()),
        "i": pa.array(col(st.none() | st.integers(-99999, 99999) if many
                          else few(st.none() | st.integers(-9, 9))), pa.int32()),
        "m": pa.array(col(few(st.none() | st.decimals(-99, 9999, places=2))),
                      pa.decimal128(14, 2)),
        "t": pa.array(col(few(st.none() | st.booleans())), pa.bool_()),
        "d": pa.array(col(few(st.none() | st.dates(date(1, 1, 1), date(9999, 12, 31)))),
                      pa.date32()),
        "b": pa.array(col(TEXT), pa.string()),
    })  # fmt: skip
    want = csv_lines(zip(*(c.to_pylist() for c in batch.columns), strict=True)).encode()
    assert bytes(csv_batch(batch)) == want


def test_a_null_holding_bytes_does_not_move_the_lines_to_quote() -> None:
    # Arrow lets a null's slot span bytes; the lines are then found by their ends
    offsets = pa.array([0, 1, 4, 6, 9], pa.int32()).buffers()[1]
    data = pa.py_buffer(b"axyzbcdef")
    valid = pa.array([True, False, True, True]).buffers()[1]
    text = pa.Array.from_buffers(pa.string(), 4, [valid, offsets, data], null_count=1)
    assert text.to_pylist() == ["a", None, "bc", "def"]
    quoted = pa.array(["x", "y", "p,q", "z"])
    batch = pa.RecordBatch.from_pydict({"s": text, "q": quoted})
    assert bytes(csv_batch(batch)) == b'a,x\r\n,y\r\nbc,"p,q"\r\ndef,z\r\n'


def test_cells_are_neutralised_and_quoted_like_cell_text() -> None:
    columns = {
        "s": ["=A1", "-1", "x,y", 'say "hi"', "a\r\nb", "\r", "", None],
        "n": [-5, 5, None, 0, -1, 1, 2, 3],
        "m": [Decimal("-0.50"), Decimal("1.00"), None, None, None, None, None, None],
    }
    types = {"s": pa.string(), "n": pa.int32(), "m": pa.decimal128(14, 2)}
    batch = pa.RecordBatch.from_pydict({k: pa.array(v, types[k]) for k, v in columns.items()})
    text = bytes(csv_batch(batch)).decode()
    assert text.splitlines()[:2] == ["'=A1,'-5,'-0.50", "'-1,5,1.00"]
    assert '"x,y"' in text and '"say ""hi"""' in text and '"a\r\nb"' in text
    assert text == csv_lines(zip(*columns.values(), strict=True))


@FUZZ
@given(st.lists(st.none() | st.text(max_size=24), max_size=8))
def test_the_sql_masks_are_the_python_masks(values: list[str | None]) -> None:
    con = duckdb.connect()
    given_values = pa.table({"v": pa.array(values, pa.string())})  # noqa: F841 (read by DuckDB)
    got = con.execute(
        f"SELECT {mask_id_sql('v')}, {mask_phone_sql('v')}, {mask_name_sql('v')} FROM given_values"
    ).fetchall()
    assert [a or "" for a, _, _ in got] == [mask_id(v) for v in values]
    assert [b or "" for _, b, _ in got] == [mask_phone(v) for v in values]
    assert [c or "" for _, _, c in got] == [mask_name(v) for v in values]


DIGITS = st.text(alphabet=st.sampled_from(list("0123456789Xx ab-٠١٢٣٤٥٦٧٨٩०१२३")), max_size=30)


@FUZZ
@given(st.lists(st.none() | DIGITS, max_size=8))
def test_scrub_reaches_every_value_it_would_change(values: list[str | None]) -> None:
    table = pa.table({"note": pa.array(values, pa.string())})
    assert scrubbed(table, "note")["note"].to_pylist() == [scrub(v) for v in values]


@FUZZ
@given(st.lists(st.none() | DIGITS, min_size=1, max_size=6), st.integers(2, 5), st.data())
def test_scrub_of_repeated_values_is_the_scrub_of_each(
    values: list[str | None], times: int, data: st.DataObject
) -> None:
    # repeated values take the distinct-values path (each tried once, then found by is_in)
    values = values * times
    where = data.draw(st.lists(st.booleans(), min_size=len(values), max_size=len(values)))
    table = pa.table({"note": pa.array(values, pa.string())})
    assert scrubbed(table, "note")["note"].to_pylist() == [scrub(v) for v in values]
    got = scrubbed(table, "note", pa.array(where))["note"].to_pylist()
    assert got == [scrub(v) if w else v for v, w in zip(values, where, strict=True)]
