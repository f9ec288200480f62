"""The summary document as a file or text: json, csv, md (tables with the report title) and
xlsx (report/xlsx.py). Light to import: `hcs summary` starts with it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from ..errors import UsageError
from .labels import label
from .tables import summary_csv_rows, summary_tables
from .text import to_csv, to_json, to_markdown

SUMMARY_SUFFIXES = (".json", ".csv", ".md", ".xlsx")


@dataclass(frozen=True)
class ReportSpec:
    """How the human files look: city for the title, language, date of the title row."""

    city: str = ""
    lang: str = "zh"
    made: date | None = None
    by: str | None = None
    # the [checks] table of hcs.toml: issue messages in another language than the stored
    # Chinese are made again from the rule catalogue (export's issues.csv)
    checks: Mapping[str, Any] | None = None


def summary_text(doc: dict[str, Any], fmt: str, spec: ReportSpec) -> str:
    """The summary as json, csv or md text (md: the human tables with the report title)."""
    if fmt == "json":
        return to_json(doc)
    if fmt == "csv":
        return to_csv(*summary_csv_rows(doc, spec.by))
    return to_markdown(summary_tables(doc, spec.lang, spec.by), report_title(doc, spec))


def report_title(doc: dict[str, Any], spec: ReportSpec) -> str:
    return label("section", "title", spec.lang).format(city=spec.city, year=doc["year"])


def write_summary_file(doc: dict[str, Any], path: Path, spec: ReportSpec) -> None:
    """The summary into one file, its format from the extension; written atomically."""
    from ..atomic import atomic_file

    fmt = path.suffix.lower().lstrip(".")
    if f".{fmt}" not in SUMMARY_SUFFIXES:
        raise UsageError(
            f"cannot tell the format of {path.name}: use one of {', '.join(SUMMARY_SUFFIXES)}"
        )
    with atomic_file(path) as tmp:
        if fmt == "xlsx":
            from .xlsx import write_workbook

            write_workbook(doc, tmp, spec.city, spec.lang, spec.made)
        else:
            # CLI.md: CSV files carry a BOM, so that Excel opens them in Chinese
            tmp.write_text(summary_text(doc, fmt, spec), "utf-8-sig" if fmt == "csv" else "utf-8")
