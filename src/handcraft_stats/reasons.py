"""Why a file or a sheet was refused or skipped, in English and Chinese (labels.toml
`[reason]`).

A reason is made in English (`reason`): that text goes into json, csv, the store and
stderr, as before. Human formats show it in the report's language (`localised`), which
finds the entry whose English text the reason is, fills the entry's Chinese text with the
same parts, and leaves a text no entry matches (written by an older hcs, say) as it is.
So reasons stored by any hcs whose wording is still an entry are shown in Chinese too."""

from __future__ import annotations

import re
import string
from functools import cache

from .report.labels import label, shipped

SECTION = "reason"


def reason(key: str, **parts: object) -> str:
    """The English reason `key` of labels.toml `[reason]`, its `{name}`s filled in."""
    return _english()[key].format(**parts)


def localised(text: str, lang: str) -> str:
    """`text` (a reason made by `reason`) in `lang`; unknown texts as they are."""
    if lang == "en" or not text:
        return text
    for key, pattern in _patterns():
        found = pattern.fullmatch(text)
        if found is None:
            continue
        parts = {name: _part(value, lang) for name, value in found.groupdict().items()}
        return label(SECTION, key, lang).format(**parts)
    return text


def _part(value: str, lang: str) -> str:
    """A filled-in part, translated when it is a reason without parts of its own (the
    kind of a file, "no headers hcs knows"); anything else (names, numbers, a library's
    message) as it is."""
    key = _plain().get(value)
    return value if key is None else label(SECTION, key, lang)


@cache
def _english() -> dict[str, str]:
    # the shipped English, never hcs.toml's: it is what json and the store hold
    return {key: pair[1] for key, pair in shipped(SECTION).items()}


@cache
def _plain() -> dict[str, str]:
    """The reasons without parts, by their English text."""
    return {text: key for key, text in _english().items() if "{" not in text}


@cache
def _patterns() -> list[tuple[str, re.Pattern[str]]]:
    """Each reason's English text as a pattern, its `{name}`s as groups. Entries whose
    fixed text is longer come first: "cannot open as {suffix} workbook: damaged or
    truncated ({detail})" before "cannot open as {suffix} workbook: {detail}"."""
    out = []
    for key, template in _english().items():
        regex, fixed = [], 0
        for literal, name, _, _ in string.Formatter().parse(template):
            regex.append(re.escape(literal))
            fixed += len(literal)
            if name is not None:
                regex.append(f"(?P<{name}>.+?)")
        out.append((fixed, key, re.compile("".join(regex), re.DOTALL)))
    out.sort(key=lambda x: -x[0])
    return [(key, pattern) for _, key, pattern in out]
