"""Plain data -> TOML text (`hcs config show`): strings, numbers, booleans, lists, tables
and arrays of tables; enough for the settings, not a general TOML writer."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

_BARE = re.compile(r"[A-Za-z0-9_-]+")


def key(k: str) -> str:
    return k if _BARE.fullmatch(k) else json.dumps(k, ensure_ascii=False)


def value(v: Any) -> str:
    """An inline TOML value."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | float):
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, Mapping):
        return "{ " + ", ".join(f"{key(str(k))} = {value(x)}" for k, x in v.items()) + " }"
    return "[" + ", ".join(value(x) for x in v) + "]"


def _is_tables(v: Any) -> bool:
    return isinstance(v, list) and bool(v) and all(isinstance(x, Mapping) for x in v)


def dumps(doc: Mapping[str, Any], prefix: str = "") -> str:
    """`doc` as TOML: plain keys first, then sub-tables and arrays of tables."""
    lines = [
        f"{key(str(k))} = {value(v)}"
        for k, v in doc.items()
        if not isinstance(v, Mapping) and not _is_tables(v)
    ]
    parts = ["\n".join(lines)] if lines else []
    for k, v in doc.items():
        name = f"{prefix}{key(str(k))}"
        if isinstance(v, Mapping):
            inner = dumps(v, f"{name}.")
            plain = all(not isinstance(x, Mapping) and not _is_tables(x) for x in v.values())
            parts.append(f"[{name}]\n{inner}" if plain or not v else inner)
        elif _is_tables(v):
            parts += [f"[[{name}]]\n{dumps(x, f'{name}.')}" for x in v]
    return "\n\n".join(p.rstrip("\n") for p in parts if p) + "\n"
