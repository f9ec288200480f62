"""Person values -> defaults for blank cells and the class of METRICS.md §5."""

from __future__ import annotations

from decimal import Decimal

import pandas as pd

CLASSES = (
    "able_willing", "able_unwilling", "able_unknown", "weak_willing", "weak_unwilling",
    "weak_unknown", "unable", "unknown",
)  # fmt: skip
WINGS = ("handicraft", "domestic_service", "ecommerce", "agriculture", "other", "none")


def person_class(capacity: str, willing: str) -> str:
    """The class of METRICS.md §5 for a capacity and willingness code."""
    if capacity in ("able", "skilled"):
        group = "able"
    elif capacity == "weak":
        group = "weak"
    elif capacity in ("lost", "none"):
        return "unable"
    else:
        return "unknown"
    suffix = {"yes": "willing", "no": "unwilling"}.get(willing, "unknown")
    return f"{group}_{suffix}"


def _cents(v: object) -> int | None:
    if v is None or v is pd.NA or (isinstance(v, float) and v != v):
        return None
    return int(Decimal(str(v)) * 100)


def classify_frame(persons: pd.DataFrame) -> pd.DataFrame:
    """Fill the defaults of METRICS.md §4 (blank capacity -> unknown, …) and add `class`."""
    p = persons.copy()
    p["labor_capacity"] = p["labor_capacity"].fillna("unknown")
    p["willing"] = p["willing"].fillna("unknown")
    p["wing"] = p["wing"].fillna("none")
    p["new_practitioner"] = p["new_practitioner"].astype("boolean").fillna(False).astype(bool)
    derived = p["exit_year"].notna().map({True: "exited", False: "not_exited"})
    p["status"] = p["status"].fillna(derived)
    p["class"] = [
        person_class(c, w) for c, w in zip(p["labor_capacity"], p["willing"], strict=True)
    ]
    p["income_before_cents"] = pd.array([_cents(v) for v in p["income_before"]], dtype="Int64")
    p["income_after_cents"] = pd.array([_cents(v) for v in p["income_after"]], dtype="Int64")
    return p
