"""DuckDB's memory bounded for a query whose result Python then holds or streams."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import duckdb

# DuckDB may take 80 % of the memory by default, beside what Python holds of the result.
# `hcs changes` over two periods of 10M persons peaked at 19.5 GB and took 248 s; bounded
# to 6 GB (spilling to a temporary folder) 9.3 GB and 142 s.
SHARE = 0.4


@contextmanager
def bounded_memory(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """DuckDB bounded to SHARE of the machine's memory while the block runs, spilling to a
    temporary folder of this process (DuckDB makes it when it spills and removes it when
    the connection closes; once used it can no longer be switched back)."""
    try:
        total = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):  # not on this system: DuckDB's default
        yield
        return
    spill = Path(tempfile.gettempdir()) / f"hcs-duckdb-{os.getpid()}"
    with suppress(duckdb.Error):  # a folder already spilled into cannot be switched
        con.execute(f"SET temp_directory = '{spill}'")
    rows = con.execute("SELECT current_setting('memory_limit')").fetchall()
    before = str(rows[0][0]) if rows else None
    con.execute(f"SET memory_limit = '{max(1, int(total * SHARE) >> 20)}MiB'")
    try:
        yield
    finally:
        if before is None:
            con.execute("RESET memory_limit")
        else:  # the connection's own limit again
            con.execute(f"SET memory_limit = '{before}'")
