"""hcs issues --year Y: the issue list, filterable, as a county fixes from it."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ..errors import UsageError
from .common import (
    DEFAULT_DB,
    ConfigOpt,
    CountyFilterOpt,
    DbOpt,
    DebugOpt,
    Format,
    FormatOpt,
    Lang,
    LangOpt,
    LimitOpt,
    PeriodOpt,
    QuietOpt,
    Tier,
    TierOpt,
    err,
    guarded,
    row_limit,
    use_settings,
)  # fmt: skip
from .listing import show_frame

if TYPE_CHECKING:
    import pandas as pd


CodeOpt = Annotated[str | None, typer.Option("--code", help="Only this issue code.")]
SeverityOpt = Annotated[str | None, typer.Option("--severity", help="error, warning or info.")]
UnmaskedOpt = Annotated[bool, typer.Option("--unmasked", help="Show full ID and phone numbers.")]
OutOpt = Annotated[Path | None, typer.Option("--out", help="Also write the list: .xlsx or .csv.")]


def show_issues(
    frame: pd.DataFrame, fmt: Format, title: str, lang: str, out: Path | None,
    limit: int | None = None,
) -> None:  # fmt: skip
    """Render an issue list (ISSUE_COLUMNS), at most `limit` rows; `out` writes all of it
    as a fix list too."""
    if out is not None:
        write_issues(frame, out, lang)
    show_frame(frame, fmt, title, None, lang, "issue_column", limit)


def write_issues(frame: pd.DataFrame, out: Path, lang: str) -> None:
    """The issue list as a fix list: .xlsx one sheet per county, else CSV."""
    from ..report.fixlist import write_fix_list
    from ..report.text import to_csv

    if out.suffix.lower() == ".xlsx":
        write_fix_list(frame, out, lang)
    else:
        rows = frame.astype(object).where(frame.notna(), None).to_numpy().tolist()
        out.write_text(to_csv(list(frame.columns), rows), "utf-8-sig")
    err.print(f"wrote {len(frame)} issues to {out}", markup=False)


@guarded
def issues_cmd(
    year: PeriodOpt, county: CountyFilterOpt = None, code: CodeOpt = None,
    severity: SeverityOpt = None, link: TierOpt = Tier.probable, db: DbOpt = DEFAULT_DB,
    config: ConfigOpt = None, fmt: FormatOpt = Format.table, lang: LangOpt = Lang.zh,
    unmasked: UnmaskedOpt = False, out: OutOpt = None, limit: LimitOpt = None,
    quiet: QuietOpt = False, debug: DebugOpt = False,
) -> None:  # fmt: skip
    """List the issues of a year, by county, code or severity, sorted by file, sheet and row.

    Example: hcs issues --year 2017 --county 丰县 --severity error --out 丰县问题清单.xlsx
    """
    from ..checks import SEVERITIES, Catalogue
    from ..issues import list_issues as list_store_issues
    from ..issues import localise, mask_issues
    from ..report.labels import title
    from ..store import Store

    if severity is not None and severity not in SEVERITIES:
        raise UsageError(f"--severity {severity}: use one of {', '.join(SEVERITIES)}")
    cat = Catalogue.load(use_settings(config).checks)
    with Store(db, read_only=True) as store:
        frame = list_store_issues(store, year, link.value, county, code, severity)
    frame = localise(frame if unmasked else mask_issues(frame), cat, lang.value, year)
    heading = title("issues", lang.value, year=year, n=len(frame))
    show_issues(frame, fmt, heading, lang.value, out, row_limit(limit, fmt))
