"""The hcs command line: a thin typer layer over the library."""

from __future__ import annotations

import typer

from .changes import changes_cmd
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
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    pretty_exceptions_show_locals=False,  # locals hold ID numbers and names
)
app.command("ingest")(ingest_cmd)
app.command("check")(check_cmd)
app.command("summary")(summary_cmd)
app.command("persons")(persons_cmd)
app.command("dupes")(dupes_cmd)
app.command("review")(review_cmd)
app.command("export")(export_cmd)
app.command("changes")(changes_cmd)
app.command("history")(history_cmd)
app.add_typer(config_app, name="config")
app.command("issues")(issues_cmd)


def main() -> None:
    app(prog_name="hcs")
