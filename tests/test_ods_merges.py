""".ods rosters with merged cells read as the same roster in xlsx: python-calamine gives
no merged ranges for ods, so hcs finds them in content.xml (read/odsmerges.py)."""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import openpyxl
from hypothesis import given, settings
from hypothesis import strategies as st
from python_calamine import CalamineWorkbook

from conftest import ID_A, ID_B, ID_C
from handcraft_stats.config import load_settings
from handcraft_stats.normalize.vocab import Vocabulary
from handcraft_stats.parse import parse_file
from handcraft_stats.read.odsmerges import SPAN_MARK, ods_merges

HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n<office:document-content '
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
    'office:version="1.2"><office:body><office:spreadsheet>'
)
MANIFEST = (
    '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
    'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0">'
    '<manifest:file-entry manifest:full-path="/" '
    'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
    '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
    "</manifest:manifest>"
)
Merge = tuple[int, int, int, int]  # first row, first column, last row, last column (0-based)


def _cell(value: Any, span: str = "") -> str:
    if value is None or value == "":
        return f"<table:table-cell{span}/>"
    if isinstance(value, int | float):
        kind = f'office:value-type="float" office:value="{value}"'
    else:
        kind = 'office:value-type="string"'
    return (
        f"<table:table-cell{span} {kind}><text:p>{escape(str(value))}</text:p></table:table-cell>"
    )


def write_ods(path: Path, sheets: dict[str, tuple[list[list[Any]], list[Merge]]]) -> Path:
    """An ods as LibreOffice writes merges: the first cell spanned, the others covered;
    runs of blank cells and blank rows written once with a repeat count."""
    parts = [HEAD]
    for name, (rows, merges) in sheets.items():
        parts.append(f'<table:table table:name="{escape(name)}">')
        covered = {(r, c) for r1, c1, r2, c2 in merges for r in range(r1, r2 + 1)
                   for c in range(c1, c2 + 1) if (r, c) != (r1, c1)}  # fmt: skip
        first = {(r1, c1): (r2 - r1 + 1, c2 - c1 + 1) for r1, c1, r2, c2 in merges}
        blank_rows = 0
        for i, row in enumerate(rows):
            if not any(v not in (None, "") for v in row) and not any(k[0] == i for k in first):
                blank_rows += 1
                continue
            if blank_rows:
                parts.append(f'<table:table-row table:number-rows-repeated="{blank_rows}">'
                             "<table:table-cell/></table:table-row>")  # fmt: skip
                blank_rows = 0
            cells, blanks = [], 0
            for j, value in enumerate(row):
                if (i, j) in covered:
                    cells.append("<table:covered-table-cell/>")
                elif (i, j) in first:
                    down, across = first[i, j]
                    span = (f' table:number-rows-spanned="{down}"'
                            f' table:number-columns-spanned="{across}"')  # fmt: skip
                    cells.append(_cell(value, span))
                elif value in (None, "") and j + 1 < len(row):
                    blanks += 1
                    continue
                else:
                    cells.append(_cell(value))
                if blanks:  # the run of blanks before this cell
                    rep = f'<table:table-cell table:number-columns-repeated="{blanks}"/>'
                    cells.insert(-1, rep)
                    blanks = 0
            parts.append(f"<table:table-row>{''.join(cells)}</table:table-row>")
        parts.append("</table:table>")
    parts.append("</office:spreadsheet></office:body></office:document-content>")
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet",
                         compress_type=zipfile.ZIP_STORED)  # fmt: skip
        archive.writestr("content.xml", "".join(parts), compress_type=zipfile.ZIP_DEFLATED)
        archive.writestr("META-INF/manifest.xml", MANIFEST)
    return path


def write_merged_xlsx(path: Path, sheets: dict[str, tuple[list[list[Any]], list[Merge]]]) -> Path:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, (rows, merges) in sheets.items():
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(row)
        for r1, c1, r2, c2 in merges:
            ws.merge_cells(start_row=r1 + 1, start_column=c1 + 1, end_row=r2 + 1, end_column=c2 + 1)
    wb.save(path)
    return path


# 睢宁县's template: a title, a two-row header whose upper row groups the two incomes under
# 收入情况(元), 姓名 and 身份证号码 merged down the two header rows, and one 村 and one
# 从业产业 merged down three women
ROSTER = [
    ["睢宁县2017年巧手行动花名册", "", "", "", "", ""],
    [],
    ["姓名", "身份证号码", "村(社区)", "从业产业", "收入情况(元)", ""],
    ["", "", "", "", "帮扶前收入", "帮扶后收入"],
    ["张丽", ID_A, "东村", "手工", 2100, 5000],
    ["王芳", ID_B, "", "", 2500, 7000],
    ["李娟", ID_C, "", "", 1800, 6200],
    ["赵敏", "320321198203030046", "西村", "家政", 3000, 9000],
]
MERGES = [(0, 0, 0, 5), (2, 0, 3, 0), (2, 1, 3, 1), (2, 2, 3, 2), (2, 3, 3, 3), (2, 4, 2, 5),
          (4, 2, 6, 2), (4, 3, 6, 3)]  # fmt: skip
FIELDS = ["name", "id_number", "village", "wing", "income_before", "income_after", "source_row"]


def _parse(path: Path) -> Any:
    return parse_file(path, path.read_bytes(), load_settings(None), Vocabulary())


def test_an_ods_roster_with_merged_headers_and_cells_reads_as_its_xlsx(tmp_path: Path) -> None:
    sheets = {"Sheet1": (ROSTER, MERGES)}
    ods = _parse(write_ods(tmp_path / "睢宁县2017年花名册.ods", sheets))
    xlsx = _parse(write_merged_xlsx(tmp_path / "睢宁县2017年花名册.xlsx", sheets))
    got = ods.records[FIELDS].astype(str).values.tolist()
    assert got == xlsx.records[FIELDS].astype(str).values.tolist()
    assert [r[2:4] for r in got] == [["东村", "handicraft"]] * 3 + [["西村", "domestic_service"]]
    assert [r[5] for r in got] == ["5000.00", "7000.00", "6200.00", "9000.00"]
    assert ods.unknown_columns == [] and ods.sheets[0].header_rows == (3, 4)


def test_rows_and_cells_repeated_covered_and_grouped_are_counted_as_calamine_places_them(
    tmp_path: Path,
) -> None:
    content = (
        HEAD + '<table:table table:name="A">'
        '<table:table-column table:number-columns-repeated="4"/>'
        "<table:table-header-rows><table:table-row>"
        '<table:table-cell table:number-columns-spanned="2" office:value-type="string">'
        "<text:p>t</text:p></table:table-cell><table:covered-table-cell/>"
        "</table:table-row></table:table-header-rows>"
        '<table:table-row table:number-rows-repeated="3">'
        '<table:table-cell table:number-columns-repeated="2"/></table:table-row>'
        "<table:table-row-group><table:table-row>"
        '<table:table-cell table:number-columns-repeated="3"/>'
        '<table:table-cell table:number-rows-spanned="2" office:value-type="string">'
        "<text:p>x</text:p></table:table-cell></table:table-row>"
        '<table:table-row><table:table-cell table:number-columns-repeated="3"/>'
        "<table:covered-table-cell/></table:table-row></table:table-row-group>"
        '</table:table><table:table table:name="B&amp;C"><table:table-row><table:table-cell/>'
        "</table:table-row><table:table-row>"
        '<table:table-cell table:formula="of:=IF([.A1]>0;1;2)" office:value-type="float">'
        "<text:p>1</text:p></table:table-cell><table:table-cell table:number-columns-spanned"
        '="3"/></table:table-row></table:table>'
        "</office:spreadsheet></office:body></office:document-content>"
    )
    path = tmp_path / "x.ods"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("content.xml", content)
    want = {"A": (((0, 0), (0, 1)), ((4, 3), (5, 3))), "B&C": (((1, 1), (1, 3)),)}
    assert ods_merges(path.read_bytes()) == want
    with zipfile.ZipFile(path, "w") as archive:  # another prefix for the table namespace
        other = content.replace("table:", "t:").replace("xmlns:t:1.0", "xmlns:table:1.0")
        archive.writestr("content.xml", other.replace('xmlns:table="', 'xmlns:t="'))
    assert ods_merges(path.read_bytes()) == want
    with zipfile.ZipFile(path, "w") as archive:  # no spanned cell: content.xml not parsed
        archive.writestr("content.xml", content.replace("-spanned=", "-other="))
    assert ods_merges(path.read_bytes()) == {}
    assert ods_merges(b"not a zip") == {}


@st.composite
def grids(draw: st.DrawFn) -> tuple[list[list[Any]], list[Merge]]:
    """A grid of text, numbers and blanks with non-overlapping merges."""
    height, width = draw(st.integers(1, 8)), draw(st.integers(1, 6))
    value = st.one_of(st.just(""), st.sampled_from(["甲", "乙", "x"]), st.integers(0, 9))
    rows = [[draw(value) for _ in range(width)] for _ in range(height)]
    taken: set[tuple[int, int]] = set()
    merges: list[Merge] = []
    for _ in range(draw(st.integers(0, 4))):
        r1, c1 = draw(st.integers(0, height - 1)), draw(st.integers(0, width - 1))
        r2, c2 = draw(st.integers(r1, height - 1)), draw(st.integers(c1, width - 1))
        cells = {(r, c) for r in range(r1, r2 + 1) for c in range(c1, c2 + 1)}
        last = (height - 1, width - 1)  # kept out of merges: the used range ends there
        if (r1, c1) != (r2, c2) and not cells & (taken | {last}):
            taken |= cells
            merges.append((r1, c1, r2, c2))
    rows[-1][-1] = rows[-1][-1] or "end"
    return rows, merges


@settings(max_examples=40, deadline=None)
@given(grid=grids())
def test_ods_merges_are_the_ranges_calamine_gives_for_the_same_xlsx(
    tmp_path_factory: Any, grid: tuple[list[list[Any]], list[Merge]]
) -> None:
    folder = tmp_path_factory.mktemp("g")
    sheets = {"S": grid}
    xlsx = write_merged_xlsx(folder / "g.xlsx", sheets)
    want = CalamineWorkbook.from_path(str(xlsx)).get_sheet_by_name("S").merged_cell_ranges or []
    got = ods_merges(write_ods(folder / "g.ods", sheets).read_bytes()).get("S", ())
    assert sorted(got) == sorted(want)
    ods_rows = CalamineWorkbook.from_path(str(folder / "g.ods")).get_sheet_by_name("S")
    assert len(ods_rows.to_python(skip_empty_area=False)) == len(grid[0])  # rows line up too


def test_the_limits_pass_tells_whether_content_xml_has_a_span_wherever_chunks_cut_it(
    tmp_path: Path, monkeypatch: Any
) -> None:
    """The spans are looked for only when the limits pass (which inflates every member
    anyway) saw a span's attribute: a mark cut by a chunk boundary is still seen."""
    import handcraft_stats.read.limits as limits

    monkeypatch.setattr(limits, "_CHUNK", 16)
    for pad in range(20):
        content = HEAD + "x" * pad + '<table:table-cell table:number-columns-spanned="2"/>'
        path = tmp_path / f"p{pad}.ods"
        with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("content.xml", content)
            archive.writestr("styles.xml", "<a>-spanned</a>")  # only content.xml is asked
        marks = {"content.xml": SPAN_MARK}
        assert limits.check_archive(path.read_bytes(), ".ods", marks=marks) == {"content.xml"}
        with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("content.xml", content.replace("-spanned", "-repeated"))
            archive.writestr("styles.xml", "<a>-spanned</a>")
        assert limits.check_archive(path.read_bytes(), ".ods", marks=marks) == set()
