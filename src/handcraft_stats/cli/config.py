"""hcs config init | show: a commented starter hcs.toml, and the effective settings."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from ..config import load_settings, starter_toml
from ..errors import UsageError
from .common import ConfigOpt, DebugOpt, QuietOpt, flowing, guarded, say, write_out

config_app = typer.Typer(
    help="Write a starter hcs.toml, or show the effective settings.", no_args_is_help=True
)


class ShowFormat(StrEnum):
    toml = "toml"
    json = "json"


PathArg = Annotated[Path, typer.Argument(help="Where to write the settings file.")]
ForceOpt = Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")]
ShowFormatOpt = Annotated[ShowFormat, typer.Option("--format", "-f", help="Output format.")]


@guarded
def init_cmd(
    path: PathArg = Path("hcs.toml"), force: ForceOpt = False, quiet: QuietOpt = False,
    debug: DebugOpt = False,
) -> None:  # fmt: skip
    """Write a commented starter hcs.toml (divisions, header and vocabulary extensions,
    labels, checks, poverty lines); an existing file is kept unless --force.

    Example: hcs config init && hcs config show
    """
    from ..atomic import atomic_file

    if path.is_dir():
        raise UsageError(f"{path} is a folder: give the settings file, e.g. {path / 'hcs.toml'}")
    if path.exists() and not force:
        raise UsageError(f"{path} exists; keep it, or overwrite it with --force")
    with atomic_file(path) as tmp:
        tmp.write_text(starter_toml(), "utf-8")
    if not quiet:
        say(f"wrote {path}: edit it, then check with `hcs config show`")


@guarded
def show_cmd(
    config: ConfigOpt = None, fmt: ShowFormatOpt = ShowFormat.toml, debug: DebugOpt = False
) -> None:
    """Print the effective settings: the packaged defaults overlaid by hcs.toml.

    Example: hcs config show --format json | jq .poverty_lines
    """
    from ..checks import Catalogue
    from ..normalize.vocab import Vocabulary
    from ..report.text import to_json
    from ..tomltext import dumps

    settings = load_settings(config)
    # what ingest reads beyond the shapes: vocabulary fields and codes, check codes and
    # severities; refused here as ingest would refuse them (exit 2), not after "looks fine"
    Vocabulary(settings.vocab_extra)
    Catalogue.load(settings.checks)
    doc = settings.to_dict()
    if fmt is ShowFormat.json:
        write_out(to_json(doc))
        return
    source = doc.pop("source")
    write_out(f"# effective settings: packaged defaults overlaid by {source}\n\n" + dumps(doc))


config_app.command("init", help=flowing(init_cmd.__doc__))(init_cmd)
config_app.command("show", help=flowing(show_cmd.__doc__))(show_cmd)
