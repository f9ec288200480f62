"""The hcs command line: a thin typer layer over the library."""

from __future__ import annotations

import typer

from .changes import changes_cmd
from .common import flowing, on_signals
from .config import config_app
from .dupes import dupes_cmd
from .export import export_cmd
from .history import history_cmd
from .ingest import check_cmd, ingest_cmd
from .issues import issues_cmd
from .persons import persons_cmd
from .review import review_cmd
from .summary import summary_cmd

app = typer.Typer(
    name="hcs",
    help="hcs — handcraft stats: ingest messy county rosters, link persons, print figures.",
    epilog="--db FILE and --config FILE may also come before the command: "
    "hcs --db 2017.duckdb summary --year 2017.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    pretty_exceptions_show_locals=False,  # locals hold ID numbers and names
)


for name, command in (
    ("ingest", ingest_cmd), ("check", check_cmd), ("summary", summary_cmd),
    ("persons", persons_cmd), ("dupes", dupes_cmd), ("review", review_cmd),
    ("export", export_cmd), ("changes", changes_cmd), ("history", history_cmd),
):  # fmt: skip
    app.command(name, help=flowing(command.__doc__))(command)
app.add_typer(config_app, name="config")
app.command("issues", help=flowing(issues_cmd.__doc__))(issues_cmd)


def main() -> None:
    """The `hcs` command. It ends without Python's interpreter teardown: by then every
    file and the database are closed and the output is written, and freeing a large run's
    objects one by one (and unloading pandas, Arrow and DuckDB) took 0.13 s after a
    220k-record ingest. Exit handlers still run; an unexpected error still shows its
    traceback the usual way."""
    import sys

    _streams()
    on_signals()
    try:
        app(args=command_options_after(sys.argv[1:]), prog_name="hcs")
    except SystemExit as exc:
        _exit_now(exc.code)
        raise  # pragma: no cover - _exit_now does not return
    _exit_now(0)


# options every command that reads a store or settings takes, and a user may put before
# the command's name (`hcs --db 2017.duckdb summary --year 2017`, as git -C or docker -H)
SHARED = ("--db", "--config")
GROUPS = ("config",)  # commands whose own commands take the options


def command_options_after(args: list[str]) -> list[str]:
    """`args` with what comes before the command's name moved after it (after `config
    show`'s, for a group), where the command takes or refuses it: `hcs --db F summary`
    was "No such option: --db" (exit 2), and so was `hcs --db F --year 2017 summary`.
    Without a command, --db/--config FILE are dropped (`hcs --db F --help` is the help).
    The command is the first argument that names one and is no --db/--config's value."""
    commands = {c.name for c in app.registered_commands} | {g.name for g in app.registered_groups}
    at = next(
        (k for k, a in enumerate(args) if a in commands and (k == 0 or args[k - 1] not in SHARED)),
        None,
    )
    if at is None:
        kept: list[str] = []
        skip = False
        for a in args:
            if skip:
                skip = False
            elif a in SHARED:
                skip = True
            elif a.split("=", 1)[0] not in SHARED:
                kept.append(a)
        return kept if len(kept) < len(args) else args
    if at == 0:
        return args
    end = at + (2 if args[at] in GROUPS and at + 1 < len(args) else 1)
    return args[at:end] + args[:at] + args[end:]


def _streams() -> None:
    """stdout and stderr as hcs writes them whatever the terminal: UTF-8 (CLI.md: json and
    csv are plain UTF-8; a GBK or Latin-1 locale made them GBK bytes, or ended a run with
    exit 4 at the first character it could not encode), and a stream closed by the caller
    (`>&-`) made a sink, as a reader that left a pipe is (it was a traceback, exit 1)."""
    import contextlib
    import os
    import sys

    for name in ("stdout", "stderr"):
        stream = getattr(sys, name)
        if stream is None:
            setattr(sys, name, open(os.devnull, "w", encoding="utf-8"))  # noqa: SIM115
        elif (getattr(stream, "encoding", "") or "").lower().replace("-", "") != "utf8":
            with contextlib.suppress(AttributeError, ValueError, OSError):
                stream.reconfigure(encoding="utf-8", errors="replace")


def _exit_now(code: object) -> None:
    """Exit with `code` as SystemExit would (None: 0; text: printed, 1), skipping only
    the interpreter's teardown."""
    import atexit
    import contextlib
    import os
    import sys

    if code is None:
        status = 0
    elif isinstance(code, int):
        status = code
    else:
        print(code, file=sys.stderr)
        status = 1
    atexit._run_exitfuncs()
    try:
        sys.stdout.flush()
    except (OSError, ValueError):  # a closed pipe: what SystemExit would do too
        status = status or 120
    with contextlib.suppress(OSError, ValueError):  # messages nobody can read: no failure
        sys.stderr.flush()
    os._exit(status)
