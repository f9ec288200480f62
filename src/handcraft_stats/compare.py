"""Two versions of a county's roster for one period compared (METRICS.md §6; `hcs history
--compare`, docs/metrics.md §7): which women were added, which removed, and which records
changed which fields.

Records, not persons: each version's records are read from the store (a replaced file's
records stay there) and matched without the linker, by the normalised ID key, else by
normalised name + birth date, else (at most one with an ID) by name + town + village,
never two records with different valid IDs. Within one key
the n-th record of one version meets the n-th of the other, so a row a county listed twice
and now lists once shows as one record removed. IDs and phones are masked here (and long
digit runs in free text) unless `unmasked`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from .errors import UsageError
from .export_rows import scrub
from .link import birth_text
from .masking import scrub_source
from .normalize.idnumber import mask_id
from .normalize.phone import mask_phone
from .store import Store

# The canonical fields compared: those of records.csv but the derived id_status.
FIELDS = (
    "name", "id_number", "birth_date", "town", "village", "household_head",
    "relation_to_head", "phone", "labor_capacity", "willing", "wing", "trainings",
    "new_practitioner", "income_before", "income_after", "exit_year", "status", "broker",
    "visit_date", "note",
)  # fmt: skip
MATCHED_BY = ("id", "name_birth", "name_place")
ROW_COLUMNS = ["change", "name", "id_number", "birth_date", "field", "old_value", "new_value",
               "matched_by", "old_source", "new_source"]  # fmt: skip
FILE_KEYS = ("file_id", "name", "version", "sha256", "records", "active")
_MASKS = {"id_number": mask_id, "phone": mask_phone}
# birth dates are compared as matched: a malformed ID corrected is no birth-date change
_READ_AS = {"birth_date": "birth"}


@dataclass(frozen=True)
class Comparison:
    """`hcs history --compare`: to_dict() is the JSON document; `rows` one row per record
    added or removed and per field changed (ROW_COLUMNS), masked unless asked not to."""

    document: dict[str, Any]
    rows: pd.DataFrame

    def to_dict(self) -> dict[str, Any]:
        return self.document


def compare_versions(
    store: Store, new: int, old: int | None = None, *, county: str | None = None,
    period: int | None = None, unmasked: bool = False,
) -> Comparison:  # fmt: skip
    """File `old` against file `new` (ids of `hcs history`); without `old`, the file or
    files that `new` replaced against it. `county`, `period`: what the caller expects the
    files to be (UsageError otherwise)."""
    old_files, new_files = _versions(store.history(), new, old)
    both = pd.concat([old_files, new_files])
    place = both.iloc[-1]
    for expected, column, option in ((county, "county", "county"), (period, "period", "year")):
        if expected is not None and place[column] != expected:
            raise UsageError(
                f"file {new} is of {place['county']} {place['period']}, not --{option} {expected}"
            )
    rec = store.file_records([int(i) for i in both["file_id"]])
    rec["birth"] = birth_text(rec)  # as the linker keys name + birth date
    rec["source"] = (
        rec["source_file"].astype(str) + "!" + rec["source_sheet"].astype(str) + "!"
        + rec["source_row"].astype(str)
    )  # fmt: skip
    if not unmasked:  # a roster or sheet named by a woman's ID or phone (一人一卡)
        rec["source"] = rec["source"].map(scrub_source)
        old_files, new_files = _scrubbed(old_files), _scrubbed(new_files)
    a = rec[rec["file_id"].isin(old_files["file_id"])].reset_index(drop=True)
    b = rec[rec["file_id"].isin(new_files["file_id"])].reset_index(drop=True)
    pairs = match(a, b)
    changed = _changed_fields(a, b, pairs)
    rows = _rows(a, b, pairs, changed, unmasked)
    n_changed = int(changed["pair"].nunique())
    totals = {
        "added": int((rows["change"] == "added").sum()),
        "removed": int((rows["change"] == "removed").sum()),
        "changed": n_changed,
        "unchanged": len(pairs) - n_changed,
        **{f"matched_by_{m}": int((pairs["matched_by"] == m).sum()) for m in MATCHED_BY},
    }
    counts = changed["field"].value_counts()
    doc = {
        "county": str(place["county"]), "period": int(place["period"]),
        "old": _side(old_files, len(a)), "new": _side(new_files, len(b)),
        "unmasked": unmasked, "totals": totals,
        "fields_changed": {f: int(counts.get(f, 0)) for f in FIELDS},
        "rows": rows.to_dict("records"),
    }  # fmt: skip
    return Comparison(doc, rows)


def _versions(
    history: pd.DataFrame, new: int, old: int | None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The files of each side, checked: known ids, two different files, one county and
    period; without `old`, the files `new` replaced."""
    files = history.set_index("file_id", drop=False)
    for fid in (new, old):
        if fid is not None and fid not in files.index:
            known = f"{files.index.min()}–{files.index.max()}" if len(files) else "none"
            raise UsageError(
                f"no file {fid} in the database (file ids: {known}; see `hcs history`)"
            )
    if old is None:
        old_files = files[files["replaced_by_id"] == new]
        if (old_files["file_id"] > new).any():
            # files left out by a --replace of which no file was new are "replaced by" the
            # submission's first stored file, older than they: it was there before them
            # too (its women were shown as added, the left-out files' as removed)
            old_files = pd.concat([files.loc[[new]], old_files])
        if old_files.empty:
            raise UsageError(
                f"file {new} replaced no file: name the older version too, "
                f"`hcs history --compare OLD {new}`"
            )
    elif old == new:
        raise UsageError(f"--compare {old} {new}: name two different files")
    else:
        old_files = files.loc[[old]]
    new_files = files.loc[[new]]
    for _, f in old_files.iterrows():
        n = new_files.iloc[0]
        if (f["county"], f["period"]) != (n["county"], n["period"]):
            raise UsageError(
                f"file {f['file_id']} is of {f['county']} {f['period']} and file {new} of "
                f"{n['county']} {n['period']}: compare versions of one county's roster for "
                "one period (`hcs changes` compares periods)"
            )
    return old_files.reset_index(drop=True), new_files.reset_index(drop=True)


def _scrubbed(files: pd.DataFrame) -> pd.DataFrame:
    """Files with the IDs and mobile numbers in their names and paths masked (their
    names showed whole in the versions and in every source until session 23: an audit)."""
    cols = [c for c in ("name", "path", "replaced_by") if c in files.columns]
    return files.assign(**{c: files[c].map(scrub_source) for c in cols})


def _side(files: pd.DataFrame, records: int) -> dict[str, Any]:
    rows = files[list(FILE_KEYS)].astype(object).to_dict("records")
    return {
        "files": [{k: _plain(v) for k, v in r.items()} for r in rows],
        "records": records,
    }


def match(a: pd.DataFrame, b: pd.DataFrame) -> pd.DataFrame:
    """Pairs of row positions (`a`, `b`) and how they matched: by ID key, then among the
    rest by name + birth date where at most one side has an ID key, then by name + town +
    village (a blank one agrees with a blank one) where at most one side has an ID key:
    first where neither has one (a woman without ID or birth date, unchanged, was
    removed + added), then where one has (her missing ID filled in, and no birth date
    column: removed + added until session 18). The n-th record of a key
    in `a` meets the n-th of that key in `b` (records in stored order)."""
    parts = [_pairs(a, b, ["id_key"]).assign(matched_by="id")]
    for a_keyed, b_keyed in ((False, False), (False, True), (True, False)):
        done = pd.concat(parts)
        a_left = a[~a.index.isin(done["a"]) & (a["id_key"].notna() == a_keyed)]
        b_left = b[~b.index.isin(done["b"]) & (b["id_key"].notna() == b_keyed)]
        parts.append(_pairs(a_left, b_left, ["name", "birth"]).assign(matched_by="name_birth"))
    place = ["name", "town", "village"]
    for a_keyed, b_keyed in ((False, False), (False, True), (True, False)):
        done = pd.concat(parts)
        a_left = a[~a.index.isin(done["a"]) & (a["id_key"].notna() == a_keyed)]
        b_left = b[~b.index.isin(done["b"]) & (b["id_key"].notna() == b_keyed)]
        a_left, b_left = (x[place].astype("string").fillna("").where(x["name"].notna())
                          for x in (a_left, b_left))  # fmt: skip
        parts.append(_pairs(a_left, b_left, place).assign(matched_by="name_place"))
    return pd.concat(parts, ignore_index=True)


def _pairs(a: pd.DataFrame, b: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Rows of `a` and `b` with the same (non-missing) keys, the n-th with the n-th."""
    sides = []
    for side, frame in (("a", a), ("b", b)):
        keyed = frame[keys].dropna().astype(str)
        keyed["nth"] = keyed.groupby(keys).cumcount()
        sides.append(keyed.assign(**{side: keyed.index}))
    pairs = sides[0].merge(sides[1], on=[*keys, "nth"])
    return pairs[["a", "b"]].astype("int64")


def _changed_fields(a: pd.DataFrame, b: pd.DataFrame, pairs: pd.DataFrame) -> pd.DataFrame:
    """One row per matched pair and field whose values differ (missing on one side only
    counts): pair (position in `pairs`), field, old and new value. The birth date is the
    one matching reads (`link.birth_text`)."""
    parts = []
    for field in FIELDS:
        column = _READ_AS.get(field, field)
        old = a[column].iloc[pairs["a"]].astype(object).reset_index(drop=True)
        new = b[column].iloc[pairs["b"]].astype(object).reset_index(drop=True)
        gone, came = old.isna(), new.isna()
        differ = (gone != came) | (~gone & ~came & (old != new))
        hit = differ[differ].index
        parts.append(pd.DataFrame(
            {"pair": hit, "field": field, "old_value": old[hit], "new_value": new[hit]}
        ))  # fmt: skip
    return pd.concat(parts, ignore_index=True)


def _rows(
    a: pd.DataFrame, b: pd.DataFrame, pairs: pd.DataFrame, changed: pd.DataFrame,
    unmasked: bool,
) -> pd.DataFrame:  # fmt: skip
    """Added (in stored order), removed, then each changed record's fields in FIELDS order."""

    def who(frame: pd.DataFrame, at: pd.Series | pd.Index) -> pd.DataFrame:
        # the stored birth date, not the one matching reads (a malformed ID's digits,
        # 9183-04-04, showed as hers)
        part = frame.loc[at, ["name", "id_number", "birth_date", "source"]].reset_index(drop=True)
        born = pd.to_datetime(part["birth_date"], errors="coerce")
        return part.assign(birth_date=born.dt.strftime("%Y-%m-%d").astype(object))

    added = who(b, b.index[~b.index.isin(pairs["b"])]).rename(columns={"source": "new_source"})
    removed = who(a, a.index[~a.index.isin(pairs["a"])]).rename(columns={"source": "old_source"})
    order = {f: i for i, f in enumerate(FIELDS)}
    changed = changed.assign(
        _b=pairs["b"].to_numpy()[changed["pair"].to_numpy(dtype="int64")],
        _f=changed["field"].map(order),
    ).sort_values(["_b", "_f"])
    pair = pairs.iloc[changed["pair"]]
    edits = who(b, pair["b"]).rename(columns={"source": "new_source"})
    edits = edits.assign(
        field=changed["field"].to_numpy(), old_value=changed["old_value"].to_numpy(),
        new_value=changed["new_value"].to_numpy(), matched_by=pair["matched_by"].to_numpy(),
        old_source=a["source"].iloc[pair["a"]].to_numpy(),
    )  # fmt: skip
    rows = pd.concat(
        [added.assign(change="added"), removed.assign(change="removed"),
         edits.assign(change="changed")], ignore_index=True,
    ).reindex(columns=ROW_COLUMNS)  # fmt: skip
    rows = rows.astype(object).where(rows.notna(), None)
    shown = {
        "id_number": [_shown("id_number", v, unmasked) for v in rows["id_number"]],
        **{c: [_shown(f, v, unmasked) for f, v in zip(rows["field"], rows[c], strict=True)]
           for c in ("old_value", "new_value")},
    }  # fmt: skip
    for column, values in shown.items():
        # an object column: a list of texts would become pandas' str dtype (None -> NaN)
        rows[column] = pd.Series(values, index=rows.index, dtype=object)
    return rows


def _plain(v: Any) -> Any:
    """A cell as a plain JSON value: None for missing, dates as ISO text, numpy scalars
    as Python ones."""
    if v is None or (not isinstance(v, str) and pd.isna(v)):
        return None
    if isinstance(v, pd.Timestamp):
        return v.strftime("%Y-%m-%d")
    return v.item() if hasattr(v, "item") else v


def _shown(field: Any, v: Any, unmasked: bool) -> Any:
    """A value as sent on: ID and phone masked, long digit runs in text scrubbed."""
    v = _plain(v)
    if unmasked or not isinstance(v, str):
        return v
    mask = _MASKS.get(str(field))
    return mask(v) if mask else scrub(v)
