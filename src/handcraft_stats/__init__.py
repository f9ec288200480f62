"""hcs — handcraft stats: messy county rosters in, traceable programme figures out."""

from .config import Settings, load_settings
from .errors import EnvironmentProblem, HcsError, RefusedFile, UsageError
from .metrics import Summary, summarize
from .pipeline import IngestReport, check, ingest
from .store import Store

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
