"""Person keys: opaque, stable, salted hashes of a person's identity (her smallest valid
ID, else her first record's place), made anew when two identities' keys meet."""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

KEY_WIDTH = 13  # "P" + hexdigest of 6 bytes (`person_key`)
_HEX = np.full(256, -1, dtype=np.int8)
_HEX[np.frombuffer(b"0123456789abcdef", dtype=np.uint8)] = np.arange(16, dtype=np.int8)
_NIBBLES = 16 ** np.arange(KEY_WIDTH - 2, -1, -1, dtype=np.int64)


def person_key(salt: str, basis: str) -> str:
    """Opaque, stable key: a keyed BLAKE2b hash (a MAC) of the cluster's identity with the
    database's secret salt, so it reveals no ID number."""
    key = salt.encode()[:64]
    return "P" + hashlib.blake2b(basis.encode(), key=key, digest_size=6).hexdigest()


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
