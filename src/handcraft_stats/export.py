"""hcs export: the year's files for sending upward, written atomically into one folder.

The folder is hcs's: it is built beside DIR in a temporary folder, marked with a
`.hcs-export` file, and renamed over DIR (the previous export is replaced whole). A DIR
that exists, is not empty and holds no marker is refused. Two exports into one DIR at
once: the second fails with a clear message (a lock file beside DIR).
"""

from __future__ import annotations

import csv
import os
import secrets
import shutil
import sys
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from .errors import EnvironmentProblem, UsageError
from .normalize.idnumber import mask_id
from .normalize.phone import mask_phone
from .review import check_period
from .store import Store

MARKER = ".hcs-export"
FIELDS = (
    "name", "id_number", "id_status", "birth_date", "town", "village", "household_head",
    "relation_to_head", "phone", "labor_capacity", "willing", "wing", "trainings",
    "new_practitioner", "income_before", "income_after", "exit_year", "status", "broker",
    "visit_date", "note",
)  # fmt: skip
RECORD_COLUMNS = ("person_key", "county", "source_file", "source_sheet", "source_row",
                  *FIELDS, "class")  # fmt: skip
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def export_records(
    store: Store, year: int, out_dir: Path, tier: str = "probable", unmasked: bool = False
) -> Path:
    """Write `records.csv` (one row per record of the period) into out_dir; its path."""
    rows = record_rows(store, year, tier, unmasked)
    with export_folder(out_dir) as tmp:
        write_csv(tmp / "records.csv", RECORD_COLUMNS, rows)
    return out_dir / "records.csv"


def record_rows(store: Store, year: int, tier: str, unmasked: bool) -> list[list[Any]]:
    """The period's active records in load order, with person key and class at `tier`."""
    check_period(store, year, tier)
    fields = ", ".join(f"r.{f}" for f in FIELDS)
    rows = store.con.execute(
        f"""SELECT pr.person_key, r.county, r.source_file, r.source_sheet, r.source_row,
                   {fields}, p.class
            FROM records r JOIN files f USING (file_id)
            LEFT JOIN person_records pr
              ON pr.record_id = r.record_id AND pr.period = $year AND pr.tier = $tier
            LEFT JOIN persons p
              ON p.person_key = pr.person_key AND p.period = $year AND p.tier = $tier
            WHERE f.active AND r.period = $year ORDER BY r.record_id""",
        {"year": year, "tier": tier},
    ).fetchall()
    id_at, phone_at = RECORD_COLUMNS.index("id_number"), RECORD_COLUMNS.index("phone")
    out = []
    for row in rows:
        cells = list(row)
        if not unmasked:
            cells[id_at] = mask_id(cells[id_at])
            cells[phone_at] = mask_phone(cells[phone_at])
        out.append(cells)
    return out


def cell_text(value: Any) -> str:
    """A value as CSV text; text that a spreadsheet would run as a formula is neutralised."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, Decimal):
        text = f"{value:.2f}"
    elif isinstance(value, date):
        text = value.isoformat()
    else:
        text = str(value)
    return "'" + text if text.startswith(_FORMULA) else text


def write_csv(path: Path, header: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """UTF-8 with BOM (Excel reads Chinese correctly), CRLF line ends, neutralised cells."""
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows([cell_text(v) for v in r] for r in rows)


@contextmanager
def export_folder(out_dir: Path) -> Iterator[Path]:
    """A temporary folder beside out_dir to write into; renamed over out_dir on success."""
    out_dir = out_dir.absolute()
    parent = out_dir.parent
    parent.mkdir(parents=True, exist_ok=True)
    with _locked(parent / f".{out_dir.name}.hcs-lock", out_dir):
        _check_target(out_dir)
        tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.tmp-", dir=parent))
        try:
            yield tmp
            (tmp / MARKER).write_text(f"hcs export {datetime.now().isoformat()}\n", "utf-8")
            _swap(tmp, out_dir)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


def _check_target(out_dir: Path) -> None:
    if not out_dir.exists():
        return
    if not out_dir.is_dir():
        raise UsageError(f"{out_dir} exists and is not a folder")
    if not (out_dir / MARKER).exists() and any(out_dir.iterdir()):
        raise UsageError(
            f"{out_dir} exists and is not an hcs export folder: choose a new or empty folder "
            "(hcs replaces its export folder whole)"
        )


def _swap(tmp: Path, out_dir: Path) -> None:
    """Rename tmp over out_dir; on failure the previous out_dir is put back."""
    old = None
    if out_dir.exists():
        old = out_dir.with_name(f".{out_dir.name}.old-{secrets.token_hex(4)}")
        os.replace(out_dir, old)
    try:
        os.replace(tmp, out_dir)
    except BaseException:
        if old is not None:
            os.replace(old, out_dir)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


@contextmanager
def _locked(lock: Path, out_dir: Path) -> Iterator[None]:
    """An exclusive lock on a file beside out_dir; busy -> EnvironmentProblem."""
    with lock.open("a+b") as fh:
        if not _try_lock(fh):
            raise EnvironmentProblem(
                f"another hcs export into {out_dir} is running; try again when it ends"
            )
        yield


def _try_lock(fh: IO[bytes]) -> bool:
    if sys.platform == "win32":
        import msvcrt

        try:
            msvcrt.locking(fh.fileno(), msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    import fcntl

    try:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    return True
