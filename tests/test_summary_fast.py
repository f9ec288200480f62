"""The summary's fast paths give the figures of the plain definitions: the counties of the
store's persons looked up by blocks of record ids (engine.StoreTables), every grouping
added up in Python from one aggregation (metrics.sums)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import narwhals as nw
import pytest

from handcraft_stats import Store, summarize
from handcraft_stats.engine import StoreTables

PLAIN_PLACED = """
    SELECT DISTINCT p.*, m.county AS roster_county FROM persons p JOIN person_records m
      ON p.person_key = m.person_key AND m.period = p.period AND m.tier = p.tier
    WHERE p.period = {y}"""


@pytest.mark.parametrize("block", [1, 3, 64, 4096, 1 << 30])
def test_placed_by_blocks_is_persons_joined_with_their_rosters(
    sample_db: tuple[Path, Any, Any], monkeypatch: pytest.MonkeyPatch, block: int
) -> None:
    """Blocks of one county (all of them with block 1), of two or more (all with 2^30),
    and a mix: always the rows of the plain join, and one counted row per person."""
    monkeypatch.setattr(StoreTables, "BLOCK", block)
    with Store(sample_db[0], read_only=True) as store:
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


def test_the_summary_does_not_depend_on_the_block_size(
    sample_db: tuple[Path, Any, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    with Store(sample_db[0], read_only=True) as store:
        docs = set()
        for block in (1, 64, 4096):
            monkeypatch.setattr(StoreTables, "BLOCK", block)
            for year, tier in ((2017, "probable"), (2017, "certain"), (2016, "probable")):
                doc = summarize(store, year, tier, since=2016, details=True).to_dict()
                docs.add((year, tier, json.dumps(doc, ensure_ascii=False)))
        assert len(docs) == 3
