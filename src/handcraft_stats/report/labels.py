"""Human labels for codes, from defaults/labels.toml (one table, two languages)."""

from __future__ import annotations

import tomllib
from functools import cache
from importlib import resources


@cache
def _table() -> dict[str, dict[str, list[str]]]:
    text = resources.files("handcraft_stats").joinpath("defaults", "labels.toml").read_text("utf-8")
    return tomllib.loads(text)


def label(section: str, code: str, lang: str = "zh") -> str:
    """The label of `code` in `section`; the code itself when none is configured."""
    pair = _table().get(section, {}).get(code)
    if not pair:
        return code
    return pair[0] if lang == "zh" else pair[1]
