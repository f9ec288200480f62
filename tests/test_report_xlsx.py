"""report.xlsx read back with openpyxl equals summary.json cell for cell; its report form
(title, frozen header, number formats, widths, print settings, native charts)."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from openpyxl.worksheet.worksheet import Worksheet

from handcraft_stats import Store, load_settings, summarize
from handcraft_stats.classify import CLASSES, WINGS
from handcraft_stats.metrics import METRICS
from handcraft_stats.report.labels import label
from handcraft_stats.report.xlsx import width, write_workbook

SHEETS = ["汇总", "分县", "分类", "脱贫年度", "数据质量"]


@pytest.fixture(scope="module")
def doc(sample_db: tuple[Any, ...]) -> dict[str, Any]:
    order = [d.name for d in load_settings(None).divisions]
    with Store(sample_db[0], read_only=True) as store:
        return summarize(store, 2017, "probable", order, since=2016, details=True).to_dict()


@pytest.fixture(scope="module")
def book(doc: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("xlsx") / "report.xlsx"
    write_workbook(doc, path, "徐州市", "zh", date(2018, 1, 15))
    return path


def value(v: Any) -> Any:
    return None if v == "—" else v


def rows(ws: Worksheet, start: int = 4) -> list[list[Any]]:
    return [list(r) for r in ws.iter_rows(min_row=start, values_only=True)]


def codes(section: str, keys: tuple[str, ...] | list[str]) -> dict[str, str]:
    return {label(section, k): k for k in keys}


def read_summary(ws: Worksheet) -> dict[str, Any]:
    head = [c.value for c in ws[3]]
    metric = codes("metric", METRICS)
    cols = {i: metric[h] for i, h in enumerate(head) if h in metric}
    wing = codes("wing", WINGS)
    out: dict[str, Any] = {"wings": {}}
    for r in rows(ws):
        if r[0] in wing:
            out["wings"][wing[r[0]]] = {m: value(r[i]) for i, m in cols.items()}
        elif r[0] == "合计":
            out["totals"] = {m: value(r[i]) for i, m in cols.items()}
            break
    since = [r for r in rows(ws) if r[0] == "2016–2017年累计脱贫"]
    assert since, "the exits-since block"
    return out


def read_counties(ws: Worksheet, doc: dict[str, Any]) -> dict[str, Any]:
    head = [c.value for c in ws[3]]
    assert head == ["县(市、区)", *(label("wing", w) for w in WINGS), "合计"]
    captions = {
        label("report", "block").format(n="一二三四五六七"[i], metric=label("metric", m)): m
        for i, m in enumerate(METRICS)
    }
    counties: dict[str, Any] = {c: {"wings": {w: {} for w in WINGS}} for c in doc["counties"]}
    city: dict[str, Any] = {"wings": {w: {} for w in WINGS}, "totals": {}}
    metric = None
    for r in rows(ws):
        if r[0] in captions:
            metric = captions[r[0]]
        elif metric and r[0] in counties:
            for i, w in enumerate(WINGS, start=1):
                counties[r[0]]["wings"][w][metric] = value(r[i])
            counties[r[0]][metric] = value(r[len(WINGS) + 1])
        elif metric and r[0] == "全市(去重)":
            for i, w in enumerate(WINGS, start=1):
                city["wings"][w][metric] = value(r[i])
            city["totals"][metric] = value(r[len(WINGS) + 1])
    return {"counties": counties, **city}


def test_every_figure_equals_summary_json(book: Path, doc: dict[str, Any]) -> None:
    wb = openpyxl.load_workbook(book)
    assert wb.sheetnames == SHEETS
    summary = read_summary(wb["汇总"])
    assert summary == {"wings": doc["wings"], "totals": doc["totals"]}
    since = {r[0]: r[1] for r in rows(wb["汇总"]) if r[0]}
    ex = doc["exits_since"]
    assert [since[label("wing", w)] for w in WINGS][-6:] == [ex["by_wing"][w] for w in WINGS]

    counties = read_counties(wb["分县"], doc)
    assert counties["counties"] == doc["counties"]
    assert counties["wings"] == doc["wings"] and counties["totals"] == doc["totals"]

    ws = wb["分类"]
    head = [c.value for c in ws[3]]
    assert head == ["分类", *doc["counties"], "全市(去重)"]
    klass = codes("class", CLASSES)
    table = {klass[r[0]]: r[1:] for r in rows(ws) if r[0] in klass}
    for k in CLASSES:
        want = [doc["classification_by_county"][c][k] for c in doc["counties"]]
        assert list(table[k]) == [*want, doc["classification"][k]]
    total = next(r for r in rows(ws) if r[0] == "合计")
    assert total[1:] == [
        *(m["persons"] for m in doc["counties"].values()),
        doc["totals"]["persons"],
    ]

    years = {r[0]: r[1] for r in rows(wb["脱贫年度"])}
    assert years == {**doc["exits_by_year"], "2016–2017年累计脱贫": ex["exits"]}

    check_quality(wb["数据质量"], doc)


def check_quality(ws: Worksheet, doc: dict[str, Any]) -> None:
    q = doc["quality"]
    head = [c.value for c in ws[3]]
    assert head == ["问题(按代码)", "代码", *doc["counties"], "合计"]
    issues = {}
    sections: dict[str, dict[str, int]] = {}
    current = None
    for r in rows(ws):
        if r[0] in ("关联(按原因)", "跳过的行(按类型)"):
            current = r[0]
            sections[current] = {}
        elif current is None and r[1] and r[0] != "合计":
            issues[r[1]] = r[2:]
        elif current and r[1] and r[0] != "合计":
            sections[current][r[1]] = r[2]
        elif r[0] == "跨县重复人数":
            assert r[2] == q["cross_county_persons"]
        elif r[0] == "依赖疑似关联的人数":
            assert r[2] == doc["source"]["persons_on_probable_links"]
    assert list(issues) == list(q["issues_by_code"])
    for code, cells in issues.items():
        per = [q["issues_by_county"][c].get(code, 0) for c in doc["counties"]]
        assert list(cells) == [*per, q["issues_by_code"][code]]
    assert sections["关联(按原因)"] == q["links_by_reason"]
    assert sections["跳过的行(按类型)"] == q["rows_skipped_by_kind"]


def test_it_reads_like_a_report(book: Path, doc: dict[str, Any]) -> None:
    wb = openpyxl.load_workbook(book)
    for ws in wb.worksheets:
        assert ws["A1"].value.startswith("徐州市2017年妇女“巧手”行动统计（")
        assert ws["A1"].font.b and "A1" in {str(r).split(":")[0] for r in ws.merged_cells.ranges}
        assert ws["A2"].value == "单位：人、人次、元" or ws.title == "数据质量"
        assert any(str(c.value or "").endswith("2018年1月15日") for c in ws[2])
        assert ws.freeze_panes in ("B4", "A4", "C4")
        assert ws.page_setup.orientation == "landscape" and ws.page_setup.fitToWidth == 1
        assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.print_title_rows == "$1:$3"
        for cell in ws[3]:  # no header is cut off
            if cell.value:
                letter = cell.column_letter
                assert ws.column_dimensions[letter].width >= width(cell.value) + 1
    ws = wb["汇总"]
    income = 1 + 1 + METRICS.index("income_increase_mean")
    assert ws.cell(4, income).number_format == "#,##0.00"
    assert ws.cell(4, 2).number_format == "#,##0"
    assert len(wb["汇总"]._charts) == 1 and len(wb["分县"]._charts) == 1
    # the gap between the counties' sum and the city, explained on the sheet itself (a
    # woman on three counties' rosters is one person of the note and two more countings)
    extra = sum(c["persons"] for c in doc["counties"].values()) - doc["totals"]["persons"]
    notes = [c.value for row in wb["分县"].iter_rows() for c in row
             if isinstance(c.value, str) and "同时列入" in c.value]  # fmt: skip
    n = doc["quality"]["cross_county_persons"]
    assert notes == [f"{n}人同时列入两个及以上县的名册：各县分别计数，全市只计一次"
                     f"（各县登记人数之和比全市多{extra}人次）"] and extra >= n > 0  # fmt: skip


def test_charts_are_native_bar_charts(book: Path) -> None:
    # openpyxl does not read charts back: look into the package
    import zipfile

    with zipfile.ZipFile(book) as z:
        charts = sorted(n for n in z.namelist() if n.startswith("xl/charts/chart"))
        assert len(charts) == 2
        xml = [z.read(n).decode("utf-8") for n in charts]
    assert all("barChart>" in x for x in xml)
    assert any("脱贫人数（按产业）" in x for x in xml) and any(
        "登记人数与脱贫人数" in x for x in xml
    )


def test_english_workbook(doc: dict[str, Any], tmp_path: Path) -> None:
    path = tmp_path / "en.xlsx"
    write_workbook(doc, path, "Xuzhou", "en", date(2018, 1, 15))
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["Summary", "Counties", "Classes", "Exit years", "Data quality"]
    assert wb["Summary"]["A4"].value == "Handicraft"
    assert wb["Summary"]["A2"].value.startswith("Units:")


def test_a_year_without_exits_or_counties_still_writes(tmp_path: Path, doc: dict[str, Any]) -> None:
    empty = {**doc, "counties": {}, "exits_by_year": {}, "classification_by_county": {}}
    empty = {k: v for k, v in empty.items() if k != "exits_since"}
    empty["quality"] = {**doc["quality"], "issues_by_code": {}, "issues_by_county": {}}
    path = tmp_path / "e.xlsx"
    write_workbook(empty, path, "徐州市")
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == SHEETS and not wb["分县"]._charts
