"""The link tiers (METRICS.md §2), apart from link.py so that reading figures does not
import pandas (`hcs summary` starts 0.14 s sooner without it)."""

from __future__ import annotations

from .errors import UsageError

CERTAIN = "certain"
PROBABLE = "probable"
TIERS = (CERTAIN, PROBABLE)


def require_tier(tier: str) -> None:
    """UsageError (exit 2) for an unknown link tier."""
    if tier not in TIERS:
        raise UsageError(f"unknown link tier {tier!r}: use certain or probable")
