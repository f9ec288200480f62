"""Shared options, the one error boundary, consoles and output helpers of the CLI."""

from __future__ import annotations

import functools
import os
import sys
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, ParamSpec, TypeVar

import duckdb
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from ..errors import HcsError

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
    typer.Option("--db", envvar="HCS_DB", help="DuckDB database file.", show_default=True),
]
ConfigOpt = Annotated[
    Path | None, typer.Option("--config", help="Settings file (default: ./hcs.toml if present).")
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
    int | None, typer.Option("--year", help="Period of every file (else from names/titles).")
]
PeriodOpt = Annotated[int, typer.Option("--year", "-y", help="Reporting year (period).")]
CountyFilterOpt = Annotated[
    str | None, typer.Option("--county", help="Only rows of this county (either record).")
]
PathsArg = Annotated[
    list[Path], typer.Argument(help="Roster files or folders (searched recursively).")
]

DEFAULT_DB = Path("hcs.duckdb")
err = Console(stderr=True, highlight=False, soft_wrap=True)


def out_console() -> Console:
    """stdout: a terminal's width; in a pipe, wide enough that no table is cut."""
    console = Console(highlight=False, soft_wrap=False)
    if not console.is_terminal and "COLUMNS" not in os.environ:
        console = Console(highlight=False, soft_wrap=False, width=240)
    return console


def guarded(fn: Callable[P, R]) -> Callable[P, R]:
    """The error boundary: HcsError -> its exit code and one line; a bug -> exit 4."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        debug = bool(kwargs.get("debug"))
        try:
            return fn(*args, **kwargs)
        except typer.Exit:
            raise
        except HcsError as exc:
            err.print(f"hcs: {exc.message}", markup=False)
            raise typer.Exit(exc.exit_code) from None
        except duckdb.IOException as exc:
            err.print(f"hcs: database problem: {str(exc).splitlines()[0]}", markup=False)
            raise typer.Exit(3) from None
        except OSError as exc:
            err.print(f"hcs: {exc.strerror or exc}: {exc.filename or ''}", markup=False)
            raise typer.Exit(3) from None
        except KeyboardInterrupt:
            err.print("hcs: interrupted")
            raise typer.Exit(130) from None
        except Exception as exc:
            if debug:
                traceback.print_exc()
            else:
                err.print(
                    f"hcs: internal error ({type(exc).__name__}: {str(exc)[:200]}); "
                    "rerun with --debug for the traceback",
                    markup=False,
                )
            raise typer.Exit(4) from None

    return wrapper


def log_line(quiet: bool, text: str, started: float) -> None:
    """The one line a run leaves on stderr for cron's log: what was done, how long it took.
    Counts and paths only, never personal data. `--quiet`: nothing."""
    if not quiet:
        err.print(f"{text} in {time.monotonic() - started:.1f} s", markup=False)


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
