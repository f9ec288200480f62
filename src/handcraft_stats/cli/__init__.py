"""The hcs command line: a thin typer layer over the library."""

from __future__ import annotations

import typer

from .ingest import check_cmd, ingest_cmd
from .summary import summary_cmd

app = typer.Typer(
    name="hcs",
    help="hcs — handcraft stats: ingest messy county rosters, link persons, print figures.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.command("ingest")(ingest_cmd)
app.command("check")(check_cmd)
app.command("summary")(summary_cmd)


def main() -> None:
    app(prog_name="hcs")
