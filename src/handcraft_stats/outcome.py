"""What ingest and check report: one outcome per input file, and the run's report."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .inputs import text_of
from .store import sheets_not_stored

if TYPE_CHECKING:
    import pandas as pd

    from .parse import ParsedFile

Progress = Callable[[str, int, int, str], None]


@dataclass
class FileOutcome:
    """What happened to one input file."""

    path: str
    name: str
    status: str  # ingested | replaced | reread | unchanged | refused | checked
    reason: str = ""
    county: str | None = None
    period: int | None = None
    sheets: int = 0
    sheets_skipped: dict[str, str] = field(default_factory=dict)
    records: int = 0
    # roster sheets without a name or ID column, with the reason naming the headers found
    # (the file's other sheets land): a data problem, exit 1
    sheets_refused: dict[str, str] = field(default_factory=dict)
    rows_skipped_by_kind: dict[str, int] = field(default_factory=dict)
    issues_by_code: dict[str, int] = field(default_factory=dict)
    errors: int = 0  # error-level issues
    unknown_columns: list[str] = field(default_factory=list)
    # the county and year its title states where they differ from those it is counted
    # under (parse.ParsedFile.title_says)
    title_says: str = ""


# the status of a file named as no roster that holds none (errors.NotARosterFile): it
# goes to IngestReport.not_rosters, never among the files
NOT_A_ROSTER = "not_a_roster"
VERSION_KEYS = ("county", "period", "file", "stored_file", "shared_women", "women")


@dataclass
class IngestReport:
    """The ingest report of CLI.md."""

    files: list[FileOutcome]
    links_by_reason: dict[str, int]
    persons: dict[str, int]  # period -> persons at the default tier
    ignored: list[str] = field(default_factory=list)
    # (path, reason): files named as no roster (填表说明, 汇总) that hold none; not read,
    # and no data problem
    not_rosters: list[tuple[str, str]] = field(default_factory=list)
    issues: pd.DataFrame | None = None  # `check` only: every issue, ISSUE_COLUMNS
    # `check` only: file and sheet names naming a woman listed in them, masked (一人一卡)
    named_sources: dict[str, str] = field(default_factory=dict)
    # the names of women that the run's file and sheet names hold, and their masks: the
    # report is kept as a log (masking.names_in_sources)
    masked_names: dict[str, str] = field(default_factory=dict)
    # issues of the whole period, no file's own (phone_shared, broker_is_beneficiary,
    # conflict at the default tier), of the periods of this run's files
    period_issues: dict[str, int] = field(default_factory=dict)
    # (county, period, file name): active files `--replace` replaced because the county's
    # complete submission left them out
    dropped: list[tuple[str, int, str]] = field(default_factory=list)
    # --replace and a file was refused: no county's files were replaced for being left out
    replace_held: bool = False
    # (county, period, file, older file, women on both, the file's women): a file of this
    # run whose women are mostly on another active file of its county and period, as a
    # corrected roster sent under a new name is (it is added, not put in the old one's
    # place: `--replace` does that)
    shared: list[tuple[str, int, str, str, int, int]] = field(default_factory=list)

    def _sum(self, attr: str) -> dict[str, int]:
        total: Counter[str] = Counter()
        for f in self.files:
            total.update(getattr(f, attr))
        return dict(sorted(total.items()))

    @property
    def refused(self) -> list[FileOutcome]:
        return [f for f in self.files if f.status == "refused"]

    @property
    def sheets_refused(self) -> list[tuple[FileOutcome, str, str]]:
        """(file, sheet, reason) of every roster sheet refused in a file that landed."""
        return [(f, s, r) for f in self.files for s, r in f.sheets_refused.items()]

    def data_problems(self, strict: bool = False) -> bool:
        """Exit 1: a file or a sheet was refused, or (`strict`) an error-level issue or a
        roster that landed without a record (a template sent back empty: it counts no
        woman of its county and period from now on)."""
        return bool(self.refused or self.sheets_refused) or (
            strict and any(f.errors or self.empty(f) for f in self.files)
        )

    @staticmethod
    def empty(f: FileOutcome) -> bool:
        """A file stored (or checked) although it holds no record: a header only."""
        return f.status in ("ingested", "replaced", "reread", "checked") and not f.records

    def to_dict(self) -> dict[str, Any]:
        landed = [f for f in self.files if f.status != "refused"]
        doc = {
            "files": len(self.files),
            "files_landed": len(landed),
            "files_unchanged": sum(f.status == "unchanged" for f in self.files),
            "files_refused": len(self.refused),
            "sheets": sum(f.sheets for f in landed),
            "records": sum(f.records for f in landed),
            "rows_skipped_by_kind": self._sum("rows_skipped_by_kind"),
            "issues_by_code": dict(
                sorted((Counter(self._sum("issues_by_code")) + Counter(self.period_issues)).items())
            ),
            "period_issues_by_code": dict(sorted(self.period_issues.items())),
            "links_by_reason": dict(sorted(self.links_by_reason.items())),
            "persons_by_period": self.persons,
            "refused": [{"file": f.path, "reason": f.reason} for f in self.refused],
            "sheets_refused": [
                {"file": f.path, "sheet": sheet, "reason": reason}
                for f, sheet, reason in self.sheets_refused
            ],
            "ignored": self.ignored,
            "not_rosters": [{"file": f, "reason": r} for f, r in self.not_rosters],
            "files_left_out": [
                {"county": c, "period": p, "file": name} for c, p, name in self.dropped
            ],
            "replace_held": self.replace_held,
            "possible_versions": [dict(zip(VERSION_KEYS, row, strict=True)) for row in self.shared],
            "detail": [vars(f) for f in self.files],
        }
        safe: dict[str, Any] = named_safely(doc, self.masked_names)
        return safe

    def safe(self, text: str) -> str:
        """A file or sheet name (or path) as the report shows it (named_safely)."""
        return str(named_safely(text, self.masked_names))


def named_safely(value: Any, names: dict[str, str] | None = None) -> Any:
    """A report's texts and keys with the IDs and mobile numbers in file and sheet names
    masked (一人一卡: a roster or sheet named by a woman's ID), and the `names` of women
    they hold (masked_names). The ingest report is kept as a log (README's cron line),
    and CLI.md: logs never hold them."""
    from .masking import scrub_source, without_names

    if isinstance(value, str):
        return scrub_source(without_names(value, names) if names else value)
    if isinstance(value, dict):
        return {named_safely(k, names): named_safely(v, names) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [named_safely(v, names) for v in value]
    return value


def outcome_of(pf: ParsedFile, status: str) -> FileOutcome:
    skipped, refused = sheets_not_stored((s.name, s.roster, s.reason) for s in pf.sheets)
    return FileOutcome(
        path=text_of(pf.path), name=pf.name, status=status, county=pf.county, period=pf.period,
        sheets=sum(s.roster for s in pf.sheets),
        sheets_skipped=skipped, sheets_refused=refused,
        records=len(pf.records), rows_skipped_by_kind=dict(pf.skipped_by_kind),
        issues_by_code=dict(Counter(pf.issues["code"])), unknown_columns=pf.unknown_columns,
        errors=int((pf.issues["severity"] == "error").sum()), title_says=pf.title_says,
    )  # fmt: skip
