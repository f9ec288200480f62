"""Tables that web systems and Excel write under a spreadsheet's name: an HTML page (a web
system's "export to Excel", Excel's "save as web page", a single-file web page .mht)
and an Excel 2003 XML spreadsheet, read with the standard library only, into the sheets
`read_workbook` gives (workbook.py).

HTML: every <table> is a sheet, named by its place in the page ("Sheet1", "Sheet2", …:
the page's <title> is no sheet name, and a generic one gives the parser no town, county
or year that is not the roster's). A table inside a cell is a sheet of its own; the cell
keeps its own text only. Rows are <tr>s from row 1, after the page's text above the
table (a title in an <h2> or a <div>, at most `ABOVE` lines, one to a row) and its
<caption> (merged across the table, as a title row). <th> reads as <td>. A cell spanning
columns or rows (colspan, rowspan) is a merged range as calamine gives them,
((first row, first column), (last row, last column)) 0-based, the cells it covers blank
so that the columns line up. Every cell is text as the page shows it: entities decoded,
runs of white space one space, <br> and block elements line breaks, a cell of &nbsp;
blank; an ID stays the 18 characters written (the rest of hcs reads numbers and dates in
text). Excel's own attributes (x:num, mso-number-format) tell nothing the text does not.
The page is tokenised with one regular expression, linear in the page's length
(html.parser rescans an unclosed tag at each "<": 2 MB of "<a" ran for minutes).

XML spreadsheet: one sheet per <Worksheet ss:Name>, hidden when its options say so,
cells placed by ss:Index (rows and cells), merged ranges from ss:MergeAcross and
ss:MergeDown, values typed as Excel reads them (ss:Type Number a float, DateTime a
date or a datetime, Boolean a bool, String text as written), and the formula cells
without a value (ss:Formula with no <Data>) and error values given as formulas.py gives
an xlsx's. Parsed by expat, which stops at a DOCTYPE (no entity is ever declared, so
none can expand) and never loads anything from outside.

Encoding: a byte-order mark (UTF-8, UTF-16), else UTF-8, else the encoding the page or
the XML declaration names (<meta charset>, http-equiv Content-Type, encoding=; GB2312
and GBK read as GB18030), else GB18030; none reads it: refused naming the line.
Limits (read/limits.py `Limits`): the file's size (`max_uncompressed`), each table's
rows x columns (`max_cells`, as calamine's used range; every table's together too) and
columns holding data (`max_columns`); at most `MAX_TABLES` tables in a page and
`MAX_RANGES` merged ranges. Every refusal is a RefusedFile with a one-line reason.
"""

from __future__ import annotations

import codecs
import re
from datetime import date, datetime, time
from html import unescape
from math import isfinite
from typing import Any, NoReturn
from xml.parsers import expat

from ..errors import RefusedFile
from ..reasons import reason
from .formulas import ERROR_MARK, Cells
from .limits import DEFAULT_LIMITS, MB, Limits
from .workbook import BLANK, Merged, _filled, _trimmed

Range = tuple[tuple[int, int], tuple[int, int]]
Sheet = tuple[str, list[list[object]], Merged, Cells, bool]

MAX_TABLES = 1_000  # <table>s in one page: a roster page has one, or one per page printed
MAX_RANGES = 100_000  # merged ranges in one file (odsmerges.py keeps as many)
ABOVE = 10  # lines of the page's text above a table kept as its first rows
COLSPAN, ROWSPAN = 1_000, 65_534  # as browsers clamp them
_SS = "urn:schemas-microsoft-com:office:spreadsheet"
_EXCEL = "urn:schemas-microsoft-com:office:excel"


def read_markup(data: bytes, kind: str, limits: Limits = DEFAULT_LIMITS) -> list[Sheet]:
    """The sheets of an HTML page (`kind` "html") or an Excel 2003 XML spreadsheet
    ("xml"), in `read_workbook`'s shape: (name, rows from row 1, merged ranges, formula
    cells read as blank, hidden). `kind` is what read/limits.py `exported` said."""
    if len(data) > limits.max_uncompressed:
        raise RefusedFile(reason(
            "markup_too_big", size=f"{len(data) / MB:,.0f}",
            limit=f"{limits.max_uncompressed / MB:,.0f}",
        ))  # fmt: skip
    if kind == "html" and _is_spreadsheet_xml(data):
        kind = "xml"  # an XML spreadsheet without its <?xml?> line: its <Table> looked HTML
    if kind == "xml":
        return _read_xml(data, limits)
    if _MHTML.match(data[:4096].lstrip()):
        pages = _mhtml_pages(data)
    else:
        pages = [(data, _declared(data[:8192]))]
    page = _Page(limits)
    for body, declared in pages:
        page.feed(_decoded(body, declared))
    sheets = page.sheets()
    if not sheets:
        raise RefusedFile(reason("markup_no_table"))
    return sheets


# --- encoding ------------------------------------------------------------------------

_META = re.compile(rb"""<meta[^>]*?charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
_XML_DECL = re.compile(rb"""\A\s*<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9_.:-]+)""", re.I)
_GB = {"gb2312", "gbk", "gb18030", "x-gbk", "gb_2312-80", "cp936", "ms936", "windows-936"}


def _declared(head: bytes) -> str | None:
    """The encoding the head of the page or XML names, as a Python codec (GB2312 and
    GBK as GB18030); None when it names none, or none Python knows."""
    found = _XML_DECL.search(head) or _META.search(head)
    return None if found is None else _codec(found.group(1).decode("ascii", "replace"))


def _codec(label: str) -> str | None:
    """A charset's name as a Python codec (GB2312 and GBK as GB18030); None for one
    Python does not know, or UTF-16 named in ASCII bytes (which it is not)."""
    label = label.strip().lower()
    if label in _GB:
        return "gb18030"
    try:
        name = codecs.lookup(label).name
    except LookupError:
        return None
    if name in _GB or name == "gb2312":
        return "gb18030"
    if name.startswith(("utf-16", "utf-32")):
        return None  # named in ASCII bytes: it is not what the bytes are
    return name


def _single_byte(codec: str) -> bool:
    """A Western single-byte encoding, which reads any bytes (a Chinese page declared
    ISO-8859-1 by its server would be read as nonsense): tried after GB18030."""
    return codec in ("ascii", "latin-1") or codec.startswith(("iso8859", "cp125", "mac", "koi8"))


def _decoded(data: bytes, declared: str | None) -> str:
    """The text of a page or an XML spreadsheet: BOM, else UTF-8, the declared encoding,
    GB18030 in turn (a page valid as UTF-8 is UTF-8 whatever it declares: GBK text
    almost never is). Refused naming the line of the first byte none can read (the
    encoding that read furthest)."""
    if data.startswith(b"\xef\xbb\xbf"):
        tries = ["utf-8-sig"]
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        tries = ["utf-16"]
    else:
        tries = ["utf-8"]
        if declared and declared != "utf-8" and not _single_byte(declared):
            tries.append(declared)
        if "gb18030" not in tries:
            tries.append("gb18030")
        if declared and _single_byte(declared):
            tries.append(declared)
    failed = (-1, "utf-8")
    for codec in tries:
        try:
            return data.decode(codec)
        except UnicodeDecodeError as exc:
            failed = max(failed, (exc.start, codec))
        except LookupError:  # pragma: no cover - codecs.lookup found it
            continue
    at, codec = failed
    line = data[:at].decode(codec, errors="replace").count("\n") + 1
    key = "markup_undecodable_utf16" if codec == "utf-16" else "markup_undecodable"
    raise RefusedFile(reason(key, line=f"{line:,}"))


_MHTML = re.compile(rb"mime-version:", re.I)


def _mhtml_pages(data: bytes) -> list[tuple[bytes, str | None]]:
    """The HTML parts of a single-file web page (.mht, MIME), their transfer encoding
    (quoted-printable, base64) undone, each with the charset its part or page names."""
    import email

    try:
        message = email.message_from_bytes(data)
        pages = []
        for part in message.walk():
            if part.get_content_type() != "text/html" or part.is_multipart():
                continue
            body = part.get_payload(decode=True)
            if isinstance(body, bytes):
                charset = part.get_content_charset()
                named = _codec(charset) if charset else None
                pages.append((body, named or _declared(body[:8192])))
    except Exception as exc:  # the email package raises several types for broken MIME
        raise RefusedFile(reason("markup_unreadable", detail=_short(exc))) from None
    return pages


# --- HTML ----------------------------------------------------------------------------

_ATTRS = r"""(?:[^<>"']|"[^"<]*"|'[^'<]*')*+"""  # a `<` ends a tag: one scan per `<`
_RAW = "script|style|title|noscript|iframe|noembed|noframes"  # their text is never shown
_TOKEN = re.compile(
    rf"""<(?P<raw>{_RAW})(?=[\s/>]){_ATTRS}>(?:.*?</(?P=raw)\s*>|.*)
    |<!--.*?(?:--!?>|\Z)
    |<[!?][^>]*+>?
    |<(?P<end>/?)(?P<name>[A-Za-z][^\s/<>]*+)(?P<attrs>{_ATTRS})>
    |(?P<text>[^<]++|<)""",
    re.S | re.X | re.I,
)
_SPAN = re.compile(
    r"""(?<![\w-])(colspan|rowspan)\s*=\s*(?:"\s*(\d*)[^"]*"|'\s*(\d*)[^']*'|(\d*))""", re.I
)
_IGNORED_SPAN = re.compile(r"mso-ignore\s*:\s*colspan")
_BLOCKS = frozenset({
    "p", "div", "li", "ul", "ol", "dl", "dt", "dd", "h1", "h2", "h3", "h4", "h5", "h6",
    "blockquote", "pre", "hr", "address", "center", "form", "section", "article", "header",
    "footer", "nav", "aside", "main", "figure", "figcaption", "fieldset", "legend",
    "details", "summary",
})  # fmt: skip
_WHITE = re.compile(r"[ \t\n\r\f]+")
_SPACES = re.compile(r" {2,}")
_BREAKS = re.compile(r"([\x01\x02])")
_PLAIN = re.compile(r"[&\t\n\r\f\xa0\x01\x02]|  |\A | \Z")
HARD, SOFT = "\x01", "\x02"  # <br>; a block's edge (a line break unless at a line's edge)


class _Text:
    """Text as a browser lays it out: runs of white space one space, &nbsp; a space,
    <br> a line break, a block element's edges line breaks; each line trimmed, and
    blank lines at the start and the end dropped."""

    __slots__ = ("parts",)

    def __init__(self) -> None:
        self.parts: list[str] = []

    def add(self, text: str) -> None:
        self.parts.append(text)

    def lines(self) -> list[str]:
        if not self.parts:
            return []
        joined = "".join(self.parts)
        if "&" in joined:
            joined = unescape(joined)
        joined = _SPACES.sub(" ", _WHITE.sub(" ", joined).replace("\xa0", " "))
        out: list[str] = []
        line = ""
        for piece in _BREAKS.split(joined):
            if piece == HARD:
                out.append(line.strip(" "))
                line = ""
            elif piece == SOFT:
                if line.strip(" "):
                    out.append(line.strip(" "))
                    line = ""
            else:
                line += piece
        out.append(line.strip(" "))
        while out and not out[-1]:
            out.pop()
        while out and not out[0]:
            out.pop(0)
        return out

    def text(self) -> str:
        parts = self.parts
        if len(parts) == 1 and not _PLAIN.search(parts[0]):
            return parts[0]  # most cells: one piece of text with nothing to lay out
        return "\n".join(self.lines())


class _Table:
    """One <table> being read: its rows, the columns covered by cells spanning rows
    from above (`down`: how many more rows each column is covered), its merged ranges."""

    def __init__(self, number: int, above: list[str]) -> None:
        self.number, self.name = number, f"Sheet{number}"
        self.above = above
        self.caption: _Text | None = None
        self.rows: list[list[object]] = []
        self.row: list[object] | None = None
        self.down: list[int] = []
        self.merged: list[Range] = []
        self.cell: _Text | None = None
        self.spans = (1, 1, True)  # the open cell's colspan, rowspan, and whether merged
        self.width = 0
        self.area = 0  # rows x width, as counted against the limits


class _Page:
    """An HTML page's tables, token by token (`feed`), the limits checked as each row
    and cell grows a table."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.done: list[_Table] = []
        self.open: list[_Table] = []
        self.outside = _Text()  # the page's text outside tables since the last table
        self.started = 0
        self.area = 0  # every table's rows x width together
        self.ranges = 0

    def feed(self, text: str) -> None:
        for m in _TOKEN.finditer(text):
            name, end, attrs, words = m.group("name", "end", "attrs", "text")
            if name is not None:
                if end:
                    self._end(name.lower())
                else:
                    self._start(name.lower(), attrs)
            elif words is not None:
                self._text(words)
            # comments, declarations and raw text (script, style, title) are nothing
        while self.open:
            self._close_table()

    def sheets(self) -> list[Sheet]:
        """The tables with something in them, in the order they start. The text above a
        table with nothing in it (a layout table holding the roster's) goes to the next."""
        out: list[Sheet] = []
        carried: list[str] = []
        for t in sorted(self.done, key=lambda t: t.number):
            above = [*carried, *t.above]
            if not any(map(_filled, t.rows)):
                carried = [*above, *(t.caption.lines() if t.caption else ())][-ABOVE:]
                continue
            carried = []
            sheet = _finished(t, above, self.limits)
            if sheet is not None:
                out.append(sheet)
        return out

    # tokens

    def _text(self, text: str) -> None:
        if not self.open:
            self.outside.add(text)
            return
        t = self.open[-1]
        if t.cell is not None:
            t.cell.add(text)
        elif t.caption is not None:
            t.caption.add(text)
        # text in a table but in no cell: a browser shows it above the table; dropped

    def _start(self, tag: str, attrs: str) -> None:
        t = self.open[-1] if self.open else None
        if tag == "table":
            self._open_table()
        elif t is None:
            if tag == "br":
                self.outside.add(HARD)
            elif tag in _BLOCKS:
                self.outside.add(SOFT)
        elif tag in ("td", "th"):
            self._close_cell(t)
            if t.row is None:
                self._open_row(t)
            t.cell, t.spans = _Text(), _spans(attrs)
        elif tag == "tr":
            self._close_row(t)
            self._open_row(t)
        elif tag in ("thead", "tbody", "tfoot"):
            self._close_row(t)
        elif tag == "caption":
            self._close_row(t)
            t.caption = t.caption or _Text()
        elif tag == "br":
            self._into(t, HARD)
        elif tag in _BLOCKS:
            self._into(t, SOFT)

    def _end(self, tag: str) -> None:
        if not self.open:
            if tag in _BLOCKS:
                self.outside.add(SOFT)
            return
        t = self.open[-1]
        if tag == "table":
            self._close_table()
        elif tag in ("td", "th"):
            self._close_cell(t)
        elif tag in ("tr", "thead", "tbody", "tfoot"):
            self._close_row(t)
        elif tag == "caption" and t.caption is not None:
            t.caption.add(SOFT)
        elif tag in _BLOCKS:
            self._into(t, SOFT)

    @staticmethod
    def _into(t: _Table, mark: str) -> None:
        if t.cell is not None:
            t.cell.add(mark)
        elif t.caption is not None:
            t.caption.add(mark)

    # tables

    def _open_table(self) -> None:
        self.started += 1
        if self.started > MAX_TABLES:
            raise RefusedFile(reason("markup_tables", limit=f"{MAX_TABLES:,}"))
        above: list[str] = []
        if not self.open:  # the page's text above a table of its own
            above = [line for line in self.outside.lines() if line][-ABOVE:]
            self.outside = _Text()
        elif self.open[-1].cell is not None:
            self.open[-1].cell.add(SOFT)
        self.open.append(_Table(self.started, above))

    def _close_table(self) -> None:
        t = self.open.pop()
        self._close_row(t)
        t.down = []
        self.done.append(t)
        if self.open and self.open[-1].cell is not None:
            self.open[-1].cell.add(SOFT)  # the cell's text after it is a line of its own

    def _open_row(self, t: _Table) -> None:
        t.row = []
        self._grow(t, len(t.rows) + 1, t.width)

    def _close_row(self, t: _Table) -> None:
        self._close_cell(t)
        if t.row is None:
            return
        t.rows.append(t.row if t.row else BLANK)
        t.row = None
        down = t.down
        for c in range(len(down)):
            if down[c]:
                down[c] -= 1

    def _close_cell(self, t: _Table) -> None:
        if t.cell is None:
            return
        text, t.cell = t.cell.text(), None
        row = t.row
        assert row is not None
        down = t.down
        c = len(row)
        while c < len(down) and down[c]:
            c += 1  # covered by a cell spanning rows from above
        across, rows, merge = t.spans
        end = c + across
        self._grow(t, len(t.rows) + 1, max(t.width, end))
        row.extend([""] * (c - len(row)))
        row.append(text)
        if across > 1:
            row.extend([""] * (across - 1))
        if len(down) < end:
            down.extend([0] * (end - len(down)))
        for k in range(c, end):
            down[k] = rows
        if (across > 1 or rows > 1) and merge and self.ranges < MAX_RANGES:
            r = len(t.rows)
            t.merged.append(((r, c), (r + rows - 1, end - 1)))
            self.ranges += 1

    def _grow(self, t: _Table, rows: int, width: int) -> None:
        """The table now spans `rows` x `width`: refused past the limits."""
        t.width = width
        area = rows * max(width, 1)
        self.area += area - t.area
        t.area = area
        limit = self.limits.max_cells
        if area > limit:
            raise RefusedFile(reason(
                "sheet_cells", sheet=repr(t.name), rows=f"{rows:,}", cols=f"{width:,}",
                limit=f"{limit:,}",
            ))  # fmt: skip
        if self.area > limit:
            raise RefusedFile(reason("markup_cells", limit=f"{limit:,}"))


def _spans(attrs: str) -> tuple[int, int, bool]:
    """A cell's (colspan, rowspan, merged), as browsers read the spans: leading digits,
    colspan 0 is 1, rowspan 0 to the table's end, both clamped. Not merged: a colspan
    Excel's "save as web page" writes for text running over blank cells to its right
    (`mso-ignore:colspan`), which Excel reads back as the cells it covers."""
    across, down = 1, 1
    lowered = attrs.lower()
    if "span" not in lowered:
        return across, down, True
    for m in _SPAN.finditer(attrs):
        digits = m.group(2) or m.group(3) or m.group(4) or ""
        n = int(digits[:9]) if digits else 1
        if m.group(1).lower() == "colspan":
            across = min(max(n, 1), COLSPAN)
        else:
            down = min(n, ROWSPAN) if n > 0 else ROWSPAN
    return across, down, _IGNORED_SPAN.search(lowered) is None


def _finished(t: _Table, above: list[str], limits: Limits) -> Sheet | None:
    """The table as a sheet: the page's text above it and its caption (merged across
    the table) first, its rows padded to its width, the limits checked."""
    head: list[list[object]] = [[line] for line in above]
    titles: list[Range] = []
    for line in t.caption.lines() if t.caption is not None else ():
        if t.width > 1:
            titles.append(((len(head), 0), (len(head), t.width - 1)))
        head.append([line])
    shift = len(head)
    merged = titles + [((r0 + shift, c0), (r1 + shift, c1)) for (r0, c0), (r1, c1) in t.merged]
    rows = head + [r + [""] * (t.width - len(r)) if r else r for r in t.rows]
    return _sheet(t.name, rows, merged, {}, False, limits)


def _sheet(
    name: str, rows: list[list[object]], merged: list[Range], formulas: Cells,
    hidden: bool, limits: Limits,
) -> Sheet | None:  # fmt: skip
    """Blank rows shared, trailing blank rows and columns past `max_columns` cut (more
    columns with data refuse it), merged ranges kept within what is left."""
    rows = _trimmed(name, rows, limits)
    if not rows:
        return None
    height, width = len(rows), max(map(len, rows))
    kept = tuple(
        ((r0, c0), (min(r1, height - 1), min(c1, width - 1)))
        for (r0, c0), (r1, c1) in merged
        if r0 < height and c0 < width and (min(r1, height - 1), min(c1, width - 1)) != (r0, c0)
    )
    return name, rows, kept, formulas, hidden


# --- Excel 2003 XML spreadsheet ------------------------------------------------------

_SPREADSHEET_ROOT = re.compile(rb"<(?:ss:)?workbook[\s>]")


def _is_spreadsheet_xml(data: bytes) -> bool:
    head = data[:4096].lower()
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        head = data[:8192].decode("utf-16", "replace").encode().lower()
    return _SS.encode() in head and _SPREADSHEET_ROOT.search(head) is not None


class _Refused(Exception):
    """Raised inside an expat handler; the parse ends and the reason is given."""

    def __init__(self, why: str) -> None:
        super().__init__(why)
        self.why = why


class _XmlSheet:
    def __init__(self, name: str) -> None:
        self.name = name
        self.rows: dict[int, list[object]] = {}
        self.merged: list[Range] = []
        self.formulas: Cells = {}
        self.hidden = False
        self.height = 0
        self.width = 0


class _Book:
    """An XML spreadsheet's worksheets, element by element from expat."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.sheets: list[_XmlSheet] = []
        self.sheet: _XmlSheet | None = None
        self.path: list[str] = []  # local names of the open elements
        self.row = -1  # the open row (0-based); the next row without an index follows it
        self.next_row = 0
        self.col = 0  # the next cell's column without an index
        self.cell: dict[str, str] | None = None  # the open cell's attributes
        self.cell_col = 0  # and its column
        self.data: list[str] | None = None  # the open <Data>'s text
        self.data_type = ""
        self.value: object = ""
        self.options: list[str] | None = None  # <Visible> text of WorksheetOptions
        self.ranges = 0
        self.cells = 0

    def parse(self, text: str) -> None:
        p = expat.ParserCreate(namespace_separator=" ")
        p.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
        p.StartDoctypeDeclHandler = self._doctype
        p.EntityDeclHandler = self._doctype
        p.ExternalEntityRefHandler = self._doctype
        p.StartElementHandler = self._start
        p.EndElementHandler = self._end
        p.CharacterDataHandler = self._chars
        p.buffer_text = True
        try:
            p.Parse(text, True)
        except _Refused as exc:
            raise RefusedFile(exc.why) from None
        except expat.ExpatError as exc:
            detail = f"{expat.ErrorString(exc.code)}, line {exc.lineno}"
            raise RefusedFile(reason("markup_bad_xml", detail=detail)) from None

    def _doctype(self, *_: Any) -> NoReturn:
        raise _Refused(reason("markup_entity"))

    def _start(self, tag: str, attrs: dict[str, str]) -> None:
        ns, _, local = tag.rpartition(" ")
        parent = self.path[-1] if self.path else ""
        self.path.append(local)
        if self.data is not None:
            return  # rich text inside <Data> (<B>, <Font>): its text is the cell's
        if ns == _SS:
            if local == "Worksheet":
                self._open_sheet(_attr(attrs, "Name"))
            elif self.sheet is None:
                return
            elif local == "Row" and parent == "Table":
                at = _index(attrs)
                self.row = max(at - 1, self.next_row) if at else self.next_row
                self.next_row = self.row + 1 + _count(attrs, "Span")
                self.col = 0
            elif local == "Cell" and parent == "Row":
                at = _index(attrs)
                self.cell = attrs
                self.cell_col = max(at - 1, self.col) if at else self.col
                self.value = ""
                self.data_type = ""
            elif local == "Data" and parent == "Cell" and self.cell is not None:
                self.data = []
                self.data_type = _attr(attrs, "Type")
        elif ns == _EXCEL and local == "Visible" and parent == "WorksheetOptions":
            self.options = []

    def _chars(self, text: str) -> None:
        if self.data is not None:
            self.data.append(text)
        elif self.options is not None:
            self.options.append(text)

    def _end(self, tag: str) -> None:
        local = self.path.pop() if self.path else ""
        if self.data is not None:
            if local == "Data" and self.path and self.path[-1] == "Cell":
                self.value = _typed("".join(self.data), self.data_type)
                self.data = None
            return
        if self.options is not None and local == "Visible":
            if self.sheet is not None and "".join(self.options).strip() in (
                "SheetHidden", "SheetVeryHidden"
            ):  # fmt: skip
                self.sheet.hidden = True
            self.options = None
        elif local == "Cell" and self.cell is not None:
            self._close_cell(self.cell)
            self.cell = None
        elif local == "Worksheet" and tag.startswith(_SS):
            self.sheet = None

    def _open_sheet(self, name: str) -> None:
        self.sheet = _XmlSheet(name or f"Sheet{len(self.sheets) + 1}")
        self.sheets.append(self.sheet)
        self.row, self.next_row, self.col = -1, 0, 0

    def _close_cell(self, attrs: dict[str, str]) -> None:
        sheet = self.sheet
        if sheet is None or self.row < 0:
            return
        r, c = self.row, self.cell_col
        across, down = _count(attrs, "MergeAcross"), _count(attrs, "MergeDown")
        self.col = c + across + 1
        value, formula = self.value, _attr(attrs, "Formula")
        if self.data_type == "Error":
            error = value if isinstance(value, str) else ""
            if formula:
                sheet.formulas[(r, c)] = f"{formula}{ERROR_MARK}{error}" if error else formula
            elif error:
                sheet.formulas[(r, c)] = error
            value = ""  # calamine reads an error as blank
        elif formula and self.data_type == "":
            sheet.formulas[(r, c)] = formula if formula.startswith("=") else f"={formula}"
        if (across or down) and self.ranges < MAX_RANGES:
            sheet.merged.append(((r, c), (r + down, c + across)))
            self.ranges += 1
        if value == "" or value is None:
            return
        height, width = max(sheet.height, r + 1), max(sheet.width, c + 1)
        limit = self.limits.max_cells
        if height * width > limit:
            raise _Refused(reason(
                "sheet_cells", sheet=repr(sheet.name), rows=f"{height:,}",
                cols=f"{width:,}", limit=f"{limit:,}",
            ))  # fmt: skip
        self.cells += (height * width) - (sheet.height * sheet.width)
        if self.cells > limit:
            raise _Refused(reason("markup_cells", limit=f"{limit:,}"))
        sheet.height, sheet.width = height, width
        row = sheet.rows.setdefault(r, [])
        if len(row) <= c:
            row.extend([""] * (c + 1 - len(row)))
        row[c] = value

    def result(self) -> list[Sheet]:
        out: list[Sheet] = []
        for s in self.sheets:
            rows = [
                r + [""] * (s.width - len(r)) if (r := s.rows.get(i)) else BLANK
                for i in range(s.height)
            ]
            sheet = _sheet(s.name, rows, s.merged, s.formulas, s.hidden, self.limits)
            out.append(sheet if sheet is not None else (s.name, [], (), s.formulas, s.hidden))
        return out


def _attr(attrs: dict[str, str], name: str) -> str:
    """An attribute by its local name: ss:Name, or Name without the prefix."""
    return attrs.get(f"{_SS} {name}", attrs.get(name, ""))


def _index(attrs: dict[str, str]) -> int:
    """ss:Index (1-based), 0 when it is absent or no number."""
    text = _attr(attrs, "Index").strip()
    return int(text) if text.isdigit() and len(text) < 10 else 0


def _count(attrs: dict[str, str], name: str) -> int:
    """ss:MergeAcross, ss:MergeDown, ss:Span: cells or rows beyond the first (0 when
    absent), at most a worksheet's 1,048,575."""
    text = _attr(attrs, name).strip()
    return min(int(text), 1_048_575) if text.isdigit() and len(text) < 10 else 0


_EXCEL_ZERO = date(1899, 12, 31)  # the date of a time of day without one


def _typed(text: str, kind: str) -> object:
    """A <Data> value as Excel reads it: Number a float, DateTime a date (a datetime
    with a time of day; a time alone), Boolean a bool, anything else text. Text that is
    no such value stays text."""
    if kind == "Number":
        try:
            number = float(text)
        except ValueError:
            return text
        return number if isfinite(number) else text
    if kind == "DateTime":
        try:
            when = datetime.fromisoformat(text.strip())
        except ValueError:
            return text
        if when.date() == _EXCEL_ZERO:
            return when.time()
        return when.date() if when.time() == time(0) else when
    if kind == "Boolean" and text.strip() in ("0", "1"):
        return text.strip() == "1"
    return text


def _read_xml(data: bytes, limits: Limits) -> list[Sheet]:
    book = _Book(limits)
    book.parse(_decoded(data, _declared(data[:8192])))
    sheets = book.result()
    if not sheets:
        raise RefusedFile(reason("no_worksheets"))
    return sheets


def _short(exc: Exception) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:160]
