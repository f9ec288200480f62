"""The store's tables: their columns, the migrations that make them, and the rows
stored for a tier or read back for a file."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:  # pandas (0.14 s to import) only when a frame is asked for: not by summary
    import pandas as pd

RECORD_COLUMNS = """
    record_id BIGINT NOT NULL, file_id INTEGER NOT NULL, period INTEGER NOT NULL,
    county VARCHAR NOT NULL, source_file VARCHAR NOT NULL, source_sheet VARCHAR NOT NULL,
    source_row INTEGER NOT NULL, name VARCHAR, name_raw VARCHAR, name_key VARCHAR,
    id_number VARCHAR, id_status VARCHAR NOT NULL, id_key VARCHAR, birth_date DATE,
    county_text VARCHAR, town VARCHAR, village VARCHAR, household_head VARCHAR,
    relation_to_head VARCHAR, phone VARCHAR, labor_capacity VARCHAR, willing VARCHAR,
    wing VARCHAR, trainings INTEGER, new_practitioner BOOLEAN, income_before DECIMAL(14,2),
    income_after DECIMAL(14,2), exit_year INTEGER, status VARCHAR, broker VARCHAR,
    visit_date DATE, note VARCHAR, filled INTEGER NOT NULL, extras VARCHAR
"""
PERSON_COLUMNS = """
    period INTEGER NOT NULL, tier VARCHAR NOT NULL, person_key VARCHAR NOT NULL,
    survivor BIGINT NOT NULL, records INTEGER NOT NULL, counties INTEGER NOT NULL,
    probable BOOLEAN NOT NULL, name VARCHAR, id_number VARCHAR, birth_date DATE,
    phone VARCHAR, labor_capacity VARCHAR NOT NULL, willing VARCHAR NOT NULL,
    class VARCHAR NOT NULL, wing VARCHAR NOT NULL, trainings INTEGER,
    new_practitioner BOOLEAN NOT NULL, income_before_cents BIGINT, income_after_cents BIGINT,
    exit_year INTEGER, status VARCHAR NOT NULL
"""


def signature_v1(r: str) -> str:
    """Schema 1-5's record signature of a review decision (county, name, ID, birth date,
    village): kept to carry stored decisions over to `signature`."""
    return (
        f"md5(concat_ws('|', {r}.county, coalesce({r}.name, ''), "
        f"coalesce({r}.id_number, ''), coalesce(CAST({r}.birth_date AS VARCHAR), ''), "
        f"coalesce({r}.village, '')))"
    )


def signature(r: str) -> str:
    """The SQL of a record's content signature, the record table aliased `r`: what a
    review decision is stored by, so that it survives re-ingest. Town and phone are in
    it since schema 6: two women without an ID of one name in villages of one name in
    two towns had one signature, and a decision on one bound the other too."""
    return (
        f"md5(concat_ws('|', {r}.county, coalesce({r}.name, ''), "
        f"coalesce({r}.id_number, ''), coalesce(CAST({r}.birth_date AS VARCHAR), ''), "
        f"coalesce({r}.town, ''), coalesce({r}.village, ''), coalesce({r}.phone, '')))"
    )


MIGRATIONS: list[str] = [
    f"""
    CREATE TABLE meta (key VARCHAR PRIMARY KEY, value VARCHAR);
    CREATE TABLE files (
        file_id INTEGER PRIMARY KEY, name VARCHAR NOT NULL, path VARCHAR NOT NULL,
        sha256 VARCHAR NOT NULL, size BIGINT NOT NULL, format VARCHAR NOT NULL,
        county VARCHAR NOT NULL, period INTEGER NOT NULL, version INTEGER NOT NULL,
        active BOOLEAN NOT NULL, replaced_by INTEGER, ingested_at TIMESTAMP NOT NULL,
        sheets INTEGER NOT NULL, records INTEGER NOT NULL, extras VARCHAR);
    CREATE TABLE sheets (file_id INTEGER NOT NULL, position INTEGER NOT NULL,
        sheet VARCHAR NOT NULL, roster BOOLEAN NOT NULL, reason VARCHAR,
        header_rows VARCHAR, records INTEGER NOT NULL);
    CREATE TABLE skipped_rows (file_id INTEGER NOT NULL, sheet VARCHAR NOT NULL,
        source_row INTEGER NOT NULL, kind VARCHAR NOT NULL);
    CREATE TABLE records ({RECORD_COLUMNS});
    CREATE TABLE issues (file_id INTEGER NOT NULL, record_id BIGINT, period INTEGER NOT NULL,
        county VARCHAR NOT NULL, source_file VARCHAR NOT NULL, source_sheet VARCHAR NOT NULL,
        source_row INTEGER, code VARCHAR NOT NULL, severity VARCHAR NOT NULL,
        "column" VARCHAR, value VARCHAR, message VARCHAR NOT NULL, tier VARCHAR);
    CREATE TABLE links (period INTEGER NOT NULL, tier VARCHAR NOT NULL,
        record_a BIGINT NOT NULL, record_b BIGINT NOT NULL, reason VARCHAR NOT NULL,
        link_tier VARCHAR NOT NULL);
    CREATE TABLE person_records (period INTEGER NOT NULL, tier VARCHAR NOT NULL,
        record_id BIGINT NOT NULL, person_key VARCHAR NOT NULL, county VARCHAR NOT NULL);
    CREATE TABLE persons ({PERSON_COLUMNS});
    """,
    """
    ALTER TABLE links ADD COLUMN status VARCHAR DEFAULT 'accepted';
    CREATE TABLE decisions (sig_a VARCHAR NOT NULL, sig_b VARCHAR NOT NULL,
        decision VARCHAR NOT NULL, decided_at TIMESTAMP NOT NULL, source VARCHAR,
        PRIMARY KEY (sig_a, sig_b));
    """,
    """
    ALTER TABLE persons ADD COLUMN has_id BOOLEAN DEFAULT false;
    """,
    # records without the primary key on record_id (DuckDB cannot drop one: the table
    # is copied). Maintaining its index was a fifth of storing a roster (0.2 s of CPU
    # per 220k records, beside the workers parsing) and served nothing: record ids are
    # handed out under the store's write lock, records are never updated or deleted,
    # and reads scan record_id ranges, which the row groups' min/max already prune.
    f"""
    CREATE TABLE records_v4 ({RECORD_COLUMNS});
    INSERT INTO records_v4 BY NAME SELECT * FROM records;
    DROP TABLE records;
    ALTER TABLE records_v4 RENAME TO records;
    """,
    # what read each file (reading.py): a file stored by another reading is read again.
    # NULL for files stored before: read again by the first ingest after the upgrade.
    """
    ALTER TABLE files ADD COLUMN reading VARCHAR;
    """,
    # review decisions by the signature with town and phone: each stored decision is
    # carried to the new signatures of the records (active or replaced) it was made on,
    # the latest decision of a pair holding
    f"""
    CREATE TEMP TABLE decisions_v6 AS
        WITH s AS (SELECT DISTINCT {signature_v1("r")} AS old, {signature("r")} AS new
                   FROM records r WHERE EXISTS (SELECT 1 FROM decisions))
        SELECT least(a.new, b.new) AS sig_a, greatest(a.new, b.new) AS sig_b,
               d.decision, d.decided_at, d.source
        FROM decisions d JOIN s a ON a.old = d.sig_a JOIN s b ON b.old = d.sig_b
        WHERE a.new <> b.new
        QUALIFY row_number() OVER (
            PARTITION BY least(a.new, b.new), greatest(a.new, b.new)
            ORDER BY d.decided_at DESC, d.decision) = 1;
    DELETE FROM decisions;
    INSERT INTO decisions SELECT * FROM decisions_v6;
    DROP TABLE decisions_v6;
    """,
    # the counties of a person's rosters on her row (survivorship._rosters): `county`, the
    # first by name, and `other_counties`, the rest in name order (NULL when one county
    # lists her). The figures placed her by joining persons with person_records, 1.1 of
    # the 1.7 s of a 10M-record summary; reading them from her row takes 0.3 s. The table
    # is copied (an UPDATE of every row is slower): a woman on one county's rosters is in
    # her survivor record's county (a join on record ids), only the few on several have
    # their records' counties gathered. No ORDER BY: sorting 40M persons held 20 GB.
    f"""
    CREATE TABLE persons_v7 ({PERSON_COLUMNS}, has_id BOOLEAN DEFAULT false, county VARCHAR,
        other_counties VARCHAR[]);
    INSERT INTO persons_v7 BY NAME
        SELECT p.*, CASE WHEN p.counties > 1 THEN m.places[1] ELSE r.county END AS county,
               CASE WHEN len(m.places) > 1 THEN m.places[2:] END AS other_counties
        FROM persons p
        LEFT JOIN (SELECT record_id, county FROM records) r ON r.record_id = p.survivor
        LEFT JOIN (
            SELECT m.period, m.tier, m.person_key,
                   list_sort(list_distinct(list(m.county))) AS places
            FROM person_records m SEMI JOIN (SELECT * FROM persons WHERE counties > 1) q
              ON q.period = m.period AND q.tier = m.tier AND q.person_key = m.person_key
            GROUP BY m.period, m.tier, m.person_key
        ) m ON m.period = p.period AND m.tier = p.tier AND m.person_key = p.person_key;
    DROP TABLE persons;
    ALTER TABLE persons_v7 RENAME TO persons;
    """,
]


class TierRows(NamedTuple):
    """What `Store.replace_tiers` stores for one tier (frames as for replace_links)."""

    tier: str
    links: pd.DataFrame
    members: pd.DataFrame
    persons: pd.DataFrame
    conflicts: pd.DataFrame


@dataclass(frozen=True, slots=True)
class FileRow:
    file_id: int
    name: str
    sha256: str
    county: str
    period: int
    version: int
    reading: str | None = None  # reading.fingerprint of what read it (None: an older hcs)
