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

from conftest import SAMPLE, SCHEMA_COPY, SHARED, summary_schema
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
def stored(sample_db: tuple[Path, Any, Any]) -> pd.DataFrame:
    con = duckdb.connect(str(sample_db[0]), read_only=True)
    return con.execute(
        "SELECT r.* FROM records r JOIN files f USING (file_id) WHERE f.active ORDER BY record_id"
    ).df()


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
        assert row["filled"] == r["filled"], (r["file"], r["row"])
        status = row["status"] if isinstance(row["status"], str) else "not_exited"
        for f in FIELDS:
            got = status if f == "status" else _plain(f, row[f])
            if got != r["fields"][f]:
                mismatches.append((r["file"], r["row"], f, got, r["fields"][f]))
    assert mismatches == []


def test_record_issues_match_the_planted_problems(
    sample_db: tuple[Path, Any, Any], truth: dict[str, Any]
) -> None:
    con = duckdb.connect(str(sample_db[0]), read_only=True)
    rows = con.execute(
        'SELECT source_file, source_sheet, source_row, code, "column" FROM issues '
        "JOIN files USING (file_id) WHERE active AND code <> 'conflict'"
    ).fetchall()
    want = Counter(
        (r["file"], r["sheet"], r["row"], i["code"], i["column"])
        for r in truth["records"] for i in r["issues"]
    )  # fmt: skip
    assert Counter(rows) == want


def test_skipped_rows_by_kind_per_sheet_match_the_truth(
    sample_db: tuple[Path, Any, Any], truth: dict[str, Any]
) -> None:
    con = duckdb.connect(str(sample_db[0]), read_only=True)
    got = {
        (f, s): dict(sorted(json.loads(k).items()))
        for f, s, k in con.execute(
            "SELECT f.name, r.sheet, to_json(map(list(r.kind), list(r.n))) FROM "
            "(SELECT file_id, sheet, kind, count(*) AS n FROM skipped_rows GROUP BY ALL) r "
            "JOIN files f USING (file_id) WHERE f.active GROUP BY f.name, r.sheet"
        ).fetchall()
    }
    want = {
        (f["name"], s["name"]): dict(sorted(s["skipped"].items()))
        for f in truth["files"] for s in f["sheets"] if s["roster"] and s["skipped"]
    }  # fmt: skip
    assert got == want
    sheets = con.execute(
        "SELECT f.name, s.sheet, s.roster FROM sheets s JOIN files f USING (file_id) WHERE f.active"
    ).fetchall()
    assert sorted(sheets) == sorted(
        (f["name"], s["name"], s["roster"]) for f in truth["files"] for s in f["sheets"]
    )


@pytest.mark.parametrize("tier", ["certain", "probable", None])
@pytest.mark.parametrize("year", [2016, 2017])
def test_summary_json_equals_the_truth(
    sample_db: tuple[Path, Any, Any], truth: dict[str, Any], year: int, tier: str | None
) -> None:
    link = ["--link", tier] if tier else []  # None: the default tier (probable)
    res = CliRunner().invoke(
        app, ["summary", "--year", str(year), *link, "--format", "json", "--db", str(sample_db[0])]
    )
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    schema = summary_schema()
    jsonschema.validate(doc, schema)
    assert doc == truth["summary"][str(year)][tier or "probable"]


def test_ingest_reports_match_the_truth(
    sample_db: tuple[Path, Any, Any], truth: dict[str, Any]
) -> None:
    first, fix = sample_db[1].to_dict(), sample_db[2].to_dict()
    replaced = {Path(r["path"]).name for r in truth["replaced"]}
    assert first["files_landed"] + fix["files_landed"] == len(truth["files"]) + len(replaced)
    assert first["files_refused"] == fix["files_refused"] == 0
    assert [d["status"] for d in fix["detail"]] == ["replaced"]
    assert first["ignored"] == []


@pytest.mark.parametrize("tier", ["certain", "probable"])
def test_changes_equal_the_truth(
    sample_db: tuple[Path, Any, Any], truth: dict[str, Any], tier: str
) -> None:
    res = CliRunner().invoke(
        app, ["changes", "--from", "2016", "--to", "2017", "--link", tier, "--format", "json",
              "--db", str(sample_db[0])],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    got, want = json.loads(res.stdout), truth["changes"]["2016-2017"][tier]
    for key in ("from", "to", "link_tier", "totals", "by_county", "by_wing", "checks"):
        assert got[key] == want[key], key

    def people(doc: dict[str, Any]) -> list[tuple[str, tuple[str, ...], tuple[str, ...]]]:
        return sorted((p["name"], tuple(sorted(p["changes"])), tuple(sorted(p["checks"])))
                      for p in doc["persons"])  # fmt: skip

    assert people(got) == people(want)
    assert all("*" in p["id_number"] or not p["id_number"] for p in got["persons"])


def test_history_lists_both_versions_of_the_corrected_roster(
    sample_db: tuple[Path, Any, Any], truth: dict[str, Any]
) -> None:
    res = CliRunner().invoke(app, ["history", "--format", "json", "--db", str(sample_db[0])])
    rows = json.loads(res.stdout)
    for r in truth["replaced"]:
        name = Path(r["path"]).name
        versions = [(x["active"], x["replaced_by"]) for x in rows if x["name"] == name]
        assert versions == [(False, name), (True, None)]


def test_sample_is_under_5_mb() -> None:
    size = sum(p.stat().st_size for p in SAMPLE.rglob("*") if p.is_file())
    assert size < 5 * 1024 * 1024


@pytest.mark.skipif(
    not (SHARED / "spec").exists(), reason="the spec (../shared) is not beside this clone"
)
def test_the_schema_copy_is_the_spec() -> None:
    """tests/golden's copy of summary.schema.json, used where ../shared is missing, is
    the spec's byte for byte (refresh it from ../shared/spec when the spec changes)."""
    assert SCHEMA_COPY.read_bytes() == (SHARED / "spec" / "summary.schema.json").read_bytes()
