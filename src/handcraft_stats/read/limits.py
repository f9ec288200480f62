"""Limits on what a roster file may make hcs do, checked before a parser sees the file.

An xlsx/xlsm/ods file is a zip archive of XML. Before calamine opens one, its zip
directory is inspected and every member is decompressed once, counting bytes and keeping
none: too many members, too many bytes in all, a member that expands more than
`max_ratio` times, a member larger than its directory entry says, or XML with a
DOCTYPE/ENTITY declaration (entity expansion, "billion laughs") refuse the file.
docs/reliability.md lists the limits and why.
"""

from __future__ import annotations

import re
import struct
import zipfile
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields, replace
from io import BytesIO

from ..errors import RefusedFile
from ..reasons import reason
from .extent import SheetExtent, SheetTooLarge

MB = 1024 * 1024
ZIP_MAGIC = b"PK\x03\x04"
CFB_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # OLE2 compound file (.xls, encrypted OOXML)
_ENCRYPTED = "EncryptedPackage".encode("utf-16-le")
_ROOT = re.compile(r"<[A-Za-z_]")  # the first element: the XML prolog ends there
_DECL = re.compile(r"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
_CHUNK = 1 * MB
_SHEET = re.compile(r"^xl/worksheets/[^/]+\.xml$", re.IGNORECASE)
SHEETS = "xl/worksheets/*"  # a key of `marks`: every worksheet member


@dataclass(frozen=True, slots=True)
class Limits:
    """What one input file may contain (defaults are far above any real roster)."""

    max_uncompressed: int = 200 * MB  # all members of a workbook archive together
    max_ratio: float = 100.0  # uncompressed : compressed, for members above ratio_from
    ratio_from: int = 1 * MB
    max_members: int = 10_000
    max_prolog: int = 64 * 1024  # bytes of an XML member before its first element
    max_columns: int = 1_000  # columns holding data in one sheet
    max_cells: int = 10_000_000  # rows x columns of a worksheet's used range (calamine is dense)

    @classmethod
    def from_mapping(cls, values: Mapping[str, object]) -> Limits:
        """Limits from a settings table (e.g. `[limits]` of hcs.toml); unknown keys ignored."""
        known = {f.name: f.type for f in fields(cls)}
        picked: dict[str, object] = {}
        for k, v in values.items():
            if k in known and isinstance(v, int | float) and not isinstance(v, bool) and v > 0:
                picked[k] = float(v) if k == "max_ratio" else int(v)
        return replace(cls(), **picked)  # type: ignore[arg-type]


DEFAULT_LIMITS = Limits()


def sniff(data: bytes) -> str:
    """What the bytes look like, for a refusal reason."""
    head = data[:512].lstrip()
    if head.startswith(ZIP_MAGIC):
        return reason("kind_zip")
    if head.startswith(CFB_MAGIC):
        return reason("kind_ole2")
    if head.startswith(b"%PDF"):
        return reason("kind_pdf")
    markup = exported(data)
    if markup == "html":
        return reason("kind_html")
    if markup == "xml" or head.startswith(b"<?xml"):
        return reason("kind_xml")
    if markup == "text":
        return reason("kind_text")
    return reason("kind_binary")


_HTML = re.compile(rb"<(html|table|body)[\s>]|\A<!doctype|\Amime-version:.*text/html", re.DOTALL)
_SPREADSHEET_XML = re.compile(rb"<(ss:)?workbook[\s>]")
_XML_SS = b"urn:schemas-microsoft-com:office:spreadsheet"
_TEXT_CONTROL = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def exported(data: bytes) -> str | None:
    """Which of the tables that web systems and Excel write under a spreadsheet's name
    the bytes of a file that is no workbook are: "html" (a web page or a single-file web
    page: a web system's "export to Excel", Excel's "save as web page"), "xml" (Excel
    2003's XML spreadsheet) or "text" (CSV, tab-separated); None for anything else
    (binary data). Looks at the first 4 KiB only."""
    head = data[:4096]
    if head.startswith(b"\xef\xbb\xbf"):
        head = head[3:]
    elif head.startswith((b"\xff\xfe", b"\xfe\xff")):
        head = head[: len(head) // 2 * 2].decode("utf-16", errors="replace").encode()
    head = head.lstrip().lower()
    if head.startswith(b"<?xml") and _XML_SS in head and _SPREADSHEET_XML.search(head):
        return "xml"  # its <Table> is no web page's
    if _HTML.search(head):
        return "html"
    if b"\x00" in head or _TEXT_CONTROL.search(head) or not _decodes(head):
        return None
    return "text"


def _decodes(head: bytes) -> bool:
    """UTF-8 or GB18030 text, a character cut at the end of the head allowed."""
    for codec in ("utf-8", "gb18030"):
        try:
            head.decode(codec)
            return True
        except UnicodeDecodeError as exc:
            if exc.start >= len(head) - 3:
                return True
    return False


def check_compound(data: bytes) -> None:
    """An OLE2 file holding an EncryptedPackage stream is a password-protected workbook."""
    if data.startswith(CFB_MAGIC) and _ENCRYPTED in data:
        raise RefusedFile(reason("password"))


def check_archive(
    data: bytes, suffix: str, limits: Limits = DEFAULT_LIMITS,
    marks: Mapping[str, bytes | tuple[bytes, ...]] | None = None,
) -> set[str]:  # fmt: skip
    """Refuse a workbook archive that is damaged or would expand beyond the limits.
    Returns the members named in `marks` (`SHEETS`: every worksheet of an xlsx) whose
    uncompressed bytes hold their mark: looked
    for while every member is inflated here anyway, so a reader needs no second pass to
    know (an .ods is searched for merged cells only when its content.xml has a span)."""
    if not data.startswith(ZIP_MAGIC):
        check_compound(data)
        if data.startswith(CFB_MAGIC):
            return set()  # an .xls saved with another extension: calamine reads it
        raise RefusedFile(reason("not_zip", suffix=suffix, kind=sniff(data)))
    try:
        zf = zipfile.ZipFile(BytesIO(data))
        members = zf.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
        raise RefusedFile(reason("damaged_zip", suffix=suffix, detail=_short(exc))) from None
    if len(members) > limits.max_members:
        raise RefusedFile(
            reason("too_many_members", count=f"{len(members):,}", limit=f"{limits.max_members:,}")
        )
    declared = sum(m.file_size for m in members)
    if declared > limits.max_uncompressed:
        raise RefusedFile(_too_big(declared, limits))
    total, marked = 0, set()
    for m in members:
        mark = (marks or {}).get(m.filename)
        if mark is None and marks and _SHEET.match(m.filename):
            mark = marks.get(SHEETS)
        try:
            size, found = _member_size(data, m, limits, total, mark)
        except SheetTooLarge as exc:  # named as the workbook names the sheet
            raise RefusedFile(exc.named(_sheet_title(zf, m.filename))) from None
        total += size
        if found:
            marked.add(m.filename)
        if total > limits.max_uncompressed:
            raise RefusedFile(_too_big(total, limits))
    return marked


def _sheet_title(zf: zipfile.ZipFile, member: str) -> str:
    """A worksheet member's sheet name, quoted (its member name when the workbook's
    parts do not tell)."""
    from .formulas import sheet_names

    try:
        return repr(sheet_names(zf)[member])
    except (KeyError, ValueError, zipfile.BadZipFile, zlib.error, OSError):
        return member


def _too_big(size: int, limits: Limits) -> str:
    return reason("too_big", size=f"{size / MB:,.0f}", limit=f"{limits.max_uncompressed / MB:,.0f}")


def _member_size(
    data: bytes,
    m: zipfile.ZipInfo,
    limits: Limits,
    before: int,
    mark: bytes | tuple[bytes, ...] | None = None,
) -> tuple[int, bool]:
    """The member's real uncompressed size (never trusting the directory), checking its
    ratio and, for XML, its prolog; stops as soon as a limit is passed. And whether its
    bytes hold `mark` (any of them, for several; never, without one)."""
    if m.is_dir():
        return 0, False
    found, tail = False, b""
    wanted = (mark,) if isinstance(mark, bytes) else mark or ()
    longest = max(map(len, wanted), default=0)
    ratio_cap = max(limits.ratio_from, int(m.compress_size * limits.max_ratio))
    cap = min(limits.max_uncompressed - before, ratio_cap, m.file_size)
    xml = m.filename.lower().endswith((".xml", ".rels", ".vml"))
    size, head = 0, b""
    extent = None
    if _SHEET.match(m.filename):
        extent = SheetExtent(m.filename, lambda: _inflate(data, m, cap + 1))  # to replay
    for chunk in _inflate(data, m, cap + 1):
        size += len(chunk)
        if size > m.file_size:
            raise RefusedFile(reason("member_overflow", member=m.filename, size=f"{m.file_size:,}"))
        if size > ratio_cap:
            raise RefusedFile(reason(
                "member_ratio", member=m.filename, ratio=f"{limits.max_ratio:g}",
                packed=f"{m.compress_size:,}",
            ))  # fmt: skip
        if before + size > limits.max_uncompressed:
            raise RefusedFile(_too_big(before + size, limits))
        if extent is not None:
            extent.scan(chunk, limits)
        if mark and not found:
            found = any(k in tail + chunk[: len(k) - 1] or k in chunk for k in wanted)
            tail = chunk[-(longest - 1) :] if longest > 1 else b""
        if xml and len(head) <= limits.max_prolog:
            head += chunk[: limits.max_prolog + 1 - len(head)]
            _check_prolog(m.filename, head, limits)
    if size != m.file_size:
        raise RefusedFile(reason(
            "member_size", member=m.filename, size=f"{size:,}", declared=f"{m.file_size:,}"
        ))  # fmt: skip
    return size, found


def _check_prolog(name: str, head: bytes, limits: Limits) -> None:
    """Refuse DOCTYPE/ENTITY before the first element, and over-long prologs."""
    text = _text(head)
    root = _ROOT.search(text)
    prolog = text[: root.start()] if root else text
    if _DECL.search(prolog):
        raise RefusedFile(reason("xml_entity", member=name))
    if root is None and len(head) > limits.max_prolog:
        raise RefusedFile(reason("xml_no_element", member=name, limit=f"{limits.max_prolog:,}"))


def _text(head: bytes) -> str:
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return head[: len(head) // 2 * 2].decode("utf-16", errors="replace")
    return head.decode("utf-8", errors="replace")


def _inflate(data: bytes, m: zipfile.ZipInfo, cap: int) -> Iterable[bytes]:
    """The member's uncompressed bytes in chunks, at most about `cap` of them."""
    start = _data_offset(data, m)
    packed = memoryview(data)[start : start + m.compress_size]
    if m.compress_type == zipfile.ZIP_STORED:
        return [bytes(packed[i : i + _CHUNK]) for i in range(0, min(len(packed), cap), _CHUNK)]
    if m.compress_type != zipfile.ZIP_DEFLATED:
        raise RefusedFile(reason("member_method", member=m.filename, method=m.compress_type))
    return _Inflater(packed, cap, m.filename)


class _Inflater:
    """Raw deflate in bounded chunks: memory stays about one chunk whatever the ratio."""

    def __init__(self, packed: memoryview, cap: int, name: str) -> None:
        self.packed, self.cap, self.name = packed, cap, name

    def __iter__(self) -> _Inflater:
        self.d = zlib.decompressobj(-15)
        self.pos, self.tail, self.out = 0, b"", 0
        return self

    def __next__(self) -> bytes:
        while self.out <= self.cap:
            if not self.tail:
                if self.pos >= len(self.packed) or self.d.eof:
                    raise StopIteration
                self.tail = bytes(self.packed[self.pos : self.pos + _CHUNK])
                self.pos += _CHUNK
            try:
                chunk = self.d.decompress(self.tail, _CHUNK)
            except zlib.error as exc:
                raise RefusedFile(reason("member_damaged", member=self.name, detail=exc)) from None
            self.tail = self.d.unconsumed_tail
            if chunk:
                self.out += len(chunk)
                return chunk
            if self.d.eof:
                raise StopIteration
        raise StopIteration


def _data_offset(data: bytes, m: zipfile.ZipInfo) -> int:
    at = m.header_offset
    if data[at : at + 4] != ZIP_MAGIC or len(data) < at + 30:
        raise RefusedFile(reason("member_no_header", member=m.filename))
    name_len, extra_len = struct.unpack("<HH", data[at + 26 : at + 30])
    return int(at + 30 + name_len + extra_len)


def _short(exc: Exception) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:120]
