"""Relinking only what a run changed: when a county resends its roster, the persons of
the other counties' women stay as they are.

A period's persons depend on all its records, but only through candidate pairs
(blocking.py) and review decisions: linking, person keys, survivorship and conflicts
of one connected part of that graph never look outside it. So `hcs ingest` finds the
records the run added (active, not linked before) and removed (linked before, no longer
active), takes every record connected to them through the new candidates, the
decisions or the links stored by the last relink, and links that part alone with the
candidates found over the whole period; the stored rows of the part are replaced and
the rest are left as they are. The result is the same as relinking the whole period
(tests/test_delta.py holds them equal over generated rosters and resent versions).

The whole period is relinked instead when the stored links cannot be trusted or the
part would be most of the period: the period was pending at the start of the run (a
killed run), it was last linked by other rules (`RULES`, a hash of the linking
modules, stamped in `meta` at every relink) or never, more than half its records
changed, a person key of the part equals one outside it, or a person of the period
holds a key made anew after two women's keys met (48-bit keys, see person_keys._colliding:
the whole period resolves them). `hcs review` marks the periods it decides on pending
with its decisions, so a review killed before relinking leaves them whole as well.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from importlib import resources
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .link import PROBABLE, candidates

if TYPE_CHECKING:
    from .blocking import Backend
    from .store import Store, TierRows


def _rules() -> str:
    """The linking rules' version: a hash of the modules that decide persons (candidates,
    clusters, keys, survivorship, conflicts, classes, this one). A period linked by other
    code is relinked whole once: no one has to remember to bump a number."""
    digest = hashlib.sha256()
    for module in ("link.py", "blocking.py", "person_keys.py", "survivorship.py",
                   "classify.py", "tiers.py", "delta.py"):  # fmt: skip
        digest.update(resources.files("handcraft_stats").joinpath(module).read_bytes())
    return digest.hexdigest()[:16]


RULES = _rules()
STAMP = "linked_rules:"
# set while a person of the period holds a key made anew after a collision (`_rekey`):
# which key each colliding woman gets depends on every key of the period, so only a
# whole relink may change them (and clears the mark when no collision is left)
REKEYED = "rekeyed:"
MOST = 0.5  # a part above this share of the period's records: relink the whole period


@dataclass(frozen=True)
class Part:
    """The records a run's changes reach, and what linking them needs."""

    at: np.ndarray[Any, Any]  # positions in the period's records (sorted)
    ids: np.ndarray[Any, Any]  # their record ids and those of the records removed
    cand: pd.DataFrame  # the candidates among them
    decisions: pd.DataFrame  # the decisions among them
    added: int
    removed: int


def stamp(store: Store, period: int, rekeyed: bool, whole: bool) -> None:
    """Note that the period's stored links were made by these rules (every relink), and
    whether a person key was made anew after a collision (`whole`: for the period, else
    for a part: the mark stays until a whole relink finds no collision)."""
    con = store.con
    con.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", [f"{STAMP}{period}", RULES])
    if rekeyed:
        con.execute("INSERT OR REPLACE INTO meta VALUES (?, '1')", [f"{REKEYED}{period}"])
    elif whole:
        con.execute("DELETE FROM meta WHERE key = ?", [f"{REKEYED}{period}"])


def stamped(store: Store, period: int) -> bool:
    """Whether a part of the period may be relinked: stamped by these rules, no key made
    anew after a collision."""
    rows = dict(store.con.execute(
        "SELECT key, value FROM meta WHERE key IN (?, ?)",
        [f"{STAMP}{period}", f"{REKEYED}{period}"],
    ).fetchall())  # fmt: skip
    return rows.get(f"{STAMP}{period}") == RULES and f"{REKEYED}{period}" not in rows


def changed_part(
    store: Store, period: int, rec: pd.DataFrame, decisions: pd.DataFrame,
    backend: Backend = "duckdb",
) -> Part | None:  # fmt: skip
    """The part of the period to relink, or None when the whole period must be."""
    if not stamped(store, period):
        return None
    ids = rec["record_id"].to_numpy(dtype=np.int64)
    before = store.linked_record_ids(period, PROBABLE)
    added = np.setdiff1d(ids, before, assume_unique=True)
    removed = np.setdiff1d(before, ids, assume_unique=True)
    if len(added) + len(removed) > MOST * max(len(ids), 1):
        return None
    cand = candidates(rec, PROBABLE, backend)
    old = store.stored_link_pairs(period, PROBABLE)
    nodes = np.sort(np.concatenate([ids, removed])) if len(removed) else ids  # disjoint
    edges = [f[c].to_numpy(dtype=np.int64) for f in (cand, decisions, old) if len(f)
             for c in ("record_a", "record_b")]  # fmt: skip
    label = components(nodes, edges[0::2], edges[1::2])
    seeds = np.searchsorted(nodes, np.concatenate([added, removed]))
    reached = np.isin(label, label[seeds])
    part_ids = nodes[reached]
    at = np.flatnonzero(np.isin(ids, part_ids, assume_unique=True))
    return Part(
        at, part_ids, _among(cand, part_ids), _among(decisions, part_ids),
        len(added), len(removed),
    )  # fmt: skip


def components(
    nodes: np.ndarray[Any, Any], a: list[np.ndarray[Any, Any]], b: list[np.ndarray[Any, Any]]
) -> np.ndarray[Any, Any]:
    """Connected components of the graph over `nodes` (sorted record ids) with the edges
    a[i][j]—b[i][j]: each node's label is the smallest position in its component. Labels
    spread along edges and jump to their label's label until nothing changes."""
    label = np.arange(len(nodes))
    if not a:
        return label
    pa = np.searchsorted(nodes, np.concatenate(a))
    pb = np.searchsorted(nodes, np.concatenate(b))
    while True:
        low = np.minimum(label[pa], label[pb])
        new = label.copy()
        np.minimum.at(new, pa, low)
        np.minimum.at(new, pb, low)
        new = new[new]
        while not np.array_equal(new, new[new]):
            new = new[new]
        if np.array_equal(new, label):
            return label
        label = new


def _among(pairs: pd.DataFrame, ids: np.ndarray[Any, Any]) -> pd.DataFrame:
    """The pairs whose first record is in `ids` (the second then is too: a part is closed)."""
    if not len(pairs):
        return pairs
    return pairs[np.isin(pairs["record_a"].to_numpy(dtype=np.int64), ids)]


def replace_part(store: Store, period: int, part: Part, tiers: list[TierRows]) -> bool:
    """Replace the part's stored rows by its new ones (False, and nothing written, when a
    new person key is taken by a person outside the part: see `Store.replace_part`)."""
    return store.replace_part(period, part.ids, tiers)
