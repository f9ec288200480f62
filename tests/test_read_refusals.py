"""Files that cannot be read are refused with a reason a county clerk can act on: what the
file really is when it is no workbook under a workbook's name (a PDF, a Word document;
a web system's "Excel" export, an HTML or XML table named .xls, is read since session
19), and where the first unreadable byte of a text roster is (its line and column,
never what the cell holds). All bytes here are synthetic."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest
import xlwt
from typer.testing import CliRunner

from conftest import ID_A, ID_B, ID_C
from handcraft_stats.cli import app
from handcraft_stats.errors import RefusedFile
from handcraft_stats.read import read_file
from handcraft_stats.reasons import localised

NAMES = ["甲一", "乙二", "丙三"]  # placeholder names, no one's
IDS = [ID_A, ID_B, ID_C]


def _refusal(name: str, data: bytes) -> str:
    with pytest.raises(RefusedFile) as caught:
        read_file(Path(name), data)
    reason = str(caught.value)
    assert "\n" not in reason
    return reason


def _html(charset: str | None = "utf-8", encoding: str = "utf-8") -> bytes:
    """A web system's export: an HTML table, the ID cells marked as text for Excel."""
    meta = f"<meta http-equiv='Content-Type' content='text/html; charset={charset}'>"
    rows = "".join(
        f"<tr><td>{k + 1}</td><td>{n}</td><td style=\"mso-number-format:'@'\">{i}</td></tr>"
        for k, (n, i) in enumerate(zip(NAMES, IDS, strict=True))
    )
    page = (
        f"<html><head>{meta if charset else ''}<style>td {{border: 1px}}</style></head>"
        f"<body><table><tr><th>序号</th><th>姓名</th><th>身份证号码</th></tr>{rows}</table>"
        "</body></html>"
    )
    return page.encode(encoding)


@pytest.mark.parametrize(
    "data",
    [
        _html(),
        _html("gb2312", "gbk"),
        _html(None, "gbk"),
        b"\xef\xbb\xbf" + _html(),
        b"\r\n\r\n" + _html().upper(),  # old systems write tags in capitals
        b"<!DOCTYPE html PUBLIC '-//W3C//DTD HTML 4.0//EN'>\n" + _html(),
        "\ufeff".encode("utf-16-le") + _html().decode().encode("utf-16-le"),
        # Excel's "single file web page" (.mht) saved under .xls
        b'MIME-Version: 1.0\r\nContent-Type: multipart/related; boundary="b"\r\n\r\n'
        b'--b\r\nContent-Type: text/html; charset="utf-8"\r\n\r\n' + _html() + b"\r\n--b--\r\n",
    ],
    ids=["utf8", "gbk-meta", "gbk-bare", "bom", "capitals", "doctype", "utf16", "mhtml"],
)
def test_a_web_page_saved_as_xls_is_read_as_its_table(data: bytes) -> None:
    """Refused until session 19 ("open it in Excel or WPS, save it as .xlsx"): now read
    (read/markup.py; tests/test_markup_read.py has the details)."""
    [sheet] = read_file(Path("沛县2017.xls"), data)
    assert sheet.rows == [
        ["序号", "姓名", "身份证号码"],
        *([str(k + 1), n, i] for k, (n, i) in enumerate(zip(NAMES, IDS, strict=True))),
    ]


def test_web_system_exports_under_a_spreadsheets_name_are_read() -> None:
    """A text file (CSV, tab-separated) and Excel 2003's XML spreadsheet under .xls are
    read (they were refused as "a table in text/XML format" until session 19); under
    .xlsx, .xlsm or .ods the XML one too (refused as "not a zip archive" until session
    21, as Excel refuses them: the table in them is the same); text is still "text"."""
    tsv = "\r\n".join("\t".join(r) for r in [["姓名", "身份证号码"], ["甲一", ID_A]])
    assert read_file(Path("沛县2017.xls"), tsv.encode("gbk"))[0].rows == [
        ["姓名", "身份证号码"], ["甲一", ID_A],
    ]  # fmt: skip
    xml = (
        '<?xml version="1.0"?>\n<?mso-application progid="Excel.Sheet"?>\n'
        '<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet" '
        'xmlns:ss="urn:schemas-microsoft-com:office:spreadsheet" '
        'xmlns:html="http://www.w3.org/TR/REC-html40"><Worksheet ss:Name="花名册"><Table>'
        f'<Row><Cell><Data ss:Type="String">{ID_A}</Data></Cell></Row>'
        "</Table></Worksheet></Workbook>"
    )
    [sheet] = read_file(Path("沛县2017.xls"), xml.encode())
    assert (sheet.name, sheet.rows) == ("花名册", [[ID_A]])
    for suffix in (".xlsx", ".xlsm", ".ods"):
        [sheet] = read_file(Path(f"沛县2017{suffix}"), xml.encode())
        assert (sheet.name, sheet.rows) == ("花名册", [[ID_A]])
        assert _refusal(f"沛县2017{suffix}", tsv.encode("gbk")) == (  # a .csv renamed
            f"cannot open as {suffix} workbook: the file is text, not a zip archive"
        )
    # a web page without a table (a download's error page saved under the name) and a PDF
    # stay refused, naming what they are
    page = b"<html><body><p>404 Not Found</p></body></html>"
    assert "no table" in _refusal("沛县2017.xlsx", page)
    assert _refusal("沛县2017.xlsx", b"%PDF-1.4 <html>") == (
        "cannot open as .xlsx workbook: the file is a PDF document, not a zip archive"
    )


def _zip(members: dict[str, str], stored_first: str | None = None) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        if stored_first is not None:
            zf.writestr("mimetype", stored_first, compress_type=zipfile.ZIP_STORED)
        for name, text in members.items():
            zf.writestr(name, text)
    return buf.getvalue()


DOCX = _zip({"[Content_Types].xml": "<Types/>", "word/document.xml": "<w:document/>"})
PPTX = _zip({"[Content_Types].xml": "<Types/>", "ppt/presentation.xml": "<p:presentation/>"})
ODT = _zip({"content.xml": "<office:document-content/>"}, "application/vnd.oasis.opendocument.text")
ZIP = _zip({"花名册.csv": "姓名,身份证号码\n"})


def _xls() -> bytes:
    wb = xlwt.Workbook(encoding="utf-8")
    ws = wb.add_sheet("花名册")
    for j, text in enumerate(["姓名", "身份证号码"]):
        ws.write(0, j, text)
    ws.write(1, 0, NAMES[0])
    ws.write(1, 1, ID_A)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _doc() -> bytes:
    """An OLE2 file whose one stream is "WordDocument" (a Word .doc renamed .xls): an
    .xls whose directory entry is renamed."""
    data = bytearray(_xls())
    at = data.index("Workbook\0".encode("utf-16-le"))
    name = "WordDocument\0".encode("utf-16-le")
    data[at : at + len(name)] = name
    data[at + 64 : at + 66] = len(name).to_bytes(2, "little")
    return bytes(data)


@pytest.mark.parametrize(
    ("name", "data", "kind"),
    [
        ("a.xls", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n", "a PDF document"),
        ("a.xls", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), "binary data"),
        ("a.xls", DOCX, "a word-processing document (such as Word's)"),
        ("a.xls", _doc(), "a word-processing document (such as Word's)"),
        ("a.xls", PPTX, "a presentation (such as PowerPoint's)"),
        ("a.xls", ZIP, "a zip archive"),
        ("a.xlsx", DOCX, "a word-processing document (such as Word's)"),
        ("a.xlsx", ZIP, "a zip archive"),
        ("a.xlsm", PPTX, "a presentation (such as PowerPoint's)"),
        ("a.ods", ODT, "a word-processing document (such as Word's)"),
        ("a.ods", ZIP, "a zip archive"),
    ],
    ids=["pdf", "png", "docx", "doc", "pptx", "zip", "docx-xlsx", "zip-xlsx", "pptx-xlsm",
         "odt-ods", "zip-ods"],
)  # fmt: skip
def test_other_files_under_a_workbook_name_are_named(name: str, data: bytes, kind: str) -> None:
    suffix = Path(name).suffix
    reason = _refusal(name, data)
    assert reason == f"cannot open as {suffix} workbook: the file is {kind}, not a workbook"
    zh = localised(reason, "zh")
    assert zh.startswith(f"无法作为 {suffix} 工作簿打开：该文件实际是 ") and zh.endswith(
        "，不是工作簿"
    )
    assert not zh.isascii()


def test_a_workbook_under_another_workbook_name_is_still_read_and_named_as_sent() -> None:
    """The refusals above come only after calamine could not open the file: an xls named
    .xlsx and an xlsx named .xls are read, an empty file is "empty", a real workbook
    calamine cannot read keeps calamine's words, and a zip named .xls is refused under
    the name it was sent with (was "cannot open as .xlsx workbook")."""
    assert read_file(Path("a.xlsx"), _xls())[0].rows[1] == [NAMES[0], ID_A]
    assert _refusal("a.xls", b"") == "empty file (0 bytes)"
    cut = DOCX[: len(DOCX) // 2]
    assert _refusal("a.xls", cut).startswith("cannot open as .xls workbook: damaged or truncated")
    broken = _zip({"[Content_Types].xml": "<Types/>", "xl/workbook.xml": "<nothing"})
    assert _refusal("a.xls", broken).startswith("cannot open as .xls workbook: ")
    assert "not a workbook" not in _refusal("a.xls", broken)


# --- text rosters: where the first unreadable byte is -----------------------------


def _rows(encoding: str, newline: str = "\r\n", sep: str = ",") -> list[bytes]:
    lines = [
        "丰县2017年妇女巧手脱贫花名册",
        sep.join(["序号", "姓名", "身份证号码", "村(社区)"]),
        *(sep.join([str(k + 1), n, i, "前村"]) for k, (n, i) in enumerate(zip(NAMES, IDS, strict=True))),
    ]  # fmt: skip
    return [(line + newline).encode(encoding) for line in lines]


def _cut(rows: list[bytes], line: int, name: str, encoding: str) -> bytes:
    """The file with `name` on `line` (1-based) cut after its first character and one
    byte of the second: a name an export cut mid-character."""
    whole = name.encode(encoding)
    half = whole[: len(name[0].encode(encoding)) + 1]
    rows = list(rows)
    rows[line - 1] = rows[line - 1].replace(whole, half)
    return b"".join(rows)


@pytest.mark.parametrize("newline", ["\r\n", "\n", "\r"])
def test_a_gbk_csv_with_a_name_cut_mid_character_says_line_and_column(newline: str) -> None:
    data = _cut(_rows("gbk", newline), 4, NAMES[1], "gbk")
    reason = _refusal("丰县2017.csv", data)
    assert reason == (
        "cannot decode text (neither UTF-8 nor GB18030): an unreadable byte on line 4, column 2"
    )
    assert localised(reason, "zh") == (
        "无法解码文本（既不是 UTF-8 也不是 GB18030）：第 4 行第 2 列有无法识别的字节"
    )
    assert not any(n[0] in reason for n in NAMES)  # no cell text, in either language


def test_the_column_counts_cells_by_the_files_separator_and_quotes() -> None:
    """Tab-separated, and a quoted cell holding the separator before the bad byte; a
    UTF-8 file's stray byte is found where UTF-8 stops (GB18030 stops sooner)."""
    rows = _rows("utf-8", "\n", "\t")
    rows[2] = f'1\t"技能培训\t小额贷款"\t{ID_A}\t前村\n'.encode()
    rows.insert(4, "2\t乙二\t".encode() + b"\xff" + b"\t\n")
    reason = _refusal("丰县2017.txt", b"".join(rows))
    assert reason.endswith("an unreadable byte on line 5, column 3")
    comma = _rows("utf-8", "\n")
    comma[3] = f'2,"小额贷款,技能培训",{ID_B},'.encode() + b"\x80\n"
    assert _refusal("丰县2017.csv", b"".join(comma)).endswith("line 4, column 4")


@pytest.mark.parametrize("name", ["乙", "乙二", "欧阳乙二"])
def test_rows_pasted_into_a_gbk_file_from_a_utf8_one_are_read_as_written(name: str) -> None:
    """Rows pasted in from a UTF-8 file: each line is read in its own encoding. Until
    session 21 the file was refused where GB18030 could not read a UTF-8 line (a name of
    one character: three bytes, where GB18030 reads pairs), and, worse, read without a
    word when it could (乙二, six bytes: three GB18030 characters of nonsense), her name
    and village garbled."""
    gbk = _rows("gbk")
    utf8 = f"2,{name},{ID_B},后村\r\n".encode()
    data = b"".join([*gbk[:3], utf8, *gbk[4:], f"4,丁四,{ID_A},东村\r\n".encode()])
    sheet = read_file(Path("丰县2017.csv"), data)[0]
    assert [r[1:4:2] for r in sheet.rows[2:]] == [
        [NAMES[0], "前村"], [name, "后村"], [NAMES[2], "前村"], ["丁四", "东村"]
    ]  # fmt: skip
    assert sheet.rows[0] == ["丰县2017年妇女巧手脱贫花名册"]


def test_a_gbk_file_whose_pasted_line_is_neither_says_where() -> None:
    """A UTF-8 line pasted in, and a GBK name cut mid-character further on: the cut line
    is neither encoding, and the file is refused there, as a GBK file is."""
    gbk = _rows("gbk")
    utf8 = f"2,乙,{ID_B},前村\r\n".encode()
    data = _cut([*gbk[:3], utf8, *gbk[4:]], 5, NAMES[2], "gbk")
    assert _refusal("丰县2017.csv", data).endswith("an unreadable byte on line 5, column 2")


def test_a_utf16_csv_with_a_broken_character_says_line_and_column() -> None:
    text = "".join(r.decode() for r in _rows("utf-8", "\n", "\t"))
    data = bytearray("\ufeff".encode("utf-16-le") + text.encode("utf-16-le"))
    at = data.index(NAMES[2].encode("utf-16-le"))
    data[at : at + 2] = "\ud800".encode("utf-16-le", "surrogatepass")  # a lone surrogate
    reason = _refusal("丰县2017.txt", bytes(data))
    assert reason == "cannot decode text as UTF-16: an unreadable byte on line 5, column 2"
    assert localised(reason, "zh") == "无法按 UTF-16 解码文本：第 5 行第 2 列有无法识别的字节"


def test_hcs_check_shows_both_refusals_in_the_clerks_language(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "沛县2017.xls").write_bytes(b"<html><body><p>\xd4\xdd\xce\xde</p></body></html>")
    (folder / "丰县2017.csv").write_bytes(_cut(_rows("gbk"), 4, NAMES[1], "gbk"))
    runner = CliRunner()
    md = runner.invoke(app, ["check", str(folder), "--format", "md"])
    assert md.exit_code == 1
    assert "沛县2017.xls | 网页中没有表格（另存为电子表格的 HTML）：不是花名册 |" in md.stdout
    assert (
        "丰县2017.csv | 无法解码文本（既不是 UTF-8 也不是 GB18030）：第 4 行第 2 列有无法识别的字节 |"
        in md.stdout
    )
    doc = json.loads(runner.invoke(app, ["check", str(folder), "--format", "json"]).stdout)
    reasons = {Path(r["file"]).name: r["reason"] for r in doc["refused"]}
    assert reasons["丰县2017.csv"].endswith("line 4, column 2")
    assert reasons["沛县2017.xls"].startswith("the web page (HTML saved under a spreadsheet's")


def test_a_refused_files_export_time_stays_on_stderr_its_id_does_not(tmp_path: Path) -> None:
    """stderr masked every run of 11+ digits, so a roster named by its export time
    (丰县花名册_20180105093015.xlsx) read 丰县花名册_201*********15.xlsx, and two exports
    of it could not be told apart; a file's name is masked by the fix list's rule
    (IDs and mobiles only), the reason by the general one (session 20)."""
    (tmp_path / "丰县花名册_20180105093015.xlsx").write_text("garbage", "utf-8")
    (tmp_path / "丰县2017年320321198808080621.xlsx").write_text("garbage", "utf-8")
    res = CliRunner().invoke(app, ["check", str(tmp_path), "--format", "csv"])
    assert res.exit_code == 1
    assert "refused " + str(tmp_path / "丰县花名册_20180105093015.xlsx") + ": " in res.stderr
    assert "丰县2017年320321********0621.xlsx: " in res.stderr
    assert "320321198808080621" not in res.output + res.stderr


def test_a_big5_roster_is_read_as_big5() -> None:
    """Saved on a traditional-Chinese Windows: GB18030 decodes Big5 bytes without an
    error, into nonsense, and the file was refused as "no header"; it is read as Big5
    (its head has a header word as Big5 and none as GB18030). A GBK file stays GBK."""
    from handcraft_stats.config import load_settings
    from handcraft_stats.normalize.vocab import Vocabulary
    from handcraft_stats.parse import parse_file

    text = (
        "豐縣2017年婦女巧手脫貧花名冊\r\n序號,姓名,身份證號碼,村(社區),從業產業\r\n"
        f"1,陳麗華,{ID_A},後村,手工\r\n2,黃美玲,{ID_B},東村,家政\r\n"
    )
    data = text.encode("big5")
    assert data.decode("gb18030")  # no error: only the header words tell
    records = parse_file(Path("丰县2017.csv"), data, load_settings(None), Vocabulary()).records
    assert list(records["name"]) == ["陈丽华", "黄美玲"]  # names are kept in simplified
    assert list(records["id_number"]) == [ID_A, ID_B]
    assert list(records["wing"]) == ["handicraft", "domestic_service"]
    taiwan = text.replace("身份證號碼", "身分證字號").encode("big5")  # Taiwan's word for it
    taiwanese = parse_file(Path("丰县2017.csv"), taiwan, load_settings(None), Vocabulary())
    assert list(taiwanese.records["id_number"]) == [ID_A, ID_B]
    simplified = f"序号,姓名,身份证号码,村(社区)\r\n1,陈丽华,{ID_A},后村\r\n"
    assert read_file(Path("丰县2017.csv"), simplified.encode("gbk"))[0].rows[1][1] == "陈丽华"


def _gbk_names_that_are_utf8(count: int, seed: int = 21) -> list[str]:
    """GBK names of three GB2312 characters whose six bytes are also two UTF-8 Chinese
    characters (濮翠丹 is 姴䵤): lead E4-E9 and A1-BF bytes in UTF-8's pattern."""
    import random

    rng = random.Random(seed)
    names: list[str] = []
    while len(names) < count:
        lead = lambda: rng.randrange(0xE4, 0xEA)  # noqa: E731
        cont = lambda: rng.randrange(0xA1, 0xC0)  # noqa: E731
        raw = bytes([lead(), cont(), cont(), lead(), cont(), cont()])
        try:
            name, _ = raw.decode("gb2312"), raw.decode("utf-8")
        except UnicodeDecodeError:
            continue
        if all("\u4e00" <= c <= "\u9fff" for c in name):  # three Chinese characters
            names.append(name)
    return names


@pytest.mark.parametrize("pasted", [False, True])
def test_gbk_names_that_are_valid_utf8_stay_gbk(pasted: bool) -> None:
    """The session's audit: a GBK roster of names and IDs only, 濮翠丹 and 宓翠春 among
    them, came out as 姴䵤 and 嵴䴺 (their bytes are valid UTF-8) once lines were read
    in their own encodings. 2,000 such names, with and without a UTF-8 row pasted in:
    each stays what GBK says."""
    names = ["濮翠丹", "宓翠春", *_gbk_names_that_are_utf8(2000)]
    lines = [b"\xd0\xf2\xba\xc5,\xd0\xd5\xc3\xfb,\xc9\xed\xb7\xdd\xd6\xa4\xba\xc5\xc2\xeb\r\n"]
    lines += [f"{i},{n},{ID_A}\r\n".encode("gbk") for i, n in enumerate(names, 1)]
    if pasted:
        lines.insert(5, f"0,欧阳“小”乙,{ID_B}\r\n".encode())
    rows = read_file(Path("丰县2017.csv"), b"".join(lines))[0].rows
    got = [r[1] for r in rows[1:]]
    assert got == ([*names[:4], "欧阳“小”乙", *names[4:]] if pasted else names)


@pytest.mark.parametrize("newline", ["\r\n", "\n", "\r"])
def test_a_pasted_block_with_its_bom_and_quotes_is_read(newline: str) -> None:
    """A UTF-8 block pasted with its byte-order mark, its note holding “” and —: read as
    UTF-8 (they were refused, naming a cell that was fine), whatever the line ends."""
    gbk = [line.replace(b"\r\n", newline.encode()) for line in _rows("gbk")]
    utf8 = f"\ufeff4,丁四,{ID_A},“巧手”培训—后村{newline}".encode()
    rows = read_file(Path("丰县2017.csv"), b"".join([*gbk, utf8]))[0].rows
    assert rows[-1] == ["4", "丁四", ID_A, "“巧手”培训—后村"]
    assert [r[1] for r in rows[2:5]] == NAMES


def test_a_utf8_header_over_big5_rows_is_refused_not_garbled() -> None:
    """A UTF-8 header over rows in Big5: the rows read as GBK would be rare characters
    throughout, so the file is no GBK file with a pasted line: refused where it cannot
    be read, as before (the first version read it into nonsense)."""
    header = "序号,姓名,身份证号码,村(社区)\r\n".encode()
    rows = [f"{i},{n},{ID_A},後村\r\n".encode("big5") for i, n in enumerate(["陳淑華", "黃美鳳"])]
    with pytest.raises(RefusedFile):
        read_file(Path("丰县2017.csv"), b"".join([header, *rows]))


def _xlsx_with_sheet(xml: bytes | None) -> bytes:
    """A roster workbook whose first sheet's XML is replaced by `xml` (None: left out)."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["姓名", "身份证号码"])
    for n, i in zip(NAMES, IDS, strict=True):
        ws.append([n, i])
    raw = io.BytesIO()
    wb.save(raw)
    src, out = zipfile.ZipFile(raw), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for member in src.namelist():
            if member != "xl/worksheets/sheet1.xml":
                z.writestr(member, src.read(member))
            elif xml is not None:
                z.writestr(member, xml(src.read(member)) if callable(xml) else xml)
    return out.getvalue()


@pytest.mark.parametrize(("cut", "says"), [
    (lambda x: x[: x.index(b"</row>") + 20], "the data of sheet 'Sheet' is incomplete or damaged"),
    (lambda x: x[: x.rindex(b"</row>") + 6], "the data of sheet 'Sheet' is incomplete or damaged"),
    (None, "it lists sheet 'Sheet' but holds no data for it"),
])  # fmt: skip
def test_a_workbook_damaged_inside_an_intact_zip_says_so(cut: object, says: str) -> None:
    """A sheet's XML cut short, or missing, in a zip that is whole: calamine's words were
    a bare tag or the sheet's name ("cannot read sheet 'Sheet1': t", found by an audit,
    session 23); the reason now says the workbook is damaged and what to do."""
    reason = _refusal("丰县2017年花名册.xlsx", _xlsx_with_sheet(cut))  # type: ignore[arg-type]
    assert reason.startswith("damaged workbook: ") and says in reason
    assert "send it again" in reason
