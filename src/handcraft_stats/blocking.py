"""Candidate pairs for the probable tier (METRICS.md §2), each a join on a blocking key,
never all pairs. Written in narwhals so the same joins run on DuckDB (default),
pandas or Spark."""

from __future__ import annotations

from typing import Any, cast

import narwhals as nw
import numpy as np
import pandas as pd

from .store import quiet_default

ID_LEN = 18
KEYED = ("valid", "upgraded15")
PAIR_COLUMNS = ["record_a", "record_b", "reason"]

Lazy = nw.LazyFrame[Any]
Backend = Any  # "duckdb" (default) or a pyspark SparkSession


def _lazy(frame: pd.DataFrame, backend: Backend) -> Lazy:
    """A lazy frame on `backend`: a narwhals backend name ("duckdb"), or a Spark session."""
    if isinstance(backend, str):
        if backend == "duckdb":
            quiet_default()
        return nw.from_native(frame).lazy(backend=cast(Any, backend))
    return nw.from_native(frame).lazy(backend="pyspark", session=backend)


def _names_agree() -> nw.Expr:
    return (nw.col("name") == nw.col("name_b")) | (nw.col("name_key") == nw.col("name_key_b"))


def _pairs(joined: Lazy, reason: str) -> pd.DataFrame:
    """Ordered, de-duplicated pairs (record_a < record_b) from a self-join."""
    out: pd.DataFrame = (
        joined.filter(nw.col("record_id") != nw.col("record_id_b"))
        .select(
            nw.min_horizontal("record_id", "record_id_b").alias("record_a"),
            nw.max_horizontal("record_id", "record_id_b").alias("record_b"),
        )
        .unique()
        .collect(backend="pandas")
        .to_native()
    )
    out = out.sort_values(["record_a", "record_b"], ignore_index=True)  # deterministic order
    return out.assign(reason=reason)[PAIR_COLUMNS]


def _side(lf: Lazy) -> Lazy:
    return lf.select(
        nw.col("record_id").alias("record_id_b"), nw.col("name").alias("name_b"),
        nw.col("name_key").alias("name_key_b"), nw.col("key").alias("key_b"),
    )  # fmt: skip


def precision_lost_pairs(rec: pd.DataFrame, backend: Backend = "duckdb") -> pd.DataFrame:
    """A numeric-cell ID's 15 trustworthy digits agree with another ID's first 15; names agree."""
    lost = rec["id_status"] == "precision_lost"
    if not lost.any():  # no ID was read as a number's lost digits (a clean year): no pair
        return pd.DataFrame(columns=PAIR_COLUMNS)
    ids = rec[["record_id", "name", "name_key", "id_number", "id_key", "id_status"]].copy()
    text = ids["id_key"].fillna(ids["id_number"]).astype("string")
    ids["key"] = text.str.slice(0, 15)
    usable = (lost & (text.str.len() == 15)) | (~lost & (text.str.len() == ID_LEN))
    ids = ids[usable.fillna(False) & ids["name"].notna()]
    left = _lazy(ids[lost.reindex(ids.index)], backend)
    right = _side(_lazy(ids, backend))
    joined = left.join(right, left_on="key", right_on="key_b").filter(_names_agree())
    return _pairs(joined, "id_precision_lost")


def typo_pairs(rec: pd.DataFrame, backend: Backend = "duckdb") -> pd.DataFrame:
    """IDs differ by one character or one swap of adjacent characters, at least one of them
    invalid, and the names agree. An ID read as a number's lost digits (its 15 digits and
    000, failing its check) takes part as 15 digits and 000: it may as well be a typo of
    an ID that ends in 000 (one in a thousand do), and then its 15 digits agree with no
    one's (bench/linking.py: the one planted typo copy of a million it missed); only with
    a valid ID."""
    ids = rec[["record_id", "name", "name_key", "id_number", "id_key", "id_status"]].copy()
    ids["key"] = ids["id_key"].fillna(ids["id_number"]).astype("string")
    lost = (ids["id_status"] == "precision_lost") & (ids["key"].str.len() == 15).fillna(False)
    ids.loc[lost, "key"] = ids.loc[lost, "key"] + "000"
    ids = ids[(ids["key"].str.len() == ID_LEN).fillna(False) & ids["name"].notna()]
    ids = ids[(ids["id_status"] != "precision_lost") | lost.reindex(ids.index)]
    bad = ids[~ids["id_status"].isin(KEYED)]
    if bad.empty:
        return pd.DataFrame(columns=PAIR_COLUMNS)
    everyone, invalid = _lazy(ids, backend), _lazy(bad, backend)

    def masks(lf: Lazy) -> Lazy:
        key = nw.col("key")
        parts = [
            lf.with_columns(
                pos=nw.lit(i),
                mask=nw.concat_str([key.str.slice(0, i), nw.lit("*"), key.str.slice(i + 1)]),
            )
            for i in range(ID_LEN)
        ]
        return nw.concat(parts)

    def swaps(lf: Lazy) -> Lazy:
        """Each ID with two adjacent characters swapped, where they differ: swapping two
        equal ones leaves the ID as it was, and joined two records of one invalid ID as
        a typo of each other (a link the rule does not make, found only for IDs that
        happen to hold a repeated digit)."""
        key = nw.col("key")
        parts = [
            lf.filter(key.str.slice(i, 1) != key.str.slice(i + 1, 1)).with_columns(
                key=nw.concat_str(
                    [
                        key.str.slice(0, i),
                        key.str.slice(i + 1, 1),
                        key.str.slice(i, 1),
                        key.str.slice(i + 2),
                    ]
                )
            )
            for i in range(ID_LEN - 1)
        ]
        return nw.concat(parts)

    right = masks(everyone).select(
        "pos", "mask", nw.col("record_id").alias("record_id_b"), nw.col("name").alias("name_b"),
        nw.col("name_key").alias("name_key_b"), nw.col("key").alias("key_b"),
    )  # fmt: skip
    one_char = masks(invalid).join(right, on=["pos", "mask"])
    one_char = one_char.filter(nw.col("key") != nw.col("key_b"), _names_agree())
    swapped = swaps(invalid).join(_side(everyone), left_on="key", right_on="key_b")
    swapped = swapped.filter(_names_agree())
    pairs = pd.concat([_pairs(one_char, "id_typo"), _pairs(swapped, "id_typo")])
    # a lost-digits ID pairs only with a valid one: two of them one digit apart are two
    # women of one name born days apart in one county (the audit's two 王秀英), their IDs
    # both typed as numbers, not one woman's typo
    status = ids.set_index("record_id")["id_status"]
    a = status.reindex(pairs["record_a"]).to_numpy()
    b = status.reindex(pairs["record_b"]).to_numpy()
    valid_a, valid_b = np.isin(a, KEYED), np.isin(b, KEYED)
    kept = ~(((a == "precision_lost") & ~valid_b) | ((b == "precision_lost") & ~valid_a))
    out: pd.DataFrame = pairs[kept].drop_duplicates()
    return out.sort_values(["record_a", "record_b"], ignore_index=True)


def name_birth_pairs(rec: pd.DataFrame, backend: Backend = "duckdb") -> pd.DataFrame:
    """No usable ID on one side; same name (characters or pinyin), same birth date, and the
    same village (of the same town when both are known) or the same phone."""
    cols = ["record_id", "name", "name_key", "id_key", "birth", "town", "village", "phone"]
    ids = rec[cols][rec["birth"].notna() & rec["name_key"].notna()].copy()
    ids["birth"] = ids["birth"].astype("string")
    ids["no_id"] = ids["id_key"].isna()
    # each pair has a record without an ID on one side: only those lead the join (the
    # pair is ordered by `_pairs`), against every record; the join finds those of the
    # same name and birth
    lead = ids[ids["no_id"]]
    if lead.empty:
        return pd.DataFrame(columns=PAIR_COLUMNS)
    left = _lazy(lead, backend)
    right = _lazy(ids, backend).select(
        nw.col("record_id").alias("record_id_b"), nw.col("name").alias("name_b"),
        nw.col("name_key").alias("name_key_b"), nw.col("birth").alias("birth_b"),
        nw.col("town").alias("town_b"), nw.col("village").alias("village_b"),
        nw.col("phone").alias("phone_b"),
    )  # fmt: skip
    joined = left.join(right, left_on=["name_key", "birth"], right_on=["name_key_b", "birth_b"])
    # the same village (of the same town, when both rosters name the town), or phone
    town_ok = (nw.col("town") == nw.col("town_b")).fill_null(True)
    village = (nw.col("village") == nw.col("village_b")).fill_null(False) & town_ok
    place = village | (nw.col("phone") == nw.col("phone_b")).fill_null(False)
    # joined on the pinyin key: the names agree by construction
    joined = joined.filter(place)
    return _pairs(joined, "name_birth")
