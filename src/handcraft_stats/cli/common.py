"""Shared options, the one error boundary, consoles and output helpers of the CLI."""

from __future__ import annotations

import errno
import functools
import inspect
import os
import re
import sys
import time
import traceback
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, ParamSpec, TypeVar

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from ..errors import HcsError, UsageError

if TYPE_CHECKING:
    from ..config import Settings

P = ParamSpec("P")
R = TypeVar("R")


class Format(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"
    md = "md"


class Tier(StrEnum):
    certain = "certain"
    probable = "probable"


class Lang(StrEnum):
    zh = "zh"
    en = "en"


DbOpt = Annotated[
    Path,
    typer.Option(
        "--db", envvar="HCS_DB", help="DuckDB database file.", show_default=True, readable=False
    ),
]
ConfigOpt = Annotated[
    Path | None,
    typer.Option(
        "--config",
        help="Settings file (default: ./hcs.toml if present).",
        readable=False,
        dir_okay=False,
    ),
]
FormatOpt = Annotated[Format, typer.Option("--format", "-f", help="Output format.")]
TierOpt = Annotated[Tier, typer.Option("--link", help="Link tier merged into persons.")]
LangOpt = Annotated[Lang, typer.Option("--lang", help="Language of labels in human formats.")]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="No progress, no notes on stderr.")]
StrictOpt = Annotated[
    bool, typer.Option("--strict", help="Exit 1 when any error-level issue is found.")
]
DebugOpt = Annotated[bool, typer.Option("--debug", help="Show the traceback on errors.")]
CountyOpt = Annotated[
    str | None, typer.Option("--county", help="County of every file (else from names/titles).")
]
YearOpt = Annotated[
    int | None,
    typer.Option("--year", min=2000, max=2099,
                 help="Period of every file, 2000-2099 (else from names/titles)."),
]  # fmt: skip
YearFilterOpt = Annotated[int | None, typer.Option("--year", help="Only files of this period.")]
PeriodOpt = Annotated[int, typer.Option("--year", "-y", help="Reporting year (period).")]
CountyFilterOpt = Annotated[
    str | None, typer.Option("--county", help="Only rows of this county (either record).")
]
PathsArg = Annotated[
    list[Path],
    typer.Argument(help="Roster files or folders (searched recursively).", readable=False),
]
# readable=False above: click's own check of a path it cannot read ended the command as a
# usage error (exit 2) with click's words; hcs reads the path itself and says what CLI.md
# says: an unreadable database is exit 3, an unreadable roster is refused (exit 1)

LimitOpt = Annotated[
    int | None,
    typer.Option(
        "--limit", min=0, show_default=False,
        help="List at most this many rows (0: all). Default: 100 in a table; json, csv and "
        "md list every row.",
    ),
]  # fmt: skip
TABLE_ROWS = 100  # a terminal's listing: 220k persons took 99 s to print as a table


def flowing(doc: str | None) -> str:
    """A command's docstring as help: each paragraph one line, for the terminal to wrap
    at its own width (typer keeps a docstring's line breaks: at 80 columns a help line
    broke after two words)."""
    paragraphs = inspect.cleandoc(doc or "").split("\n\n")
    return "\n\n".join(" ".join(p.split()) for p in paragraphs)


def row_limit(limit: int | None, fmt: Format) -> int | None:
    """The rows a listing shows at most (None: all): --limit as given (0 for all), else
    `TABLE_ROWS` in a table and all in the formats that are written to files."""
    if limit is None:
        return TABLE_ROWS if fmt is Format.table else None
    # more rows than any database holds (and than SQL's LIMIT takes: 2**63 - 1) is all
    return limit if 0 < limit < 2**62 else None


DEFAULT_DB = Path("hcs.duckdb")


class _Stderr:
    """sys.stderr as hcs's messages go to it: a stream that cannot take them (2>/dev/full,
    a reader that left) loses the message, not the command's exit code (Rich raised the
    OSError from wherever a line was printed: every command ended with exit 1)."""

    def write(self, text: str) -> int:
        with suppress(OSError, ValueError):
            sys.stderr.write(text)
        return len(text)

    def flush(self) -> None:
        with suppress(OSError, ValueError):
            sys.stderr.flush()

    def isatty(self) -> bool:
        try:
            return sys.stderr.isatty()
        except (OSError, ValueError):
            return False

    def fileno(self) -> int:
        return sys.stderr.fileno()

    @property
    def encoding(self) -> str:
        return getattr(sys.stderr, "encoding", None) or "utf-8"


err = Console(file=_Stderr(), highlight=False, soft_wrap=True)  # type: ignore[arg-type]


def use_settings(config: Path | None) -> Settings:
    """The settings of `--config` (or ./hcs.toml when present), with its `[labels]` put
    in force for this run's human output (tables, md)."""
    from ..config import check_checks, load_settings
    from ..report.labels import set_overrides

    settings = load_settings(config)
    check_checks(settings.checks)  # a mistake in [checks]: exit 2 before any database
    set_overrides(settings.labels)
    return settings


def given_county(settings: Settings, county: str | None) -> str | None:
    """`--county` as the division it names (a former name, 铜山县, as today's 铜山区).
    Any other text is a usage error: taken as given it became a county of its own in
    every figure (a typo, or 北京, counted beside the city's ten)."""
    if county is None:
        return None
    named = settings.county_named(county)
    if named is None:
        known = ", ".join(d.name for d in settings.divisions)
        raise UsageError(
            f"--county {county!r} is not a county of {settings.city or 'the city'}: give one of "
            f"{known} (or a former name of one); another division goes into [divisions] "
            "of hcs.toml (hcs config init writes a starter)"
        )
    return named


class _Stdout(Console):
    """Rich's console for stdout, surviving `| head` as `write_out` does: when the reader
    leaves, the rest goes nowhere and the command ends with its own exit code. (Rich's
    own ends the process with exit 1, which cron and `set -o pipefail` read as "data
    problems".)"""

    def on_broken_pipe(self) -> None:
        self.quiet = True
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())


def out_console() -> Console:
    """stdout: a terminal's width; in a pipe, wide enough that no table is cut."""
    console = _Stdout(highlight=False, soft_wrap=False)
    if not console.is_terminal and "COLUMNS" not in os.environ:
        console = _Stdout(highlight=False, soft_wrap=False, width=240)
    return console


def mask_digits(text: str) -> str:
    """Mask every ID or phone number (a run of 11+ digits, or one written in groups:
    masking.py) in a message or a traceback: `320321198001010024` -> `320***********24`,
    `138-1234-5678` -> `138******78`."""
    from ..masking import NUMBER_IN_TEXT, digits_of

    def masked(m: re.Match[str]) -> str:
        d = digits_of(m[0])
        return d[:3] + "*" * (len(d) - 5) + d[-2:]

    return NUMBER_IN_TEXT.sub(masked, text)


def say(text: str, keep: Sequence[str] = ()) -> None:
    """One line to stderr for people and logs: never an ID or phone number. `keep`:
    parts of the text masked already by their own rule (a file or sheet name through
    scrub_source, which keeps an export time: 丰县花名册_20180105093015.xlsx and the next
    export of it must read apart)."""
    kept = [k for k in keep if k]
    if not kept:
        err.print(mask_digits(text), markup=False)
        return
    parts = re.split("(" + "|".join(map(re.escape, kept)) + ")", text)
    err.print("".join(p if p in kept else mask_digits(p) for p in parts), markup=False)


def _disk_full(exc: BaseException) -> bool:
    return getattr(exc, "errno", None) == errno.ENOSPC or "no space left" in str(exc).lower()


def guarded(fn: Callable[P, R]) -> Callable[P, R]:
    """The error boundary: HcsError -> its exit code and one line; a bug -> exit 4.
    Every message and traceback passes through mask_digits."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        debug = bool(kwargs.get("debug"))
        try:
            return fn(*args, **kwargs)
        except typer.Exit:
            raise
        except HcsError as exc:
            say(f"hcs: {exc.message}")
            raise typer.Exit(exc.exit_code) from None
        except KeyboardInterrupt:
            _interrupted()
        except Exception as exc:
            if _SIGNALLED:  # DuckDB turns an interrupt into its own error (Query interrupted,
                _interrupted()  # a transaction aborted): still the user's Ctrl-C, not a bug
            duck = sys.modules.get("duckdb")  # imported by then if it raised; not at start-up
            if not isinstance(exc, OSError) and not (duck and isinstance(exc, duck.Error)):
                return _internal(exc, debug)
            if _disk_full(exc):
                where = getattr(exc, "filename", None)
                at = f" writing {where}" if where else ""
                say(f"hcs: disk full (No space left on device){at}: free some space and run "
                    "again; nothing half-written was kept")  # fmt: skip
            elif isinstance(exc, OSError):
                say(f"hcs: {exc.strerror or exc}: {exc.filename or ''}")
            elif duck and isinstance(exc, duck.IOException):
                say(f"hcs: database problem: {_first_line(exc)}")
            else:
                return _internal(exc, debug)
            raise typer.Exit(3) from None

    return wrapper


_SIGNALLED: list[int] = []  # the signal that stopped the run (on_signals)


def on_signals() -> None:
    """SIGINT (Ctrl-C) and SIGTERM (what cron, systemd and `timeout` send) stop a run the
    same way: as KeyboardInterrupt, so an export's temporary folder is removed and the
    database left whole, and the run ends with `hcs: interrupted` and 128 + the signal
    (130, 143). Python's default left SIGTERM unhandled (exit 143, no message, the
    export's temporary copy left behind), and DuckDB reported a Ctrl-C in a query as an
    internal error (exit 4)."""
    import signal

    def stop(signum: int, frame: object) -> None:
        if not _SIGNALLED:
            _SIGNALLED.append(signum)
        raise KeyboardInterrupt

    for sig in (signal.SIGINT, signal.SIGTERM):
        with suppress(ValueError, OSError):  # not the main thread: leave it
            signal.signal(sig, stop)


def _interrupted() -> NoReturn:
    err.print("hcs: interrupted")
    raise typer.Exit(128 + _SIGNALLED[0] if _SIGNALLED else 130) from None


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:200] if text else type(exc).__name__


def _internal(exc: BaseException, debug: bool) -> NoReturn:
    """A bug: one masked line, or with --debug the masked traceback (never locals)."""
    if debug:
        _Stderr().write(mask_digits("".join(traceback.format_exception(exc))))
    else:
        say(
            f"hcs: internal error ({type(exc).__name__}: {_first_line(exc)}); "
            "rerun with --debug for the traceback"
        )
    raise typer.Exit(4) from None


def log_line(quiet: bool, text: str, started: float) -> None:
    """The one line a run leaves on stderr for cron's log: what was done, how long it took.
    Counts and paths only, never personal data. `--quiet`: nothing."""
    if not quiet:  # a path may hold a phone or ID number (`--db 张丽13812345678.duckdb`)
        say(f"{text} in {time.monotonic() - started:.1f} s")


def write_out(text: str) -> None:
    """Data to stdout, plain UTF-8, survives `| head`."""
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except BrokenPipeError:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())


@contextmanager
def progress(quiet: bool) -> Iterator[Callable[[str, int, int, str], None] | None]:
    """A progress bar on stderr when it is a terminal; nothing in a pipe or cron."""
    if quiet or not err.is_terminal:
        yield None
        return
    bar = Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
        TextColumn("{task.fields[item]}"), console=err, transient=True,
    )  # fmt: skip
    tasks: dict[str, Any] = {}

    def update(stage: str, done: int, total: int, item: str) -> None:
        if stage not in tasks:
            tasks[stage] = bar.add_task(stage, total=total, item="")
        bar.update(tasks[stage], completed=done - 1, item=item)

    with bar:
        yield update
