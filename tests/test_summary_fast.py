"""The summary's fast paths give the figures of the plain definitions: the counties of the
store's persons read from their rows (engine.StoreTables), every grouping added up in
Python from one aggregation (metrics.sums)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import narwhals as nw
import pytest
from hypothesis import given
from hypothesis import strategies as st

from handcraft_stats import Store, summarize
from handcraft_stats.engine import StoreTables

PLAIN_PLACED = """
    SELECT DISTINCT p.* EXCLUDE (county, other_counties), m.county AS roster_county
    FROM persons p JOIN person_records m
      ON p.person_key = m.person_key AND m.period = p.period AND m.tier = p.tier
    WHERE p.period = {y}"""

PLAIN_FIRST = (  # the first of her counties by name counts her for the city
    "SELECT q.*, q.roster_county = min(q.roster_county) "
    "OVER (PARTITION BY q.tier, q.person_key) AS first_county FROM (" + PLAIN_PLACED + ") q"
)


def test_placed_is_persons_joined_with_their_rosters(sample_db: tuple[Path, Any, Any]) -> None:
    """The counties a person's row names are those of her records: always the rows of the
    plain join, and one counted row per person, in her first county by name."""
    with Store(sample_db[0], read_only=True) as store:
        shared = 0
        for year in (2016, 2017):
            placed = StoreTables(store).frame("placed", year).to_native()
            plain = store.rel(PLAIN_PLACED.format(y=year))
            got = placed.project(", ".join(f'"{c}"' for c in plain.columns))
            assert sorted(got.fetchall(), key=repr) == sorted(plain.fetchall(), key=repr)
            counted = nw.from_native(placed).filter(nw.col("first_county"))
            per_person = counted.group_by("tier", "person_key").agg(nw.len().alias("n"))
            n = per_person.select(nw.col("n").max(), nw.len().alias("persons")).collect().row(0)
            total = store.con.execute(
                "SELECT count(*) FROM persons WHERE period = ?", [year]
            ).fetchall()[0][0]
            assert n == (1, total)
            firsts = store.con.execute(
                "SELECT count(*) FROM persons p JOIN (SELECT tier, person_key, min(county) AS c "
                "FROM person_records WHERE period = $y GROUP BY ALL) m USING (tier, person_key) "
                "WHERE p.period = $y AND p.county = m.c",
                {"y": year},
            ).fetchall()[0][0]
            assert firsts == total
            shared += placed.filter("NOT first_county").count("*").fetchall()[0][0]
        assert shared > 0  # the sample has women on two counties' rosters


def test_the_summary_is_the_same_from_persons_placed_by_their_records(
    sample_db: tuple[Path, Any, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The summary of the plain join (persons × the distinct counties of their records,
    the first by name counting her) is the summary of the counties her row names."""
    with Store(sample_db[0], read_only=True) as store:
        for year, tier in ((2017, "probable"), (2017, "certain"), (2016, "probable")):
            fast = summarize(store, year, tier, since=2016, details=True).to_dict()
            monkeypatch.setitem(StoreTables.SQL, "placed", PLAIN_FIRST)
            slow = summarize(store, year, tier, since=2016, details=True).to_dict()
            monkeypatch.undo()
            assert json.dumps(fast, ensure_ascii=False) == json.dumps(slow, ensure_ascii=False)


@given(
    st.lists(
        st.tuples(st.integers(0, 7), st.sampled_from(["丰县", "沛县", "睢宁县", "新沂市", "邳州市"])),
        min_size=1, max_size=40,
    )
)  # fmt: skip
def test_roster_counties_are_each_persons_sorted_distinct_counties(
    records: list[tuple[int, str]],
) -> None:
    """survivorship._rosters (what persons.county and other_counties hold): per person,
    her counties in name order, the first apart, the others a list (null when none), and
    how many; the first is the survivor's county when she has one record."""
    import numpy as np
    import pandas as pd
    import pyarrow as pa

    from handcraft_stats.survivorship import _rosters

    codes = np.array([c for c, _ in records])
    _, codes = np.unique(codes, return_inverse=True)  # persons 0..n-1, as key_codes gives
    n = int(codes.max()) + 1
    counties = pd.Series([c for _, c in records], dtype="string[pyarrow]")
    sizes = np.bincount(codes, minlength=n)
    at = np.array([int(np.flatnonzero(codes == p)[0]) for p in range(n)])  # any of hers
    count, first, others = _rosters(counties, codes, sizes[codes] > 1, at, n)
    rest = pa.array(others).to_pylist()
    for p in range(n):
        mine = sorted({c for (q, c) in zip(codes, counties, strict=True) if q == p})
        assert (count[p], first[p], rest[p]) == (len(mine), mine[0], mine[1:] or None)
