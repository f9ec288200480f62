"""The figures of METRICS.md §7, the classification counts and the quality block, written
once in narwhals (the portable dataframe layer). DuckDB evaluates them on the store or on a
Parquet dataset, Spark on a Parquet dataset (engine.py): the same expressions everywhere."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Protocol

import narwhals as nw

from .classify import CLASSES, WINGS
from .engine import StoreTables
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


class Tables(Protocol):
    """Where the figures read from: lazy frames of one period (engine.py: the store, or a
    Parquet dataset on DuckDB or Spark). Frames: persons, placed (person × roster county),
    files, records, issues, links, skipped; only the period's active files."""

    def require_period(self, year: int) -> None: ...

    def frame(self, name: str, year: int) -> nw.LazyFrame[Any]: ...


def summarize(source: Store | Tables, year: int, tier: str = "probable",
              county_order: Sequence[str] = (), since: int | None = None,
              details: bool = False) -> Summary:  # fmt: skip
    """The year's figures (METRICS.md §7) from the store or another source. `since`: add
    `exits_since`, the exits of the years since..year by wing; `details`: add the county
    breakdowns of the report (`classification_by_county`, `quality.issues_by_county`;
    docs/metrics.md §8)."""
    require_tier(tier)
    if since is not None and not 2000 <= since <= year:
        raise UsageError(f"--since {since} must be a year from 2000 to {year}")
    tables = StoreTables(source) if isinstance(source, Store) else source
    tables.require_period(year)
    at_tier = nw.col("tier") == tier
    persons = tables.frame("persons", year).filter(at_tier)
    placed = tables.frame("placed", year).filter(at_tier)
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
    classes.update(_count(persons, "class"))
    exited = persons.filter(nw.col("status") == "exited", ~nw.col("exit_year").is_null())
    by_year = _count(exited, "exit_year")
    doc: dict[str, Any] = {
        "year": year,
        "link_tier": tier,
        "source": source_counts(tables, year, persons),
        "totals": totals,
        "wings": wings,
        "counties": counties,
        "classification": classes,
        "exits_by_year": {k: by_year[k] for k in sorted(by_year, key=int)},
        "quality": quality(tables, year, tier, persons),
    }
    if details:
        doc["classification_by_county"] = _classes_by_county(placed, tuple(counties))
        doc["quality"]["issues_by_county"] = _issues_by_county(tables, year, tier, tuple(counties))
    if since is not None:
        doc["exits_since"] = _exits_since(persons, since, year)
    return Summary(doc, tuple(counties))


def _count(frame: nw.LazyFrame[Any], key: str) -> dict[str, int]:
    """Rows per value of `key` (as text), in the order of the keys' text."""
    rows = frame.group_by(key).agg(nw.len().alias("n")).collect().rows()
    return {str(k): int(n) for k, n in sorted(rows, key=lambda r: str(r[0])) if n}


def _size(frame: nw.LazyFrame[Any]) -> int:
    return int(frame.select(nw.len()).collect().item())


def source_counts(tables: Tables, year: int, persons: nw.LazyFrame[Any]) -> dict[str, int]:
    """`source`: the period's active files, their records, persons and how many of them
    rest on a probable link (`persons` already at the tier)."""
    row = persons.select(
        nw.len().alias("persons"), nw.col("probable").cast(nw.Int64).sum().alias("probable")
    ).collect().row(0)  # fmt: skip
    return {
        "files": _size(tables.frame("files", year)),
        "records": _size(tables.frame("records", year)),
        "persons": int(row[0] or 0),
        "persons_on_probable_links": int(row[1] or 0),
    }


def _issues_at(tables: Tables, year: int, tier: str) -> nw.LazyFrame[Any]:
    """Issues of the period's active files: record and file issues, conflicts of `tier`."""
    issues = tables.frame("issues", year)
    return issues.filter(nw.col("tier").is_null() | (nw.col("tier") == tier))


def quality(tables: Tables, year: int, tier: str, persons: nw.LazyFrame[Any]) -> dict[str, Any]:
    """`quality`: issues by code, accepted links by reason, persons on two or more counties'
    rosters, skipped rows by kind."""
    links = tables.frame("links", year).filter(
        nw.col("tier") == tier, nw.col("status") == "accepted"
    )
    return {
        "issues_by_code": _count(_issues_at(tables, year, tier), "code"),
        "links_by_reason": _count(links, "reason"),
        "cross_county_persons": _size(persons.filter(nw.col("counties") > 1)),
        "rows_skipped_by_kind": _count(tables.frame("skipped", year), "kind"),
    }


def _classes_by_county(placed: nw.LazyFrame[Any], order: Sequence[str]) -> dict[str, Any]:
    """Persons per class on each county's rosters (every class, zeros included)."""
    out = {c: dict.fromkeys(CLASSES, 0) for c in order}
    rows = placed.group_by("roster_county", "class").agg(nw.len().alias("n")).collect()
    for r in rows.rows(named=True):
        out[r["roster_county"]][r["class"]] = int(r["n"])
    return out


def _issues_by_county(tables: Tables, year: int, tier: str, order: Sequence[str]) -> dict[str, Any]:
    """Issues of the period's active files by county and code (counties in report order)."""
    rows = (
        _issues_at(tables, year, tier).group_by("county", "code").agg(nw.len().alias("n"))
        .collect().rows()
    )  # fmt: skip
    out: dict[str, dict[str, int]] = {c: {} for c in order}
    for county, code, n in sorted(rows, key=lambda r: (str(r[0]), str(r[1]))):
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
