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
from .store import Store
from .tiers import require_tier

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


# Every part of metric_exprs is a sum (a count is a sum of ones), so the figures of a group
# are the sums over any partition of it: one aggregation by fine keys, added up in Python
# for the coarser groupings, gives every grouping at once (exact: Python integers).
PARTS = ("persons", "trained", "training_person_times", "new_practitioners", "_inc_cents",
         "_inc_n", "exits", "returned_to_poverty")  # fmt: skip
Parts = dict[str, int]


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


def sums(
    frame: nw.LazyFrame[Any], keys: Sequence[str], year: int,
    extra: dict[str, nw.Expr] | None = None,
) -> list[tuple[tuple[Any, ...], Parts]]:  # fmt: skip
    """One aggregation: per group of `keys`, the key values and the metrics' parts (PARTS,
    then the `extra` sums), as Python integers (missing sums are 0)."""
    exprs = [*metric_exprs(year), *(e.alias(name) for name, e in (extra or {}).items())]
    names = [*PARTS, *(extra or {})]
    lazy = frame.group_by(*keys).agg(*exprs) if keys else frame.select(*exprs)
    rows = lazy.collect().rows(named=True)
    return [(tuple(r[k] for k in keys), {n: int(r[n] or 0) for n in names}) for r in rows]


def add_up(rows: Sequence[tuple[tuple[Any, ...], Parts]], key: Any) -> dict[Any, Parts]:
    """The parts summed by `key(group key values)` (None: left out)."""
    out: dict[Any, Parts] = {}
    for values, parts in rows:
        k = key(values)
        if k is None:
            continue
        into = out.setdefault(k, dict.fromkeys(parts, 0))
        for name, n in parts.items():
            into[name] += n
    return out


def _by_text(counts: dict[Any, int]) -> dict[str, int]:
    """Counts keyed by their key's text, in the order of the texts; zeros left out."""
    return {str(k): n for k, n in sorted(counts.items(), key=lambda kv: str(kv[0])) if n}


@dataclass(frozen=True)
class Summary:
    """`hcs summary` for one year and tier: to_dict() is the summary.schema.json document."""

    document: dict[str, Any]
    county_order: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return self.document


class Tables(Protocol):
    """Where the figures read from: lazy frames of one period (engine.py: the store, or a
    Parquet dataset on DuckDB or Spark). Frames: placed (person × roster county, with
    `first_county` true in exactly one row of each person), files, records, issues, links,
    skipped; only the period's active files."""

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
    check_since(since, year)
    tables = StoreTables(source) if isinstance(source, Store) else source
    tables.require_period(year)
    at_tier = nw.col("tier") == tier
    # One aggregation holds every person figure: the persons on each county's rosters by
    # county, wing, class, exit year and whether the row is the one that counts her for
    # the city (a woman on two counties' rosters has a row in each).
    keys = ["roster_county", "wing", "class", "exit_year", "first_county"]
    rows = sums(tables.frame("placed", year).filter(at_tier), keys, year, PERSON_SUMS)
    cells = [(k[1:4], parts) for k, parts in rows if k[4]]  # wing, class, exit year
    placed = [(k[:3], parts) for k, parts in rows]  # county, wing, class
    city = add_up(cells, lambda k: ()).get((), dict.fromkeys(PARTS + tuple(PERSON_SUMS), 0))
    counties = _counties(placed, county_order)
    issues = _counts(_issues_at(tables, year, tier), ["county", "code"])
    doc: dict[str, Any] = {
        "year": year,
        "link_tier": tier,
        "source": {
            "files": _size(tables.frame("files", year)),
            "records": _size(tables.frame("records", year)),
            "persons": city["persons"],
            "persons_on_probable_links": city["probable"],
        },
        "totals": _finish(city),
        "wings": _by_wing(cells),
        "counties": counties,
        "classification": _classes(cells),
        "exits_by_year": _exits_by_year(cells, _record_years(tables, year)),
        "quality": {
            "issues_by_code": _by_text(_sum_by(issues, 1)),
            "links_by_reason": _count(_accepted(tables, year, tier), "reason"),
            "cross_county_persons": city["cross_county"],
            "rows_skipped_by_kind": _count(tables.frame("skipped", year), "kind"),
        },
    }
    if details:
        doc["classification_by_county"] = _classes_by_county(placed, tuple(counties))
        doc["quality"]["issues_by_county"] = _issues_by_county(issues, tuple(counties))
    if since is not None:
        doc["exits_since"] = _exits_since(cells, since, year)
    return Summary(doc, tuple(counties))


def without_detail(doc: dict[str, Any]) -> dict[str, Any]:
    """The document as `summarize(details=False)` makes it: the `--detail` keys left out."""
    out = {k: v for k, v in doc.items() if k != "classification_by_county"}
    out["quality"] = {k: v for k, v in doc["quality"].items() if k != "issues_by_county"}
    return out


def check_since(since: int | None, year: int) -> None:
    """UsageError (exit 2) unless `since` is None or a year from 2000 to `year`."""
    if since is not None and not 2000 <= since <= year:
        raise UsageError(f"--since {since} must be a year from 2000 to {year}")


# the person aggregation's sums beside the metrics' parts
PERSON_SUMS = {
    "probable": nw.col("probable").cast(nw.Int64).sum(),
    "cross_county": (nw.col("counties") > 1).cast(nw.Int64).sum(),
    "exited": (nw.col("status") == "exited").cast(nw.Int64).sum(),
}
Cells = Sequence[tuple[tuple[Any, ...], Parts]]


def _by_wing(cells: Cells) -> dict[str, Any]:
    """The metrics of every wing (cells keyed wing, class, exit year)."""
    wings = {w: empty_metrics() for w in WINGS}
    for wing, parts in _sorted(add_up(cells, lambda k: k[0])):
        wings[wing] = _finish(parts)
    return wings


def _counties(placed: Cells, county_order: Sequence[str]) -> dict[str, dict[str, Any]]:
    """The metrics of every county and county × wing (cells keyed county, wing, class), the
    counties in `county_order`, then by name."""
    counties: dict[str, dict[str, Any]] = {}
    for name, parts in _sorted(add_up(placed, lambda k: k[0])):
        counties[name] = {**_finish(parts), "wings": {w: empty_metrics() for w in WINGS}}
    for (name, wing), parts in _sorted(add_up(placed, lambda k: k[:2])):
        counties[name]["wings"][wing] = _finish(parts)
    order = {c: i for i, c in enumerate(county_order)}
    return dict(sorted(counties.items(), key=lambda kv: (order.get(kv[0], 999), kv[0])))


def _classes(cells: Cells) -> dict[str, int]:
    """Persons per class: every class of METRICS.md §5, zeros included."""
    classes = dict.fromkeys(CLASSES, 0)
    classes.update(_by_text({k: p["persons"] for k, p in add_up(cells, lambda k: k[1]).items()}))
    return classes


def _exits_by_year(cells: Cells, years: set[int]) -> dict[str, int]:
    """Persons with status exited per exit year, for every exit year of the period's
    records (METRICS.md §7): a year only returned or conflicting records hold is there
    with 0, so a reader sees the year was reported and no one counted for it."""
    exited = add_up(cells, lambda k: k[2])
    by_year = dict.fromkeys(years, 0)
    by_year.update({int(y): p["exited"] for y, p in exited.items() if y is not None})
    return {str(y): by_year[y] for y in sorted(by_year)}


def _record_years(tables: Tables, year: int) -> set[int]:
    """The exit years written on the period's active records."""
    years = tables.frame("records", year).select("exit_year").drop_nulls().unique()
    return {int(r[0]) for r in years.collect().rows()}


def _sorted(groups: dict[Any, Parts]) -> list[tuple[Any, Parts]]:
    """Groups in the order of their keys' text (a fixed order whatever the engine's)."""
    return sorted(groups.items(), key=lambda kv: str(kv[0]))


def _counts(frame: nw.LazyFrame[Any], keys: Sequence[str]) -> dict[tuple[Any, ...], int]:
    """Rows per group of `keys`, in one aggregation."""
    rows = frame.group_by(*keys).agg(nw.len().alias("n")).collect().rows()
    return {tuple(r[:-1]): int(r[-1]) for r in rows}


def _count(frame: nw.LazyFrame[Any], key: str) -> dict[str, int]:
    """Rows per value of `key` (as text), in the order of the keys' text."""
    return _by_text(_sum_by(_counts(frame, [key]), 0))


def _sum_by(counts: dict[tuple[Any, ...], int], at: int) -> dict[Any, int]:
    out: dict[Any, int] = {}
    for key, n in counts.items():
        out[key[at]] = out.get(key[at], 0) + n
    return out


def _size(frame: nw.LazyFrame[Any]) -> int:
    return int(frame.select(nw.len()).collect().item())


def _issues_at(tables: Tables, year: int, tier: str) -> nw.LazyFrame[Any]:
    """Issues of the period's active files: record and file issues, conflicts of `tier`."""
    issues = tables.frame("issues", year)
    return issues.filter(nw.col("tier").is_null() | (nw.col("tier") == tier))


def _accepted(tables: Tables, year: int, tier: str) -> nw.LazyFrame[Any]:
    """The accepted links of `tier`."""
    links = tables.frame("links", year)
    return links.filter(nw.col("tier") == tier, nw.col("status") == "accepted")


def _classes_by_county(cells: Cells, order: Sequence[str]) -> dict[str, Any]:
    """Persons per class on each county's rosters (every class, zeros included)."""
    out = {c: dict.fromkeys(CLASSES, 0) for c in order}
    for (county, klass), parts in _sorted(add_up(cells, lambda k: (k[0], k[2]))):
        out[county][klass] = parts["persons"]
    return out


def _issues_by_county(counts: dict[tuple[Any, ...], int], order: Sequence[str]) -> dict[str, Any]:
    """Issues of the period's active files by county and code (counties in report order)."""
    out: dict[str, dict[str, int]] = {c: {} for c in order}
    for (county, code), n in sorted(counts.items(), key=lambda kv: tuple(map(str, kv[0]))):
        out.setdefault(str(county), {})[str(code)] = n
    return out


def _exits_since(cells: Cells, since: int, year: int) -> dict[str, Any]:
    """Persons with status exited and an exit year in since..year, in total and by wing."""
    by_wing = dict.fromkeys(WINGS, 0)
    inside = add_up(cells, lambda k: k[0] if k[2] is not None and since <= k[2] <= year else None)
    for wing, parts in _sorted(inside):
        if parts["exited"]:
            by_wing[wing] = parts["exited"]
    return {"since": since, "exits": sum(by_wing.values()), "by_wing": by_wing}
