"""Settings: packaged defaults (defaults/*.toml) overlaid by the user's hcs.toml."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from .errors import UsageError

NON_ROSTER_SHEETS = ("填表说明", "说明", "汇总", "统计表", "统计", "目录")
GENERIC_SHEETS = ("sheet", "花名册", "台账", "名册", "表", "数据")


@dataclass(frozen=True, slots=True)
class Division:
    """A county-level division: its name, area code and former names."""

    name: str
    code: str
    former_names: tuple[str, ...] = ()
    former_codes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Settings:
    city: str
    divisions: tuple[Division, ...]
    headers: Mapping[str, tuple[str, ...]]
    vocab_extra: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    source: str = "defaults"
    checks: Mapping[str, Any] = field(default_factory=dict)  # [checks] of hcs.toml (checks.py)
    labels: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)  # [labels.section]

    def division_names(self) -> list[tuple[str, str]]:
        """(text to look for, division name), longest text first."""
        pairs = [(d.name, d.name) for d in self.divisions]
        pairs += [(f, d.name) for d in self.divisions for f in d.former_names]
        return sorted(pairs, key=lambda p: -len(p[0]))

    def find_county(self, text: str) -> str | None:
        for needle, name in self.division_names():
            if needle in text:
                return name
        return None


def _read_default(name: str) -> dict[str, Any]:
    data = resources.files("handcraft_stats").joinpath("defaults", name).read_text("utf-8")
    return tomllib.loads(data)


def _divisions(raw: list[dict[str, Any]]) -> tuple[Division, ...]:
    out = []
    for d in raw:
        former = d.get("former", [])
        out.append(
            Division(
                name=str(d["name"]),
                code=str(d.get("code", "")),
                former_names=tuple(str(f["name"]) for f in former),
                former_codes=tuple(str(f.get("code", "")) for f in former),
            )
        )
    return tuple(out)


def load_settings(path: Path | None = None) -> Settings:
    """Defaults, overlaid by `path` (or ./hcs.toml when present)."""
    div = _read_default("divisions.toml")
    headers = {k: tuple(v) for k, v in _read_default("headers.toml").items()}
    user: dict[str, Any] = {}
    source = "defaults"
    if path is None and Path("hcs.toml").is_file():
        path = Path("hcs.toml")
    if path is not None:
        try:
            user = tomllib.loads(path.read_text("utf-8"))
        except FileNotFoundError as exc:
            raise UsageError(f"config file not found: {path}") from exc
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise UsageError(f"config file {path} is not valid TOML: {exc}") from exc
        source = str(path)
    city = str(user.get("city", div.get("city", "")))
    divisions = (
        _divisions(user["divisions"]) if "divisions" in user else _divisions(div["divisions"])
    )
    for key, extra in user.get("headers", {}).items():
        headers[key] = tuple(dict.fromkeys([*headers.get(key, ()), *extra]))
    vocab_extra = {
        k: {str(a): str(b) for a, b in v.items()} for k, v in user.get("vocab", {}).items()
    }
    checks = dict(user.get("checks", {}))
    labels = {k: dict(v) for k, v in user.get("labels", {}).items()}
    return Settings(city, divisions, headers, vocab_extra, source, checks, labels)
