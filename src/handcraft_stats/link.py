"""Records -> persons: links with reasons and tiers, clusters, survivorship, conflicts.

Rules: METRICS.md §2 and docs/metrics.md §5. This version links the certain tier
(same_id, id_upgraded, same_row); the probable tier merges nothing more yet.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

import pandas as pd

from .classify import classify_frame

CERTAIN = "certain"
PROBABLE = "probable"
TIERS = (CERTAIN, PROBABLE)

VALUE_FIELDS = (
    "name", "birth_date", "household_head", "relation_to_head", "phone", "labor_capacity",
    "willing", "wing", "trainings", "new_practitioner", "income_before", "income_after",
    "exit_year", "status", "broker", "visit_date",
)  # fmt: skip
SAME_ROW_FIELDS = (
    "name", "id_number", "id_status", "birth_date", "county", "county_text", "town", "village",
    "household_head", "relation_to_head", "phone", "labor_capacity", "willing", "wing",
    "trainings", "new_practitioner", "income_before", "income_after", "exit_year", "status",
    "broker", "visit_date", "note",
)  # fmt: skip


@dataclass(frozen=True)
class Linked:
    """The result of linking one period at one tier."""

    links: pd.DataFrame  # record_a, record_b, reason, link_tier
    members: pd.DataFrame  # record_id, person_key, county
    persons: pd.DataFrame  # one row per person, person values (store.PERSON_COLUMNS)
    conflicts: pd.DataFrame  # record_id, column, value


def _id_links(rec: pd.DataFrame) -> pd.DataFrame:
    keyed = rec[rec["id_key"].notna()][["record_id", "id_key", "id_status"]]
    keyed = keyed.assign(rank=(keyed["id_status"] != "valid").astype(int))
    anchors = keyed.sort_values(["rank", "record_id"]).drop_duplicates("id_key")
    anchors = anchors[["id_key", "record_id", "id_status"]].rename(
        columns={"record_id": "record_a", "id_status": "status_a"}
    )
    pairs = keyed.merge(anchors, on="id_key")
    pairs = pairs[pairs["record_id"] != pairs["record_a"]]
    upgraded = (pairs["id_status"] == "upgraded15") != (pairs["status_a"] == "upgraded15")
    return pd.DataFrame(
        {
            "record_a": pairs["record_a"].astype("int64"),
            "record_b": pairs["record_id"].astype("int64"),
            "reason": upgraded.map({True: "id_upgraded", False: "same_id"}),
        }
    )


def _same_row_links(rec: pd.DataFrame) -> pd.DataFrame:
    rest = rec[rec["id_key"].isna() & rec["name"].notna()]
    if rest.empty:
        return pd.DataFrame({"record_a": [], "record_b": [], "reason": []})
    key = rest[list(SAME_ROW_FIELDS)].astype("string").fillna("\x00").agg("\x1f".join, axis=1)
    first = rest.groupby(key)["record_id"].transform("min")
    mask = rest["record_id"] != first
    return pd.DataFrame(
        {"record_a": first[mask].astype("int64"), "record_b": rest["record_id"][mask],
         "reason": "same_row"}
    )  # fmt: skip


def _components(record_ids: pd.Series, links: pd.DataFrame) -> pd.Series:
    """Union-find over links: record_id -> smallest record_id of its cluster."""
    parent = {int(r): int(r) for r in record_ids}

    def find(x: int) -> int:
        root = x
        while parent[root] != root:
            root = parent[root]
        while parent[x] != root:
            parent[x], x = root, parent[x]
        return root

    for a, b in zip(links["record_a"], links["record_b"], strict=True):
        ra, rb = find(int(a)), find(int(b))
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    return pd.Series([find(int(r)) for r in record_ids], index=record_ids.index)


def person_key(salt: str, basis: str) -> str:
    """Opaque, stable key: HMAC of the cluster's identity with the database's secret salt."""
    return "P" + hmac.new(salt.encode(), basis.encode(), hashlib.sha256).hexdigest()[:12]


def link_period(rec: pd.DataFrame, tier: str, salt: str) -> Linked:
    """Link one period's active records (ordered by record_id) at `tier`."""
    links = pd.concat([_id_links(rec), _same_row_links(rec)], ignore_index=True)
    links["link_tier"] = CERTAIN
    rec = rec.assign(cluster=_components(rec["record_id"], links).to_numpy())
    first = rec.drop_duplicates("cluster").set_index("cluster")
    id_keys = rec.groupby("cluster")["id_key"].min()
    row_basis = (
        "row:" + first["name"].astype("string").fillna("") + ":" + first["source_file"]
        + ":" + first["source_sheet"].astype("string") + ":" + first["source_row"].astype("string")
    )  # fmt: skip
    basis = ("id:" + id_keys.astype("string")).fillna(row_basis)
    keys = {c: person_key(salt, b) for c, b in basis.items()}
    rec["person_key"] = rec["cluster"].map(keys)
    members = rec[["record_id", "person_key", "county"]]
    persons, conflicts = survive(rec)
    persons["probable"] = False
    return Linked(links, members, persons, conflicts)


def survive(rec: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Person values by survivorship, and one conflict per disagreeing record field."""
    ordered = rec.sort_values(["person_key", "filled", "record_id"], ascending=[True, False, True])
    survivor = ordered.drop_duplicates("person_key").set_index("person_key")["record_id"]
    ordered = ordered.assign(is_survivor=ordered["record_id"].isin(survivor))
    ordered = ordered.sort_values(["person_key", "is_survivor", "record_id"],
                                  ascending=[True, False, True])  # fmt: skip
    fields = [*VALUE_FIELDS, "id_key", "id_number"]
    values = ordered.groupby("person_key", sort=False)[fields].first()
    stats = rec.groupby("person_key").agg(
        records=("record_id", "size"), counties=("county", "nunique")
    )
    persons = values.join(stats).join(survivor.rename("survivor")).reset_index()
    multi = rec[rec["person_key"].isin(stats.index[stats["records"] > 1])]
    conflicts = _conflicts(multi, values)
    return classify_frame(persons), conflicts


def _conflicts(multi: pd.DataFrame, values: pd.DataFrame) -> pd.DataFrame:
    rows = []
    if not multi.empty:
        joined = multi.merge(values.add_suffix("__p"), left_on="person_key", right_index=True)
        for f in VALUE_FIELDS:
            mine, theirs = joined[f], joined[f"{f}__p"]
            diff = mine.notna() & (mine.astype("string") != theirs.astype("string")).fillna(True)
            for rid, v in zip(joined["record_id"][diff], mine[diff], strict=True):
                rows.append((int(rid), f, str(v)))
    return pd.DataFrame(rows, columns=["record_id", "column", "value"])
