"""Phone numbers: digits only, kept as text; masking for display."""

from __future__ import annotations

import re

from handcraft_stats.normalize.text import is_blank, nfkc

_MOBILE = re.compile(r"1[3-9][0-9]{9}")
_GROUPS = re.compile(r"[0-9]+")  # ASCII digits only (NFKC made full-width ones so)


def normalize_phone(raw: object) -> str | None:
    """NFKC and digits only ("138-1234-5678", 13812345678.0 → "13812345678"), without
    the country code of a mobile number (+86, 0086); of several numbers in one cell
    ("13812345678/13912345678") the first mobile one; blank → None."""
    if type(raw) is str and raw.isascii() and raw.isdigit():
        return _national(raw)  # the usual cell: already digits only
    if is_blank(raw) or isinstance(raw, bool):
        return None
    text = str(int(raw)) if isinstance(raw, float) and raw.is_integer() else nfkc(str(raw))
    groups = _GROUPS.findall(text)
    digits = _national("".join(groups))
    if len(groups) > 1 and not _MOBILE.fullmatch(digits):
        first = next((g for g in map(_national, groups) if _MOBILE.fullmatch(g)), None)
        if first is None:  # numbers written in groups: "138 1234 5670 / 139 1234 5671"
            parts = (_national("".join(_GROUPS.findall(p))) for p in _SEPARATORS.split(text))
            first = next((p for p in parts if _MOBILE.fullmatch(p)), None)
        return first or digits or None
    return digits or None


_SEPARATORS = re.compile(r"[/;,、|]|或")  # NFKC made ／；， ASCII


def _national(digits: str) -> str:
    """A mobile number without its country code: 8613812345678 and 008613812345678 are
    13812345678; anything else as it is."""
    if len(digits) == 13 and digits.startswith("861"):
        return digits[2:]
    if len(digits) == 15 and digits.startswith("00861"):
        return digits[4:]
    return digits


def mask_phone(value: str | None) -> str:
    """11 digits → "138****5678"; other lengths keep at most 3 + 2 characters, never all."""
    if not value:
        return ""
    if len(value) == 11:
        return value[:3] + "****" + value[-4:]
    if len(value) >= 7:
        return value[:3] + "*" * (len(value) - 5) + value[-2:]
    return "*" * len(value)
