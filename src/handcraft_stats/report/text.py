"""Plain-text renderers: JSON, CSV and Markdown of result objects."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from .tables import Table


def to_json(doc: Any) -> str:
    return json.dumps(doc, ensure_ascii=False, indent=2, default=str) + "\n"


def json_pieces(head: dict[str, Any], key: str, batches: Iterable[list[Any]]) -> Iterator[str]:
    """`to_json({**head, key: items})` in pieces, the items coming batch by batch: a list
    of millions is written without being held whole (its last key must be `key`)."""
    text = to_json({**head, key: []})
    tail = f'"{key}": []\n}}\n'
    yield text[: -len(tail)] + f'"{key}": ['
    empty = True
    for piece in _items(batches, "    ", "\n"):
        empty = empty and not piece
        yield piece
    yield "]\n}\n" if empty else "\n  ]\n}\n"


def json_list_pieces(batches: Iterable[list[Any]]) -> Iterator[str]:
    """`to_json(items)` of a list in pieces, the items coming batch by batch."""
    empty = True
    for piece in _items(batches, "  ", "[\n"):
        empty = empty and not piece
        yield piece
    yield "[]\n" if empty else "\n]\n"


def _items(batches: Iterable[list[Any]], indent: str, opening: str) -> Iterator[str]:
    """A JSON list's items as `to_json` writes them, one piece per batch: the first led by
    `opening`, the others by a comma, each indented by `indent` ("" for an empty batch)."""
    lead = opening
    for batch in batches:
        parts = []
        for item in batch:
            body = json.dumps(item, ensure_ascii=False, indent=2, default=str)
            parts.append(lead + _indented(body, indent))
            lead = ",\n"
        yield "".join(parts)


def _indented(body: str, prefix: str) -> str:
    """`body`'s lines (split at "\n" only) each led by `prefix`. Not textwrap.indent: it
    also splits at U+0085, U+2028 and the like, which json.dumps leaves in strings, and
    so put spaces inside a name that held one."""
    return prefix + body.replace("\n", "\n" + prefix)


FORMULA = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value: Any) -> Any:
    """A cell as a spreadsheet may read it: text starting with = + - @ (or a tab or
    carriage return) is prefixed with ' so that it is never run as a formula. Numbers stay
    numbers (a negative number is not text)."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA):
        return "'" + value
    return value


def to_csv(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow([csv_safe(h) for h in header])
    w.writerows([csv_safe(v) for v in r] for r in rows)
    return buf.getvalue()


def _md_cell(v: Any) -> str:
    text = "—" if v is None else f"{v:,.2f}" if isinstance(v, float) else str(v)
    return text.replace("|", "\\|")


def to_markdown(tables: Sequence[Table], title: str = "") -> str:
    parts = [f"# {title}\n"] if title else []
    for t in tables:
        parts.append(f"## {t.title}\n")
        parts.append("| " + " | ".join(t.columns) + " |")
        parts.append("|" + "|".join("---" for _ in t.columns) + "|")
        parts += ["| " + " | ".join(_md_cell(v) for v in r) + " |" for r in t.rows]
        parts += ["", t.note] if t.note else []
        parts.append("")
    return "\n".join(parts)
