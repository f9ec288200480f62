"""Records -> persons: links with reasons and tiers, clusters, survivorship, conflicts.

Rules: METRICS.md §2 and docs/metrics.md §5. Candidate pairs come from blocking
passes (blocking.py); links are accepted strongest first by union-find, and a link
that would join two different valid IDs (directly or through a chain) is rejected.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from . import blocking
from .blocking import Backend
from .person_keys import _cluster_keys
from .person_keys import id_person_keys as id_person_keys
from .person_keys import person_key as person_key
from .survivorship import VALUE_FIELDS as VALUE_FIELDS
from .survivorship import key_codes as key_codes
from .survivorship import survive
from .tiers import CERTAIN as CERTAIN  # the tiers live in tiers.py (no pandas there)
from .tiers import PROBABLE as PROBABLE
from .tiers import TIERS as TIERS
from .tiers import require_tier as require_tier

REASON_TIER = {
    "review": CERTAIN, "same_id": CERTAIN, "id_upgraded": CERTAIN, "same_row": CERTAIN,
    "id_precision_lost": PROBABLE, "id_typo": PROBABLE, "name_birth": PROBABLE,
}  # fmt: skip
SAME_ROW_FIELDS = (
    "name", "id_number", "id_status", "birth_date", "county", "county_text", "town", "village",
    "household_head", "relation_to_head", "phone", "labor_capacity", "willing", "wing",
    "trainings", "new_practitioner", "income_before", "income_after", "exit_year", "status",
    "broker", "visit_date", "note",
)  # fmt: skip
LINK_COLUMNS = ["record_a", "record_b", "reason"]


@dataclass(frozen=True)
class Linked:
    """The result of linking one period at one tier."""

    links: (
        pd.DataFrame
    )  # record_a, record_b, reason, link_tier, status accepted|rejected|ambiguous|outranked
    members: pd.DataFrame  # record_id, person_key, county
    persons: pd.DataFrame  # one row per person, person values (store.PERSON_COLUMNS)
    conflicts: pd.DataFrame  # record_id, column, value
    # persons whose key another identity's hash had taken, made anew (#1, #2, ...): which
    # of them keeps the key depends on the whole period (delta.py relinks it whole then)
    rekeyed: int = 0


def _id_links(rec: pd.DataFrame) -> pd.DataFrame:
    """same_id / id_upgraded: every record of an ID group links to the group's anchor."""
    keyed = rec[rec["id_key"].notna()][["record_id", "id_key", "id_status"]]
    keyed = keyed[keyed["id_key"].duplicated(keep=False)]  # only IDs held by several records
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
    """same_row: records without an ID key identical in every canonical field."""
    rest = rec[rec["id_key"].isna() & rec["name"].notna()]
    if rest.empty:
        return pd.DataFrame(columns=LINK_COLUMNS)
    key = rest[list(SAME_ROW_FIELDS)].astype("string").fillna("\x00")
    key["record_id"] = rest["record_id"]
    first = key.groupby(list(SAME_ROW_FIELDS), sort=False)["record_id"].transform("min")
    mask = rest["record_id"] != first
    return pd.DataFrame(
        {"record_a": first[mask].astype("int64"), "record_b": rest["record_id"][mask],
         "reason": "same_row"}
    )  # fmt: skip


class Clusters:
    """Union-find over record ids; each cluster holds at most one valid ID (cannot-link).

    Only the records that some link or decision names are held (`of`): every other
    record is a cluster of its own, so a million-record period costs a few dicts of the
    linked records, not of all."""

    def __init__(self, record_ids: pd.Series, id_keys: pd.Series) -> None:
        self.parent = {int(r): int(r) for r in record_ids}
        self.key: dict[int, str] = {
            int(r): k for r, k in zip(record_ids, id_keys, strict=True) if isinstance(k, str)
        }
        self.apart: dict[int, set[int]] = {}  # root -> records it must never join (review)

    @classmethod
    def of(cls, rec: pd.DataFrame, *pairs: pd.DataFrame | None) -> Clusters:
        """Clusters over the records of `rec` that the pairs (record_a, record_b) name."""
        named = [p[c].to_numpy(dtype=np.int64) for p in pairs if p is not None and len(p)
                 for c in ("record_a", "record_b")]  # fmt: skip
        ids = np.unique(np.concatenate(named)) if named else np.empty(0, dtype=np.int64)
        held = rec["record_id"].isin(ids)
        return cls(rec.loc[held, "record_id"], rec.loc[held, "id_key"])

    def find(self, x: int) -> int:
        parent = self.parent
        root = x
        while (up := parent.get(root, root)) != root:
            root = up
        while x != root:
            parent[x], x = root, parent[x]
        return root

    def keep_apart(self, a: int, b: int) -> None:
        if a in self.parent and b in self.parent:
            self.apart.setdefault(a, set()).add(b)
            self.apart.setdefault(b, set()).add(a)

    def union(self, a: int, b: int) -> str:
        """'merged', 'same' (already one cluster) or 'rejected' (cannot-link)."""
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return "same"
        ka, kb = self.key.get(ra), self.key.get(rb)
        if ka is not None and kb is not None and ka != kb:
            return "rejected"
        if self.apart and any(self.find(x) == rb for x in self.apart.get(ra, ())):
            return "rejected"
        keep, gone = min(ra, rb), max(ra, rb)
        self.parent[gone] = keep
        if kb is not None or ka is not None:
            self.key[keep] = ka if ka is not None else str(kb)
        if gone in self.apart:
            self.apart.setdefault(keep, set()).update(self.apart.pop(gone))
        return "merged"

    def copy(self) -> Clusters:
        other = Clusters.__new__(Clusters)
        other.parent, other.key = dict(self.parent), dict(self.key)
        other.apart = {k: set(v) for k, v in self.apart.items()}
        return other

    def roots(self, record_ids: pd.Series) -> np.ndarray[Any, Any]:
        ids = record_ids.to_numpy(dtype=np.int64)
        moved = {r: root for r in list(self.parent) if (root := self.find(r)) != r}
        if not moved:
            return ids.copy()
        mapped = pd.Series(ids).map(moved)
        out: np.ndarray[Any, Any] = np.where(mapped.isna(), ids, mapped).astype(np.int64)
        return out


def birth_text(rec: pd.DataFrame) -> pd.Series:
    """Birth date (ISO text) for name_birth: the birth-date column, else readable ID digits
    (parsed only on the rows whose ID is readable: few)."""
    column = _iso_days(pd.to_datetime(rec["birth_date"], errors="coerce"))
    readable = rec["id_status"].isin(["precision_lost", "malformed"]).to_numpy()
    if not readable.any():
        return column
    digits = rec.loc[readable, "id_number"].astype("string").str.slice(6, 14)
    parsed = pd.to_datetime(digits, format="%Y%m%d", errors="coerce").dt.strftime("%Y-%m-%d")
    return column.fillna(parsed.reindex(column.index))


def _iso_days(dates: pd.Series) -> pd.Series:
    """`dates.dt.strftime("%Y-%m-%d")` (text, NaN where NaT), cast by Arrow: pandas
    formats date by date in Python (0.12 s for 220k birth dates, a tenth of relinking;
    Arrow 0.007 s)."""
    days = dates.to_numpy(dtype="datetime64[D]")
    years = days[~np.isnat(days)].astype("datetime64[Y]").astype(np.int64) + 1970
    if ((years < 1000) | (years > 9999)).any():  # strftime's own widths: keep its text
        out: pd.Series = dates.dt.strftime("%Y-%m-%d")
        return out
    text = pa.array(days).cast(pa.string())
    out = text.to_pandas(types_mapper={pa.string(): pd.StringDtype(na_value=np.nan)}.get)
    out.index, out.name = dates.index, dates.name
    return out


def _same(a: pd.Series, b: pd.Series) -> pd.Series:
    return (a.astype("string") == b.astype("string")).fillna(False).astype(bool)


def _unambiguous(pairs: pd.DataFrame, rec: pd.DataFrame) -> pd.DataFrame:
    """A record without an ID key (none, or an invalid one: `id_typo`) whose evidence fits
    women with different valid IDs goes to the one whose town + village and phone agree
    best; a tie links to none of them (such pairs are kept with status `ambiguous` or
    `outranked` for review)."""
    pairs = pairs.assign(status="")
    if pairs.empty:
        return pairs
    attrs = rec.set_index("record_id")[["id_key", "town", "village", "phone"]]
    a = attrs.loc[pairs["record_a"]].reset_index(drop=True)
    b = attrs.loc[pairs["record_b"]].reset_index(drop=True)
    a_weak = (a["id_key"].isna() & b["id_key"].notna()).to_numpy()
    b_weak = (b["id_key"].isna() & a["id_key"].notna()).to_numpy()
    weak = pairs["record_a"].where(a_weak, pairs["record_b"].where(b_weak, -1)).to_numpy()
    strong = a["id_key"].where(b_weak, b["id_key"]).to_numpy()
    place = _same(a["town"], b["town"]) & _same(a["village"], b["village"])
    score = (2 * place.astype(int) + _same(a["phone"], b["phone"]).astype(int)).to_numpy()
    df = pairs.assign(weak=weak, strong=strong, score=score)
    keyed = df[df["weak"] >= 0]
    top = keyed[keyed["score"] == keyed.groupby("weak")["score"].transform("max")]
    clear = top.groupby("weak")["strong"].transform("nunique") == 1
    df.loc[keyed.index.difference(top.index), "status"] = "outranked"
    df.loc[top.index[~clear.to_numpy()], "status"] = "ambiguous"
    return df[[*LINK_COLUMNS, "status"]]


def candidates(rec: pd.DataFrame, tier: str, backend: Backend = "duckdb") -> pd.DataFrame:
    """Candidate links, strongest first: certain reasons, then the probable ones in order.
    `status` is "ambiguous" for a pair that must not be merged, else empty."""
    parts = [_id_links(rec), _same_row_links(rec)]
    if tier == PROBABLE:
        rec = rec.assign(birth=birth_text(rec))
        parts += [
            _unambiguous(blocking.precision_lost_pairs(rec, backend), rec),
            _unambiguous(blocking.typo_pairs(rec, backend), rec),
            _unambiguous(blocking.name_birth_pairs(rec, backend), rec),
        ]
    parts = [p for p in parts if len(p)]
    out = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=LINK_COLUMNS)
    out["link_tier"] = out["reason"].map(REASON_TIER)
    out["status"] = out.get("status", pd.Series("", index=out.index)).fillna("")
    return out.astype({"record_a": "int64", "record_b": "int64"})


def _decided(
    cand: pd.DataFrame, clusters: Clusters, decisions: pd.DataFrame | None
) -> pd.DataFrame:
    """Apply review decisions: "different" keeps records apart, "same" adds a link first."""
    if decisions is None or not len(decisions):
        return cand
    apart = decisions[decisions["decision"] == "different"]
    for a, b in zip(apart["record_a"], apart["record_b"], strict=True):
        clusters.keep_apart(int(a), int(b))
    same = decisions[decisions["decision"] == "same"]
    reviewed = pd.DataFrame(
        {"record_a": same["record_a"], "record_b": same["record_b"], "reason": "review",
         "link_tier": CERTAIN, "status": ""}
    ).astype({"record_a": "int64", "record_b": "int64"})  # fmt: skip
    return pd.concat([reviewed, cand], ignore_index=True)


def _union(cand: pd.DataFrame, clusters: Clusters) -> pd.DataFrame:
    """Accept candidates in order; the links that merged, or were rejected, with status."""
    rows = zip(cand["record_a"], cand["record_b"], cand["status"].fillna(""), strict=True)
    status = [hint or clusters.union(int(a), int(b)) for a, b, hint in rows]
    links = cand.assign(status=status)
    links = links[links["status"] != "same"]
    return links.assign(status=links["status"].replace({"merged": "accepted"}))


def _persons(
    rec: pd.DataFrame, clusters: Clusters, links: pd.DataFrame, salt: str,
    own: np.ndarray[Any, Any] | None = None,
) -> Linked:  # fmt: skip
    rec = rec.assign(cluster=clusters.roots(rec["record_id"]))
    keys, rekeyed = _cluster_keys(rec, salt, own)
    rec["person_key"] = rec["cluster"].map(keys)
    members = rec[["record_id", "person_key", "county"]]
    persons, conflicts = survive(rec)
    accepted = links[(links["status"] == "accepted") & (links["link_tier"] == PROBABLE)]
    probable = keys.loc[[clusters.find(int(a)) for a in accepted["record_a"]]]
    persons["probable"] = persons["person_key"].isin(probable)
    persons["has_id"] = persons["id_key"].notna()
    return Linked(links.reset_index(drop=True), members, persons, conflicts, rekeyed)


def link_period(
    rec: pd.DataFrame, tier: str, salt: str, decisions: pd.DataFrame | None = None,
    backend: Backend = "duckdb",
) -> Linked:  # fmt: skip
    """Link one period's active records (ordered by record_id) at `tier`.

    `decisions` (record_a, record_b, decision same|different) come from review: a
    "different" keeps two records apart, a "same" links them (reason `review`).
    """
    cand = candidates(rec, tier, backend)
    clusters = Clusters.of(rec, cand, decisions)
    cand = _decided(cand, clusters, decisions)
    return _persons(rec, clusters, _union(cand, clusters), salt)


def link_tiers(
    rec: pd.DataFrame, salt: str, decisions: pd.DataFrame | None = None,
    backend: Backend = "duckdb", own_keys: np.ndarray[Any, Any] | None = None,
    cand: pd.DataFrame | None = None,
) -> dict[str, Linked]:  # fmt: skip
    """Both tiers at once: the candidates are found once, the certain clusters grow into
    the probable ones, and when no probable link is accepted the persons are shared.
    `own_keys`: the records' `id_person_keys` where known (aligned with `rec`). `cand`:
    the probable tier's candidates when already found (delta.py links a part of a
    period with the candidates found over all of it)."""
    if cand is None:
        cand = candidates(rec, PROBABLE, backend)
    clusters = Clusters.of(rec, cand, decisions)
    cand = _decided(cand, clusters, decisions)
    strong = cand["link_tier"] == CERTAIN
    certain_links = _union(cand[strong], clusters)
    certain = _persons(rec, clusters, certain_links, salt, own_keys)
    grown = clusters.copy()
    weak_links = _union(cand[~strong], grown)
    links = pd.concat([certain_links, weak_links], ignore_index=True)
    if not (weak_links["status"] == "accepted").any():
        shared = Linked(links, certain.members, certain.persons, certain.conflicts,
                        certain.rekeyed)  # fmt: skip
        return {CERTAIN: certain, PROBABLE: shared}
    return {CERTAIN: certain, PROBABLE: _persons(rec, grown, links, salt, own_keys)}
