"""What changed between two periods (动态管理): docs/metrics.md §7.

One DuckDB query matches the persons of the two periods and flags each change and check;
the sums by county and wing are taken in DuckDB too, and only the persons with a change
come to Python. The pandas version it replaced (tests/changes_reference.py, the tests'
oracle) held every person of both periods as Python objects: at 10M persons a period it
ran over 600 s and 20 GB."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pandas as pd
import pyarrow as pa

from .classify import WINGS
from .errors import UsageError
from .export_rows import mask_id_sql
from .memory import bounded_memory
from .report.tables import CHANGES, CHECKS
from .store import Store
from .tiers import require_tier

FIELDS = ["person_key", "name", "id_number", "birth_date", "has_id", "wing", "class", "status",
          "exit_year"]  # fmt: skip
FLAGS = (*CHANGES, *CHECKS)


@dataclass(frozen=True)
class Changes:
    """`hcs changes`: to_dict() is the JSON document; `persons` the per-person rows. The
    rows stay an Arrow table (`rows`) until asked for: `batches` hands them out a few
    thousand at a time, so a province's millions of changed persons can be written
    without holding them all as Python objects."""

    summary: dict[str, Any]  # the document but its persons
    rows: pa.Table

    def batches(self, size: int = 10_000) -> Iterator[list[dict[str, Any]]]:
        for batch in self.rows.to_batches(size):
            yield batch.to_pylist()

    @property
    def persons(self) -> pd.DataFrame:
        return pd.DataFrame(self.rows.to_pydict(), columns=self.rows.column_names)

    def to_dict(self) -> dict[str, Any]:
        return {**self.summary, "persons": [r for b in self.batches() for r in b]}

    def head(self, n: int | None) -> Changes:
        """The same summary (its figures count every person) with the first `n` persons."""
        return self if n is None else Changes(self.summary, self.rows.slice(0, n))


def _side(n: int) -> str:
    """Period n's persons with their counties (a sorted list) and first 15 ID characters."""
    return f"""p{n} AS (
        SELECT {", ".join(f"p.{f}" for f in FIELDS)},
               coalesce(c.counties, []::VARCHAR[]) AS counties, left(p.id_number, 15) AS id15,
               p.phone AS phone_key, p.survivor
        FROM persons p LEFT JOIN (
            SELECT person_key, list(DISTINCT county ORDER BY county) AS counties
            FROM person_records WHERE period = $y{n} AND tier = $tier GROUP BY person_key
        ) c USING (person_key)
        WHERE p.period = $y{n} AND p.tier = $tier)"""


def _unique_pairs(key: str, left: str, right: str, one_id: bool = False) -> str:
    """Pairs of one left and one right person with the same name and `key`, each the only
    one of its side with that name and key, never two persons with valid IDs (those
    differ, or the key had matched them: two women born on one day, or 张丽 of 丰县 and
    张丽 of 沛县, were one woman who moved); `one_id`: nor two whose birth dates or first
    15 ID characters differ (a phone shared by a family or a cadre)."""

    def one(side: str) -> str:
        return (f"SELECT person_key, name, {key}, coalesce(has_id, false) AS has_id, "
                f"birth_date, id15 FROM {side} WHERE {key} IS NOT NULL AND name IS NOT NULL "
                f"QUALIFY count(*) OVER (PARTITION BY name, {key}) = 1")  # fmt: skip

    apart = " AND NOT (x.has_id AND y.has_id)" + (  # two valid IDs: two women (METRICS §2)
        " AND (x.birth_date IS NULL OR y.birth_date IS NULL OR x.birth_date = y.birth_date)"
        " AND (x.id15 IS NULL OR y.id15 IS NULL OR x.id15 = y.id15)"
        if one_id else ""
    )  # fmt: skip
    return (f"SELECT x.person_key AS k1, y.person_key AS k2 FROM ({one(left)}) x "
            f"JOIN ({one(right)}) y ON x.name = y.name AND x.{key} = y.{key}{apart}")  # fmt: skip


def _placed(side: str, key: str) -> str:
    """The persons of `side` not matched by phone (`key`: their side's column of `t`)
    with their place: the county, town and village of their survivor record (a village
    is needed: a name and a county alone are no woman)."""
    return (f"SELECT s.*, CASE WHEN r.village IS NOT NULL THEN concat_ws('|', r.county, "
            f"coalesce(r.town, ''), r.village) END AS place_key "
            f"FROM (SELECT * FROM {side} ANTI JOIN t ON {side}.person_key = t.{key}) s "
            f"LEFT JOIN records r ON r.record_id = s.survivor")  # fmt: skip


# Matching (docs/metrics.md §7): by person key, when the two records' valid IDs (else names)
# agree (48-bit keys of two periods meet by chance at province scale); then the rest by
# unique (name, first 15 ID characters); then by unique (name, birth date); then by unique
# (name, phone) (a woman without an ID and without a birth date: her key is her row's,
# which another year's roster does not repeat); then by unique (name, county + town +
# village) (nor a phone: since session 18, she left and entered); never two persons with
# valid IDs.
MATCHED = f"""
    {_side(1)}, {_side(2)},
    k AS (SELECT p1.person_key AS k1, p2.person_key AS k2 FROM p1 JOIN p2 USING (person_key)
          WHERE CASE WHEN coalesce(p1.has_id, false) AND coalesce(p2.has_id, false)
                     THEN p1.id_number = p2.id_number ELSE p1.name = p2.name END),
    a1 AS (SELECT * FROM p1 ANTI JOIN k ON p1.person_key = k.k1),
    b1 AS (SELECT * FROM p2 ANTI JOIN k ON p2.person_key = k.k2),
    i AS ({_unique_pairs("id15", "a1", "b1")}),
    a2 AS (SELECT * FROM a1 ANTI JOIN i ON a1.person_key = i.k1),
    b2 AS (SELECT * FROM b1 ANTI JOIN i ON b1.person_key = i.k2),
    d AS ({_unique_pairs("birth_date", "a2", "b2")}),
    a3 AS (SELECT * FROM a2 ANTI JOIN d ON a2.person_key = d.k1),
    b3 AS (SELECT * FROM b2 ANTI JOIN d ON b2.person_key = d.k2),
    t AS ({_unique_pairs("phone_key", "a3", "b3", one_id=True)}),
    a4 AS ({_placed("a3", "k1")}),
    b4 AS ({_placed("b3", "k2")}),
    v AS ({_unique_pairs("place_key", "a4", "b4", one_id=True)}),
    m AS (SELECT * FROM k UNION ALL SELECT * FROM i UNION ALL SELECT * FROM d
          UNION ALL SELECT * FROM t UNION ALL SELECT * FROM v
          UNION ALL SELECT person_key, NULL FROM a4 ANTI JOIN v ON a4.person_key = v.k1
          UNION ALL SELECT NULL, person_key FROM b4 ANTI JOIN v ON b4.person_key = v.k2),
    j AS (SELECT m.k1 IS NOT NULL AS in1, m.k2 IS NOT NULL AS in2,
                 {", ".join(f"p1.{f} AS {f}_1, p2.{f} AS {f}_2" for f in FIELDS[1:])},
                 p1.counties AS counties_1, p2.counties AS counties_2
          FROM m LEFT JOIN p1 ON p1.person_key = m.k1 LEFT JOIN p2 ON p2.person_key = m.k2),
"""


def _differ(col: str) -> str:
    return f"(in1 AND in2 AND {col}_1 IS NOT NULL AND {col}_2 IS NOT NULL AND {col}_1 <> {col}_2)"


_FLAG_SQL = {
    "entered": "in2 AND NOT in1",
    "left": "in1 AND NOT in2",
    "exited": "in2 AND coalesce(status_2 = 'exited' AND exit_year_2 = $y2, false)",
    "returned": "in2 AND coalesce(status_2 = 'returned', false)",
    "moved_county": "in1 AND in2 AND len(list_intersect(counties_1, counties_2)) = 0",
    "changed_wing": _differ("wing"),
    "changed_class": _differ("class"),
    "exit_reverted": "in1 AND in2 AND coalesce(status_1 = 'exited' AND status_2 = 'not_exited', "
                     "false)",
    "exit_year_changed": _differ("exit_year"),
    "birth_date_changed": f"coalesce(has_id_1 AND has_id_2, false) AND {_differ('birth_date')}",
    "name_changed": f"coalesce(has_id_1 AND has_id_2, false) AND {_differ('name')}",
    "missing_without_reason": "in1 AND NOT in2 AND NOT coalesce(status_1 = 'exited', false)",
}  # fmt: skip

FLAGGED = (
    MATCHED
    + f"""
    f AS (SELECT *, CASE WHEN in2 THEN counties_2 ELSE counties_1 END AS counties,
                 CASE WHEN in2 THEN wing_2 ELSE wing_1 END AS wing,
                 CASE WHEN in2 THEN name_2 ELSE name_1 END AS name,
                 CASE WHEN in2 THEN id_number_2 ELSE id_number_1 END AS id_number,
                 {", ".join(f'coalesce({sql}, false) AS "{f}"' for f, sql in _FLAG_SQL.items())}
          FROM j)"""
)


def _sums() -> str:
    return ", ".join(f'count(*) FILTER (WHERE "{flag}")::BIGINT AS "{flag}"' for flag in FLAGS)


def _listed(names: tuple[str, ...]) -> str:
    """The names of the flags that are set, in their order."""
    each = ", ".join(f"""CASE WHEN "{n}" THEN '{n}' END""" for n in names)
    return f"list_filter([{each}], lambda x: x IS NOT NULL)"


def changes(store: Store, y1: int, y2: int, tier: str = "probable") -> Changes:
    """Per-person changes between periods y1 and y2 (y1 the earlier), summed by county
    and wing."""
    require_tier(tier)
    if y1 >= y2:  # reversed, "exited" and "entered" read backwards; equal, nothing changes
        raise UsageError(f"--from {y1} must be an earlier period than --to {y2}")
    store.require_periods(y1, y2)
    con = store.con
    params = {"y1": y1, "y2": y2, "tier": tier}
    with bounded_memory(store.con):  # the temporary table may spill to its folder: used within
        con.execute(f"CREATE OR REPLACE TEMP TABLE changed AS WITH {FLAGGED} SELECT * FROM f",
                    params)  # fmt: skip
        try:
            sums = con.execute(f"SELECT {_sums()} FROM changed").fetchone() or (0,) * len(FLAGS)
            totals = dict(zip(FLAGS, (int(x) for x in sums), strict=True))
            by_county: dict[str, dict[str, int]] = {
                str(c): dict.fromkeys(CHANGES, 0)
                for (c,) in con.execute(
                    "SELECT DISTINCT c FROM (SELECT unnest(counties_1) AS c FROM changed UNION ALL "
                    "SELECT unnest(counties_2) FROM changed) WHERE c IS NOT NULL ORDER BY c"
                ).fetchall()
            }  # fmt: skip
            each = "SELECT unnest(counties) AS county, * FROM changed"
            for row in con.execute(
                f"SELECT county, {_sums()} FROM ({each}) GROUP BY county"
            ).fetchall():  # fmt: skip
                if row[0] is not None:
                    by_county[str(row[0])] = dict(zip(CHANGES, map(int, row[1:]), strict=False))
            wings = {w: dict.fromkeys(CHANGES, 0) for w in WINGS}
            for row in con.execute(f"SELECT wing, {_sums()} FROM changed GROUP BY wing").fetchall():
                if row[0] in wings:
                    wings[row[0]] = dict(zip(CHANGES, map(int, row[1:]), strict=False))
            rows = _person_rows(store)
        finally:
            con.execute("DROP TABLE IF EXISTS changed")
    doc = {
        "from": y1, "to": y2, "link_tier": tier,
        "totals": {c: totals[c] for c in CHANGES}, "by_county": by_county, "by_wing": wings,
        "checks": {c: totals[c] for c in CHECKS},
    }  # fmt: skip
    return Changes(doc, rows)


def _person_rows(store: Store) -> pa.Table:
    """One row per person with a change or a check (ID masked), by name, changes and
    checks."""
    table = store.con.sql(f"""
        SELECT array_to_string(counties, '、') AS county, name,
               coalesce({mask_id_sql("id_number")}, '') AS id_number,
               coalesce(counties_1, []::VARCHAR[]) AS counties_from,
               coalesce(counties_2, []::VARCHAR[]) AS counties_to,
               wing_1::VARCHAR AS wing_from, wing_2::VARCHAR AS wing_to,
               class_1::VARCHAR AS class_from, class_2::VARCHAR AS class_to,
               status_1::VARCHAR AS status_from, status_2::VARCHAR AS status_to,
               exit_year_1::VARCHAR AS exit_year_from, exit_year_2::VARCHAR AS exit_year_to,
               {_listed(CHANGES)} AS changes, {_listed(CHECKS)} AS checks
        FROM changed WHERE {" OR ".join(f'"{f}"' for f in FLAGS)}
        ORDER BY name, changes, checks, county, id_number""").to_arrow_table()  # fmt: skip
    assert table is not None  # a query's result
    return table
