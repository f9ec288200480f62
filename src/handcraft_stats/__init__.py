"""hcs — handcraft stats: messy county rosters in, traceable programme figures out.

The public API is imported lazily (PEP 562), so `hcs --help` and light commands do not
pay for pandas, DuckDB and friends.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from .config import Settings, load_settings
from .errors import EnvironmentProblem, HcsError, RefusedFile, UsageError

if TYPE_CHECKING:
    from .metrics import Summary, summarize
    from .pipeline import IngestReport, check, ingest
    from .store import Store

_LAZY = {
    "Summary": "metrics", "summarize": "metrics", "IngestReport": "pipeline",
    "check": "pipeline", "ingest": "pipeline", "Store": "store",
}  # fmt: skip

__all__ = [
    "EnvironmentProblem",
    "HcsError",
    "IngestReport",
    "RefusedFile",
    "Settings",
    "Store",
    "Summary",
    "UsageError",
    "check",
    "ingest",
    "load_settings",
    "summarize",
]
__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
