"""Text primitives shared by every normaliser: blank test, cleaning, header squashing."""

from __future__ import annotations

import math
import unicodedata
from typing import Generic, NamedTuple, TypeVar

T = TypeVar("T")

BAD_VALUE = "bad_value"
UNKNOWN_VALUE = "unknown_value"

_NA_TYPES = frozenset({"NAType", "NaTType"})
# Characters that show as nothing, pasted into cells from web pages and chat messages: soft
# hyphen, Mongolian vowel separator, zero-width space / non-joiner / joiner, the direction
# marks, embeddings and isolates, word joiner and invisible operators, and the byte-order
# mark (U+FEFF, also a zero-width no-break space). NFKC keeps them all, so "\u200b3203…"
# was a malformed ID and "杨\u200b丽" a name of its own; `nfkc` drops them. So are the
# control characters but tab, line feed and carriage return (a NUL or a record separator
# left in a cell by a broken export: "手\x00工" was an unknown wing, and the fix list could
# not be written). Plain printable ASCII text (the common cells) skips `nfkc`: it has
# nothing to change.
INVISIBLE = dict.fromkeys(
    [*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), *range(0x7F, 0xA0), 0x00AD, 0x180E,
     *range(0x200B, 0x2010), *range(0x202A, 0x202F), *range(0x2060, 0x2065),
     *range(0x2066, 0x2070), 0xFEFF]
)  # fmt: skip
_BRACKETS = str.maketrans({"【": "(", "】": ")", "〔": "(", "〕": ")", "[": "(", "]": ")"})


class Parsed(NamedTuple, Generic[T]):
    """A parsed cell: the value (or None) and the problem code (None, bad_value, unknown_value)."""

    value: T | None
    problem: str | None = None


def is_blank(raw: object) -> bool:
    """True for None, NaN, pandas NA/NaT, and strings that are empty or white space only
    (characters that show as nothing, `INVISIBLE`, count as white space)."""
    if type(raw) is str:  # most cells: `isspace` is `not strip()` without a copy
        if not raw or raw.isspace():
            return True
        return not raw.isprintable() and not raw.translate(INVISIBLE).strip()
    if raw is None:
        return True
    if isinstance(raw, float):
        return math.isnan(raw)
    if isinstance(raw, str):
        return not raw.translate(INVISIBLE).strip()
    return type(raw).__name__ in _NA_TYPES


# Cells that only mark "nothing recorded" in a template's empty cell (METRICS.md §4 lists
# "/", "—" and 无 as missing): a mark of punctuation is blank in every field; 无 only in
# a field no vocabulary reads it in (in 劳动能力, 就业意愿, 从业产业, 脱贫状态, 新增从业 and
# 培训次数 it is an answer: none, no, none, not exited, false, 0). Compared after NFKC with
# white space removed (／ and ｜ are / and |).
PLACEHOLDER_MARKS = frozenset(
    {"/", "//", "\\", "|", "-", "--", "---", "—", "——", "―", "–", "…", "……", "...", "......",
     "NULL", "null", "Null", "N/A", "n/a"}  # a web system's export of an empty field
)  # fmt: skip
NOTHING = frozenset({*PLACEHOLDER_MARKS, "无", "暂无", "空"})


def placeholder(cell: object, nothing: frozenset[str] = PLACEHOLDER_MARKS) -> bool:
    """Is a text cell only a placeholder (`nothing`: the marks, or the marks and 无)? The
    usual cells (a name, a number, Han text of two characters or more) are decided
    without normalising (a name or a number is looked up as it is)."""
    if type(cell) is not str or len(cell) > 12:
        return False
    if cell.isalnum():  # a name, a number, 无, NULL
        return cell in nothing
    return "".join(nfkc(cell).split()) in nothing


def nfkc(text: str) -> str:
    """NFKC without the characters that show as nothing (`INVISIBLE`): every normaliser
    reads text through it."""
    text = unicodedata.normalize("NFKC", text)
    # every INVISIBLE character is unprintable: most texts are spared the translation
    return text if text.isprintable() else text.translate(INVISIBLE)


def is_ideograph(char: str) -> bool:
    """A CJK unified ideograph (U+4E00-U+9FFF): NFKC leaves it as it is and `squash`
    neither drops nor changes it, so a text starting with one squashes to a text
    starting with it (a cheap test before squashing)."""
    return "\u4e00" <= char <= "\u9fff"


def _to_str(raw: object) -> str:
    if isinstance(raw, str):
        return raw
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    return str(raw)


def clean_text(raw: object) -> str:
    """NFKC and strip; non-strings become text (integral floats lose their ``.0``)."""
    if type(raw) is str and raw.isascii() and raw.isprintable():  # NFKC leaves it as it is
        return raw.strip()
    if is_blank(raw):
        return ""
    return nfkc(_to_str(raw)).strip()


def text_or_none(raw: object) -> str | None:
    """`clean_text` of a cell, None for a blank one (the common cells without a call)."""
    if type(raw) is str:
        if not raw or raw.isspace():
            return None
        if raw.isascii() and raw.isprintable():  # NFKC leaves it as it is, nothing to drop
            return raw.strip()
        return nfkc(raw).strip() or None
    return None if is_blank(raw) else clean_text(raw) or None


def squash(raw: object) -> str:
    """NFKC, every white space removed, brackets unified to ASCII ``()``: a matching key."""
    if is_blank(raw):
        return ""
    text = nfkc(_to_str(raw))
    return "".join(text.split()).translate(_BRACKETS)


def mask_name(value: str | None) -> str:
    """A person's name as sent on: its first character (the surname, mostly) and a star
    for each other ("张丽" → "张*", "欧阳娜娜" → "欧***"); one character → "*"."""
    if not value:
        return ""
    return "*" if len(value) == 1 else value[0] + "*" * (len(value) - 1)
