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
    given_county,
    guarded,
    row_limit,
    say,
    use_settings,
)  # fmt: skip
from .listing import check_out, show_frame, stream_rows, total_of

if TYPE_CHECKING:
    import pandas as pd


CodeOpt = Annotated[str | None, typer.Option("--code", help="Only this issue code.")]
SeverityOpt = Annotated[str | None, typer.Option("--severity", help="error, warning or info.")]
UnmaskedOpt = Annotated[
    bool, typer.Option("--unmasked", help="Show names, ID and phone numbers in full.")
]
OutOpt = Annotated[
    Path | None, typer.Option("--out", dir_okay=False, help="Also write the list: .xlsx or .csv.")
]


def show_issues(
    frame: pd.DataFrame, fmt: Format, title: str, lang: str, out: Path | None,
    limit: int | None = None, total: int | None = None, quiet: bool = False,
) -> None:  # fmt: skip
    """Render an issue list (ISSUE_COLUMNS), at most `limit` rows of `total`; `out` writes
    all of it as a fix list too."""
    if out is not None:
        write_issues(frame, out, lang, quiet)
    show_frame(frame, fmt, title, None, lang, "issue_column", limit, total)


def write_issues(frame: pd.DataFrame, out: Path, lang: str, quiet: bool = False) -> None:
    """The issue list as a fix list: .xlsx one sheet per county, else CSV; written
    atomically (a full disk leaves the file before, or none, never half of one)."""
    from ..report.fixlist import write_fix_list
    from .listing import write_file

    write_file(frame, out, lambda tmp: write_fix_list(frame, tmp, lang))
    if not quiet:
        say(f"wrote {len(frame)} issues to {out}")


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
    from ..export_rows import active_records, named_sources
    from ..issues import (
        ISSUE_COLUMNS,
        count_issues,
        issue_batches,
        list_issues,
        localise,
        mask_issues,
    )
    from ..report.frames import frame_records
    from ..report.labels import title
    from ..store import Store

    if severity is not None and severity not in SEVERITIES:
        raise UsageError(f"--severity {severity}: use one of {', '.join(SEVERITIES)}")
    settings = use_settings(config)
    cat = Catalogue.load(settings.checks)
    if code is not None and code not in cat.rules:  # a typo listed nothing, exit 0
        raise UsageError(f"--code {code}: use one of {', '.join(sorted(cat.rules))}")
    county = given_county(settings, county)
    check_out(out)
    shown = row_limit(limit, fmt)
    chosen = (link.value, county, code, severity)

    renames: dict[str, str] = {}

    def ready(frame: pd.DataFrame) -> pd.DataFrame:
        masked = frame if unmasked else mask_issues(frame, renames)
        return localise(masked, cat, lang.value, year)

    with Store(db, read_only=True) as store:
        if not unmasked:  # a sheet or file named by a woman (一人一卡)
            renames = named_sources(store.con, active_records(year))
        if fmt in (Format.json, Format.csv) and out is None:  # a province lists millions
            batches = (frame_records(ready(b)) for b in issue_batches(store, year, *chosen, shown))
            return stream_rows(ISSUE_COLUMNS, batches, fmt)
        asked = None if out else shown  # --out: the fix list has all of them
        frame = list_issues(store, year, *chosen, asked)
        total = total_of(frame, asked, lambda: count_issues(store, year, *chosen))
    heading = title("issues", lang.value, year=year, n=total)
    show_issues(ready(frame), fmt, heading, lang.value, out, shown, total, quiet)
