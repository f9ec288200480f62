"""The ingest and check reports' issues by code include the issues of the whole period
(conflicts, shared phones, brokers named like a beneficiary), which belong to no file."""

from __future__ import annotations

import shutil
from pathlib import Path

from conftest import SAMPLE
from handcraft_stats import Store, check, ingest, load_settings, summarize

SETTINGS = load_settings(None)
PERIOD_CODES = {"conflict", "phone_shared", "broker_is_beneficiary"}


def test_period_wide_issues_are_in_the_ingest_and_check_reports(tmp_path: Path) -> None:
    rosters = tmp_path / "rosters"
    shutil.copytree(SAMPLE / "rosters", rosters)
    db = tmp_path / "t.duckdb"
    with Store(db) as s:
        first = ingest([rosters], s, SETTINGS).to_dict()
        again = ingest([rosters], s, SETTINGS).to_dict()  # every file unchanged: no relink
        by_year = [summarize(s, y).to_dict()["quality"]["issues_by_code"] for y in (2016, 2017)]
    want = {c: sum(q.get(c, 0) for q in by_year) for c in PERIOD_CODES}
    assert all(want.values())  # the sample plants each of them
    assert first["period_issues_by_code"] == want
    assert {c: first["issues_by_code"][c] for c in PERIOD_CODES} == want
    per_file = {c for f in first["detail"] for c in f["issues_by_code"]}
    assert not per_file & PERIOD_CODES  # they belong to no file
    assert again["period_issues_by_code"] == want
    assert again["issues_by_code"] == first["issues_by_code"]
    dry = check([rosters], SETTINGS).to_dict()
    assert dry["period_issues_by_code"] == want
    assert dry["issues_by_code"] == first["issues_by_code"]
