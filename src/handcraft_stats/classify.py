"""Person values -> defaults for blank cells and the class of METRICS.md §5."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

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


def _arrow_text(column: pd.Series) -> bool:
    import pandas as pd

    return column.dtype == "str" and isinstance(column.array, pd.arrays.ArrowStringArray)


def _arrow(column: pd.Series) -> Any:
    """The Arrow array of an Arrow-backed text column, in one chunk."""
    return column.array.__arrow_array__().combine_chunks()


def classify_frame(persons: pd.DataFrame) -> pd.DataFrame:
    """Fill the defaults of METRICS.md §4 (blank capacity -> unknown, …) and add `class`."""
    import numpy as np
    import pandas as pd
    import pyarrow as pa
    import pyarrow.compute as pc

    p = persons.copy(deep=False)  # pandas 3 copies on write: the caller's frame stays as it is
    exited = p["exit_year"].notna().to_numpy()
    if all(_arrow_text(p[c]) for c in ("labor_capacity", "willing", "wing", "status")):
        # the store's columns (Arrow text): filled by Arrow, and each row's class taken
        # from the classes of the (capacity, willingness) pairs met, a third of the time
        fill = {c: _arrow(p[c]) for c in ("labor_capacity", "willing", "wing", "status")}
        for c, default in (("labor_capacity", "unknown"), ("willing", "unknown"),
                           ("wing", "none")):  # fmt: skip
            fill[c] = pc.fill_null(fill[c], default)
        derived = pc.if_else(pa.array(exited), "exited", "not_exited")
        fill["status"] = pc.coalesce(fill["status"], derived.cast(fill["status"].type))
        capacity, capacities = pd.factorize(pd.array(fill["labor_capacity"], dtype="str"))
        willing, willings = pd.factorize(pd.array(fill["willing"], dtype="str"))
        names = pa.array([person_class(c, w) for c in capacities for w in willings], pa.string())
        fill["class"] = names.take(pa.array(capacity * len(willings) + willing, pa.int64()))
        for c, array in fill.items():
            p[c] = pd.Series(pd.array(array, dtype="str"), index=p.index)
    else:  # another frame (tests' reference survivorship, object columns)
        p["labor_capacity"] = p["labor_capacity"].fillna("unknown")
        p["willing"] = p["willing"].fillna("unknown")
        p["wing"] = p["wing"].fillna("none")
        derived_s = pd.Series(np.where(exited, "exited", "not_exited"), index=p.index)
        p["status"] = p["status"].fillna(derived_s)
        pair = p["labor_capacity"].astype(str) + "|" + p["willing"].astype(str)
        classes = {k: person_class(*k.split("|", 1)) for k in pair.unique()}
        p["class"] = pair.map(classes)
    p["new_practitioner"] = p["new_practitioner"].astype("boolean").fillna(False).astype(bool)
    p["income_before_cents"] = cents(p["income_before"])
    p["income_after_cents"] = cents(p["income_after"])
    return p
