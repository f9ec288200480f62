#!/usr/bin/env python
"""Write the corpus of bad (and awkward but valid) input files hcs must survive.

    python tools/make_bad_inputs.py OUT [--small]

Every file is made here from code, nothing is downloaded or checked in: broken and
hostile workbooks (truncated, not a zip, password-protected, empty, no sheets, zip
bombs, XML entity expansion, two cells 17 billion cells apart, 10,000 columns), text
that is not text, UTF-16 and GB18030 CSV, a million blank rows, same-named files in two
folders, paths with spaces and Chinese characters, and a symlink loop. `CASES` says how
each must end; tests/test_reliability_inputs.py and docs/reliability.md use it.
`--small` skips the two slow-to-write bombs (3 GB of XML each, about 0.1 s to write).
"""

from __future__ import annotations

import argparse
import io
import os
import random
import struct
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import openpyxl

HEADER = ["姓名", "身份证号码", "从业产业", "脱贫年度"]
GB = 1024**3


@dataclass(frozen=True)
class Case:
    path: str  # relative to OUT
    what: str
    landed: bool  # True: the file must land (exit 0 on its own)
    reason: str = ""  # a part of the refusal reason


def ident(n: int) -> str:
    """A valid synthetic ID number (check character computed), distinct per n."""
    body = f"320321198{n % 10}{(n // 10) % 12 + 1:02d}{n % 28 + 1:02d}{(n * 2) % 1000:03d}"
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    return body + "10X98765432"[sum(int(c) * w for c, w in zip(body, weights, strict=True)) % 11]


def people(first: int, n: int = 3) -> list[list[object]]:
    names = ["张丽", "王芳", "陈梅", "刘兰", "李娟", "赵敏", "孙静", "周燕"]
    return [[names[(first + i) % 8], ident(first + i), "手工", ""] for i in range(n)]


def xlsx_bytes(sheets: dict[str, list[list[object]]]) -> bytes:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for r in rows:
            ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


# -- hand-made zip archives: members as raw deflate, so gigabytes cost kilobytes --------
CT = (
    '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/'
    'package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.'
    'openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType='
    '"application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.'
    'openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName='
    '"/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.'
    'spreadsheetml.worksheet+xml"/></Types>'
)
RELS = (
    '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats'
    '.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxml'
    'formats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
    "</Relationships>"
)
WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/'
    'spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships"><sheets>{}</sheets></workbook>'
)
SHEET_ENTRY = '<sheet name="花名册" sheetId="1" r:id="rId1"/>'
WB_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats'
    '.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxml'
    'formats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
    "</Relationships>"
)
SHEET_OPEN = (
    '<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/'
    'spreadsheetml/2006/main"><sheetData>'
)
SHEET_CLOSE = "</sheetData></worksheet>"


@dataclass
class Member:
    name: str
    packed: bytes  # raw deflate
    crc: int
    size: int
    declared: int | None = None  # a lying directory entry when set


def member(name: str, text: str | bytes) -> Member:
    data = text.encode("utf-8") if isinstance(text, str) else text
    co = zlib.compressobj(6, zlib.DEFLATED, -15)
    return Member(name, co.compress(data) + co.flush(), zlib.crc32(data), len(data))


def repeated(name: str, head: bytes, unit: bytes, total: int, tail: bytes) -> Member:
    """A member of `total` bytes, mostly `unit` repeated: one compressed 1 MB block is
    repeated (a full flush makes blocks independent), so writing 3 GB takes milliseconds."""
    chunk = unit * ((1 << 20) // len(unit))
    n = (total - len(head) - len(tail)) // len(chunk)
    co = zlib.compressobj(9, zlib.DEFLATED, -15)
    first = co.compress(head) + co.flush(zlib.Z_FULL_FLUSH)
    block = co.compress(chunk) + co.flush(zlib.Z_FULL_FLUSH)
    last = co.compress(tail) + co.flush()
    crc = zlib.crc32(head)
    for _ in range(n):
        crc = zlib.crc32(chunk, crc)
    crc = zlib.crc32(tail, crc)
    size = len(head) + n * len(chunk) + len(tail)
    return Member(name, first + block * n + last, crc, size)


def zip_bytes(members: list[Member]) -> bytes:
    """A zip archive (deflate, no zip64: every size below 4 GB) of the members."""
    out, central = io.BytesIO(), io.BytesIO()
    for m in members:
        name = m.name.encode("utf-8")
        size = m.size if m.declared is None else m.declared
        offset = out.tell()
        fixed = (20, 0x800, 8, 0, 0x21, m.crc, len(m.packed), size, len(name), 0)
        out.write(struct.pack("<4sHHHHHIIIHH", b"PK\x03\x04", *fixed) + name + m.packed)
        central.write(
            struct.pack("<4sHHHHHHIIIHHHHHII", b"PK\x01\x02", 20, *fixed, 0, 0, 0, 0, offset) + name
        )
    cd = central.getvalue()
    n = len(members)
    end = struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, n, n, len(cd), out.tell(), 0)
    return out.getvalue() + cd + end


def workbook(sheet: Member | None, entry: str = SHEET_ENTRY) -> bytes:
    parts = [member("[Content_Types].xml", CT), member("_rels/.rels", RELS),
             member("xl/workbook.xml", WORKBOOK.format(entry)),
             member("xl/_rels/workbook.xml.rels", WB_RELS)]  # fmt: skip
    return zip_bytes(parts + ([sheet] if sheet else []))


def cell(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


def header_xml() -> str:
    return '<row r="1">' + cell("A1", "姓名") + cell("B1", "身份证号码") + "</row>"


def zip_bomb(lying: bool) -> bytes:
    unit = b'<row><c t="inlineStr"><is><t>x</t></is></c></row>'
    sheet = repeated("xl/worksheets/sheet1.xml", (SHEET_OPEN + header_xml()).encode(),
                     unit, 3 * GB, SHEET_CLOSE.encode())  # fmt: skip
    if lying:
        sheet.declared = 900_000  # the directory claims under 1 MB: only inflating tells
    return workbook(sheet)


def billion_laughs() -> bytes:
    ents = '<!ENTITY l0 "ha">' + "".join(
        f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10)
    )
    xml = (
        f'<?xml version="1.0" encoding="UTF-8"?><!DOCTYPE worksheet [{ents}]>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f'<sheetData>{header_xml()}<row r="2">{cell("A2", "&l9;")}</row>{SHEET_CLOSE}'
    )
    return workbook(member("xl/worksheets/sheet1.xml", xml))


def far_cells() -> bytes:
    """Two cells, A1 and XFD1048576: calamine would allocate 17 billion cells."""
    xml = SHEET_OPEN + header_xml() + f'<row r="1048576">{cell("XFD1048576", "x")}</row>'
    return workbook(member("xl/worksheets/sheet1.xml", xml + SHEET_CLOSE))


def many_members() -> bytes:
    extra = [member(f"xl/media/image{i}.bin", b"") for i in range(12_000)]
    base = workbook(member("xl/worksheets/sheet1.xml", SHEET_OPEN + header_xml() + SHEET_CLOSE))
    with zipfile.ZipFile(io.BytesIO(base)) as zf:
        kept = [member(i.filename, zf.read(i)) for i in zf.infolist()]
    return zip_bytes(kept + extra)


def million_formatted_rows() -> bytes:
    """A roster followed by a million empty but formatted rows (as Excel writes them when
    whole rows are formatted), then a note row: written through zipfile, streaming."""
    rows = [header_xml()] + [
        f'<row r="{i + 2}">{cell(f"A{i + 2}", n)}{cell(f"B{i + 2}", ident(100 + i))}</row>'
        for i, n in enumerate(["张丽", "王芳", "陈梅"])
    ]
    last = 1_000_005
    note = f'<row r="{last}">{cell(f"A{last}", "注：以上为本镇全部人员")}</row>'
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for m, text in ((CT, "[Content_Types].xml"), (RELS, "_rels/.rels"),
                        (WORKBOOK.format(SHEET_ENTRY), "xl/workbook.xml"),
                        (WB_RELS, "xl/_rels/workbook.xml.rels")):  # fmt: skip
            zf.writestr(text, m)
        with zf.open("xl/worksheets/sheet1.xml", "w") as fh:
            fh.write((SHEET_OPEN + "".join(rows)).encode())
            for start in range(5, last, 10_000):
                fh.write("".join(
                    f'<row r="{i}" spans="1:3" s="1" customFormat="1" ht="15">'
                    f'<c r="A{i}" s="1"/><c r="B{i}" s="1"/><c r="C{i}" s="1"/></row>'
                    for i in range(start, min(start + 10_000, last))
                ).encode())  # fmt: skip
            fh.write((note + SHEET_CLOSE).encode())
    return buf.getvalue()


def ten_thousand_columns() -> bytes:
    from openpyxl.utils import get_column_letter

    header = [*HEADER, *(f"备用{j}" for j in range(10_000 - len(HEADER)))]
    cells = "".join(cell(f"{get_column_letter(j + 1)}1", h) for j, h in enumerate(header))
    body = "".join(
        f'<row r="{i}">{cell(f"A{i}", p[0])}{cell(f"B{i}", p[1])}'
        f"{cell(f'{get_column_letter(10_000)}{i}', 'x')}</row>"
        for i, p in enumerate(people(40), start=2)
    )
    xml = SHEET_OPEN + f'<row r="1">{cells}</row>' + body + SHEET_CLOSE
    return workbook(member("xl/worksheets/sheet1.xml", xml))


def formatted_to_column_10000() -> bytes:
    """A valid roster whose rows carry empty formatted cells out to column 10,000."""
    rows = [[*p, *([None] * 9_996)] for p in people(50)]
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "花名册"
    ws.append(HEADER)
    for r in rows:
        ws.append(r)
    from openpyxl.styles import Font

    bold = Font(bold=True)
    for i in range(1, 5):
        ws.cell(row=i, column=10_000).font = bold
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def encrypted() -> bytes:
    """A password-protected OOXML file as Office writes it: an OLE2 compound file holding
    the streams EncryptionInfo and EncryptedPackage (random bytes for the cipher text)."""
    rnd = random.Random(7)
    info = b"\x04\x00\x04\x00\x40\x00\x00\x00" + (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><encryption xmlns='
        b'"http://schemas.microsoft.com/office/2006/encryption"><keyData saltSize="16" '
        b'blockSize="16" keyBits="256" hashSize="64" cipherAlgorithm="AES" cipherChaining='
        b'"ChainingModeCBC" hashAlgorithm="SHA512"/></encryption>'
    )
    package = struct.pack("<Q", 6000) + bytes(rnd.getrandbits(8) for _ in range(8184))
    return compound([("EncryptionInfo", info.ljust(4096, b"\x00")), ("EncryptedPackage", package)])


def compound(streams: list[tuple[str, bytes]]) -> bytes:
    """A minimal OLE2 compound file (v3, 512-byte sectors, streams of 4096+ bytes)."""
    end, free, fat_sect = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD
    fat = [fat_sect, end]  # sector 0: the FAT; sector 1: the directory
    starts = []
    for _, data in streams:
        n = -(-len(data) // 512)
        starts.append(len(fat))
        fat += [len(fat) + i + 1 for i in range(n - 1)] + [end]
    fat += [free] * (128 - len(fat))
    header = struct.pack(
        "<8s16sHHHHH6sIIIIIIIII", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", b"\0" * 16, 0x3E, 3,
        0xFFFE, 9, 6, b"\0" * 6, 0, 1, 1, 0, 4096, end, 0, end, 0,
    ) + struct.pack("<I", 0) + struct.pack("<108I", *[free] * 108)  # fmt: skip

    def entry(name: str, kind: int, right: int, child: int, start: int, size: int) -> bytes:
        raw = (name + "\0").encode("utf-16-le")
        return struct.pack(
            "<64sHBBIII16sIQQIII", raw, len(raw), kind, 1, free, right, child, b"\0" * 16, 0,
            0, 0, start, size, 0,
        )  # fmt: skip

    dirs = entry("Root Entry", 5, free, 1, end, 0)
    for i, ((name, data), start) in enumerate(zip(streams, starts, strict=True), start=1):
        dirs += entry(name, 2, i + 1 if i < len(streams) else free, free, start, len(data))
    dirs = dirs.ljust(512, b"\0")
    body = b"".join(d.ljust(-(-len(d) // 512) * 512, b"\0") for _, d in streams)
    return header + struct.pack("<128I", *fat) + dirs + body


def csv_text(rows: list[list[object]]) -> str:
    return "\n".join(",".join(str(c) for c in r) for r in rows) + "\n"


def roster_rows(first: int) -> list[list[object]]:
    return [HEADER, *people(first)]


Writer = Callable[[Path], None]


def _bytes(data: bytes | Callable[[], bytes]) -> Writer:
    return lambda p: p.write_bytes(data() if callable(data) else data)


def _million_blank_csv(p: Path) -> None:
    with p.open("w", encoding="utf-8", newline="") as fh:
        fh.write(csv_text(roster_rows(60)))
        fh.write(",,,,\n" * 1_000_000)
        fh.write("注：以上为本镇全部人员,,,\n")


def _symlink_loop(p: Path) -> None:
    p.mkdir(parents=True, exist_ok=True)
    (p / "丰县2017_环内.xlsx").write_bytes(xlsx_bytes({"花名册": roster_rows(90)}))
    os.symlink("..", p / "loop", target_is_directory=True)  # a folder that contains itself
    os.symlink("self.xlsx", p / "self.xlsx")  # a file link pointing at itself


def cases(small: bool = False) -> list[tuple[Case, Writer]]:
    """Every input: how it must end, and how to write it below OUT."""
    good = xlsx_bytes({"花名册": roster_rows(1)})
    out: list[tuple[Case, Writer]] = [
        (Case("丰县2017_truncated.xlsx", "xlsx cut in half", False, "truncated"),
         _bytes(good[: len(good) // 2])),
        (Case("丰县2017_not_zip.xlsx", "an HTML page named .xlsx, its table only 姓名", False,
              "no ID number column"),
         _bytes(b"<html><body><table><tr><td>\xe5\xa7\x93\xe5\x90\x8d</td></tr></table>")),
        (Case("丰县2017_encrypted.xlsx", "password-protected (encrypted OLE2) workbook", False,
              "password-protected"), _bytes(encrypted)),
        (Case("丰县2017_empty.xlsx", "0 bytes .xlsx", False, "empty file"), _bytes(b"")),
        (Case("丰县2017_empty.csv", "0 bytes .csv", False, "empty file"), _bytes(b"")),
        (Case("丰县2017_no_sheets.xlsx", "workbook without sheets", False, "no worksheets"),
         _bytes(lambda: workbook(None, ""))),
        (Case("丰县2017_empty_sheets.xlsx", "two empty sheets", False, "no roster found"),
         _bytes(lambda: xlsx_bytes({"Sheet1": [], "Sheet2": []}))),
        (Case("丰县2017_billion_laughs.xlsx", "XML entity expansion", False, "DOCTYPE or ENTITY"),
         _bytes(billion_laughs)),
        (Case("丰县2017_far_cells.xlsx", "cells at A1 and XFD1048576", False, "columns"),
         _bytes(far_cells)),
        (Case("丰县2017_many_members.xlsx", "12,000 zip members", False, "members"),
         _bytes(many_members)),
        (Case("丰县2017_10000_columns.xlsx", "data in 10,000 columns", False, "10,000 columns"),
         _bytes(ten_thousand_columns)),
        (Case("丰县2017_formatted_wide.xlsx", "roster formatted out to column 10,000", True),
         _bytes(formatted_to_column_10000)),
        (Case("丰县2017_garbage.csv", "random bytes named .csv", False, "not a text file"),
         _bytes(random.Random(3).randbytes(20_000))),
        (Case("丰县2017_garbage_nonul.csv", "random bytes without NUL named .csv", False, ""),
         _bytes(bytes(b or 1 for b in random.Random(4).randbytes(20_000)))),
        (Case("丰县2017_utf16.csv", "UTF-16 LE with BOM, tab separated (Excel 'Unicode text')",
              True), _bytes("\ufeff".encode("utf-16-le") + "\n".join(
                  "\t".join(map(str, r)) for r in roster_rows(10)).encode("utf-16-le"))),
        (Case("丰县2017_utf16_nobom.csv", "UTF-16 LE without BOM", True),
         _bytes(csv_text(roster_rows(15)).encode("utf-16-le"))),
        (Case("丰县2017_gb18030.csv", "GB18030 CSV", True),
         _bytes(csv_text(roster_rows(20)).encode("gb18030"))),
        (Case("丰县2017_million_blank.csv", "a million blank rows then a note", True),
         _million_blank_csv),
        (Case("丰县2017_million_formatted.xlsx", "a million empty formatted rows", True),
         _bytes(million_formatted_rows)),
        (Case("甲镇/丰县2017年花名册.xlsx", "same name as in 乙镇/, other content", True),
         _bytes(xlsx_bytes({"花名册": roster_rows(70)}))),
        (Case("乙镇/丰县2017年花名册.xlsx", "same name as in 甲镇/, other content", True),
         _bytes(xlsx_bytes({"花名册": roster_rows(80)}))),
        (Case("县 报送 材料/丰县 2017 年 妇女 花名册.xlsx", "spaces and Chinese in the path", True),
         _bytes(xlsx_bytes({"花名册": roster_rows(30)}))),
        (Case("环/丰县2017_环内.xlsx", "a folder with a symlink loop (loop -> ..)", True),
         lambda p: _symlink_loop(p.parent)),
        (Case("环/self.xlsx", "a symlink pointing at itself", False, "cannot read file"),
         lambda p: None),
    ]  # fmt: skip
    if not small:
        out += [
            (Case("丰县2017_zip_bomb.xlsx", "sheet XML of 3 GB (deflate of repeated bytes)",
                  False, "zip bomb"), _bytes(lambda: zip_bomb(False))),
            (Case("丰县2017_zip_bomb_lying.xlsx", "3 GB sheet whose directory says 900 KB",
                  False, "zip bomb"), _bytes(lambda: zip_bomb(True))),
        ]  # fmt: skip
    return out


def make(out: Path, small: bool = False) -> list[Case]:
    """Write every input below `out`; returns the cases."""
    made = []
    for case, write in cases(small):
        path = out / case.path
        path.parent.mkdir(parents=True, exist_ok=True)
        write(path)
        made.append(case)
    return made


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("out", type=Path)
    ap.add_argument("--small", action="store_true")
    args = ap.parse_args()
    for case in make(args.out, args.small):
        print(f"{case.path}\t{'valid' if case.landed else 'refused'}\t{case.what}")


if __name__ == "__main__":
    main()
