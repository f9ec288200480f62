"""A person's values from her records: the survivor's, gaps filled from the others,
and one conflict per record field that disagrees."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from .classify import classify_frame
from .person_keys import _HEX, _NIBBLES, KEY_WIDTH

VALUE_FIELDS = (
    "name", "birth_date", "household_head", "relation_to_head", "phone", "labor_capacity",
    "willing", "wing", "trainings", "new_practitioner", "income_before", "income_after",
    "exit_year", "status", "broker", "visit_date",
)  # fmt: skip


def survive(rec: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Person values by survivorship, and one conflict per disagreeing record field.

    The survivor is the most-filled record, then the lowest record_id; a value the
    survivor lacks comes from the person's other records in record_id order. A capacity
    or willingness that could not be read (`NO_INFORMATION`) is lacking too: her other
    record's `able` wins over her survivor's `unknown`, which stays her value only when
    no record of hers states one, and is no conflict. One row copy per person: only the
    records of persons with several records (few) are sorted and combined, which keeps a
    million-record period's memory low."""
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
    status = ["id_status"] if "id_status" in rec.columns else []
    multi = rec.loc[several, ["person_key", "record_id", *fields, *status]]
    multi = multi.assign(
        survivor=np.isin(record_id[several], record_id[at]), code=codes[several]
    ).sort_values(["code", "survivor", "record_id"], ascending=[True, False, True])
    said: dict[str, np.ndarray[Any, Any]] = {}  # per person: a record of hers says unknown
    for f, nothing in NO_INFORMATION.items():  # `unknown` is missing, for values and conflicts
        unread = (multi[f] == nothing).to_numpy(dtype=bool, na_value=False)
        said[f] = np.bincount(multi["code"].to_numpy()[unread], minlength=len(keys)) > 0
        multi[f] = multi[f].where(~unread)
    values = multi.groupby("code", sort=True)[fields].first()
    for f, nothing in NO_INFORMATION.items():  # no record states one: `unknown` as before
        values[f] = values[f].mask(values[f].isna() & said[f][values.index], nothing)
    counties, county, others = _rosters(rec["county"], codes, several, at, len(keys))
    if status:
        # her ID is a valid one when a record has it (the survivor's first): the most
        # complete record may carry a mistyped ID linked to hers (id_typo), and her ID
        # matches her across periods (`hcs changes` split such a woman in two)
        valid = multi[multi["id_status"].isin(VALID_IDS)].groupby("code", sort=True)[ID_FIELDS]
        good = valid.first()
        values.loc[good.index, list(ID_FIELDS)] = good.to_numpy()
    for f in fields:  # a value the survivor lacks, from the other records
        persons.loc[values.index, f] = values[f].to_numpy()
    persons["records"], persons["survivor"] = sizes, record_id[at]
    persons["counties"], persons["county"], persons["other_counties"] = counties, county, others
    values.index = keys[values.index]
    return classify_frame(persons), _conflicts(multi, values)


def _rosters(
    counties: pd.Series, codes: np.ndarray[Any, Any], several: np.ndarray[Any, Any],
    at: np.ndarray[Any, Any], n: int,
) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any], pd.arrays.ArrowExtensionArray]:  # fmt: skip
    """Per person (in person-key order), the counties whose rosters list her: how many,
    the first by name (`county`; the survivor's county when one county lists her) and the
    others in name order (an Arrow list, null when there are none), as the store's
    persons keep them so that the figures place her without joining her records
    (engine.StoreTables). `counties`, `codes`: each record's county and person;
    `several`: the records of persons with several; `at`: each person's survivor row.
    Counties are numbered in name order and the pairs made unique as integers: no Python
    object per person (0.05 s at 1M records)."""
    numbers, index = pd.factorize(counties, sort=True)
    names = np.asarray(index, dtype=object)
    mine = numbers[at]  # the survivor's county, person by person
    pairs = np.unique(codes[several].astype(np.int64) * len(names) + numbers[several])
    person, which = np.divmod(pairs, max(1, len(names)))
    first = np.r_[True, person[1:] != person[:-1]] if len(pairs) else np.empty(0, dtype=bool)
    mine[person[first]] = which[first]
    counts = np.bincount(person[~first], minlength=n)
    offsets = np.r_[0, np.cumsum(counts)].astype(np.int32)
    values = pa.array(names[which[~first]], pa.string())
    others = pa.ListArray.from_arrays(offsets, values, mask=pa.array(counts == 0))
    return 1 + counts, names[mine], pd.arrays.ArrowExtensionArray(others)


VALID_IDS = ("valid", "upgraded15")  # id_status of an ID that passed its check
ID_FIELDS = ["id_key", "id_number"]
# The code a vocabulary field holds when the roster's text could not be read (METRICS.md
# §4: 有点劳动力吧 → unknown, with an `unknown_value` issue naming the cell): it says
# nothing about her, so survivorship takes it as missing. Not wing (unread → `other`, also
# 其他/务工's code), status (unread is already missing) nor new_practitioner (unread →
# false, also 否's): their stored value cannot tell an unreadable text from a real answer.
NO_INFORMATION = {"labor_capacity": "unknown", "willing": "unknown"}


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


def _conflicts(multi: pd.DataFrame, values: pd.DataFrame) -> pd.DataFrame:
    """Records whose value of a field differs from their person's (field by field, so
    only one field's copy is held at a time). A missing value never differs: `multi`
    holds a record's `unknown` capacity or willingness as missing (`survive`), and a
    person's value is `unknown` only when none of her records states one."""
    rows = []
    if not multi.empty:
        at = values.index.get_indexer(pd.Index(multi["person_key"]))
        record_ids = multi["record_id"].to_numpy()
        for f in VALUE_FIELDS:
            mine = multi[f].reset_index(drop=True)
            theirs = values[f].iloc[at].reset_index(drop=True)
            diff = mine.notna() & (mine.astype("string") != theirs.astype("string")).fillna(True)
            for rid, v in zip(record_ids[diff.to_numpy()], mine[diff], strict=True):
                rows.append((int(rid), f, value_text(f, v)))
    return pd.DataFrame(rows, columns=["record_id", "column", "value"])


CODED = ("labor_capacity", "willing", "wing", "status")  # labels.toml sections of their codes


def value_text(field: str, value: Any) -> str:
    """A record's value of `field` as a roster writes it, for a conflict issue's `value`
    (the cell the county office looks up): a code by its Chinese label (手工加工, not
    handicraft), money without a trailing .0 (9500, 9500.5), a date as 2017-08-10, a flag
    as 是/否."""
    from .report.labels import label

    if field in CODED and isinstance(value, str):
        return label(field, value)
    if isinstance(value, bool | np.bool_):
        return label("bool", str(bool(value)).lower())
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, float | np.floating | Decimal):
        return f"{value:.2f}".rstrip("0").rstrip(".")
    return str(value)
