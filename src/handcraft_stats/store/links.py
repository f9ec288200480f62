"""What relinking stores: persons, person records, links and conflicts per tier, for a
whole period or a part of one (delta.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import duckdb
import pyarrow as pa

if TYPE_CHECKING:  # pandas (0.14 s to import) only when a frame is asked for: not by summary
    import numpy as np
    import pandas as pd

from .core import StoreCore, _one
from .schema import TierRows


class LinkWrites(StoreCore):
    """The tiers' rows of a period replaced, whole or in part, and counted."""

    def replace_period_issues(
        self, period: int, codes: tuple[str, ...], frame: pd.DataFrame
    ) -> None:
        """Replace the issues of period-wide rules (recomputed at every relink)."""
        with self.transaction():
            marks = ", ".join("?" for _ in codes)
            self.con.execute(
                f"DELETE FROM issues WHERE period = ? AND code IN ({marks})", [period, *codes]
            )
            if len(frame):
                self.append("issues", frame)

    def replace_links(
        self, period: int, tier: str, links: pd.DataFrame, members: pd.DataFrame,
        persons: pd.DataFrame, conflicts: pd.DataFrame,
        con: duckdb.DuckDBPyConnection | None = None,
    ) -> None:  # fmt: skip
        """Replace a tier's links, persons, their records and conflicts (one transaction
        on the store's connection, or on `con`, one of its cursors)."""
        con = self.con if con is None else con
        with self.transaction(con):
            for table in ("links", "person_records", "persons"):
                con.execute(f"DELETE FROM {table} WHERE period = ? AND tier = ?", [period, tier])
            con.execute(
                "DELETE FROM issues WHERE period = ? AND tier = ? AND code = 'conflict'",
                [period, tier],
            )
            for table, frame in (
                ("links", links), ("person_records", members), ("persons", persons),
                ("issues", conflicts),
            ):  # fmt: skip
                if len(frame):
                    self.append(table, frame, con)

    def replace_tiers(self, period: int, tiers: list[TierRows], together: bool = True) -> None:
        """`replace_links` for several tiers, each in its own transaction; `together`: at
        once, each on its own cursor and thread. DuckDB compresses the rows it stores
        outside Python's lock, so the tiers are written side by side on two cores: two
        tiers of 220k persons took 0.53 s one after the other, 0.34 s together (at 1M
        records, 1-2 s less and ~60 MiB more at the peak). A tier that fails leaves the
        others stored; the period stays pending (versions.mark_pending), so the next
        ingest relinks it."""
        for table in ("links", "person_records", "persons", "issues"):
            self._columns(table)  # asked here: the threads share the cache, not the connection
        if len(tiers) < 2 or not together:
            for t in tiers:
                self.replace_links(period, *t)
            return
        self._side_by_side(tiers, lambda c, t: self.replace_links(period, *t, con=c))

    def _side_by_side(
        self, tiers: list[TierRows], write: Callable[[duckdb.DuckDBPyConnection, TierRows], None]
    ) -> None:
        """`write` each tier on a cursor of its own, in threads (DuckDB compresses outside
        Python's lock); the first failure is raised once all have ended."""
        cursors = [self.con.cursor() for _ in tiers]
        try:
            with ThreadPoolExecutor(max(1, len(tiers)), thread_name_prefix="hcs-tier") as pool:
                done = [pool.submit(write, c, t) for t, c in zip(tiers, cursors, strict=True)]
                for future in done:
                    future.result()
        finally:
            for c in cursors:
                c.close()

    # -- relinking a part of a period (delta.py) -----------------------------
    def linked_record_ids(self, period: int, tier: str) -> np.ndarray[Any, Any]:
        """The record ids the period's last relink gave persons at `tier`, sorted."""
        import numpy as np

        rows = self.con.execute(
            "SELECT record_id FROM person_records WHERE period = ? AND tier = ? ORDER BY 1",
            [period, tier],
        ).fetchnumpy()
        return np.asarray(rows["record_id"], dtype=np.int64)

    def stored_link_pairs(self, period: int, tier: str) -> pd.DataFrame:
        """Every stored link of the period at `tier` (accepted or not): record_a, record_b."""
        return self.df(
            "SELECT record_a, record_b FROM links WHERE period = ? AND tier = ?", [period, tier]
        )

    def replace_part(self, period: int, ids: np.ndarray[Any, Any], tiers: list[TierRows]) -> bool:
        """`replace_tiers` for a part of the period (delta.py): the persons, person
        records, links and conflicts of the records `ids` (active or gone) are replaced by
        the tiers' rows, the rest of the period's are kept. False, and nothing written,
        when a new person key is already a person's outside the part. The tiers are
        written side by side, each in its own transaction on its own cursor."""
        part = pa.table({"record_id": pa.array(ids, pa.int64())})
        with self._registered(self.con, delta_ids=part):
            for t in tiers:
                keys = pa.table({"person_key": pa.array(t.persons["person_key"], pa.string())})
                with self._registered(self.con, delta_keys=keys):
                    row = _one(self.con.execute(
                        "SELECT count(*) FROM person_records WHERE period = ? AND tier = ? "
                        "AND record_id NOT IN (SELECT record_id FROM delta_ids) "
                        "AND person_key IN (SELECT person_key FROM delta_keys)",
                        [period, t.tier],
                    ))  # fmt: skip
                if row and row[0]:
                    return False
        for table in ("links", "person_records", "persons", "issues"):
            self._columns(table)  # asked here: the threads share the cache, not the connection
        self._side_by_side(tiers, lambda c, t: self._replace_part(period, part, t, c))
        return True

    def _replace_part(
        self, period: int, part: pa.Table, rows: TierRows, con: duckdb.DuckDBPyConnection
    ) -> None:
        mine = "record_id IN (SELECT record_id FROM delta_ids)"
        tier, at = "period = ? AND tier = ?", [period, rows.tier]
        with self._registered(con, delta_ids=part), self.transaction(con):
            con.execute(
                f"DELETE FROM persons WHERE {tier} AND person_key IN ("
                f"SELECT person_key FROM person_records WHERE {tier} AND {mine})",
                at + at,
            )
            con.execute(f"DELETE FROM person_records WHERE {tier} AND {mine}", at)
            con.execute(
                f"DELETE FROM links WHERE {tier} AND (record_a IN (SELECT record_id FROM "
                "delta_ids) OR record_b IN (SELECT record_id FROM delta_ids))",
                at,
            )
            con.execute(f"DELETE FROM issues WHERE {tier} AND code = 'conflict' AND {mine}", at)
            for table, frame in (
                ("links", rows.links), ("person_records", rows.members),
                ("persons", rows.persons), ("issues", rows.conflicts),
            ):  # fmt: skip
                if len(frame):
                    self.append(table, frame, con)

    @staticmethod
    @contextmanager
    def _registered(con: duckdb.DuckDBPyConnection, **tables: pa.Table) -> Iterator[None]:
        """Arrow tables visible to `con`'s queries by name while the block runs."""
        for name, table in tables.items():
            con.register(name, table)
        try:
            yield
        finally:
            for name in tables:
                con.unregister(name)

    def linked_counts(self, period: int, tier: str) -> tuple[int, dict[str, int]]:
        """The period's persons at `tier` and its accepted links by reason."""
        row = _one(self.con.execute(
            "SELECT count(*) FROM persons WHERE period = ? AND tier = ?", [period, tier]
        ))  # fmt: skip
        reasons = self.con.execute(
            "SELECT reason, count(*) FROM links WHERE period = ? AND tier = ? "
            "AND status = 'accepted' GROUP BY reason ORDER BY reason",
            [period, tier],
        ).fetchall()
        return (int(row[0]) if row else 0), {str(r): int(n) for r, n in reasons}
