"""report.xlsx: the summary as a statistical report (报表) to send upward. The only module
that writes xlsx. Every sheet: a title row (city, period), a unit and date row, a frozen
header row; number formats, CJK-aware column widths, landscape print fitted to the width
with the header repeated, and native Excel charts (exits by wing; counties compared)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference, Series
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.pagebreak import Break
from openpyxl.worksheet.worksheet import Worksheet

from ..classify import CLASSES, WINGS
from ..metrics import METRICS
from .labels import label

INT, MONEY = "#,##0", "#,##0.00"
NUMERALS = "一二三四五六七八九十"
_THIN = Side(style="thin", color="808080")
_BOX = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_HEAD_FILL = PatternFill("solid", fgColor="DDE4EE")
_TOTAL_FILL = PatternFill("solid", fgColor="F2F2F2")
_BODY = "宋体"
_TITLE = "黑体"
HEADER_ROW = 3
PAGE_ROWS = 40  # data rows that fit a landscape A4 page at the usual scale


def width(text: str) -> int:
    """Display width: CJK and full-width characters count two."""
    return sum(2 if ord(ch) >= 0x2E80 else 1 for ch in text)


def _shown(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:,.2f}"
    return f"{v:,}" if isinstance(v, int) else str(v)


@dataclass
class Sheet:
    """One report sheet being written: a row cursor and the widest text per column."""

    ws: Worksheet
    lang: str
    row: int = HEADER_ROW
    widths: dict[int, int] | None = None
    span: int = 1
    least: int = 0  # the width the title and the unit/date row need

    def l(self, section: str, code: str) -> str:  # noqa: E743 - a label lookup
        return label(section, code, self.lang)

    def header(self, cells: Sequence[str]) -> None:
        for i, text in enumerate(cells, start=1):
            c = self.ws.cell(self.row, i, text)
            c.font, c.fill, c.border = Font(name=_BODY, bold=True), _HEAD_FILL, _BOX
            c.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
            self._fit(i, text)
        self.ws.row_dimensions[self.row].height = 30
        self.row += 1

    def data(self, cells: Sequence[Any], total: bool = False) -> int:
        for i, v in enumerate(cells, start=1):
            c = self.ws.cell(self.row, i, "—" if v is None else v)
            c.font, c.border = Font(name=_BODY, bold=total), _BOX
            if total:
                c.fill = _TOTAL_FILL
            if isinstance(v, float):
                c.number_format = MONEY
            elif isinstance(v, int):
                c.number_format = INT
            align = "left" if i == 1 else "center" if v is None or isinstance(v, str) else "right"
            c.alignment = Alignment(horizontal=align, vertical="center")
            self._fit(i, _shown("—" if v is None else v))
        self.row += 1
        return self.row - 1

    def caption(self, text: str, span: int) -> None:
        """A block caption or a note over `span` columns (merged, left-aligned)."""
        self.ws.merge_cells(start_row=self.row, start_column=1, end_row=self.row, end_column=span)
        c = self.ws.cell(self.row, 1, text)
        c.font = Font(name=_BODY, bold=True)
        c.alignment = Alignment(horizontal="left", vertical="center")
        self.row += 1

    def _fit(self, col: int, text: str) -> None:
        w = self.widths if self.widths is not None else {}
        longest = max((width(part) for part in str(text).splitlines()), default=0)
        w[col] = max(w.get(col, 0), longest)
        self.widths = w


def _start(wb: Workbook, doc: dict[str, Any], sheet: str, city: str, made: date,
           lang: str, span: int, unit: str = "unit") -> Sheet:  # fmt: skip
    """A new sheet with its title row (merged over `span` columns) and unit/date row."""
    name = label("sheet", sheet, lang)
    ws = wb.create_sheet(name)
    title = label("section", "title", lang).format(city=city, year=doc["year"])
    sep = "（{}）" if lang == "zh" else " — {}"
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=span)
    c = ws.cell(1, 1, title + sep.format(name))
    c.font = Font(name=_TITLE, size=16, bold=True)
    c.alignment = Alignment(horizontal="center", vertical="center")
    ws.row_dimensions[1].height = 32
    half = max(span // 2, 1)
    ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=half)
    ws.cell(2, 1, label("report", unit, lang)).font = Font(name=_BODY)
    day = label("report", "date", lang).format(y=made.year, m=made.month, d=made.day)
    if span > half:
        ws.merge_cells(start_row=2, start_column=half + 1, end_row=2, end_column=span)
    d = ws.cell(2, half + 1 if span > half else 1, label("report", "made", lang).format(date=day))
    d.font, d.alignment = Font(name=_BODY), Alignment(horizontal="right")
    least = max(width(c.value) * 3 // 2 + 4, width(ws.cell(2, 1).value) + width(d.value) + 6)
    return Sheet(ws, lang, span=span, least=least)


def _finish(s: Sheet, freeze: str, one_page: bool = True) -> None:
    """Column widths, frozen panes, print settings (landscape, fitted to the width; short
    sheets on one page so a block never leaves its header behind)."""
    ws = s.ws
    widths = {col: min(max(w + 3, 8), 48) for col, w in (s.widths or {}).items()}
    short = s.least - sum(widths.get(c, 8) for c in range(1, s.span + 1))
    for col in range(1, s.span + 1):  # a narrow table: widen it to hold its title
        widths[col] = widths.get(col, 8) + max(short, 0) // s.span + (1 if short > 0 else 0)
    for col, w in widths.items():
        ws.column_dimensions[get_column_letter(col)].width = w
    ws.freeze_panes = freeze
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 1 if one_page else 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = f"1:{HEADER_ROW}"
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.5


def _chart(title: str, y_title: str, height_rows: int, width_cm: float) -> BarChart:
    chart = BarChart()
    chart.type, chart.grouping, chart.title = "col", "clustered", title
    chart.y_axis.title = y_title
    chart.y_axis.majorGridlines = None
    chart.x_axis.delete = False  # openpyxl 3.1 hides axes unless told
    chart.y_axis.delete = False
    chart.height, chart.width = height_rows * 0.5, width_cm
    return chart


def _summary(wb: Workbook, doc: dict[str, Any], city: str, made: date, lang: str) -> None:
    span = 1 + len(METRICS)
    s = _start(wb, doc, "summary", city, made, lang, span)
    s.header([s.l("section", "group"), *(s.l("metric", m) for m in METRICS)])
    first = s.row
    for w in WINGS:
        s.data([s.l("wing", w), *(doc["wings"][w][m] for m in METRICS)])
    s.data([s.l("section", "totals"), *(doc["totals"][m] for m in METRICS)], total=True)
    src = doc["source"]
    s.row += 1
    counts = {k: f"{src[k]:,}" for k in ("files", "records", "persons")}
    line = label("report", "source_line", lang).format(
        **counts,
        probable=f"{src['persons_on_probable_links']:,}",
        tier=s.l("tier", doc["link_tier"]),
    )
    s.caption(line, span)
    if "exits_since" in doc:
        ex = doc["exits_since"]
        title = label("report", "exits_since", lang).format(since=ex["since"], year=doc["year"])
        s.row += 1
        s.caption(title, span)
        s.header([s.l("section", "group"), s.l("metric", "exits")])
        for w in WINGS:
            s.data([s.l("wing", w), ex["by_wing"][w]])
        s.data([s.l("section", "totals"), ex["exits"]], total=True)
    exits_col = 2 + METRICS.index("exits")
    chart = _chart(label("report", "chart_exits_by_wing", lang), s.l("report", "axis_persons"),
                   16, 16)  # fmt: skip
    chart.add_data(Reference(s.ws, min_col=exits_col, min_row=HEADER_ROW,
                             max_row=first + len(WINGS) - 1), titles_from_data=True)  # fmt: skip
    chart.set_categories(Reference(s.ws, min_col=1, min_row=first, max_row=first + len(WINGS) - 1))
    chart.legend = None
    s.ws.add_chart(chart, f"A{s.row + 1}")
    _finish(s, "B4")


def _counties(wb: Workbook, doc: dict[str, Any], city: str, made: date, lang: str) -> None:
    """One block per metric: counties (rows) x wings + 合计 (columns), then the city."""
    counties = list(doc["counties"])
    span = 2 + len(WINGS)
    s = _start(wb, doc, "counties", city, made, lang, span)
    s.header([s.l("section", "county"), *(s.l("wing", w) for w in WINGS), s.l("section", "totals")])
    rows_of: dict[str, int] = {}
    page_start = s.row
    for n, m in enumerate(METRICS):
        if s.row + len(counties) + 2 - page_start > PAGE_ROWS:  # keep a block on one page
            s.ws.row_breaks.append(Break(id=s.row - 1))
            page_start = s.row
        caption = label("report", "block", lang).format(
            n=NUMERALS[n] if lang == "zh" else n + 1, metric=s.l("metric", m)
        )
        s.caption(caption, span)
        rows_of[m] = s.row
        for c in counties:
            cm = doc["counties"][c]
            s.data([c, *(cm["wings"][w][m] for w in WINGS), cm[m]])
        s.data([s.l("section", "city_total"), *(doc["wings"][w][m] for w in WINGS),
                doc["totals"][m]], total=True)  # fmt: skip
    s.row += 1
    note = label("report", "cross_county_note", lang)
    # a woman on three counties' rosters is one person of the note, counted twice more
    extra = sum(doc["counties"][c]["persons"] for c in counties) - doc["totals"]["persons"]
    s.caption(note.format(n=doc["quality"]["cross_county_persons"], extra=extra), span)
    if counties:
        chart = _chart(label("report", "chart_counties", lang), s.l("report", "axis_persons"),
                       18, max(16, 1.6 * len(counties)))  # fmt: skip
        for m in ("persons", "exits"):
            ref = Reference(s.ws, min_col=span, min_row=rows_of[m],
                            max_row=rows_of[m] + len(counties) - 1)  # fmt: skip
            chart.series.append(Series(ref, title=s.l("metric", m)))
        chart.set_categories(Reference(s.ws, min_col=1, min_row=rows_of["persons"],
                                       max_row=rows_of["persons"] + len(counties) - 1))  # fmt: skip
        chart.legend.position = "b"
        s.ws.add_chart(chart, f"{get_column_letter(span + 2)}{HEADER_ROW + 2}")
    _finish(s, "B4", one_page=False)


def _classes(wb: Workbook, doc: dict[str, Any], city: str, made: date, lang: str) -> None:
    counties = list(doc["counties"])
    by_county = doc.get("classification_by_county", {})
    s = _start(wb, doc, "classes", city, made, lang, 2 + len(counties))
    s.header([s.l("column", "class"), *counties, s.l("section", "city_total")])
    for k in CLASSES:
        s.data([s.l("class", k), *(by_county.get(c, {}).get(k, 0) for c in counties),
                doc["classification"][k]])  # fmt: skip
    s.data([s.l("section", "totals"), *(doc["counties"][c]["persons"] for c in counties),
            doc["totals"]["persons"]], total=True)  # fmt: skip
    _finish(s, "B4")


def _exits(wb: Workbook, doc: dict[str, Any], city: str, made: date, lang: str) -> None:
    s = _start(wb, doc, "exits", city, made, lang, 2)
    s.header([s.l("section", "year"), s.l("metric", "exits")])
    for y, n in doc["exits_by_year"].items():
        s.data([y, n])
    if "exits_since" in doc:
        ex = doc["exits_since"]
        title = label("report", "exits_since", lang).format(since=ex["since"], year=doc["year"])
        s.data([title, ex["exits"]], total=True)
    _finish(s, "A4")


def _quality(wb: Workbook, doc: dict[str, Any], city: str, made: date, lang: str) -> None:
    q, counties = doc["quality"], list(doc["counties"])
    by_county = q.get("issues_by_county", {})
    span = 3 + len(counties)
    s = _start(wb, doc, "quality", city, made, lang, span, "unit_quality")
    s.header([s.l("section", "issues_by_code"), s.l("report", "code"), *counties,
              s.l("section", "totals")])  # fmt: skip
    for code, n in q["issues_by_code"].items():
        s.data([s.l("issue", code), code, *(by_county.get(c, {}).get(code, 0) for c in counties),
                n])  # fmt: skip
    s.data([s.l("section", "totals"), "",
            *(sum(by_county.get(c, {}).values()) for c in counties),
            sum(q["issues_by_code"].values())], total=True)  # fmt: skip
    for key, section in (("links_by_reason", "link"), ("rows_skipped_by_kind", "skip")):
        s.row += 1
        s.header([s.l("section", key), s.l("report", "code"), s.l("section", "count")])
        for code, n in q[key].items():
            s.data([s.l(section, code), code, n])
        s.data([s.l("section", "totals"), "", sum(q[key].values())], total=True)
    s.row += 1
    s.header([s.l("section", "group"), "", s.l("section", "count")])
    s.data([s.l("section", "cross_county_persons"), "", q["cross_county_persons"]])
    src = doc["source"]
    s.data([s.l("section", "persons_on_probable_links"), "", src["persons_on_probable_links"]])
    _finish(s, "C4")


def write_workbook(
    doc: dict[str, Any], path: Path, city: str = "", lang: str = "zh", made: date | None = None
) -> None:
    """The summary document as report.xlsx: 汇总, 分县, 分类, 脱贫年度, 数据质量."""
    wb = Workbook()
    wb.remove(wb.active)
    day = made or date.today()
    for part in (_summary, _counties, _classes, _exits, _quality):
        part(wb, doc, city, day, lang)
    wb.properties.title = label("section", "title", lang).format(city=city, year=doc["year"])
    wb.properties.creator = "hcs"
    wb.save(path)
