"""Files, their versions and their records; analysts' review decisions."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pandas (0.14 s to import) only when a frame is asked for: not by summary
    import pandas as pd

from .core import StoreCore, _one
from .schema import FileRow, signature


class FileRecords(StoreCore):
    """The files stored, their versions, sheets and records, and review decisions."""

    # -- files --------------------------------------------------------------
    def find_file(self, sha256: str) -> FileRow | None:
        row = _one(
            self.con.execute(
                "SELECT file_id, name, sha256, county, period, version, reading FROM files "
                "WHERE sha256 = ? AND active ORDER BY file_id LIMIT 1",
                [sha256],
            )
        )
        return FileRow(*row) if row else None

    def next_ids(self) -> tuple[int, int]:
        row = _one(
            self.con.execute(
                "SELECT (SELECT coalesce(max(file_id), 0) + 1 FROM files), "
                "(SELECT coalesce(max(record_id), 0) + 1 FROM records)"
            )
        )
        assert row is not None
        return int(row[0]), int(row[1])

    def previous_version(self, name: str, county: str, period: int) -> FileRow | None:
        row = _one(
            self.con.execute(
                "SELECT file_id, name, sha256, county, period, version, reading FROM files "
                "WHERE name = ? AND county = ? AND period = ? AND active",
                [name, county, period],
            )
        )
        return FileRow(*row) if row else None

    def next_version(self, county: str, period: int) -> int:
        """The next version number of a county and period: each file stored for it
        takes the next (1, 2, …), so a county's six town files of one run are versions
        1-6, and a file read again by another hcs a version of its own."""
        row = _one(
            self.con.execute(
                "SELECT coalesce(max(version), 0) + 1 FROM files WHERE county = ? AND period = ?",
                [county, period],
            )
        )
        return int(row[0]) if row else 1

    def period_issue_counts(self, period: int, rules: Iterable[str], tier: str) -> dict[str, int]:
        """Issues of the whole period by code: the period `rules`' and the conflicts of
        `tier` (both rewritten at every relink, over the active records)."""
        codes = list(rules)
        rows = self.con.execute(
            f"""SELECT code, count(*) FROM issues WHERE period = ?
                AND ((tier IS NULL AND code IN ({", ".join("?" * len(codes))}))
                     OR (tier = ? AND code = 'conflict'))
                GROUP BY code ORDER BY code""",
            [period, *codes, tier],
        ).fetchall()
        return {str(code): int(n) for code, n in rows}

    def active_sizes(self) -> set[int]:
        """The sizes in bytes of the active files: a file of another size is not stored."""
        return {int(r[0]) for r in self.con.execute(
            "SELECT DISTINCT size FROM files WHERE active").fetchall()}  # fmt: skip

    def stored_report(self, file_id: int, period_rules: Iterable[str]) -> dict[str, Any]:
        """What the ingest report says of a stored file, from what was stored of it: its
        sheets, skipped rows by kind and the issues its own checks found (not the
        `period_rules`' nor conflicts, which belong to the period), each in the order the
        parse met them."""
        sheets = self.con.execute(
            "SELECT sheet, roster, reason FROM sheets WHERE file_id = ? ORDER BY position",
            [file_id],
        ).fetchall()
        skipped = self.con.execute(
            """SELECT r.kind, count(*) FROM skipped_rows r
               JOIN sheets s ON s.file_id = r.file_id AND s.sheet = r.sheet
               WHERE r.file_id = ? GROUP BY r.kind
               ORDER BY min(s.position * 2147483648 + r.source_row), r.kind""",
            [file_id],
        ).fetchall()
        codes = list(period_rules)
        issues = self.con.execute(
            f"""SELECT code, count(*), count(*) FILTER (WHERE severity = 'error') FROM issues
               WHERE file_id = ? AND tier IS NULL AND code NOT IN ({", ".join("?" * len(codes))})
               GROUP BY code ORDER BY min(record_id), code""",
            [file_id, *codes],
        ).fetchall()
        records, extras = _one(
            self.con.execute("SELECT records, extras FROM files WHERE file_id = ?", [file_id])
        )
        skipped_sheets, refused_sheets = sheets_not_stored(
            (name, bool(roster), reason or "") for name, roster, reason in sheets
        )
        return {
            "sheets": sum(bool(roster) for _, roster, _ in sheets),
            "sheets_skipped": skipped_sheets,
            "sheets_refused": refused_sheets,
            "records": int(records),
            "rows_skipped_by_kind": {kind: int(n) for kind, n in skipped},
            "issues_by_code": {code: int(n) for code, n, _ in issues},
            "errors": sum(int(e) for _, _, e in issues),
            "unknown_columns": unknown_labels(extras),
        }  # fmt: skip

    def active_files(self, county: str, period: int) -> list[FileRow]:
        rows = self.con.execute(
            "SELECT file_id, name, sha256, county, period, version, reading FROM files "
            "WHERE county = ? AND period = ? AND active ORDER BY file_id",
            [county, period],
        ).fetchall()
        return [FileRow(*r) for r in rows]

    def active_with_content(self, sha256: str) -> list[FileRow]:
        """The active files of this content, of any county and period."""
        rows = self.con.execute(
            "SELECT file_id, name, sha256, county, period, version, reading FROM files "
            "WHERE sha256 = ? AND active ORDER BY file_id",
            [sha256],
        ).fetchall()
        return [FileRow(*r) for r in rows]

    def history(self, county: str | None = None, period: int | None = None) -> pd.DataFrame:
        """Every file ever ingested, oldest first, with what replaced it and what read it
        (`reading`: reading.fingerprint; null for a file stored before readings were kept,
        and for every file of a store not yet upgraded, opened read-only)."""
        reading = "f.reading" if "reading" in self._columns("files") else "NULL::VARCHAR"
        return self.df(
            f"""SELECT f.file_id, f.ingested_at, f.county, f.period, f.version, f.name, f.path,
                      f.format, f.sha256, f.sheets, f.records, f.active,
                      n.name AS replaced_by, f.replaced_by AS replaced_by_id,
                      {reading} AS reading
               FROM files f LEFT JOIN files n ON n.file_id = f.replaced_by
               WHERE ($county IS NULL OR f.county = $county)
                 AND ($period IS NULL OR f.period = $period)
               ORDER BY f.file_id""",
            {"county": county, "period": period},
        )

    def shared_women(
        self, period: int, files: list[tuple[str, str]], least: int = 5
    ) -> list[tuple[str, str, str, int, int]]:
        """Of `files` ((county, name) of active files of `period`), those whose women (by
        valid ID) are mostly on older active files of the same county and period:
        (county, file, the older files (joined by 、, most shared first), women on any of
        them, the file's women), at least `least` and half of the file's women shared.
        Counted over the older files together: a county's town files resent as one
        roster share a fifth of it with each town file (until session 18 never
        pointed out). One query, and none when no county of `files` has another active
        file in the period."""
        if not files:
            return []
        counties = sorted({c for c, _ in files})
        crowded = self.con.execute(
            "SELECT county FROM files WHERE active AND period = ? AND list_contains(?, county) "
            "GROUP BY county HAVING count(*) > 1",
            [period, counties],
        ).fetchall()
        if not crowded:
            return []
        wanted = [f"{c}\x00{n}" for c, n in files]
        rows = self.con.execute(
            """WITH keys AS (
                   SELECT DISTINCT r.file_id, f.name, r.county, r.id_key
                   FROM records r JOIN files f USING (file_id)
                   WHERE f.active AND r.period = $period AND r.id_key IS NOT NULL
                     AND list_contains($counties, r.county)),
               women AS (SELECT file_id, count(*) AS n FROM keys GROUP BY file_id),
               both_ AS (
                   SELECT a.file_id, a.county, a.name, a.id_key, b.name AS other
                   FROM keys a JOIN keys b
                     ON a.county = b.county AND a.id_key = b.id_key AND a.file_id > b.file_id
                   WHERE list_contains($wanted, a.county || chr(0) || a.name)),
               per_file AS (
                   SELECT file_id, other, count(*) AS k FROM both_ GROUP BY file_id, other),
               shared AS (
                   SELECT file_id, any_value(county) AS county, any_value(name) AS name,
                          count(DISTINCT id_key) AS k
                   FROM both_ GROUP BY file_id)
               SELECT s.county, s.name, string_agg(p.other, '、' ORDER BY p.k DESC, p.other),
                      s.k, w.n
               FROM shared s JOIN women w USING (file_id) JOIN per_file p USING (file_id)
               WHERE s.k >= greatest($least, w.n / 2)
               GROUP BY s.county, s.name, s.k, w.n
               ORDER BY s.county, s.name""",
            {"period": period, "counties": [c for (c,) in crowded], "wanted": wanted,
             "least": least},
        ).fetchall()  # fmt: skip
        return [(str(c), str(f), str(o), int(k), int(n)) for c, f, o, k, n in rows]

    def insert_file(self, values: dict[str, Any], tables: dict[str, pd.DataFrame]) -> None:
        """Insert one file and its rows; the caller holds the transaction."""
        cols = ", ".join(values)
        marks = ", ".join("?" for _ in values)
        self.con.execute(f"INSERT INTO files ({cols}) VALUES ({marks})", list(values.values()))
        for table, frame in tables.items():
            if len(frame):
                self.append(table, frame)

    def deactivate(self, file_id: int, replaced_by: int) -> None:
        self.con.execute(
            "UPDATE files SET active = false, replaced_by = ? WHERE file_id = ?",
            [replaced_by, file_id],
        )

    # -- review decisions ---------------------------------------------------
    signature = staticmethod(signature)
    SIGNATURE = signature("r")

    def add_decisions(self, pairs: pd.DataFrame, source: str, marks: Iterable[str] = ()) -> int:
        """Keep analysts' decisions (record_a, record_b, decision same|different) by the
        records' content signatures, so they survive re-ingest; returns how many. One
        statement for all of them (a filled-in listing of 10,000 links inserted row by
        row took seconds); of two decisions on one pair the later in `pairs` holds.
        `marks`: `meta` keys set (to "1") in the same transaction."""
        frame = pairs[["record_a", "record_b", "decision"]].assign(  # noqa: F841 (by name)
            pos=range(len(pairs))
        )
        sig = self.SIGNATURE
        matched = f"""SELECT least(sa, sb) AS a, greatest(sa, sb) AS b, decision, pos FROM (
            SELECT (SELECT {sig} FROM records r WHERE r.record_id = f.record_a) AS sa,
                   (SELECT {sig} FROM records r WHERE r.record_id = f.record_b) AS sb,
                   f.decision, f.pos FROM frame f) WHERE sa IS NOT NULL AND sb IS NOT NULL"""
        with self.transaction():
            row = _one(self.con.execute(f"SELECT count(*) FROM ({matched})"))
            self.con.execute(
                f"""INSERT OR REPLACE INTO decisions
                    SELECT a, b, decision, now(), ? FROM ({matched})
                    QUALIFY row_number() OVER (PARTITION BY a, b ORDER BY pos DESC) = 1""",
                [source],
            )
            for key in marks:
                self.con.execute("INSERT OR REPLACE INTO meta VALUES (?, '1')", [key])
        return int(row[0]) if row else 0

    def decisions_for(self, period: int) -> pd.DataFrame:
        """Decisions mapped onto the period's active records."""
        sig = self.SIGNATURE
        return self.df(
            f"""WITH s AS (SELECT r.record_id, {sig} AS sig FROM records r
                          JOIN files f USING (file_id) WHERE f.active AND r.period = ?
                          AND EXISTS (SELECT 1 FROM decisions))  -- no signatures without
                SELECT least(a.record_id, b.record_id) AS record_a,
                       greatest(a.record_id, b.record_id) AS record_b, d.decision
                FROM decisions d JOIN s a ON a.sig = d.sig_a JOIN s b ON b.sig = d.sig_b
                WHERE a.record_id <> b.record_id ORDER BY 1, 2""",
            [period],
        )

    # -- versions compared (hcs history --compare) ----------------------------
    def file_records(self, file_ids: list[int]) -> pd.DataFrame:
        """The records of the given files, active or replaced (a replaced file's records
        stay in the store), in the order they were stored: file by file, row by row."""
        return self.frame(
            "SELECT * EXCLUDE (extras) FROM records WHERE list_contains(?, file_id) "
            "ORDER BY record_id",
            [file_ids],
        )


REFUSED_SHEET = "refused: "  # how a refused roster sheet's reason starts in `sheets`


def sheets_not_stored(
    sheets: Iterable[tuple[str, bool, str]],
) -> tuple[dict[str, str], dict[str, str]]:
    """A file's sheets that hold no records, by (name, roster, reason): those skipped as
    no roster, and those refused (their reason says so, in the store too)."""
    skipped, refused = {}, {}
    for name, roster, reason in sheets:
        if roster:
            continue
        if reason.startswith(REFUSED_SHEET):
            refused[name] = reason.removeprefix(REFUSED_SHEET)
        else:
            skipped[name] = reason
    return skipped, refused


def labels_text(labels: list[str]) -> str | None:
    """A file's unknown column labels for `files.extras`: a JSON array (a label may hold
    a comma)."""
    return json.dumps(labels, ensure_ascii=False) if labels else None


def unknown_labels(text: str | None) -> list[str]:
    """`files.extras` back as labels. Databases written before the JSON array hold the
    labels joined by commas: those are split at the commas, as they were written."""
    if not text:
        return []
    if text.startswith("["):
        try:
            found = json.loads(text)
        except ValueError:
            found = None
        if isinstance(found, list) and all(isinstance(x, str) for x in found):
            return found
    return text.split(",")
