"""Controlled vocabularies (capacity, willingness, industry wing, status, yes/no flags).

The spellings live in ``defaults/vocab.toml``; a config can add or override spellings.
Columns are mapped over their unique values, so lookups are pure and cached.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from importlib.resources import files

from handcraft_stats.errors import UsageError
from handcraft_stats.normalize.text import UNKNOWN_VALUE, Parsed, is_blank, squash

FLAG_FIELD = "new_practitioner"
# Texts used to mark "see the remarks": they must never be read as a vocabulary value.
NEVER_MATCH = frozenset({"见备注"})


def sees_note(raw: object) -> bool:
    """Does the cell say "see the remarks" (见备注) instead of a value?"""
    return isinstance(raw, str) and _key(raw) in NEVER_MATCH


@dataclass(frozen=True, slots=True)
class _FieldRule:
    table: str  # table name in vocab.toml
    blank: Parsed[str]
    miss: Parsed[str]
    extra_codes: frozenset[str] = frozenset()
    contains: bool = False  # also match texts that contain a keyword (longest wins)
    exact_only: frozenset[str] = frozenset()  # codes never matched by containment


_RULES: dict[str, _FieldRule] = {
    "labor_capacity": _FieldRule(
        "labor_capacity",
        Parsed("unknown"),
        Parsed("unknown", UNKNOWN_VALUE),
        frozenset({"unknown"}),
    ),
    "willing": _FieldRule(
        "willing", Parsed("unknown"), Parsed("unknown", UNKNOWN_VALUE), frozenset({"unknown"})
    ),
    "wing": _FieldRule(
        "wing",
        Parsed("none"),
        Parsed("other", UNKNOWN_VALUE),
        contains=True,
        exact_only=frozenset({"none"}),
    ),
    "status": _FieldRule("status", Parsed(None), Parsed(None, UNKNOWN_VALUE)),
    FLAG_FIELD: _FieldRule("flag", Parsed("false"), Parsed("false", UNKNOWN_VALUE)),
}
FIELDS = tuple(_RULES)


_TRAILING_NOTE = re.compile(r"\([^()]*\)$")  # squashed: brackets are ASCII


def _key(raw: object) -> str:
    return squash(raw).casefold()


def _load_defaults() -> dict[str, dict[str, list[str]]]:
    resource = files("handcraft_stats") / "defaults" / "vocab.toml"
    data = tomllib.loads(resource.read_text(encoding="utf-8"))
    return {table: dict(codes) for table, codes in data.items()}


class Vocabulary:
    """Spelling → code tables for the vocabulary fields, with config extensions on top."""

    def __init__(self, extra: Mapping[str, Mapping[str, str]] | None = None) -> None:
        defaults = _load_defaults()
        self._exact: dict[str, dict[str, str]] = {}
        self._keywords: dict[str, list[tuple[str, str]]] = {}
        self._cache: dict[str, dict[tuple[type, object], Parsed[str]]] = {}
        for field, rule in _RULES.items():
            codes = defaults.get(rule.table, {})
            allowed = set(codes) | rule.extra_codes
            table: dict[str, str] = {}
            for code, spellings in codes.items():
                for spelling in spellings:
                    table[_key(spelling)] = code
            for spelling, code in (extra or {}).get(field, {}).items():
                if code not in allowed:
                    raise UsageError(
                        f"vocabulary {field}: {spelling!r} maps to unknown code {code!r}; "
                        f"use one of {', '.join(sorted(allowed))}"
                    )
                if _key(spelling) in NEVER_MATCH:
                    raise UsageError(
                        f"vocabulary {field}: {spelling!r} means 'see the remarks' and is never "
                        "read as a value (the remarks are not read): have the value written in "
                        "the column itself, or leave it (it counts as unknown)"
                    )
                table[_key(spelling)] = code
            for never in NEVER_MATCH:
                table.pop(never, None)
            self._exact[field] = table
            self._cache[field] = {}
            if rule.contains:
                words = [(k, c) for k, c in table.items() if k and c not in rule.exact_only]
                self._keywords[field] = sorted(words, key=lambda kc: -len(kc[0]))
        from .names import traditional_only

        self._traditional = traditional_only(k for t in self._exact.values() for k in t)
        unknown = set(extra or {}) - set(_RULES)
        if unknown:
            raise UsageError(f"no vocabulary for field(s): {', '.join(sorted(unknown))}")

    def codes(self, field: str) -> frozenset[str]:
        """Every code a spelling of ``field`` can map to."""
        return frozenset(self._exact[field].values())

    def _match(self, field: str, raw: object) -> Parsed[str]:
        rule = _RULES[field]
        if is_blank(raw):
            return rule.blank
        key = _key(raw)
        if not key:
            return rule.blank
        if key in NEVER_MATCH:
            return rule.miss
        code = self._exact[field].get(key)
        if code is not None:
            return Parsed(code)
        # a known spelling with a note after it in brackets: 已脱贫(2017年), 普通劳动力(务农)
        base = _TRAILING_NOTE.sub("", key)
        if base != key and (code := self._exact[field].get(base)) is not None:
            return Parsed(code)
        for word, word_code in self._keywords.get(field, ()):
            if word in key:
                return Parsed(word_code)
        if not self._traditional.isdisjoint(key):  # 普通勞動力, 已脫貧: traditional characters
            from .names import simplified

            simple = simplified(key)
            if simple != key:
                return self._match(field, simple)
        return rule.miss

    def lookup(self, field: str, raw: object) -> Parsed[str]:
        """The code of ``raw`` in ``field``; blank and unknown texts follow docs/metrics.md §4."""
        if field not in _RULES:
            raise KeyError(f"no vocabulary for field {field!r}")
        cache = self._cache[field]
        try:
            token = (type(raw), raw)
            hit = cache.get(token)
        except TypeError:  # unhashable cell value: compute without caching
            return self._match(field, raw)
        if hit is None:
            hit = cache[token] = self._match(field, raw)
        return hit

    def parse_flag(self, raw: object) -> Parsed[bool]:
        """Yes/no flag (new_practitioner): 是/√/1/Y/有 → True; 否/×/0/N/无/blank → False."""
        if isinstance(raw, bool):
            return Parsed(raw)
        found = self.lookup(FLAG_FIELD, raw)
        return Parsed(found.value == "true", found.problem)
