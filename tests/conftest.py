"""Shared fixtures: small hand-built rosters, the sample ingested once per session."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from handcraft_stats import Store, ingest, load_settings

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample"
SHARED = ROOT.parent / "shared"
# the spec's summary.schema.json, copied so a clone without ../shared still tests against it;
# tests/test_sample.py checks the copy equals the spec's whenever ../shared is there
SCHEMA_COPY = ROOT / "tests" / "golden" / "summary.schema.json"


@pytest.fixture(autouse=True)
def _stdout_without_a_width(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test sees stdout as a pipe with no width given (hcs then draws tables 240
    columns wide, cli/common.py): pytest-xdist's workers export COLUMNS=80 and LINES=24,
    and a shell may export them too. A test that wants a width passes COLUMNS itself."""
    monkeypatch.delenv("COLUMNS", raising=False)
    monkeypatch.delenv("LINES", raising=False)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Under `pytest -n` (scripts/test) the Spark tests run in one worker: one JVM, one
    local session, not one per worker."""
    for item in items:
        if item.get_closest_marker("spark") is not None:
            item.add_marker(pytest.mark.xdist_group("spark"))


def summary_schema() -> Any:
    """The JSON schema of `hcs summary --format json` (../shared's, else the copy)."""
    import json

    spec = SHARED / "spec" / "summary.schema.json"
    return json.loads((spec if spec.exists() else SCHEMA_COPY).read_text("utf-8"))


def write_xlsx(path: Path, sheets: dict[str, list[list[Any]]]) -> Path:
    """A workbook with one sheet per entry; rows are written from row 1."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for r in rows:
            ws.append(r)
    wb.save(path)
    return path


# Valid synthetic IDs (correct check characters, 17th digit even).
ID_A = "320321198001010024"
ID_B = "320322197505050048"
ID_C = "34132119900202008X"

HEADER = ["序号", "姓名", "身份证号码", "劳动能力", "就业意愿", "从业产业", "培训次数",
          "帮扶前收入", "当年收入(元)", "脱贫年度"]  # fmt: skip


def ingested(tmp_path: Path, rosters: dict[str, list[list[Any]]]) -> Path:
    """One-sheet xlsx rosters (file name -> rows) in tmp_path/r, ingested into a new
    database tmp_path/t.duckdb; returns the database."""
    folder = tmp_path / "r"
    folder.mkdir()
    for name, rows in rosters.items():
        write_xlsx(folder / name, {"S": rows})
    path = tmp_path / "t.duckdb"
    with Store(path) as store:
        ingest([folder], store, load_settings(None))
    return path


def small_roster() -> list[list[Any]]:
    return [
        ["徐州市丰县2017年妇女精准扶贫建档立卡花名册"],
        ["填报单位：丰县妇联", "", "", "填报日期：2017年12月"],
        HEADER,
        [1, "张 丽", " ".join(ID_A[:6]) + ID_A[6:], "普通劳动力", "是", "手工编织", "3次",
         "3,500", "0.35万", "2017年"],
        [2, "王芳", "'" + ID_B, "弱劳动力", "否", "家政", 2, "无", "12000元", 2016],
        [],
        [3, "陈梅", ID_C, "无劳动能力", "", "", "", "", "", ""],
        ["合计", "3人"],
        ["填表人：某某", "", "审核人：某某"],
    ]  # fmt: skip


@pytest.fixture
def roster_dir(tmp_path: Path) -> Path:
    d = tmp_path / "rosters"
    d.mkdir()
    write_xlsx(d / "丰县2017年花名册.xlsx", {"Sheet1": small_roster()})
    return d


@pytest.fixture(scope="session")
def truth() -> dict[str, Any]:
    return json.loads((SAMPLE / "truth.json").read_text("utf-8"))


@pytest.fixture(scope="session")
def sample_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Any]]:
    """The whole sample ingested once, then its corrections: (database, both reports)."""
    db = tmp_path_factory.mktemp("sample") / "hcs.duckdb"
    with Store(db) as store:
        report = ingest([SAMPLE / "rosters"], store, load_settings(None))
        corrections = ingest([SAMPLE / "corrections"], store, load_settings(None))
    yield db, report, corrections
