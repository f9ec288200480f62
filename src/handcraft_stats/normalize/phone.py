"""Phone numbers: digits only, kept as text; masking for display."""

from __future__ import annotations

from handcraft_stats.normalize.text import is_blank, nfkc


def normalize_phone(raw: object) -> str | None:
    """NFKC and digits only ("138-1234-5678", 13812345678.0 → "13812345678"); blank → None."""
    if type(raw) is str and raw.isascii() and raw.isdigit():
        return raw  # the usual cell: already digits only
    if is_blank(raw) or isinstance(raw, bool):
        return None
    text = str(int(raw)) if isinstance(raw, float) and raw.is_integer() else nfkc(str(raw))
    digits = "".join(ch for ch in text if "0" <= ch <= "9")
    return digits or None


def mask_phone(value: str | None) -> str:
    """11 digits → "138****5678"; other lengths keep at most 3 + 2 characters, never all."""
    if not value:
        return ""
    if len(value) == 11:
        return value[:3] + "****" + value[-4:]
    if len(value) >= 7:
        return value[:3] + "*" * (len(value) - 5) + value[-2:]
    return "*" * len(value)
