"""Records -> persons: links with reasons and tiers, clusters, survivorship, conflicts.

Rules: METRICS.md §2 and docs/metrics.md §5. Candidate pairs come from blocking
passes (blocking.py); links are accepted strongest first by union-find, and a link
that would join two different valid IDs (directly or through a chain) is rejected.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from . import blocking
from .blocking import Backend
from .classify import classify_frame
from .tiers import CERTAIN as CERTAIN  # the tiers live in tiers.py (no pandas there)
from .tiers import PROBABLE as PROBABLE
from .tiers import TIERS as TIERS
from .tiers import require_tier as require_tier

REASON_TIER = {
    "review": CERTAIN, "same_id": CERTAIN, "id_upgraded": CERTAIN, "same_row": CERTAIN,
    "id_precision_lost": PROBABLE, "id_typo": PROBABLE, "name_birth": PROBABLE,
}  # fmt: skip

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


def person_key(salt: str, basis: str) -> str:
    """Opaque, stable key: a keyed BLAKE2b hash (a MAC) of the cluster's identity with the
    database's secret salt, so it reveals no ID number."""
    key = salt.encode()[:64]
    return "P" + hashlib.blake2b(basis.encode(), key=key, digest_size=6).hexdigest()


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
    """A record without an ID key whose evidence fits women with different valid IDs goes
    to the one whose town + village and phone agree best; a tie links to none of them
    (such pairs are kept with status `ambiguous` or `outranked` for review)."""
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
            blocking.typo_pairs(rec, backend),
            _unambiguous(blocking.name_birth_pairs(rec, backend), rec),
        ]
    parts = [p for p in parts if len(p)]
    out = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=LINK_COLUMNS)
    out["link_tier"] = out["reason"].map(REASON_TIER)
    out["status"] = out.get("status", pd.Series("", index=out.index)).fillna("")
    return out.astype({"record_a": "int64", "record_b": "int64"})


def id_person_keys(id_keys: pd.Series, salt: str) -> np.ndarray[Any, Any]:
    """The person key a record's valid ID key gives its person (bytes; b"" without one):
    computed by the parse workers, so that relinking hashes only the clusters of
    several records and the records stored by earlier runs (`_cluster_keys`' `own`)."""
    out = np.full(len(id_keys), b"", dtype="S13")
    has = id_keys.notna().to_numpy()
    out[has] = _mac(salt, [f"id:{k}" for k in id_keys[has].tolist()])  # 9x faster than iterating
    return out


def _mac(salt: str, bases: list[str]) -> list[str]:
    """`person_key(salt, b)` for many b, the keyed state set up once."""
    mac = hashlib.blake2b(key=salt.encode()[:64], digest_size=6)
    made = []
    for b in bases:
        h = mac.copy()
        h.update(b.encode())
        made.append("P" + h.hexdigest())
    return made


def _cluster_keys(
    rec: pd.DataFrame, salt: str, own: np.ndarray[Any, Any] | None = None
) -> tuple[pd.Series, int]:
    """Each cluster's person key (a Series indexed by cluster root) and how many clusters
    were given a key of their own after two identities' hashes met (`_rekey`; clusters of
    one ID kept apart by review also get keys of their own, not counted), from its smallest
    valid ID key, else from its first record's name and place in the roster. Most
    clusters are one record: their key is the record's own (`own`, aligned with `rec`:
    `id_person_keys` or b"") when the parse made it; only the others are hashed here,
    and the clusters of several grouped."""
    cluster = rec["cluster"]
    first = ~cluster.duplicated().to_numpy()
    several = cluster.duplicated(keep=False).to_numpy()
    keyed = several & rec["id_key"].notna().to_numpy()
    smallest = rec.loc[keyed, ["cluster", "id_key"]].groupby("cluster")["id_key"].min()
    firsts = rec.loc[first, ["cluster", "id_key", "name", "source_file", "source_sheet",
                             "source_row"]].set_index("cluster")  # fmt: skip
    id_key = firsts["id_key"].astype(object).to_numpy().copy()
    grouped = several[first]
    id_key[grouped] = smallest.reindex(firsts.index[grouped]).astype(object).to_numpy()
    keys = np.full(len(firsts), b"", dtype=f"S{KEY_WIDTH}")  # as bytes: no str per key
    todo = np.ones(len(firsts), dtype=bool)
    if own is not None:  # a single record's own key is its cluster's
        mine = own[first]
        done = ~grouped & (mine != b"")
        keys[done] = mine[done]
        todo &= ~done
    basis = np.empty(len(firsts), dtype=object)
    has_id = pd.notna(id_key) & todo
    basis[has_id] = [f"id:{k}" for k in id_key[has_id]]
    by_row = todo & ~has_id
    if by_row.any():
        rows = firsts.loc[by_row]
        basis[by_row] = (
            "row:" + rows["name"].astype("string").fillna("") + ":" + rows["source_file"]
            + ":" + rows["source_sheet"].astype("string") + ":"
            + rows["source_row"].astype("string")
        ).to_numpy(dtype=object)  # fmt: skip
    keys[todo] = _mac(salt, basis[todo].tolist())
    rekeyed = 0
    for at in _colliding(keys):  # two persons, one key: 48 bits meet at province scale
        ids = zip(id_key[at], basis[at], strict=True)
        basis[at] = [f"id:{k}" if pd.notna(k) else b for k, b in ids]
        _rekey(keys, at, basis, salt)
        if len(set(basis[at].tolist())) > 1:  # two identities met by chance, not one ID
            rekeyed += len(at) - 1  # kept apart by a review decision (a part of its own)
    return pd.Series(_texts(keys), index=firsts.index), rekeyed


def _colliding(keys: np.ndarray[Any, Any]) -> list[np.ndarray[Any, Any]]:
    """Positions of clusters sharing a person key, group by group. A key is 48 bits: a
    period of n persons holds two with one key with probability about n²/2⁴⁹ (1M
    persons: 0.2 %, 10M: 18 %), and `survive` would make them one woman. The keys are
    read as the numbers their hex digits write and counted (8 ms for 220k keys)."""
    n = len(keys)
    if n < 2 or keys.dtype.itemsize != KEY_WIDTH:
        return []
    text = np.frombuffer(keys.tobytes(), dtype=np.uint8).reshape(n, KEY_WIDTH)
    digits = _HEX[text[:, 1:]]
    if (text[:, 0] != ord("P")).any() or (digits < 0).any():  # not made by person_key
        codes = pd.factorize(keys)[0]
    else:
        codes = digits.astype(np.int64) @ _NIBBLES
    if len(pd.unique(codes)) == n:  # a hash table: a third of sorting them
        return []
    order = np.argsort(codes, kind="stable")
    ranked = codes[order]
    same = np.flatnonzero(ranked[1:] == ranked[:-1])
    if not len(same):
        return []
    groups: dict[int, set[int]] = {}
    for i in same.tolist():
        groups.setdefault(int(ranked[i]), set()).update((int(order[i]), int(order[i + 1])))
    return [np.array(sorted(g), dtype=np.intp) for g in groups.values()]


def _rekey(
    keys: np.ndarray[Any, Any], at: np.ndarray[Any, Any], basis: np.ndarray[Any, Any], salt: str
) -> None:
    """Give the clusters at `at` (one key) keys of their own: the cluster whose identity
    (`basis`) sorts first keeps the key, so a woman's key changes only while a collision
    lasts and only if hers sorts later; each other one takes the first free key of her
    identity followed by "#1", "#2", ... (deterministic: the same in every relink)."""
    taken = set(keys.tolist())
    for pos in sorted(at.tolist(), key=lambda p: str(basis[p]))[1:]:
        for k in range(1, 10_000):
            new = _mac(salt, [f"{basis[pos]}#{k}"])[0].encode()
            if new not in taken:
                keys[pos] = new
                taken.add(new)
                break


def _texts(keys: np.ndarray[Any, Any]) -> pd.api.extensions.ExtensionArray:
    """Person keys held as bytes of `KEY_WIDTH` -> pandas' str column, by handing Arrow
    the bytes as they lie (20 ms less than a str object per key for 220k keys)."""
    n = len(keys)
    if n and keys.dtype.itemsize == KEY_WIDTH and (np.char.str_len(keys) == KEY_WIDTH).all():
        offsets = pa.py_buffer(np.arange(0, KEY_WIDTH * (n + 1), KEY_WIDTH, dtype=np.int32))
        array = pa.StringArray.from_buffers(n, offsets, pa.py_buffer(keys.tobytes()))
    else:  # none, or (never made by person_key) another width
        array = pa.array(keys.astype(str), pa.string())
    column: pd.api.extensions.ExtensionArray = pd.array(array, dtype="str")
    return column


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


def survive(rec: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Person values by survivorship, and one conflict per disagreeing record field.

    The survivor is the most-filled record, then the lowest record_id; a value the
    survivor lacks comes from the person's other records in record_id order. One row copy
    per person: only the records of persons with several records (few) are sorted and
    combined, which keeps a million-record period's memory low."""
    fields = [*VALUE_FIELDS, "id_key", "id_number"]
    codes, keys = key_codes(rec["person_key"])
    record_id = rec["record_id"].to_numpy(dtype=np.int64)
    order = np.lexsort((record_id, -rec["filled"].to_numpy(dtype=np.int64), codes))
    firsts = np.flatnonzero(np.r_[len(codes) > 0, codes[order][1:] != codes[order][:-1]])
    at = order[firsts]  # the survivor's row, person by person (in person_key order)
    sizes = np.bincount(codes, minlength=len(keys))
    persons = rec[fields].iloc[at].reset_index(drop=True)
    persons.insert(0, "person_key", keys.array)  # as it is: 17 ms less than via objects
    several = sizes[codes] > 1
    multi = rec.loc[several, ["person_key", "record_id", "county", *fields]]
    multi = multi.assign(
        survivor=np.isin(record_id[several], record_id[at]), code=codes[several]
    ).sort_values(["code", "survivor", "record_id"], ascending=[True, False, True])
    values = multi.groupby("code", sort=True)[fields].first()
    counties = np.ones(len(keys), dtype=np.int64)
    counties[values.index] = multi.groupby("code", sort=True)["county"].nunique().to_numpy()
    for f in fields:  # a value the survivor lacks, from the other records
        persons.loc[values.index, f] = values[f].to_numpy()
    persons["records"], persons["counties"], persons["survivor"] = sizes, counties, record_id[at]
    values.index = keys[values.index]
    return classify_frame(persons), _conflicts(multi, values)


def key_codes(keys: pd.Series) -> tuple[np.ndarray[Any, Any], pd.Index]:
    """`pd.factorize(keys, sort=True)` for person keys. Keys made by `person_key` are "P"
    and 12 lowercase hex digits, which sort as the number they write: they are read as
    integers straight from Arrow's buffer and sorted as such (10 ms for 220k keys, not
    50-70). Any other key, or a missing one, takes pandas' way."""
    n = len(keys)
    try:
        array = pa.array(keys, type=pa.string(), from_pandas=True) if n else None
    except (pa.ArrowException, TypeError, ValueError):  # not all text
        array = None
    if array is None or array.null_count or array.offset:
        return pd.factorize(keys, sort=True)
    offsets, data = array.buffers()[1:3]
    ends = np.frombuffer(offsets, dtype=np.int32, count=n + 1)
    if ends[0] != 0 or ends[-1] != KEY_WIDTH * n or not (np.diff(ends) == KEY_WIDTH).all():
        return pd.factorize(keys, sort=True)
    text = np.frombuffer(data, dtype=np.uint8, count=KEY_WIDTH * n).reshape(n, KEY_WIDTH)
    digits = _HEX[text[:, 1:]]
    if (text[:, 0] != ord("P")).any() or (digits < 0).any():
        return pd.factorize(keys, sort=True)
    number = digits.astype(np.int64) @ _NIBBLES
    order = np.argsort(number)  # equal keys are one person: any of their rows names it
    ranked = number[order]
    starts = np.r_[True, ranked[1:] != ranked[:-1]]
    codes = np.empty(n, dtype=np.intp)
    codes[order] = np.cumsum(starts) - 1
    return codes, pd.Index(keys.iloc[order[starts]].array)


KEY_WIDTH = 13  # "P" + hexdigest of 6 bytes (`person_key`)
_HEX = np.full(256, -1, dtype=np.int8)
_HEX[np.frombuffer(b"0123456789abcdef", dtype=np.uint8)] = np.arange(16, dtype=np.int8)
_NIBBLES = 16 ** np.arange(KEY_WIDTH - 2, -1, -1, dtype=np.int64)


def _conflicts(multi: pd.DataFrame, values: pd.DataFrame) -> pd.DataFrame:
    """Records whose value of a field differs from their person's (field by field, so
    only one field's copy is held at a time)."""
    rows = []
    if not multi.empty:
        at = values.index.get_indexer(pd.Index(multi["person_key"]))
        record_ids = multi["record_id"].to_numpy()
        for f in VALUE_FIELDS:
            mine = multi[f].reset_index(drop=True)
            theirs = values[f].iloc[at].reset_index(drop=True)
            diff = mine.notna() & (mine.astype("string") != theirs.astype("string")).fillna(True)
            for rid, v in zip(record_ids[diff.to_numpy()], mine[diff], strict=True):
                rows.append((int(rid), f, str(v)))
    return pd.DataFrame(rows, columns=["record_id", "column", "value"])
