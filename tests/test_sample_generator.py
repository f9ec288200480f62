"""Tests of the sample generator itself (tools/make_sample.py), not of hcs."""

from __future__ import annotations

import csv
import json
import re
import sys
import tomllib
import unicodedata
from collections import Counter
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from python_calamine import CalamineWorkbook
from stdnum import numdb

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))

import make_sample  # noqa: E402
from conftest import summary_schema  # noqa: E402
from sample.checks import CELL_CODES, period_issues, record_issues  # noqa: E402

# the rule catalogue, read as data (the generator never imports handcraft_stats)
CATALOGUE = ROOT / "src" / "handcraft_stats" / "defaults" / "checks.toml"
NOT_PLANTED = ("required_missing", "conflict")  # off by default; counted apart

DUP_KINDS = (
    "same_roster",
    "exact_row",
    "two_towns",
    "two_counties",
    "homophone",
    "id15",
    "typo",
    "numeric_id",
)
SKIP_KINDS = (
    "title",
    "info",
    "header",
    "blank",
    "repeated_header",
    "totals",
    "signature",
    "note",
    "no_person",
)
ISSUE_CODES = (
    "id_missing",
    "id_length",
    "id_bad_check",
    "id_precision_lost",
    "id_upgraded",
    "bad_value",
    "unknown_value",
    "name_missing",
)
WEIGHTS = [pow(2, 17 - i, 11) for i in range(17)]
CHANGES = (
    "entered",
    "left",
    "exited",
    "returned",
    "moved_county",
    "changed_wing",
    "changed_class",
)
CHECKS = (
    "exit_reverted",
    "exit_year_changed",
    "birth_date_changed",
    "name_changed",
    "missing_without_reason",
)
WINGS = ("handicraft", "domestic_service", "ecommerce", "agriculture", "other", "none")
TIERS = ("certain", "probable")


@pytest.fixture(scope="module")
def fresh(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("sample")
    make_sample.write_sample(out, 2017)
    return out


@pytest.fixture(scope="module")
def truth(fresh: Path) -> dict[str, Any]:
    return json.loads((fresh / "truth.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def raw_rows(fresh: Path, truth: dict[str, Any]) -> dict[tuple[str, str], list[list[Any]]]:
    """Every sheet of every roster file, read back as rows of cell values."""
    sheets: dict[tuple[str, str], list[list[Any]]] = {}
    for entry in truth["files"]:
        path = fresh / entry["path"]
        if entry["format"] == "csv":
            text = path.read_bytes().decode("gb18030")
            sheets[(entry["name"], "")] = list(csv.reader(text.splitlines()))
            continue
        book = CalamineWorkbook.from_path(str(path))
        for name in book.sheet_names:
            rows = book.get_sheet_by_name(name).to_python(skip_empty_area=False)
            sheets[(entry["name"], name)] = rows
    return sheets


def periods(truth: dict[str, Any]) -> list[int]:
    return sorted({entry["period"] for entry in truth["files"]})


def files_bytes(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_rerun_gives_identical_files(fresh: Path, tmp_path: Path) -> None:
    make_sample.write_sample(tmp_path, 2017)
    assert files_bytes(tmp_path) == files_bytes(fresh)


def test_committed_sample_is_not_stale(fresh: Path) -> None:
    committed = ROOT / "data" / "sample"
    assert (committed / "truth.json").read_text(encoding="utf-8") == (
        fresh / "truth.json"
    ).read_text(encoding="utf-8")
    assert files_bytes(committed) == files_bytes(fresh)


def test_sample_is_small(fresh: Path) -> None:
    assert sum(len(b) for b in files_bytes(fresh).values()) < 5_000_000


def test_generator_does_not_use_hcs() -> None:
    for path in [ROOT / "tools" / "make_sample.py", *(ROOT / "tools" / "sample").glob("*.py")]:
        assert "handcraft_stats" not in re.sub(r'""".*?"""', "", path.read_text(), flags=re.S)


def test_every_file_format_and_layout(truth: dict[str, Any]) -> None:
    files = truth["files"]
    formats = Counter(f["format"] for f in files)
    assert set(formats) == {"xlsx", "xls", "ods", "csv"}
    for year in periods(truth):
        mine = [f for f in files if f["period"] == year]
        assert any(f["format"] == "xls" for f in mine)
        skipped = Counter[str]()
        for f in mine:
            assert f["county"] in f["name"]
            assert f["path"].startswith((f"rosters/{year}/", f"corrections/{year}/"))
            for sheet in f["sheets"]:
                skipped.update(sheet["skipped"])
        assert set(SKIP_KINDS) <= set(skipped), year
    assert any(str(f["period"]) not in f["name"] for f in files)  # year only in the title
    names = [f["name"] for f in files]
    assert len(names) == len(set(names))
    other_sheets = {s["name"] for f in files for s in f["sheets"] if not s["roster"]}
    assert {"填表说明", "汇总"} <= other_sheets
    per_town = Counter((f["county"], f["period"]) for f in files)
    assert max(per_town.values()) >= 5  # one county sends one file per town


def test_duplicate_kinds_per_period(truth: dict[str, Any]) -> None:
    for year in periods(truth):
        recs = [r for r in truth["records"] if r["period"] == year]
        kinds = Counter(r["dup_kind"] for r in recs)
        for kind in DUP_KINDS:
            assert kinds[kind] >= 4, (year, kind)
        exact_no_id = [
            r
            for r in recs
            if r["dup_kind"] == "exact_row" and r["fields"]["id_status"] in ("missing", "malformed")
        ]
        assert exact_no_id
        cross = Counter[str]()
        for r in recs:
            cross[r["person"]] += 1
        assert all(cross[r["person"]] >= 2 for r in recs if r["dup_kind"])


def test_issue_codes_per_period(truth: dict[str, Any]) -> None:
    for year in periods(truth):
        codes = Counter(
            i["code"] for r in truth["records"] if r["period"] == year for i in r["issues"]
        )
        for code in ISSUE_CODES:
            assert codes[code] >= 1, (year, code)
        statuses = Counter(
            r["fields"]["id_status"] for r in truth["records"] if r["period"] == year
        )
        assert set(statuses) == {
            "valid",
            "upgraded15",
            "bad_check",
            "precision_lost",
            "malformed",
            "missing",
        }


def test_cell_messes_occur(raw_rows: dict[tuple[str, str], list[list[Any]]]) -> None:
    texts = [str(v) for rows in raw_rows.values() for row in rows for v in row if v != ""]
    patterns = {
        "lowercase x": r"^\d{17}x$",
        "full-width digits": r"^[０-９]{17}[０-９Ｘ]$",
        "inner spaces": r"^\d{6} \d{8} \d{3}[\dX]$",
        "apostrophe": r"^'\d{17}[\dX]$",
        "trailing spaces": r"^\d{17}[\dX] +$",
        "15 digits": r"^\d{15}$",
        "17 digits": r"^\d{17}$",
        "ideographic space": "^.\u3000.+$",
        "wan": r"^\d\.\d+万$",
        "yuan": r"^\d+元$",
        "comma": r"^\d{1,2},\d{3}$",
        "ci": r"^\d次$",
        "cn count": r"^[一二三四五六]次$",
        "dot date": r"^20\d\d\.\d+\.\d+$",
        "slash date": r"^20\d\d/\d+/\d+$",
        "cn date": r"^20\d\d年\d+月\d+日$",
        "year nian": r"^20\d\d年$",
        "year month": r"^20\d\d\.12$",
        "checkmark": "^√$",
        "cross": "^×$",
        "unparseable": "^约三千$",
        "unknown": "^见备注$",
        "traditional": "[陳張劉楊趙黃吳孫馬羅][^ ]*",
    }
    for label, pattern in patterns.items():
        assert any(re.search(pattern, t) for t in texts), label
    numeric_ids = [
        v
        for rows in raw_rows.values()
        for row in rows
        for v in row
        if isinstance(v, float) and 1e17 < v < 1e18
    ]
    assert len(numeric_ids) > 100


def test_truth_rows_point_at_their_records(
    truth: dict[str, Any], raw_rows: dict[tuple[str, str], list[list[Any]]]
) -> None:
    trad = str.maketrans(
        "陳張劉楊趙黃吳孫馬羅麗紅華鳳雲艷蘭靜", "陈张刘杨赵黄吴孙马罗丽红华凤云艳兰静"
    )
    for rec in truth["records"]:
        row = raw_rows[(rec["file"], rec["sheet"])][rec["row"] - 1]
        name = rec["fields"]["name"]
        cells = {re.sub(r"\s", "", str(v)).translate(trad) for v in row}
        assert name is None or name in cells, rec
        ident = rec["fields"]["id_number"]
        if rec["fields"]["id_status"] in ("valid", "bad_check", "malformed"):
            assert any(
                ident == re.sub(r"[\s']", "", unicodedata.normalize("NFKC", str(v))).upper()
                for v in row
            ), rec


def test_calibration(truth: dict[str, Any]) -> None:
    exits = Counter[str]()
    for year in periods(truth):
        doc = truth["summary"][str(year)]["probable"]
        assert 2000 <= doc["totals"]["persons"] <= 2600
        assert 150 <= doc["totals"]["new_practitioners"] <= 220
        assert 400 <= doc["totals"]["training_person_times"] <= 650
        assert 1 <= doc["totals"]["returned_to_poverty"] <= 10
        assert doc["wings"]["handicraft"]["income_increase_mean"] > 20000
        for wing in ("domestic_service", "ecommerce", "agriculture"):
            assert doc["wings"][wing]["income_increase_mean"] < 20000
        for wing, metrics in doc["wings"].items():
            exits[wing] += metrics["exits"]
        assert doc["quality"]["cross_county_persons"] > 0
        assert doc["source"]["persons_on_probable_links"] > 0
    for wing, article in {
        "handicraft": 320,
        "domestic_service": 210,
        "ecommerce": 160,
        "agriculture": 210,
    }.items():
        assert abs(exits[wing] - article) <= article * 0.1, wing
    doc = truth["summary"]["2017"]["probable"]
    assert {"2016", "2017"} <= set(doc["exits_by_year"])  # 2018: exit_after_period


def test_people_ids_are_valid(truth: dict[str, Any]) -> None:
    areas = numdb.get("cn/loc")
    codes = Counter[str]()
    for person in truth["people"]:
        ident = person["id"]
        assert re.fullmatch(r"\d{17}[\dX]", ident)
        assert (
            "10X98765432"[sum(int(d) * w for d, w in zip(ident[:17], WEIGHTS, strict=True)) % 11]
            == ident[17]
        )
        assert int(ident[16]) % 2 == 0
        assert 1950 <= int(ident[6:10]) <= 2000
        codes[ident[:6]] += 1
    for code in codes:
        info = {k: v for _, props in areas.info(code) for k, v in props.items()}
        assert "county" in info, code
    total = sum(codes.values())
    historical = sum(codes[c] for c in ("320323", "320325", "320326", "320304"))
    married_in = sum(n for c, n in codes.items() if c[:2] in ("34", "37"))
    assert 0.08 <= historical / total <= 0.2
    assert 0.05 <= married_in / total <= 0.11


def test_summaries_follow_the_schema(truth: dict[str, Any]) -> None:
    schema = summary_schema()
    for year in periods(truth):
        for tier in ("certain", "probable"):
            doc = truth["summary"][str(year)][tier]
            jsonschema.validate(doc, schema)
            assert list(doc) == schema["required"]
            assert doc["link_tier"] == tier and doc["year"] == year
            assert list(doc["totals"]) == schema["$defs"]["metrics"]["required"]
            files = [f for f in truth["files"] if f["period"] == year]
            assert doc["source"]["files"] == len(files)
            records = [r for r in truth["records"] if r["period"] == year]
            assert doc["source"]["records"] == len(records)
            codes = Counter(i["code"] for r in records for i in r["issues"])
            issues = doc["quality"]["issues_by_code"]
            assert {k: v for k, v in issues.items() if k != "conflict"} == dict(codes)
            links = sum(doc["quality"]["links_by_reason"].values())
            assert doc["source"]["persons"] == len(records) - links
        certain = truth["summary"][str(year)]["certain"]
        probable = truth["summary"][str(year)]["probable"]
        assert certain["source"]["persons_on_probable_links"] == 0
        assert probable["source"]["persons"] < certain["source"]["persons"]
        people = {r["person"] for r in truth["records"] if r["period"] == year}
        assert probable["source"]["persons"] == len(people)


def test_exact_rows_are_identical(
    truth: dict[str, Any], raw_rows: dict[tuple[str, str], list[list[Any]]]
) -> None:
    copies = [r for r in truth["records"] if r["dup_kind"] == "exact_row"]
    for rec in copies:
        rows = raw_rows[(rec["file"], rec["sheet"])]
        originals = [
            r
            for r in truth["records"]
            if r["person"] == rec["person"]
            and r["period"] == rec["period"]
            and r["dup_kind"] is None
        ]
        assert len(originals) == 1
        assert originals[0]["sheet"] == rec["sheet"]
        assert rows[originals[0]["row"] - 1] == rows[rec["row"] - 1]
        assert originals[0]["fields"] == rec["fields"]


def read_rows(path: Path) -> list[list[Any]]:
    book = CalamineWorkbook.from_path(str(path))
    (name,) = book.sheet_names
    return book.get_sheet_by_name(name).to_python(skip_empty_area=False)


def test_every_change_and_check_occurs(truth: dict[str, Any]) -> None:
    planted = Counter(kind for p in truth["people"] for kind in p.get("planted", ()))
    for kind in ("moved_county", "changed_wing", "changed_class", *CHECKS[:4]):
        assert planted[kind] >= 5, kind
    for tier in TIERS:
        doc = truth["changes"]["2016-2017"][tier]
        for kind in CHANGES:
            assert doc["totals"][kind] >= 5, (tier, kind)
            assert doc["totals"][kind] >= planted[kind], (tier, kind)
        for kind in CHECKS:
            assert doc["checks"][kind] >= 5, (tier, kind)
            assert doc["checks"][kind] >= planted[kind], (tier, kind)
        assert doc["totals"]["entered"] >= 100 and doc["totals"]["left"] >= 100


def test_changes_document_is_consistent(truth: dict[str, Any]) -> None:
    counties = {r["county"] for r in truth["records"]}
    for tier in TIERS:
        doc = truth["changes"]["2016-2017"][tier]
        assert list(doc) == [
            "from", "to", "link_tier", "totals", "by_county", "by_wing", "checks", "persons"
        ]  # fmt: skip
        assert (doc["from"], doc["to"], doc["link_tier"]) == (2016, 2017, tier)
        assert list(doc["totals"]) == list(CHANGES) and list(doc["checks"]) == list(CHECKS)
        assert set(doc["by_county"]) == counties and list(doc["by_wing"]) == list(WINGS)
        persons = doc["persons"]
        assert persons == sorted(persons, key=lambda p: (p["name"], p["changes"], p["checks"]))
        assert all(p["name"] and (p["changes"] or p["checks"]) for p in persons)
        for p in persons:
            assert p["changes"] == sorted(set(p["changes"])) and p["checks"] == sorted(p["checks"])
        for kind in CHANGES:
            listed = sum(kind in p["changes"] for p in persons)
            assert listed == doc["totals"][kind] == sum(w[kind] for w in doc["by_wing"].values())
            assert sum(c[kind] for c in doc["by_county"].values()) >= doc["totals"][kind]
        for kind in CHECKS:
            assert sum(kind in p["checks"] for p in persons) == doc["checks"][kind]
        before, after = (truth["summary"][str(y)][tier] for y in (2016, 2017))
        matched = before["source"]["persons"] - doc["totals"]["left"]
        assert matched == after["source"]["persons"] - doc["totals"]["entered"]
        assert doc["totals"]["exited"] == after["totals"]["exits"]
        assert doc["totals"]["returned"] == after["totals"]["returned_to_poverty"]
        for county, counts in doc["by_county"].items():
            if county in after["counties"]:
                assert counts["exited"] == after["counties"][county]["exits"]


def test_women_of_both_periods_can_be_matched(truth: dict[str, Any]) -> None:
    """docs/metrics.md §7: an ID key in each period, or name + birth date in both."""
    evidence: dict[str, dict[int, set[str]]] = {}
    for r in truth["records"]:
        mine = evidence.setdefault(r["person"], {}).setdefault(r["period"], set())
        if r["fields"]["id_status"] in ("valid", "upgraded15"):
            mine.add("key")
        if r["fields"]["name"] and r["fields"]["birth_date"]:
            mine.add("name_birth")
    both = {pid: e for pid, e in evidence.items() if len(e) == 2}
    assert len(both) > 1800
    for pid, e in both.items():
        assert e[2016] & e[2017], pid


def test_planted_changes_are_in_the_truth(truth: dict[str, Any]) -> None:
    """The generator checks each planted change on its woman; here: the names."""
    doc = truth["changes"]["2016-2017"]["probable"]
    listed = {(p["name"], kind) for p in doc["persons"] for kind in p["changes"] + p["checks"]}
    people = {p["person"]: p for p in truth["people"]}
    names: dict[str, str] = {}
    for r in truth["records"]:
        if r["fields"]["name"] and (r["period"] == 2017 or r["person"] not in names):
            names[r["person"]] = r["fields"]["name"]
    for pid, person in people.items():
        for kind in person.get("planted", ()):
            assert (names[pid], kind) in listed, (pid, kind)


def test_corrected_roster_replaces_the_original(fresh: Path, truth: dict[str, Any]) -> None:
    (replaced,) = truth["replaced"]
    original, corrected = replaced["path"], replaced["replaced_by"]
    assert original.startswith("rosters/2017/") and corrected.startswith("corrections/2017/")
    assert original.rsplit("/", 1)[1] == corrected.rsplit("/", 1)[1]
    paths = [f["path"] for f in truth["files"]]
    assert corrected in paths and original not in paths
    assert paths[-1] == corrected  # loaded last
    entry = next(f for f in truth["files"] if f["path"] == corrected)
    assert (entry["county"], entry["period"]) == ("丰县", 2017)
    old, new = read_rows(fresh / original), read_rows(fresh / corrected)
    assert old != new and len(old) == len(new)
    old_ids = {str(r[2]) for r in old}
    new_ids = {str(r[2]) for r in new}
    assert len(new_ids - old_ids) == 2  # the completed ID, the woman added
    assert len(old_ids - new_ids) == 2  # the 17-digit ID, the woman removed
    changed = [(a, b) for a, b in zip(old, new, strict=True) if a != b]
    assert len(changed) >= 5
    texts = {str(v) for row in new for v in row}
    assert "约三千" not in texts and "见备注" not in texts
    assert {"约三千", "见备注"} <= {str(v) for row in old for v in row}
    records = [r for r in truth["records"] if r["file"] == entry["name"]]
    assert len(records) == entry["sheets"][0]["records"]
    assert all(r["period"] == 2017 and r["county"] == "丰县" for r in records)


def test_every_rule_is_planted(truth: dict[str, Any]) -> None:
    """docs/checks.md: every rule of the catalogue occurs at least 3 times over both
    periods, and truth["planted_issues"] counts the issues of the records."""
    rules = tomllib.loads(CATALOGUE.read_text(encoding="utf-8"))["rules"]
    planted = truth["planted_issues"]
    for code in rules:
        if code not in NOT_PLANTED:
            assert planted.get(code, 0) >= 3, code
    assert not set(planted) & set(NOT_PLANTED)
    counted = Counter(i["code"] for r in truth["records"] for i in r["issues"])
    assert planted == dict(counted)
    for year in periods(truth):
        mine = Counter(
            i["code"] for r in truth["records"] if r["period"] == year for i in r["issues"]
        )
        for tier in TIERS:
            issues = dict(truth["summary"][str(year)][tier]["quality"]["issues_by_code"])
            issues.pop("conflict", None)
            assert issues == dict(mine), (year, tier)


def test_clean_records_carry_no_issue(truth: dict[str, Any]) -> None:
    """The rules, run on the truth's normalised fields, find exactly the issues listed:
    a record without a planted problem passes every rule."""
    clean = 0
    for year in periods(truth):
        recs = [r for r in truth["records"] if r["period"] == year]
        extras = period_issues([(r["county"], r["fields"]) for r in recs])
        for r, extra in zip(recs, extras, strict=True):
            found = Counter(record_issues(r["fields"], year) + extra)
            listed = Counter(
                (i["code"], i["column"]) for i in r["issues"] if i["code"] not in CELL_CODES
            )
            assert found == listed, (r["file"], r["row"], found, listed)
            clean += not r["issues"]
    assert clean > 0.75 * len(truth["records"])
