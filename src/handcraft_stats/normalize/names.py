"""Person names: white space removed, traditional → simplified, and a toneless pinyin key."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Mapping
from functools import cache
from importlib.resources import files
from types import ModuleType

from handcraft_stats.normalize.text import is_blank, nfkc


def _import_zhconv() -> ModuleType:
    """zhconv imports pkg_resources (70 ms) only to find its table, which we load
    ourselves: hide it for the import, so zhconv takes its plain-file fallback."""
    hidden = "pkg_resources" not in sys.modules
    if hidden:
        sys.modules["pkg_resources"] = None  # type: ignore[assignment]
    try:
        import zhconv as module
    finally:
        if hidden:
            del sys.modules["pkg_resources"]
    loaded: ModuleType = module
    return loaded


zhconv = _import_zhconv()


@cache
def _load_dictionary() -> None:
    """Load zhconv's table ourselves: its default loader leaves the file open (ResourceWarning)."""
    zhconv.loaddict(str(files("zhconv") / "zhcdict.json"))


def simplified(text: str) -> str:
    """`text` in simplified characters (zhconv): headers and vocabulary words typed in
    traditional ones (身份證號碼, 已脫貧) read as their simplified spelling."""
    _load_dictionary()
    out: str = zhconv.convert(text, "zh-cn")
    return out


def traditional(text: str) -> str:
    """`text` in traditional characters (zhconv zh-hant)."""
    _load_dictionary()
    out: str = zhconv.convert(text, "zh-hant")
    return out


def traditional_only(words: Iterable[str]) -> frozenset[str]:
    """The characters the traditional spellings of `words` have and their simplified ones
    do not: a text holding none of them is no traditional spelling of any of the words,
    and needs no conversion (a converted miss cost 3-5 us a distinct cell: 1.2万, 3,400)."""
    words = list(words)
    simple = {ch for w in words for ch in w}
    return frozenset(ch for w in words for ch in traditional(w) if ch not in simple)


# The separator dot of a minority name (阿依古丽·买买提) typed as any of its look-alikes:
# bullet, hyphenation point, katakana middle dot (also from the half-width one by NFKC),
# dot operator, bullet operator, a full stop (also the full-width one by NFKC). All become
# the middle dot U+00B7 that ID cards print, so one woman is one name.
_DOTS = str.maketrans(dict.fromkeys("\u2022\u2027\u30fb\u22c5\u2219.", "\u00b7"))


def normalize_name(raw: object) -> str | None:
    """NFKC, all white space removed (U+3000 too), the separator dot unified (`_DOTS`),
    traditional → simplified; blank → None."""
    if is_blank(raw):
        return None
    text = "".join(nfkc(str(raw)).split())
    if not text:
        return None
    if not text.isalpha():  # a Han name is letters only: no dot to look for
        text = text.translate(_DOTS)
    return simplified(text)  # 1 us a name: no shortcut pays


def pinyin_key(name: str) -> str:
    """Toneless pinyin of the name, a space between syllables ("张丽", "张莉" → "zhang li").
    The spaces keep syllables apart: joined, 李娴 (li xian) and 李喜安 (li xi an) were one
    key, and two women "sounded alike" (session 15).

    Exactly pypinyin's `lazy_pinyin`, joined by spaces and lower-cased. A name containing
    no word of pypinyin's phrase table (most names) is read character by character, which
    is what pypinyin does for it too: each character's reading is asked once per process
    and kept, and `str.translate` reads a name with them (a roster's names are mostly
    distinct; 15 µs a name becomes ~0.5). A Han character's reading is written with a
    space on each side and runs of spaces made one, so a run of other characters (Ab3,
    the dot of 阿依·古丽) stays one word, as pypinyin keeps it."""
    if len(name) <= _LONGEST_NAME and not _has_phrase(name):
        return " ".join(name.translate(_READINGS).split())
    return _pinyin(name)


_LONGEST_NAME = 8  # longer texts (not names) go to pypinyin whole


class _Readings(dict[int, str]):
    """Each character's reading (by code point), asked of pypinyin when first met."""

    def __missing__(self, code: int) -> str:
        reading = _pinyin(chr(code))
        if _is_han(chr(code)):  # its own word; other characters join their run
            reading = f" {reading} "
        self[code] = reading
        return reading


def _is_han(ch: str) -> bool:
    from pypinyin.constants import RE_HANS

    return RE_HANS.match(ch) is not None


_READINGS = _Readings()


def _pinyin(text: str) -> str:
    lazy_pinyin, _, _ = _pypinyin()
    return " ".join(lazy_pinyin(text, errors="default")).lower()


def _has_phrase(name: str) -> bool:
    """Does a run of two or more of the name's characters form a word of pypinyin's
    phrase table (which would be read as a word, e.g. 重庆 chong-qing)?"""
    _, phrases, pairs = _pypinyin()
    n = len(name)
    if n == 2:  # most names: two or three characters, their pairs looked up directly
        return name in pairs and name in phrases
    if n == 3:
        if name[:2] not in pairs and name[1:] not in pairs:
            return False
    elif not any(name[i : i + 2] in pairs for i in range(n - 1)):
        return False  # every phrase word starts with one of `pairs`
    return any(name[i:j] in phrases for i in range(n - 1) for j in range(i + 2, n + 1))


@cache
def _pypinyin() -> tuple[Callable[..., list[str]], Mapping[str, object], frozenset[str]]:
    """lazy_pinyin, its phrase table, and the first two characters of every phrase."""
    from pypinyin import lazy_pinyin  # 0.2 s to import: only when names are linked
    from pypinyin.constants import PHRASES_DICT

    return lazy_pinyin, PHRASES_DICT, frozenset(p[:2] for p in PHRASES_DICT)
