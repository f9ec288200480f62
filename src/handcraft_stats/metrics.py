"""The figures of METRICS.md §7, written once in narwhals (the portable dataframe
layer): DuckDB evaluates them here, Spark can evaluate the same expressions."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import narwhals as nw

from .classify import CLASSES, WINGS
from .errors import UsageError
from .link import require_tier
from .store import Store

METRICS = (
    "persons", "trained", "training_person_times", "new_practitioners",
    "income_increase_mean", "exits", "returned_to_poverty",
)  # fmt: skip


def metric_exprs(year: int) -> list[nw.Expr]:
    """One expression per metric (income as sum and count, combined in Python)."""
    trainings = nw.col("trainings").fill_null(0)
    both = ~nw.col("income_before_cents").is_null() & ~nw.col("income_after_cents").is_null()
    increase = nw.col("income_after_cents") - nw.col("income_before_cents")
    exited = (nw.col("status") == "exited") & (nw.col("exit_year") == year)
    return [
        nw.len().alias("persons"),
        (trainings >= 1).cast(nw.Int64).sum().alias("trained"),
        trainings.cast(nw.Int64).sum().alias("training_person_times"),
        nw.col("new_practitioner").cast(nw.Int64).sum().alias("new_practitioners"),
        nw.when(both).then(increase).otherwise(None).sum().alias("_inc_cents"),
        both.cast(nw.Int64).sum().alias("_inc_n"),
        exited.cast(nw.Int64).sum().alias("exits"),
        (nw.col("status") == "returned").cast(nw.Int64).sum().alias("returned_to_poverty"),
    ]


def mean_yuan(cents: Any, n: Any) -> float | None:
    """Sum of cents / n, in yuan, rounded half up to 2 decimals."""
    if not n:
        return None
    value = (Decimal(int(cents)) / Decimal(int(n)) / 100).quantize(Decimal("0.01"), ROUND_HALF_UP)
    return float(value)


def _finish(row: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {m: int(row.get(m) or 0) for m in METRICS if m != "income_increase_mean"}
    out["income_increase_mean"] = mean_yuan(row.get("_inc_cents") or 0, row.get("_inc_n"))
    return {m: out[m] for m in METRICS}


def empty_metrics() -> dict[str, Any]:
    return _finish({})


def grouped(frame: nw.LazyFrame[Any], keys: Sequence[str], year: int) -> list[dict[str, Any]]:
    """Metrics per group of `keys` (no keys: one row for the whole frame)."""
    exprs = metric_exprs(year)
    lazy = frame.group_by(*keys).agg(*exprs) if keys else frame.select(*exprs)
    rows = lazy.collect().rows(named=True)
    return [{**{k: r[k] for k in keys}, **_finish(r)} for r in rows]


@dataclass(frozen=True)
class Summary:
    """`hcs summary` for one year and tier: to_dict() is the summary.schema.json document."""

    document: dict[str, Any]
    county_order: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return self.document


def summarize(store: Store, year: int, tier: str = "probable",
              county_order: Sequence[str] = (), since: int | None = None,
              details: bool = False) -> Summary:  # fmt: skip
    """The year's figures (METRICS.md §7) from the store. `since`: add `exits_since`, the
    exits of the years since..year by wing; `details`: add the county breakdowns of the
    report (`classification_by_county`, `quality.issues_by_county`; docs/metrics.md §8)."""
    require_tier(tier)
    if since is not None and not 2000 <= since <= year:
        raise UsageError(f"--since {since} must be a year from 2000 to {year}")
    store.require_periods(year)
    where = f"period = {int(year)} AND tier = '{tier}'"
    persons = nw.from_native(store.rel(f"SELECT * FROM persons WHERE {where}"))
    placed = nw.from_native(
        store.rel(
            f"SELECT DISTINCT p.*, m.county AS roster_county FROM persons p JOIN person_records m "
            f"ON p.person_key = m.person_key AND m.period = p.period AND m.tier = p.tier "
            f"WHERE p.{where.replace(' AND ', ' AND p.')}"
        )
    )
    totals = grouped(persons, [], year)[0]
    wings = {w: empty_metrics() for w in WINGS}
    for r in grouped(persons, ["wing"], year):
        wings[r.pop("wing")] = r
    counties: dict[str, dict[str, Any]] = {}
    for r in grouped(placed, ["roster_county"], year):
        name = r.pop("roster_county")
        counties[name] = {**r, "wings": {w: empty_metrics() for w in WINGS}}
    for r in grouped(placed, ["roster_county", "wing"], year):
        name, wing = r.pop("roster_county"), r.pop("wing")
        counties[name]["wings"][wing] = r
    order = {c: i for i, c in enumerate(county_order)}
    counties = dict(sorted(counties.items(), key=lambda kv: (order.get(kv[0], 999), kv[0])))
    classes = dict.fromkeys(CLASSES, 0)
    counted = persons.group_by("class").agg(nw.len().alias("n")).collect().rows(named=True)
    classes.update({r["class"]: int(r["n"]) for r in counted})
    exited = persons.filter(nw.col("status") == "exited", ~nw.col("exit_year").is_null())
    by_year = exited.group_by("exit_year").agg(nw.len().alias("n")).collect().rows(named=True)
    doc: dict[str, Any] = {
        "year": year,
        "link_tier": tier,
        "source": store.source_counts(year, tier),
        "totals": totals,
        "wings": wings,
        "counties": counties,
        "classification": classes,
        "exits_by_year": {
            str(r["exit_year"]): int(r["n"]) for r in sorted(by_year, key=lambda r: r["exit_year"])
        },
        "quality": store.quality(year, tier),
    }
    if details:
        doc["classification_by_county"] = _classes_by_county(placed, tuple(counties))
        doc["quality"]["issues_by_county"] = _issues_by_county(store, year, tier, tuple(counties))
    if since is not None:
        doc["exits_since"] = _exits_since(persons, since, year)
    return Summary(doc, tuple(counties))


def _classes_by_county(placed: nw.LazyFrame[Any], order: Sequence[str]) -> dict[str, Any]:
    """Persons per class on each county's rosters (every class, zeros included)."""
    out = {c: dict.fromkeys(CLASSES, 0) for c in order}
    rows = placed.group_by("roster_county", "class").agg(nw.len().alias("n")).collect()
    for r in rows.rows(named=True):
        out[r["roster_county"]][r["class"]] = int(r["n"])
    return out


def _issues_by_county(store: Store, year: int, tier: str, order: Sequence[str]) -> dict[str, Any]:
    """Issues of the period's active files by county and code (counties in report order)."""
    frame = store.df(
        "SELECT county, code, count(*) AS n FROM issues WHERE file_id IN "
        "(SELECT file_id FROM files WHERE active AND period = $year) "
        "AND (tier IS NULL OR tier = $tier) GROUP BY county, code ORDER BY county, code",
        {"year": year, "tier": tier},
    )
    out: dict[str, dict[str, int]] = {c: {} for c in order}
    for county, code, n in frame.itertuples(index=False):
        out.setdefault(str(county), {})[str(code)] = int(n)
    return out


def _exits_since(persons: nw.LazyFrame[Any], since: int, year: int) -> dict[str, Any]:
    """Persons with status exited and an exit year in since..year, in total and by wing."""
    exited = persons.filter(
        nw.col("status") == "exited", nw.col("exit_year") >= since, nw.col("exit_year") <= year
    )
    by_wing = dict.fromkeys(WINGS, 0)
    for r in exited.group_by("wing").agg(nw.len().alias("n")).collect().rows(named=True):
        by_wing[r["wing"]] = int(r["n"])
    return {"since": since, "exits": sum(by_wing.values()), "by_wing": by_wing}
