"""CSV/TXT rosters: encoding detection (UTF-8 with/without BOM, UTF-16, GB18030)."""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from typing import Literal

from ..errors import RefusedFile
from ..reasons import reason
from .workbook import BLANK

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def decode(data: bytes) -> str:
    """Decode text the way county offices write it; GBK is read as gb18030."""
    if data.startswith(b"\xef\xbb\xbf"):
        return _text(data[3:].decode("utf-8", errors="strict"))
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return _text(_utf16(data, "utf-16"))
    if b"\x00" in data[:4096]:
        bare = _bare_utf16(data)
        if bare is not None:
            return _text(_utf16(data, bare))
        nuls = data[:4096].count(0)
        if nuls > STRAY_NULS or nuls * 50 > len(data[:4096]):
            raise RefusedFile(reason("binary_nul"))
        # a few stray NULs (a broken export, a cell pasted from elsewhere): the file is
        # text; the cells holding them are read (and checked) as what they are
    try:
        return _text(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        utf8 = exc.start
    try:
        whole = data.decode("gb18030")
    except UnicodeDecodeError as exc:
        gb = exc.start
    else:
        mixed = _mixed(data)
        return _text(mixed if isinstance(mixed, str) else _big5(data, whole))
    mixed = _mixed(data)  # GBK lines and UTF-8 lines, each read as written
    if isinstance(mixed, str):
        return _text(mixed)
    # the encoding that read further is the file's: a GBK roster fails as UTF-8 at its
    # title, a UTF-8 one as GB18030 within a line or two; in a GBK file with UTF-8 lines,
    # the first byte of a line that is neither
    at, codec = (gb, "gb18030") if gb >= utf8 else (utf8, "utf-8")
    if mixed is not None:
        at, codec = mixed
    line, column = _where(data, at, codec)
    raise RefusedFile(reason("undecodable_at", line=line, column=column)) from None


# header words of a roster, in simplified and in traditional characters
_HEADER_WORDS = ("姓名", "身份")
_TRADITIONAL_WORDS = ("姓名", "身份證", "身分證")


def _big5(data: bytes, gbk: str) -> str:
    """A roster saved in Big5 (a traditional-Chinese Windows, a colleague from Hong Kong
    or Taiwan) decodes as GB18030 without an error, into nonsense: it was refused as "no
    header". Read as Big5 (Microsoft's, cp950) when its head has no header word as
    GB18030 but has one as Big5, and the whole file is valid Big5; else `gbk` as it is."""
    head = gbk[:16384]
    if any(w in head for w in _HEADER_WORDS):
        return gbk
    try:
        text = data.decode("cp950")
    except UnicodeDecodeError:
        return gbk
    return text if any(w in text[:16384] for w in _TRADITIONAL_WORDS) else gbk


def _mixed(data: bytes) -> str | tuple[int, str] | None:
    """A GBK file with lines pasted in from a UTF-8 one (rows appended from another
    office's export, a text editor saving each part as it came), each line decoded in its
    own encoding; None when no line reads better as UTF-8 (the usual GBK file: one failed
    UTF-8 decode per line, ~1.5 µs), or where a line that is neither stops being readable
    (the offset of the byte, and the encoding that read that line further).

    A line that GB18030 cannot read and UTF-8 can is UTF-8. A line both read is UTF-8
    only when that reading has fewer characters outside GB2312 (the 6,763 common
    characters and the usual symbols) than the GB18030 one: GBK text is valid UTF-8 by
    chance (女 is the bytes of Ů; 濮翠丹 those of 姴䵤, rare characters), while UTF-8
    Chinese read as GBK is rare characters throughout. And the lines left as GBK must read
    as GBK (a quarter of their characters outside GB2312 at most): a UTF-8 header over
    Big5 rows is no GBK file with a pasted line."""
    lines = data.splitlines(keepends=True)  # CRLF, LF or CR, each kept with its line
    if not any(_utf8(line) is not None for line in lines if not line.isascii()):
        return None
    texts: list[str] = []
    offset = pasted = chars = rare = 0
    for line in lines:
        if line.isascii():
            texts.append(line.decode("ascii"))
            offset += len(line)
            continue
        utf8 = _utf8(line)
        try:
            gbk: str | None = line.decode("gb18030")
        except UnicodeDecodeError as exc:
            gbk, stop = None, exc.start
        if gbk is None and utf8 is None:
            try:
                line.decode("utf-8")
            except UnicodeDecodeError as other:
                if other.start > stop:
                    return offset + other.start, "utf-8"
            return offset + stop, "gb18030"
        if utf8 is not None and (gbk is None or _rare(utf8) < _rare(gbk)):
            texts.append(utf8)
            pasted += 1
        else:
            assert gbk is not None
            texts.append(gbk)
            chars += sum(1 for c in gbk if c > "\x7f")
            rare += _rare(gbk)
        offset += len(line)
    if not pasted or rare * 4 > chars:
        return None
    return "".join(texts)


def _utf8(line: bytes) -> str | None:
    """The line as UTF-8 (a byte-order mark at its start dropped: a block pasted with its
    own), None when it is not UTF-8."""
    try:
        return line.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError:
        return None


def _rare(text: str) -> int:
    """How many characters of the text GB2312 lacks."""
    return len(text) - len(text.encode("gb2312", "ignore").decode("gb2312"))


def _utf16(data: bytes, codec: str) -> str:
    try:
        return data.decode(codec)
    except UnicodeDecodeError as exc:
        line, column = _where(data, exc.start, codec)
        raise RefusedFile(reason("undecodable_utf16_at", line=line, column=column)) from None


def _where(data: bytes, at: int, codec: str) -> tuple[int, int]:
    """The line (as a text editor counts them) and the column (the cell, counted by the
    file's separator) of the byte at `at`, the first that `codec` cannot decode: where a
    clerk finds it, without the reason quoting what the cell holds."""
    before = data[:at].decode(codec, errors="replace")
    lines = before.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    delimiter = _delimiter(data[:32768].decode(codec, errors="replace")[:8192])
    try:
        cells = next(csv.reader([lines[-1]], delimiter=delimiter), [])
    except csv.Error:
        cells = lines[-1].split(delimiter)
    return len(lines), max(1, len(cells))


STRAY_NULS = 8  # NULs in the first 4 KiB of a text file that is not UTF-16 (and 2 % at most)


def _bare_utf16(data: bytes) -> str | None:
    """UTF-16 without a byte-order mark: every NUL of the start on the same side of a pair
    (the high bytes of ASCII characters: digits, commas and line ends, at least one code
    unit in twenty of any roster). None when the NULs do not follow that pattern, or are
    too few for it (one NUL in a UTF-8 roster made it read as UTF-16, every header lost)."""
    head = data[:4096]
    even = sum(1 for b in head[0::2] if b == 0)
    odd = sum(1 for b in head[1::2] if b == 0)
    # nearly every NUL on one side: a character whose low byte is 0 (一 U+4E00, 丁 …) puts
    # one on the other side (一组 made a UTF-16 roster "binary data")
    few, many = sorted((even, odd))
    if len(data) % 2 or few * 10 > many or many < max(2, len(head) // 40):
        return None
    return "utf-16-le" if odd > even else "utf-16-be"


def _text(text: str) -> str:
    """Refuse decoded text that is mostly control characters (a binary file)."""
    sample = text[:65536]
    if sample and len(_CONTROL.findall(sample)) > max(8, len(sample) // 100):
        raise RefusedFile(reason("binary_control"))
    return text


def _delimiter(sample: str) -> str:
    """The separator that splits most rows of the sample into the same number of cells,
    quotes respected (ties: into more cells); a comma when none splits any. Counting each
    separator over the whole sample chose commas for a tab-separated file whose cells
    list measures with commas (帮扶措施 技能培训,小额贷款,… and incomes 12,000), and
    refused it; counting it per line, quotes ignored, chose tabs for a comma file whose
    IDs end in a tab (Excel's trick against 3.2E+17) and whose quoted cells hold commas."""
    text = "\n".join(line for line in sample.splitlines()[:60] if line.strip())

    def steady(d: str) -> tuple[int, int]:
        try:
            rows = list(csv.reader(io.StringIO(text), delimiter=d))
        except csv.Error:
            return (0, 0)
        counts = Counter(len(row) for row in rows)
        counts.pop(1, None)
        counts.pop(0, None)
        return max(((n, k) for k, n in counts.items()), default=(0, 0))

    best = max(_SEPARATORS, key=steady)
    return best if steady(best)[0] else ","


_SEPARATORS = (",", "\t", ";", "|")


def read_csv(data: bytes) -> tuple[list[list[object]], tuple[int, ...] | None]:
    """The rows, and each row's line number in the file when they differ from row
    positions (None otherwise): a quoted cell holding line breaks (a header "姓\n名",
    a note of two lines) spans several lines, and a person looks for the row in a text
    editor at the line where it starts."""
    text = decode(data)
    delimiter = _delimiter(text[:8192])
    rows, starts = _rows(text, delimiter, csv.QUOTE_MINIMAL)
    if '"' in text and _swallowed(rows, starts, delimiter, text):
        # a quote opened and never closed ("三无人员 in a county system's export, which
        # quotes nothing): the rows after it were one cell of it, women lost without a
        # word. Such a file uses no quoting at all: read it so, each line a row.
        rows, starts = _rows(text, delimiter, csv.QUOTE_NONE)
    if delimiter == ",":
        rows = _regrouped(rows)
    spans = bool(starts) and starts[-1] != len(starts)  # a row spanned several lines
    return rows, tuple(starts) if spans else None


_HEAD_GROUP = re.compile(r"[+-]?[¥￥]?\d{1,3}")
_GROUP = re.compile(r"\d{3}")
_LAST_GROUP = re.compile(r"\d{3}(?:\.\d+)?元?")


def _regrouped(rows: list[list[object]]) -> list[list[object]]:
    """Rows of a comma CSV that quotes nothing, an amount written with thousands
    separators (10,400) split into cells of its own: a row longer than the file's rows by
    exactly the cells such amounts split into gets them joined again. Its income was
    stored as 10.00 and its trainings as 400, without an issue (an audit, session 23)."""
    # the header's width: the first row of three titles or more (every row may hold a
    # split amount, so the commonest width need not be the table's)
    width = next((len(r) for r in rows if sum(bool(str(c).strip()) for c in r) >= 3), 0)
    if not width or all(len(r) <= width for r in rows):
        return rows
    out = []
    for row in rows:
        if len(row) > width:
            joined = _joined(row)
            row = joined if len(joined) == width else row
        out.append(row)
    return out


def _joined(row: list[object]) -> list[object]:
    """The row with each run of cells that reads as one amount in thousands (10 | 400,
    1 | 234 | 567.50) joined into one cell (10,400)."""
    out: list[object] = []
    j = 0
    while j < len(row):
        cell = row[j]
        k = j + 1
        if isinstance(cell, str) and _HEAD_GROUP.fullmatch(cell.strip()):
            while k < len(row) and _GROUP.fullmatch(str(row[k]).strip()):
                k += 1
            if k < len(row) and _LAST_GROUP.fullmatch(str(row[k]).strip()):
                k += 1  # the last group with its decimals or 元 (567.50)
        out.append(",".join(str(c) for c in row[j:k]) if k > j + 1 else cell)
        j = k
    return out


def _rows(
    text: str, delimiter: str, quoting: Literal[0, 3]
) -> tuple[list[list[object]], list[int]]:
    rows: list[list[object]] = []
    starts: list[int] = []
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, quoting=quoting)
    ends = 0  # the line the previous row ended on
    try:
        for row in reader:
            starts.append(ends + 1)
            ends = reader.line_num
            rows.append(list(row) if "".join(row).strip() else BLANK)
    except csv.Error as exc:
        raise RefusedFile(reason("bad_csv", detail=exc)) from None
    while rows and rows[-1] is BLANK:
        rows.pop()
    del starts[len(rows) :]
    return rows, starts


def _swallowed(rows: list[list[object]], starts: list[int], delimiter: str, text: str) -> bool:
    """Does a cell span lines that look like rows of their own (holding at least half
    a row's separators)? A note of two lines does not; rows an unclosed quote took in do.
    Only the rows that span lines are looked into (by their first lines: usually none).

    A row of two columns (姓名,身份证号码) holds one separator, as a line of a note may:
    there lines holding one are rows when two of them are in a cell, or one in a quote
    never closed (every woman after "女01 was lost, one separator being below the two
    asked of wider files). A quote never closed runs to the end of the file: its cell
    is the file's last and is looked into from its first line, since a quote opened on
    the last row takes in that row's own separators (her ID read into her name, in any
    width). A file of one column holds no separator to tell its rows from the lines of
    a cell: it is read as quoted (and refused anyway, holding no name or no ID)."""
    spanning = [i for i in range(len(rows) - 1) if starts[i + 1] - starts[i] > 1]
    spanning += [len(rows) - 1] if rows else []  # the last may span to the file's end
    widths = sorted(len(r) for r in rows if r is not BLANK)
    if not widths:
        return False
    width = widths[len(widths) // 2]
    least = max(2, width // 2)
    row = max(1, min(least, width - 1))  # a row's separators: below least in two columns
    for cell in (c for i in spanning for c in rows[i] if isinstance(c, str) and "\n" in c):
        lines = cell.splitlines()[1:]
        if any(line.count(delimiter) >= least for line in lines):
            return True
        if row < least and len(lines) > 1 and _rows_in(lines, delimiter, row) > 1:
            return True
    last = rows[-1][-1] if rows and rows[-1] else ""
    return (
        isinstance(last, str)
        and 0 < len(last) < len(text)
        and text[-len(last) - 1] == '"'
        and text.endswith(last)
        and _rows_in(last.splitlines(), delimiter, row) > 0
    )  # the last cell is the text after a quote: open to the end of the file


def _rows_in(lines: list[str], delimiter: str, row: int) -> int:
    """How many of the lines hold a row's separators."""
    return sum(line.count(delimiter) >= row for line in lines)
