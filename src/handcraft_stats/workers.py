"""Parsing files in worker processes: the pool, and the process settings (heap, garbage
collection) that parsing and relinking run under."""

from __future__ import annotations

import ctypes
import gc
import os
import signal
import stat
import sys
import warnings
from collections.abc import Generator, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from functools import partial
from multiprocessing import get_context
from pathlib import Path

from .config import Settings
from .errors import NotARosterFile, RefusedFile
from .inputs import text_of
from .normalize.vocab import Vocabulary
from .outcome import NOT_A_ROSTER, FileOutcome, Progress
from .parse import ParsedFile, parse_file
from .reasons import reason


def _parse(
    path: Path, settings: Settings, county: str | None, year: int | None,
    salt: str | None = None,
) -> ParsedFile | FileOutcome:  # fmt: skip
    try:
        kind = _not_regular(path)
        if kind is not None:  # reading a pipe waits for a writer for good (an audit)
            return FileOutcome(text_of(path), text_of(path.name), "refused",
                               reason(f"not_regular_{kind}"))  # fmt: skip
        data = path.read_bytes()
    except OSError as exc:
        return FileOutcome(
            text_of(path),
            text_of(path.name),
            "refused",
            reason("unreadable_file", detail=exc.strerror),
        )
    try:
        return parse_file(path, data, settings, _vocabulary(settings), county, year, salt)
    except NotARosterFile as exc:
        return FileOutcome(text_of(path), text_of(path.name), NOT_A_ROSTER, exc.message)
    except RefusedFile as exc:
        return FileOutcome(text_of(path), text_of(path.name), "refused", exc.message)


def _not_regular(path: Path) -> str | None:
    """What a path named like a roster is when it is no regular file (a link is followed):
    a named pipe blocked the run for good, holding the ingest lock, and a link to
    /dev/zero was read until memory ran out (until session 23); None for a file."""
    mode = path.stat().st_mode
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISFIFO(mode):
        return "pipe"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "device"
    if stat.S_ISSOCK(mode):
        return "socket"
    return "other"


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
) -> Generator[ParsedFile | FileOutcome, None, None]:  # fmt: skip
    """Parse files in order, in `jobs` worker processes (one file per task). Close the
    generator (`contextlib.closing`) when not reading it to the end: that ends the
    workers; a generator left unfinished and uncollected keeps them, and the process
    waits for them at exit."""
    # never more workers than files: -j 64 on 30 files started 64 (26 s instead of 4.6)
    jobs = auto_jobs(files) if jobs is None else min(jobs, max(len(files), 1))
    parse = partial(_parse, settings=settings, county=county, year=year, salt=salt)
    if jobs <= 1:
        results: Iterable[ParsedFile | FileOutcome] = (parse(p) for p in files)
        pool = None
    else:
        pool = ProcessPoolExecutor(
            max_workers=jobs, mp_context=get_context(_START), initializer=_young_every,
            initargs=(gc.get_threshold()[0], os.getpid()),
        )  # fmt: skip
        with warnings.catch_warnings():  # Python 3.12+: DuckDB's idle threads (see _START)
            warnings.simplefilter("ignore", DeprecationWarning)
            results = pool.map(parse, files)
    try:
        for n, (path, res) in enumerate(zip(files, results, strict=True), 1):
            if on_progress:
                on_progress("read", n, len(files), text_of(path.name))
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
_PR_SET_PDEATHSIG = 1  # linux/prctl.h


def _die_with(parent: int) -> None:
    """Ask the kernel for SIGKILL when the process that started this one ends (Linux
    only; elsewhere nothing). The parent may have died before the request was made:
    then the worker leaves at once."""
    if not sys.platform.startswith("linux"):
        return
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return
    prctl.argtypes, prctl.restype = [ctypes.c_int, ctypes.c_ulong], ctypes.c_int
    prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL))
    if os.getppid() != parent:
        os._exit(1)


def _young_every(allocations: int, parent: int | None = None) -> None:
    """A parse worker's set-up: its collection threshold, its end with the main process,
    and the signals left to the main process. A Ctrl-C reaches every process of the
    terminal's group, and `timeout` or systemd send SIGTERM to the whole group: a worker
    interrupted while it held the pool's queue lock, or killed while it wrote its
    result, left the main process waiting for it for good (holding the ingest lock).
    The main process stops the pool (cancelling the files not started); a worker ends
    its file and leaves.

    A main process killed outright (SIGKILL, the kernel's out-of-memory killer) stops
    nothing: on Linux the kernel then kills the workers too (`PR_SET_PDEATHSIG`), where
    they stayed behind parsing, and holding their memory, until their files were done."""
    gc.set_threshold(allocations, *gc.get_threshold()[1:])
    if parent is not None:
        _die_with(parent)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
