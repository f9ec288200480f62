"""Person names: white space removed, traditional → simplified, and a toneless pinyin key."""

from __future__ import annotations

import sys
import unicodedata
from functools import cache
from importlib.resources import files
from types import ModuleType

from handcraft_stats.normalize.text import is_blank


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


def normalize_name(raw: object) -> str | None:
    """NFKC, all white space removed (U+3000 too), traditional → simplified; blank → None."""
    if is_blank(raw):
        return None
    text = "".join(unicodedata.normalize("NFKC", str(raw)).split())
    if not text:
        return None
    _load_dictionary()
    simplified: str = zhconv.convert(text, "zh-cn")
    return simplified


def pinyin_key(name: str) -> str:
    """Toneless pinyin of the name joined without separators ("张丽", "张莉" → "zhangli")."""
    from pypinyin import lazy_pinyin  # 0.2 s to import: only when names are linked

    syllables: list[str] = lazy_pinyin(name, errors="default")
    return "".join(syllables).lower()
