"""Exclusive locks on a file beside what they guard: two `hcs ingest` runs into one
database, or two exports into one folder, take turns instead of mixing their writes.

The lock is an OS lock (flock; msvcrt on Windows) on an open file, so it ends with the
process whatever way it ends: a killed run never leaves a stale lock behind.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from .errors import EnvironmentProblem

POLL = 0.1


def lock_path(target: Path) -> Path:
    """The lock file of a database or folder: `.NAME.hcs-lock` beside it."""
    target = target.absolute()
    return target.with_name(f".{target.name}.hcs-lock")


@contextmanager
def exclusive(
    lock: Path, wait: float, busy: str, on_wait: Callable[[], None] | None = None
) -> Iterator[None]:
    """Hold an exclusive lock on `lock`, waiting up to `wait` seconds for another holder;
    then EnvironmentProblem (exit code 3) with `busy` as the message. `on_wait` is called
    once when the lock is taken by someone else (for a message)."""
    deadline = time.monotonic() + max(wait, 0.0)
    try:
        fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)
    except FileNotFoundError:  # the lock file is hcs's own: name the folder the user gave
        raise EnvironmentProblem(f"folder {lock.parent} does not exist") from None
    except PermissionError:
        raise EnvironmentProblem(
            f"cannot write in folder {lock.parent}: permission denied (check its owner and mode)"
        ) from None
    with os.fdopen(fd, "a+b") as fh:
        told = False
        while not _try_lock(fh):
            if time.monotonic() >= deadline:
                raise EnvironmentProblem(busy)
            if not told and on_wait is not None:
                on_wait()
            told = True
            time.sleep(POLL)
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
