"""Atomic output: an export folder swapped in whole, single files renamed into place, and
the lock that keeps two exports into one folder apart.

A folder is built in a temporary folder beside DIR (same file system), marked with
`.hcs-export`, and exchanged with DIR in one step (Linux `renameat2(RENAME_EXCHANGE)`;
elsewhere two renames, and the next export puts a half-swapped previous folder back).
A killed export leaves the previous DIR as it was.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import glob
import os
import secrets
import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from .errors import UsageError
from .locking import exclusive
from .versions import fault_point

MARKER = ".hcs-export"
_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


@contextmanager
def export_folder(out_dir: Path, wait: float = 0.0) -> Iterator[Path]:
    """A temporary folder beside out_dir to write into; swapped with out_dir on success.
    Holds the lock of out_dir meanwhile, waiting up to `wait` seconds for another export."""
    # a link to the folder (a share mounted elsewhere): the folder it names is replaced
    # and the link kept; swapping the link itself left the real folder as it was
    out_dir = out_dir.resolve() if out_dir.is_symlink() else out_dir.absolute()
    parent = out_dir.parent
    make_folder(parent, out_dir)
    with _locked(parent / f".{out_dir.name}.hcs-lock", out_dir, wait):
        _tidy(out_dir)
        _check_target(out_dir)
        tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.tmp-", dir=parent))
        try:
            yield tmp
            (tmp / MARKER).write_text(f"hcs export {datetime.now().isoformat()}\n", "utf-8")
            _sync(tmp)
            fault_point("export-written")
            _swap(tmp, out_dir)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


@contextmanager
def atomic_file(path: Path) -> Iterator[Path]:
    """A temporary path beside `path` to write; renamed over `path` on success only."""
    path = path.resolve() if path.is_symlink() else path.absolute()  # write where it links
    make_folder(path.parent, path)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.tmp-", dir=path.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def make_folder(folder: Path, target: Path) -> None:
    """The folder an output goes into, made when missing: UsageError (exit 2) when a
    part of its path is a file (`--out afile/s.json` was exit 3 "File exists")."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        part = next((p for p in (folder, *folder.parents) if p.exists() and not p.is_dir()),
                    folder)  # fmt: skip
        raise UsageError(f"cannot write {target}: {part} is a file, not a folder") from None


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


def _leftovers(out_dir: Path, kind: str) -> list[Path]:
    return sorted(out_dir.parent.glob(f".{glob.escape(out_dir.name)}.{kind}-*"))


def _tidy(out_dir: Path) -> None:
    """Under the lock: put back a previous folder that a killed swap left aside, and remove
    the temporary folders of killed exports."""
    olds = _leftovers(out_dir, "old")
    if olds and not out_dir.exists():
        os.replace(max(olds, key=lambda p: p.stat().st_mtime_ns), out_dir)
    for p in [*_leftovers(out_dir, "tmp"), *_leftovers(out_dir, "old")]:
        shutil.rmtree(p, ignore_errors=True)


def _sync(folder: Path) -> None:
    """Flush the folder's files to disk before they replace the previous export."""
    if sys.platform == "win32":
        return
    for p in folder.iterdir():
        fd = os.open(p, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one step (Linux); False when the system cannot."""
    if not sys.platform.startswith("linux"):
        return False
    libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    fn = getattr(libc, "renameat2", None)
    if fn is None:
        return False
    rc = fn(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    return bool(rc == 0)


def _swap(tmp: Path, out_dir: Path) -> None:
    """Put tmp in place of out_dir; the previous out_dir ends up in tmp (removed after)."""
    if out_dir.exists() and _exchange(tmp, out_dir):
        return
    old = None
    if out_dir.exists():
        old = out_dir.with_name(f".{out_dir.name}.old-{secrets.token_hex(4)}")
        os.replace(out_dir, old)
    fault_point("export-swapping")
    try:
        os.replace(tmp, out_dir)
    except BaseException:
        if old is not None:
            os.replace(old, out_dir)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


@contextmanager
def _locked(lock: Path, out_dir: Path, wait: float) -> Iterator[None]:
    """An exclusive lock on a file beside out_dir, waited for up to `wait` seconds."""
    busy = (
        f"another hcs export into {out_dir} is running (waited {wait:g} s); "
        "try again when it ends, or give it longer with --wait"
    )
    with exclusive(lock, wait, busy):
        yield
