"""CSV/TXT rosters: encoding detection (UTF-8 with/without BOM, UTF-16, GB18030)."""

from __future__ import annotations

import csv
import io

from ..errors import RefusedFile


def decode(data: bytes) -> str:
    """Decode text the way county offices write it; GBK is read as gb18030."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="strict")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    if b"\x00" in data[:4096]:
        raise RefusedFile("not a text file: it contains binary data (NUL bytes)")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError as exc:
        raise RefusedFile(
            f"cannot decode text: neither UTF-8 nor GB18030 (byte {exc.start})"
        ) from None


def read_csv(data: bytes) -> list[list[object]]:
    text = decode(data)
    sample = text[:8192]
    delimiter = max([",", "\t", ";", "|"], key=sample.count)
    if sample.count(delimiter) == 0:
        delimiter = ","
    rows: list[list[object]] = []
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        for row in reader:
            rows.append(list(row))
    except csv.Error as exc:
        raise RefusedFile(f"not a readable CSV file: {exc}") from None
    while rows and not any(str(c).strip() for c in rows[-1]):
        rows.pop()
    return rows
