"""Acceptance on the bundled sample: hcs agrees with the generator's own truth."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import duckdb
import jsonschema
import pandas as pd
import pytest
from typer.testing import CliRunner

from conftest import SAMPLE, SHARED
from handcraft_stats.cli import app

FIELDS = (
    "name", "id_number", "id_status", "birth_date", "town", "village", "household_head",
    "relation_to_head", "phone", "labor_capacity", "willing", "wing", "trainings",
    "new_practitioner", "income_before", "income_after", "exit_year", "status", "broker",
    "visit_date",
)  # fmt: skip
DEFAULTS = {"labor_capacity": "unknown", "willing": "unknown", "wing": "none",
            "new_practitioner": False}  # fmt: skip


def _plain(field: str, v: Any) -> Any:
    """A stored value in the truth's JSON form."""
    if v is None or v is pd.NaT or (not isinstance(v, str) and pd.isna(v)):
        return DEFAULTS.get(field)
    if field in ("income_before", "income_after"):
        return f"{v:.2f}"
    if field in ("birth_date", "visit_date"):
        return pd.Timestamp(v).date().isoformat()
    if field in ("trainings", "exit_year"):
        return int(v)
    if field == "new_practitioner":
        return bool(v)
    return v


@pytest.fixture(scope="module")
def stored(sample_db: tuple[Path, Any]) -> pd.DataFrame:
    con = duckdb.connect(str(sample_db[0]), read_only=True)
    return con.execute("SELECT * FROM records ORDER BY record_id").df()


def test_every_record_lands_with_its_provenance(
    stored: pd.DataFrame, truth: dict[str, Any]
) -> None:
    got = Counter(
        zip(stored["source_file"], stored["source_sheet"], stored["source_row"], strict=True)
    )
    want = Counter((r["file"], r["sheet"], r["row"]) for r in truth["records"])
    assert got == want
    assert len(stored) == len(truth["records"])


def test_records_carry_county_period_and_normalised_values(
    stored: pd.DataFrame, truth: dict[str, Any]
) -> None:
    by_prov = stored.set_index(["source_file", "source_sheet", "source_row"])
    mismatches = []
    for r in truth["records"]:
        row = by_prov.loc[(r["file"], r["sheet"], r["row"])]
        assert (row["county"], row["period"]) == (r["county"], r["period"])
        status = row["status"] if isinstance(row["status"], str) else "not_exited"
        for f in FIELDS:
            got = status if f == "status" else _plain(f, row[f])
            if got != r["fields"][f]:
                mismatches.append((r["file"], r["row"], f, got, r["fields"][f]))
    assert mismatches == []


def test_record_issues_match_the_planted_problems(
    sample_db: tuple[Path, Any], truth: dict[str, Any]
) -> None:
    con = duckdb.connect(str(sample_db[0]), read_only=True)
    rows = con.execute(
        'SELECT source_file, source_sheet, source_row, code, "column" FROM issues '
        "WHERE code <> 'conflict'"
    ).fetchall()
    want = Counter(
        (r["file"], r["sheet"], r["row"], i["code"], i["column"])
        for r in truth["records"] for i in r["issues"]
    )  # fmt: skip
    assert Counter(rows) == want


def test_skipped_rows_by_kind_per_sheet_match_the_truth(
    sample_db: tuple[Path, Any], truth: dict[str, Any]
) -> None:
    con = duckdb.connect(str(sample_db[0]), read_only=True)
    got = {
        (f, s): dict(sorted(json.loads(k).items()))
        for f, s, k in con.execute(
            "SELECT f.name, r.sheet, to_json(map(list(r.kind), list(r.n))) FROM "
            "(SELECT file_id, sheet, kind, count(*) AS n FROM skipped_rows GROUP BY ALL) r "
            "JOIN files f USING (file_id) GROUP BY f.name, r.sheet"
        ).fetchall()
    }
    want = {
        (f["name"], s["name"]): dict(sorted(s["skipped"].items()))
        for f in truth["files"] for s in f["sheets"] if s["roster"] and s["skipped"]
    }  # fmt: skip
    assert got == want
    sheets = con.execute(
        "SELECT f.name, s.sheet, s.roster FROM sheets s JOIN files f USING (file_id)"
    ).fetchall()
    assert sorted(sheets) == sorted(
        (f["name"], s["name"], s["roster"]) for f in truth["files"] for s in f["sheets"]
    )


@pytest.mark.parametrize("tier", ["certain", "probable", None])
@pytest.mark.parametrize("year", [2016, 2017])
def test_summary_json_equals_the_truth(
    sample_db: tuple[Path, Any], truth: dict[str, Any], year: int, tier: str | None
) -> None:
    link = ["--link", tier] if tier else []  # None: the default tier (probable)
    res = CliRunner().invoke(
        app, ["summary", "--year", str(year), *link, "--format", "json", "--db", str(sample_db[0])]
    )
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    schema = json.loads((SHARED / "spec" / "summary.schema.json").read_text("utf-8"))
    jsonschema.validate(doc, schema)
    assert doc == truth["summary"][str(year)][tier or "probable"]


def test_ingest_report_counts_match_the_truth(
    sample_db: tuple[Path, Any], truth: dict[str, Any]
) -> None:
    report = sample_db[1].to_dict()
    assert report["files_landed"] == len(truth["files"]) and report["files_refused"] == 0
    assert report["records"] == len(truth["records"])
    want: Counter[str] = Counter()
    for f in truth["files"]:
        for s in f["sheets"]:
            want.update(s["skipped"])
    assert report["rows_skipped_by_kind"] == dict(sorted(want.items()))
    assert sorted(report["ignored"]) == []


def test_sample_is_under_5_mb() -> None:
    size = sum(p.stat().st_size for p in SAMPLE.rglob("*") if p.is_file())
    assert size < 5 * 1024 * 1024
