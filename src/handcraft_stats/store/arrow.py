"""Frames in and out of DuckDB through Arrow: the store's types and slices."""

from __future__ import annotations

import re
from functools import cache
from typing import TYPE_CHECKING, Any

import pyarrow as pa

if TYPE_CHECKING:  # pandas (0.14 s to import) only when a frame is asked for: not by summary
    import pandas as pd

from .schema import RECORD_COLUMNS

# DuckDB writes the row groups (122,880 rows) of a large insert straight into the
# database file ("optimistic writes"), but a short insert that lands in a row group an
# earlier insert of the same transaction left partly filled sent the whole transaction's
# rows through the log, to be written a second time by the next checkpoint: 220,000
# persons in slices of 200,000 (a second slice of 20,000) logged 13 MB and cost a 0.1 s
# checkpoint per tier after relinking. Slices of whole row groups never leave one partly
# filled: the log keeps a few KiB (tests/test_store.py).
ROW_GROUP = 122_880
APPEND_ROWS = 2 * ROW_GROUP

_DECIMAL = re.compile(r"DECIMAL\((\d+),(\d+)\)")


def _arrow_type(sql_type: str) -> pa.DataType | None:
    """The Arrow type of a DATE or DECIMAL column (others: inferred)."""
    if sql_type == "DATE":
        return pa.date32()
    m = _DECIMAL.fullmatch(sql_type)
    return pa.decimal128(int(m[1]), int(m[2])) if m else None


@cache
def record_types() -> dict[str, pa.DataType]:
    """The records table's DATE and DECIMAL columns and their Arrow types."""
    pairs = (c.split()[:2] for c in RECORD_COLUMNS.replace("\n", " ").split(", "))
    return {name: t for name, sql in pairs if (t := _arrow_type(sql)) is not None}


def arrow_frame(table: pa.Table) -> pd.DataFrame:
    """An Arrow table from DuckDB as the pandas frame DuckDB's `df` would give: DECIMAL as
    float64, DATE as datetime64[us], integers and booleans with a NULL as pandas'
    nullable types (numpy ones otherwise), text as pandas' arrow-backed strings."""
    columns = []
    for column in table.columns:
        if pa.types.is_decimal(column.type):
            column = column.cast(pa.float64())
        elif pa.types.is_date(column.type):
            column = column.cast(pa.timestamp("us"))
        columns.append(column)
    table = pa.table(columns, names=table.column_names)
    masked = _masked()
    frame: pd.DataFrame = table.to_pandas(types_mapper=masked.get)  # exact, NULLs as NA
    plain = {
        name: column.type.to_pandas_dtype()
        for name, column in zip(table.column_names, table.columns, strict=True)
        if column.type in masked and not column.null_count
    }
    return frame.astype(plain) if plain else frame


@cache
def _masked() -> dict[pa.DataType, Any]:
    import pandas as pd

    return {
        pa.int8(): pd.Int8Dtype(), pa.int16(): pd.Int16Dtype(), pa.int32(): pd.Int32Dtype(),
        pa.int64(): pd.Int64Dtype(), pa.bool_(): pd.BooleanDtype(),
    }  # fmt: skip
