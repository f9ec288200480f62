"""Human labels for codes, from defaults/labels.toml (one table, two languages), overlaid
by the `[labels.section]` tables of hcs.toml (`set_overrides`)."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import Any

_overrides: dict[str, dict[str, list[str]]] = {}


@cache
def _table() -> dict[str, dict[str, list[str]]]:
    text = resources.files("handcraft_stats").joinpath("defaults", "labels.toml").read_text("utf-8")
    return tomllib.loads(text)


def shipped(section: str) -> dict[str, list[str]]:
    """A section of the shipped labels.toml, without hcs.toml's overrides."""
    return _table().get(section, {})


def set_overrides(labels: Mapping[str, Mapping[str, Any]]) -> None:
    """Use the labels of hcs.toml: `code = "中文"` replaces the Chinese label,
    `code = ["中文", "English"]` both. Replaces any earlier overrides."""
    _overrides.clear()
    for section, pairs in labels.items():
        for code, value in pairs.items():
            base = list(_table().get(section, {}).get(code) or [code, code])
            if isinstance(value, str):
                base[0] = value
            else:
                base[: len(value)] = [str(v) for v in value][:2]
            _overrides.setdefault(section, {})[code] = base


def label(section: str, code: str, lang: str = "zh") -> str:
    """The label of `code` in `section`; the code itself when none is configured."""
    pair = _overrides.get(section, {}).get(code) or _table().get(section, {}).get(code)
    if not pair:
        return code
    return pair[0] if lang == "zh" else pair[1]


def title(code: str, lang: str = "zh", **figures: object) -> str:
    """A listing's title (labels.toml `[title]`), formatted with its figures."""
    return label("title", code, lang).format(**figures)
