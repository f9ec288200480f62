"""The only package that talks to DuckDB: schema, migrations, transactions, queries.

`Store` is one object over one connection, its parts by what they hold: the
connection (core.py), files and records (files.py), the tiers relinking writes
(links.py), the tables (schema.py), Arrow in and out (arrow.py)."""

from __future__ import annotations

from .arrow import APPEND_ROWS, ROW_GROUP, arrow_frame, record_types
from .core import BULK_LOG, StoreCore, quiet, quiet_default
from .files import REFUSED_SHEET, FileRecords, labels_text, sheets_not_stored, unknown_labels
from .links import LinkWrites
from .schema import MIGRATIONS, PERSON_COLUMNS, RECORD_COLUMNS, FileRow, TierRows


class Store(FileRecords, LinkWrites):
    """A DuckDB file holding files, records, issues, links and persons.

    Personal data: while a Store is open for writing, the process creates files readable
    by their owner only (umask 077), so the database, its .wal and DuckDB's temporary
    files are mode 0600 from their first byte."""


__all__ = [
    "APPEND_ROWS",
    "BULK_LOG",
    "MIGRATIONS",
    "PERSON_COLUMNS",
    "RECORD_COLUMNS",
    "REFUSED_SHEET",
    "ROW_GROUP",
    "FileRow",
    "Store",
    "StoreCore",
    "TierRows",
    "arrow_frame",
    "labels_text",
    "quiet",
    "quiet_default",
    "record_types",
    "sheets_not_stored",
    "unknown_labels",
]
