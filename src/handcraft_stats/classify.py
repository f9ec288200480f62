"""Person values -> defaults for blank cells and the class of METRICS.md §5."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported where a frame is classified: `hcs summary` needs only the names
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


def cents(values: pd.Series) -> pd.Series:
    """Yuan (Decimal, float or text with 2 decimals) -> integer cents; missing stays missing.
    Amounts are below 10^12 yuan (normalize/numbers.py), so float cents are exact."""
    import pandas as pd

    if pd.api.types.is_float_dtype(values) or pd.api.types.is_integer_dtype(values):
        number = values.astype("float64")  # the store's DECIMAL arrives as float64
    else:
        number = pd.to_numeric(values.astype("string"), errors="coerce")
    return (number * 100).round().astype("Int64")


def classify_frame(persons: pd.DataFrame) -> pd.DataFrame:
    """Fill the defaults of METRICS.md §4 (blank capacity -> unknown, …) and add `class`."""
    p = persons.copy(deep=False)  # pandas 3 copies on write: the caller's frame stays as it is
    p["labor_capacity"] = p["labor_capacity"].fillna("unknown")
    p["willing"] = p["willing"].fillna("unknown")
    p["wing"] = p["wing"].fillna("none")
    p["new_practitioner"] = p["new_practitioner"].astype("boolean").fillna(False).astype(bool)
    derived = p["exit_year"].notna().map({True: "exited", False: "not_exited"})
    p["status"] = p["status"].fillna(derived)
    pair = p["labor_capacity"].astype(str) + "|" + p["willing"].astype(str)
    classes = {k: person_class(*k.split("|", 1)) for k in pair.unique()}
    p["class"] = pair.map(classes)
    p["income_before_cents"] = cents(p["income_before"])
    p["income_after_cents"] = cents(p["income_after"])
    return p
