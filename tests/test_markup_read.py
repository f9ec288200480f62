"""Web systems' "export to Excel" (an HTML table, an Excel 2003 XML spreadsheet, a
single-file web page) saved as .xls is read like any roster (read/markup.py): its
rows, merged cells and IDs as written, and refused with a one-line reason when it is
hostile, too large or holds no table. All names and IDs here are synthetic."""

from __future__ import annotations

import json
import time
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from conftest import ID_B, ID_C
from handcraft_stats.cli import app
from handcraft_stats.errors import RefusedFile
from handcraft_stats.read import Limits, read_file
from handcraft_stats.read.markup import read_markup
from handcraft_stats.reasons import localised

# valid check characters, the 17th digit even; two end in X
ID1, ID2, ID3 = "320322198506150029", "32032119820315048X", "320324199203080040"
ID4, ID5, ID6 = "320321197801010060", "32032419901120028X", "320382198811110089"


def _refusal(name: str, data: bytes, limits: Limits | None = None) -> str:
    with pytest.raises(RefusedFile) as caught:
        read_file(Path(name), data, *([limits] if limits else []))
    reason = str(caught.value)
    assert "\n" not in reason and "Traceback" not in reason
    return reason


# --- an HTML export in GBK -------------------------------------------------------------

PAGE = f"""<html><head>
<meta http-equiv="Content-Type" content="text/html; charset=gb2312">
<title>数据导出</title>
<style>td {{ mso-number-format:"\\@"; }}</style>
<script>var x = "<table><tr><td>not a cell</td></tr></table>";</script>
</head><body>
<table border="1">
<tr><td colspan="6" align="center"><b>妇女巧手脱贫花名册</b></td></tr>
<tr><td colspan="6">填报单位：县妇联&nbsp;&nbsp;填报日期：2017年12月</td></tr>
<tr><th rowspan="2">序号</th><th rowspan="2">姓&nbsp;名</th><th rowspan="2">身份证号码</th>
    <th rowspan="2">村(社区)</th><th colspan="2">收入情况(元)</th></tr>
<tr><th>帮扶前收入</th><th>当年收入(元)</th></tr>
<tr><td>1</td><td>张&nbsp;丽</td><td style="mso-number-format:'\\@'">{ID1}</td>
    <td rowspan="2">前村</td><td x:num="3500">3,500</td><td>5000</td></tr>
<tr><td>2</td><td>李 梅</td><td>{ID2}</td><td>&nbsp;</td><td>6000</td></tr>
<tr><td>3</td><td>
    王芳<br></td><td>{ID3}</td><td>后村</td><td>1000.00</td><td>2000</td></tr>
<tr><td colspan="4">合计：3人</td><td>4500</td><td>13000</td></tr>
</table>
</body></html>"""

PAGE_ROWS = [
    ["妇女巧手脱贫花名册", "", "", "", "", ""],
    ["填报单位：县妇联 填报日期：2017年12月", "", "", "", "", ""],
    ["序号", "姓 名", "身份证号码", "村(社区)", "收入情况(元)", ""],
    ["", "", "", "", "帮扶前收入", "当年收入(元)"],
    ["1", "张 丽", ID1, "前村", "3,500", "5000"],
    ["2", "李 梅", ID2, "", "", "6000"],
    ["3", "王芳", ID3, "后村", "1000.00", "2000"],
    ["合计：3人", "", "", "", "4500", "13000"],
]
PAGE_MERGED = (
    ((0, 0), (0, 5)), ((1, 0), (1, 5)),
    ((2, 0), (3, 0)), ((2, 1), (3, 1)), ((2, 2), (3, 2)), ((2, 3), (3, 3)), ((2, 4), (2, 5)),
    ((4, 3), (5, 3)),  # 前村 for both women
    ((7, 0), (7, 3)),
)  # fmt: skip


def test_a_gbk_web_page_is_read_as_its_table() -> None:
    data = PAGE.encode("gbk")
    [(name, rows, merged, formulas, hidden)] = read_markup(data, "html", Limits())
    assert name == "Sheet1" and not hidden and formulas == {}
    assert rows == PAGE_ROWS
    assert merged == PAGE_MERGED
    assert all(isinstance(c, str) for r in rows for c in r)  # IDs stay text
    # through read_file: the .xls is found to be a web page before calamine is tried
    [sheet] = read_file(Path("沛县2017.xls"), data)
    assert sheet.rows == PAGE_ROWS and sheet.merged == PAGE_MERGED
    assert sheet.row_number(4) == 5


def test_the_encoding_comes_from_the_bom_the_declaration_or_the_text() -> None:
    table = f"<table><tr><td>姓名</td><td>身份证号码</td></tr><tr><td>张丽</td><td>{ID2}</td></tr></table>"
    want = [["姓名", "身份证号码"], ["张丽", ID2]]
    pages = {
        "utf16-le": "\ufeff".encode("utf-16-le") + table.encode("utf-16-le"),
        "utf16-be": "\ufeff".encode("utf-16-be") + table.encode("utf-16-be"),
        "utf8-bom": b"\xef\xbb\xbf" + table.encode(),
        "gbk-bare": table.encode("gbk"),
        "gb18030-meta": b"<meta charset='GB18030'>" + table.encode("gb18030"),
        # a page that declares GB2312 but is UTF-8 (an export template copied along)
        "utf8-declared-gbk": b"<meta charset=gb2312>" + table.encode(),
        # a server that declares ISO-8859-1 in front of GBK bytes
        "gbk-declared-latin1": b'<meta http-equiv=Content-Type content="text/html; charset=iso-8859-1">'
        + table.encode("gbk"),
    }
    for label, data in pages.items():
        assert read_markup(data, "html")[0][1] == want, label
    bad = b"<html>\n<table>\n<tr><td>\xff\xfe\xff</td></tr></table>"
    reason = _refusal("a.xls", bad)
    assert reason == (
        "cannot decode the web-page or XML table (neither its declared encoding, UTF-8 nor "
        "GB18030): an unreadable byte on line 3"
    )
    assert localised(reason, "zh").endswith("第 3 行有无法识别的字节")
    lone = "\ufeff<table>\n<tr><td>".encode("utf-16-le") + b"\x00\xd8A\x00"
    assert _refusal("a.xls", lone) == (
        "cannot decode the web-page or XML table as UTF-16: an unreadable byte on line 2"
    )


def test_cells_are_read_as_a_browser_lays_them_out() -> None:
    page = (
        "<p>丰县  2017年\n花名册</p><div>单位：元</div>"
        "<TABLE><CAPTION>名 单</CAPTION>"
        "<TR><TD>a &amp; b &lt;c&gt; &#x5F20;&#20029;</TD><TD>  one\n\t two  </TD>"
        "<TD>line<br>break<BR/>again</TD><td><p>para</p><div>graph</div>tail</td></TR>"
        "<tr><td colspan=0 rowspan=x>x</td><td colspan='2' style='mso-ignore:colspan'>long "
        "note</td><td></td></tr>"  # colspan 0 is 1; mso-ignore: no merge, 2 columns
        "<tr><td>&nbsp;</td><td>\u3000全角</td><td>&nbsp;a&nbsp;</td></tr>"
        "</TABLE>"
    )
    [(_, rows, merged, _, _)] = read_markup(page.encode(), "html")
    assert rows == [
        ["丰县 2017年 花名册"],
        ["单位：元"],
        ["名 单"],
        ["a & b <c> 张丽", "one two", "line\nbreak\nagain", "para\ngraph\ntail"],
        ["x", "long note", "", ""],  # the cell after the two ignored columns is blank
        ["", "\u3000全角", "a", ""],
    ]
    assert merged == (((2, 0), (2, 3)),)  # the caption, merged across the table


def test_nested_and_several_tables_are_sheets_of_their_own() -> None:
    """A layout table holding the roster's gives its text above to it; a table in a
    roster's cell is a sheet of its own (its cell keeps only its own text)."""
    page = (
        "<h2>2017年花名册</h2><table width=100%><tr><td>"
        "<table><tr><td>姓名</td><td>备注</td></tr>"
        "<tr><td>张丽</td><td>见下表<table><tr><td>家庭成员</td></tr></table>完</td></tr>"
        "</table></td></tr></table>"
        "<table><tr><td>第二页</td></tr></table><table><tr><td></td></tr></table>"
    )
    sheets = read_markup(page.encode(), "html")
    assert [(n, r) for n, r, *_ in sheets] == [
        ("Sheet2", [["2017年花名册"], ["姓名", "备注"], ["张丽", "见下表\n完"]]),
        ("Sheet3", [["家庭成员"]]),
        ("Sheet4", [["第二页"]]),
    ]


def test_a_page_whose_table_starts_past_its_first_4_kib_is_a_page() -> None:
    """The first 4 KiB tell a page by <html>, <body> or <table>: a page that starts with
    a long style sheet, and only then <table>, looked like text (a CSV)."""
    page = (
        b"<style>"
        + b"td { border: 1px solid; }\n" * 300
        + b"</style><table><tr><td>a</td></tr></table>"
    )
    assert read_file(Path("a.xls"), page)[0].rows == [["a"]]


def test_a_single_file_web_page_is_read() -> None:
    """Excel's "single file web page" (.mht) saved as .xls: MIME, quoted-printable."""
    html = f"<html><table border=3D1><tr><td>=D0=D5=C3=FB</td><td>ID</td></tr><tr><td>x=\r\ny</td><td>{ID2}</td></tr></table></html>"
    data = (
        b'MIME-Version: 1.0\r\nContent-Type: multipart/related; boundary="b"\r\n\r\n'
        b'--b\r\nContent-Type: text/html; charset="gb2312"\r\n'
        b"Content-Transfer-Encoding: quoted-printable\r\n\r\n" + html.encode() + b"\r\n--b--\r\n"
    )
    [sheet] = read_file(Path("a.xls"), data)
    assert sheet.rows == [["姓名", "ID"], ["xy", ID2]]


# --- an Excel 2003 XML spreadsheet ---------------------------------------------------

XML = f"""<?xml version="1.0" encoding="UTF-8"?>
<?mso-application progid="Excel.Sheet"?>
<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet"
 xmlns:o="urn:schemas-microsoft-com:office:office"
 xmlns:x="urn:schemas-microsoft-com:office:excel"
 xmlns:ss="urn:schemas-microsoft-com:office:spreadsheet"
 xmlns:html="http://www.w3.org/TR/REC-html40">
 <DocumentProperties xmlns="urn:schemas-microsoft-com:office:office"><Author>x</Author></DocumentProperties>
 <Worksheet ss:Name="花名册">
  <Table ss:ExpandedColumnCount="6" ss:ExpandedRowCount="8">
   <Column ss:Width="60"/>
   <Row><Cell ss:MergeAcross="5"><Data ss:Type="String">妇女巧手脱贫花名册</Data></Cell></Row>
   <Row ss:Index="3">
    <Cell><Data ss:Type="String">序号</Data></Cell><Cell><Data ss:Type="String">姓名</Data></Cell>
    <Cell><Data ss:Type="String">身份证号码</Data></Cell><Cell><Data ss:Type="String">培训次数</Data></Cell>
    <Cell><Data ss:Type="String">当年收入(元)</Data></Cell><Cell><Data ss:Type="String">回访日期</Data></Cell>
   </Row>
   <Row>
    <Cell><Data ss:Type="Number">1</Data></Cell><Cell><Data ss:Type="String">赵敏</Data></Cell>
    <Cell><Data ss:Type="String">{ID4}</Data></Cell><Cell><Data ss:Type="Number">2</Data></Cell>
    <Cell ss:Formula="=RC[-1]*1750"><Data ss:Type="Number">3500</Data></Cell>
    <Cell><Data ss:Type="DateTime">2017-05-03T00:00:00.000</Data></Cell>
   </Row>
   <Row>
    <Cell><Data ss:Type="Number">2</Data></Cell><Cell><ss:Data ss:Type="String"
     xmlns="http://www.w3.org/TR/REC-html40"><B>钱</B><Font>红</Font></ss:Data></Cell>
    <Cell><Data ss:Type="String">{ID5}</Data><Comment><ss:Data>not the cell</ss:Data></Comment></Cell>
    <Cell ss:Index="5"><Data ss:Type="Number">4200.5</Data></Cell>
   </Row>
   <Row ss:Index="7">
    <Cell><Data ss:Type="Number">3</Data></Cell><Cell><Data ss:Type="String">孙丽</Data></Cell>
    <Cell><Data ss:Type="String">{ID_C}</Data></Cell><Cell ss:Formula="=R1C1"/>
    <Cell><Data ss:Type="Error">#N/A</Data></Cell>
   </Row>
  </Table>
  <WorksheetOptions xmlns="urn:schemas-microsoft-com:office:excel"><Selected/></WorksheetOptions>
 </Worksheet>
 <Worksheet ss:Name="旧表">
  <Table><Row><Cell><Data ss:Type="String">x</Data></Cell></Row></Table>
  <WorksheetOptions xmlns="urn:schemas-microsoft-com:office:excel">
   <Visible>SheetHidden</Visible></WorksheetOptions>
 </Worksheet>
</Workbook>"""


def test_an_xml_spreadsheet_is_read_as_excel_reads_it() -> None:
    import datetime

    [roster, old] = read_markup(XML.encode(), "xml", Limits())
    name, rows, merged, formulas, hidden = roster
    assert (name, hidden) == ("花名册", False)
    assert rows == [
        ["妇女巧手脱贫花名册", "", "", "", "", ""],
        [],  # row 2 skipped by ss:Index: blank
        ["序号", "姓名", "身份证号码", "培训次数", "当年收入(元)", "回访日期"],
        [1.0, "赵敏", ID4, 2.0, 3500.0, datetime.date(2017, 5, 3)],
        [2.0, "钱红", ID5, "", 4200.5, ""],  # ss:Index="5" left 培训次数 blank
        [],
        [3.0, "孙丽", ID_C, "", "", ""],
    ]
    assert merged == (((0, 0), (0, 5)),)
    # a formula without its value, and an error value, as an xlsx's are reported
    assert formulas == {(6, 3): "=R1C1", (6, 4): "#N/A"}
    assert old[0] == "旧表" and old[4] is True  # hidden: refused as a hidden roster would be
    # without its <?xml?> line it still is an XML spreadsheet (its <Table> looks HTML)
    body = XML.split("?>", 2)[2].encode()
    assert read_file(Path("a.xls"), body)[0].rows == rows


def test_an_xml_entity_declaration_is_refused_before_it_expands() -> None:
    entities = [f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 12)]
    laughs = "".join(entities).replace("&lol0;", "lol")
    bomb = (
        '<?xml version="1.0"?>\n<!DOCTYPE Workbook [' + laughs + "]>\n"
        '<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet" '
        'xmlns:ss="urn:schemas-microsoft-com:office:spreadsheet"><Worksheet ss:Name="S">'
        "<Table><Row><Cell><Data ss:Type='String'>&lol11;</Data></Cell></Row></Table>"
        "</Worksheet></Workbook>"
    ).encode()
    started = time.monotonic()
    reason = _refusal("丰县2017.xls", bomb)
    assert time.monotonic() - started < 2
    assert reason == (
        "the XML spreadsheet declares a DOCTYPE or ENTITY (XML entity expansion is not allowed)"
    )
    assert localised(reason, "zh") == "XML 表格声明了 DOCTYPE 或 ENTITY（不允许 XML 实体展开）"
    # an external DTD is refused the same way; a damaged file names expat's finding
    external = bomb.replace(b"[" + laughs.encode() + b"]", b'SYSTEM "file:///etc/passwd"')
    assert _refusal("a.xls", external.replace(b"&lol11;", b"x")) == reason
    cut = XML.encode()[: len(XML.encode()) // 2]
    assert _refusal("a.xls", cut).startswith(
        "cannot read the XML spreadsheet (damaged or truncated): "
    )


# --- limits and refusals ------------------------------------------------------------


def _big_page(rows: int, cols: int) -> bytes:
    cells = "".join(f"<td>{j}</td>" for j in range(cols))
    return ("<table>" + f"<tr>{cells}</tr>" * rows + "</table>").encode()


def test_a_table_past_the_limits_is_refused() -> None:
    assert _refusal("a.xls", _big_page(30, 5), Limits(max_cells=100)) == (
        "sheet 'Sheet1' spans 21 rows x 5 columns (over 100 cells): not a roster"
    )
    assert _refusal("a.xls", _big_page(2, 5), Limits(max_columns=3)) == (
        "sheet 'Sheet1' has data in 5 columns (limit 3): not a roster"
    )
    # tables small one by one, too many cells together
    two = _big_page(8, 5) + _big_page(8, 5)
    assert _refusal("a.xls", two, Limits(max_cells=60)) == (
        "the tables of the web page or XML spreadsheet hold more than 60 cells together: "
        "not a roster"
    )
    assert _refusal("a.xls", _big_page(100, 5), Limits(max_uncompressed=1000)).startswith(
        "a web-page or XML table of 0 MB (limit 0 MB)"
    )
    # a span of a million columns, a row index far down: refused before any is made
    wide = b"<table><tr>" + b"<td colspan=1000>x</td>" * 20_000 + b"</tr></table>"
    assert "spans 1 rows x 10,001,000 columns" in _refusal("a.xls", wide)
    far = XML.replace('<Row ss:Index="7">', '<Row ss:Index="99999999">').encode()
    assert _refusal("a.xls", far) == (
        "sheet '花名册' spans 99,999,999 rows x 6 columns (over 10,000,000 cells): not a roster"
    )
    assert "more than 1,000 tables" in _refusal("a.xls", b"<table>" * 1001)


def test_hostile_markup_is_read_in_time_linear_in_its_size() -> None:
    """html.parser rescans an unclosed tag at every "<": 2 MB of "<a" ran for minutes."""
    for junk in (b"<a" * 400_000, b"</" * 400_000, b"<td " * 200_000, b"<!" + b"x" * 800_000):
        started = time.monotonic()
        reason = _refusal("a.xls", b"<html>" + junk)
        assert time.monotonic() - started < 5
        assert reason == (
            "the web page (HTML saved under a spreadsheet's name) holds no table: not a roster"
        )


def test_a_page_without_a_table_is_refused_saying_so() -> None:
    page = "<html><head><title>花名册</title></head><body><p>暂无数据</p></body></html>"
    reason = _refusal("沛县2017.xls", page.encode())
    assert reason == (
        "the web page (HTML saved under a spreadsheet's name) holds no table: not a roster"
    )
    assert localised(reason, "zh") == "网页中没有表格（另存为电子表格的 HTML）：不是花名册"
    # a table with nothing in it is none either
    assert _refusal("a.xls", b"<table><tr><td>&nbsp;</td></tr></table>") == reason


# --- end to end ----------------------------------------------------------------------

XML_UTF16_PAGE = (
    "<html><body><table><tr><th>序号</th><th>姓名</th><th>身份证号码</th></tr>"
    f"<tr><td>1</td><td>周琳</td><td>{ID6}</td></tr></table></body></html>"
)


def test_hcs_ingest_reads_web_exports_like_any_roster(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "沛县2017年妇女巧手脱贫花名册.xls").write_bytes(PAGE.encode("gbk"))
    (folder / "丰县2017年花名册.xls").write_bytes(XML.encode())
    (folder / "睢宁县2017年花名册.xls").write_bytes(
        "\ufeff".encode("utf-16-le") + XML_UTF16_PAGE.encode("utf-16-le")
    )
    text = "\r\n".join(["序号\t姓名\t身份证号码", f"1\t吴霞\t{ID_B}"])
    (folder / "新沂市2017年花名册.xls").write_bytes(text.encode("gbk"))  # tab-separated
    db = tmp_path / "t.duckdb"
    res = CliRunner().invoke(app, ["ingest", str(folder), "--db", str(db), "--format", "json"])
    assert res.exit_code == 0, res.stderr
    doc = json.loads(res.stdout)
    status = {
        d["name"]: (d["status"], d["county"], d["period"], d["records"]) for d in doc["detail"]
    }
    assert status == {
        "沛县2017年妇女巧手脱贫花名册.xls": ("ingested", "沛县", 2017, 3),
        "丰县2017年花名册.xls": ("ingested", "丰县", 2017, 3),
        "睢宁县2017年花名册.xls": ("ingested", "睢宁县", 2017, 1),
        "新沂市2017年花名册.xls": ("ingested", "新沂市", 2017, 1),
    }
    assert "Traceback" not in res.stderr
    # 丰县's formula cell without a value and its #N/A, as an xlsx's are reported
    [fengxian] = [d for d in doc["detail"] if d["county"] == "丰县"]
    assert fengxian["issues_by_code"] == {"error_value": 1, "formula_no_value": 1}
    con = duckdb.connect(str(db), read_only=True)
    got = con.execute(
        "SELECT county, period, source_sheet, source_row, name, id_number, id_status, village, "
        "income_before, income_after, trainings FROM records ORDER BY county, source_row"
    ).fetchall()
    con.close()
    rows = [(*r[:8], r[8] and float(r[8]), r[9] and float(r[9]), r[10]) for r in got]
    assert rows == [
        ("丰县", 2017, "花名册", 4, "赵敏", ID4, "valid", None, None, 3500.0, 2),
        ("丰县", 2017, "花名册", 5, "钱红", ID5, "valid", None, None, 4200.5, None),
        ("丰县", 2017, "花名册", 7, "孙丽", ID_C, "valid", None, None, None, None),
        ("新沂市", 2017, "", 2, "吴霞", ID_B, "valid", None, None, None, None),
        ("沛县", 2017, "Sheet1", 5, "张丽", ID1, "valid", "前村", 3500.0, 5000.0, None),
        ("沛县", 2017, "Sheet1", 6, "李梅", ID2, "valid", "前村", None, 6000.0, None),
        ("沛县", 2017, "Sheet1", 7, "王芳", ID3, "valid", "后村", 1000.0, 2000.0, None),
        ("睢宁县", 2017, "Sheet1", 2, "周琳", ID6, "valid", None, None, None, None),
    ]
    assert all(len(r[5]) == 18 for r in rows)
    assert {r[5] for r in rows if r[5].endswith("X")} == {ID2, ID5, ID_C}
