"""Review of linking: the links of a period with plain evidence, the persons with their
provenance, and analysts' decisions (same / different person) read back from a filled file.

Everything meant for people is masked here (ID and phone numbers); the caller relinks the
periods that `record_decisions` returns (pipeline.relink).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa

from .errors import RefusedFile, UsageError
from .link import REASON_TIER, TIERS, require_tier
from .masking import scrub_source
from .memory import bounded_memory
from .normalize.idnumber import mask_id
from .normalize.phone import mask_phone
from .read import read_file
from .report.labels import label
from .store import Store
from .store.core import PENDING

SIDE = ("county", "source_file", "source_sheet", "source_row", "name", "id_number",
        "birth_date", "village", "phone")  # fmt: skip
_COMPARED = ("name_raw", "name_key", "id_status", "id_key")
DUPES_COLUMNS = [
    "record_a", "record_b", "reason", "link_tier", "status",
    *[f"{c}_a" for c in SIDE], *[f"{c}_b" for c in SIDE], "evidence", "decision",
]  # fmt: skip
PERSONS_COLUMNS = ["person_key", "name", "id_number", "birth_date", "counties", "records",
                   "provenance", "class", "wing", "status", "exit_year", "probable"]  # fmt: skip
# what a clerk writes in the decision column (compared after NFKC and lower case); not a
# letter x, which some mean as a tick
DECISIONS = {
    **dict.fromkeys(["same", "同一人", "是同一人", "同一个人", "是同一个人", "是", "相同", "同人",
                     "y", "yes", "true", "1", "√", "✓", "✔", "对"], "same"),
    **dict.fromkeys(["different", "不同人", "不是同一人", "不是同一个人", "非同一人", "否", "不是",
                     "不同", "n", "no", "false", "0", "×", "✗", "✘", "错"], "different"),
}  # fmt: skip


def check_period(store: Store, year: int, tier: str) -> None:
    """UsageError unless the tier is known and the period is in the database."""
    require_tier(tier)
    store.require_periods(year)


def dupes(
    store: Store, year: int, tier: str = "probable", county: str | None = None,
    reason: str | None = None, link_tier: str | None = None, include_rejected: bool = False,
    lang: str = "zh", limit: int | None = None, undecided: bool = False,
) -> pd.DataFrame:  # fmt: skip
    """One row per link of the period at `tier` (the first `limit`), both records side by
    side, masked, with the evidence in plain words (Chinese, or English with lang="en")
    and a `decision` column to fill in: the pair's stored decision where an analyst gave
    one (同一人/不同人, same/different), else empty. `undecided`: only pairs without one."""
    where, params = _links_where(store, year, tier, county, reason, link_tier, include_rejected,
                                 undecided)  # fmt: skip
    return _reviewable(_query(store, _dupes_sql(where, limit), params), lang)


def dupes_batches(
    store: Store, year: int, tier: str = "probable", county: str | None = None,
    reason: str | None = None, link_tier: str | None = None, include_rejected: bool = False,
    lang: str = "zh", limit: int | None = None, size: int = 20_000, undecided: bool = False,
) -> Iterator[pd.DataFrame]:  # fmt: skip
    """`dupes`, `size` links at a time (DuckDB bounded to a share of the memory)."""
    where, params = _links_where(store, year, tier, county, reason, link_tier, include_rejected,
                                 undecided)  # fmt: skip
    for batch in store.batches(_dupes_sql(where, limit), params, size):
        yield _reviewable(batch.to_pandas(integer_object_nulls=True), lang)


# a link's two records and the analyst's decision on the pair, if any (decisions are kept
# by the records' content signatures, the lesser first: Store.add_decisions)
_SIG_A, _SIG_B = Store.signature("a"), Store.signature("b")
_LINKS_FROM = f"""FROM links l JOIN records a ON a.record_id = l.record_a
        JOIN records b ON b.record_id = l.record_b
        LEFT JOIN decisions d ON d.sig_a = least({_SIG_A}, {_SIG_B})
            AND d.sig_b = greatest({_SIG_A}, {_SIG_B})"""


def _dupes_sql(where: str, limit: int | None) -> str:
    cols = ", ".join(
        f"{s}.{c} AS {c}_{s}" for s in ("a", "b") for c in (*SIDE, *_COMPARED)
    )  # fmt: skip
    return f"""SELECT l.record_a, l.record_b, l.reason, l.link_tier, l.status, {cols},
        d.decision AS stored_decision
        {_LINKS_FROM} WHERE {where} ORDER BY l.record_a, l.record_b
        {"" if limit is None else f"LIMIT {limit:d}"}"""


def _reviewable(frame: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Links with both records as queried -> DUPES_COLUMNS: evidence, masks, ISO dates."""
    rows: list[dict[str, Any]] = [
        {str(k): v for k, v in r.items()} for r in frame.to_dict("records")
    ]
    frame["evidence"] = [evidence(r, lang) for r in rows]
    frame["decision"] = [
        label("decision", d, lang) if isinstance(d, str) else "" for d in frame["stored_decision"]
    ]
    from .export_rows import scrub  # it imports this module

    for s in ("a", "b"):
        frame[f"id_number_{s}"] = frame[f"id_number_{s}"].map(_masked(mask_id))
        frame[f"phone_{s}"] = frame[f"phone_{s}"].map(_masked(mask_phone))
        frame[f"birth_date_{s}"] = _iso(frame[f"birth_date_{s}"])
        # names stay for the reviewer; an ID or phone typed into the name column does not,
        # nor one naming a roster or sheet (一人一卡)
        frame[f"name_{s}"] = frame[f"name_{s}"].map(scrub)
        for c in ("source_file", "source_sheet"):
            frame[f"{c}_{s}"] = frame[f"{c}_{s}"].map(scrub_source)
    return frame[DUPES_COLUMNS].reset_index(drop=True)


def count_dupes(
    store: Store, year: int, tier: str = "probable", county: str | None = None,
    reason: str | None = None, link_tier: str | None = None, include_rejected: bool = False,
    undecided: bool = False,
) -> int:  # fmt: skip
    """How many links `dupes` lists."""
    where, params = _links_where(store, year, tier, county, reason, link_tier, include_rejected,
                                 undecided)  # fmt: skip
    row = store.con.execute(f"SELECT count(*) {_LINKS_FROM} WHERE {where}", params).fetchone()
    return int(row[0]) if row else 0


def _links_where(
    store: Store, year: int, tier: str, county: str | None, reason: str | None,
    link_tier: str | None, include_rejected: bool, undecided: bool = False,
) -> tuple[str, dict[str, Any]]:  # fmt: skip
    """The filter of `dupes` (UsageError for an unknown reason or tier), with its values."""
    check_period(store, year, tier)
    if reason is not None and reason not in REASON_TIER:
        raise UsageError(f"unknown reason {reason!r}: use one of {', '.join(REASON_TIER)}")
    if link_tier is not None and link_tier not in TIERS:
        raise UsageError(f"unknown link tier {link_tier!r}: use certain or probable")
    where = """l.period = $year AND l.tier = $tier AND ($rejected OR l.status = 'accepted')
              AND ($county IS NULL OR a.county = $county OR b.county = $county)
              AND ($reason IS NULL OR l.reason = $reason)
              AND ($link_tier IS NULL OR l.link_tier = $link_tier)
              AND NOT ($undecided AND d.decision IS NOT NULL)"""
    params = {"year": year, "tier": tier, "rejected": include_rejected, "county": county,
              "reason": reason, "link_tier": link_tier, "undecided": undecided}  # fmt: skip
    return where, params


def _query(store: Store, sql: str, params: dict[str, Any]) -> pd.DataFrame:
    return store.con.execute(sql, params).df()


def _masked(fn: Any) -> Any:
    return lambda v: fn(v) if isinstance(v, str) else ""


def _iso(col: pd.Series) -> pd.Series:
    return pd.to_datetime(col).dt.strftime("%Y-%m-%d").astype("object")


def _text(v: Any) -> str:
    return v if isinstance(v, str) else ""


def _names(r: dict[str, Any], lang: str) -> str:
    if r["name_a"] == r["name_b"]:
        return label("evidence", "names_same", lang)
    alike = r["name_key_a"] == r["name_key_b"]
    return label("evidence", "names_homophone" if alike else "names_differ", lang)


def _id_difference(a: str, b: str, lang: str, part: str = "id") -> str:
    """Where two 18-character IDs differ (or, `part` "head", their first 15): one
    position, or two adjacent ones swapped."""
    diff = [i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y]
    if len(a) != len(b) or not diff:
        return label("evidence", f"{part}_near", lang)
    if len(diff) == 1:
        return label("evidence", f"{part}_one", lang).format(pos=diff[0] + 1)
    i = diff[0]
    if diff == [i, i + 1] and a[i] == b[i + 1] and a[i + 1] == b[i]:
        return label("evidence", f"{part}_swap", lang).format(a=i + 1, b=i + 2)
    return label("evidence", f"{part}_many", lang).format(n=len(diff))


def _birth(r: dict[str, Any], s: str) -> str:
    born = r[f"birth_date_{s}"]
    if not pd.isna(born):
        return str(pd.Timestamp(born).date())
    digits = _text(r[f"id_number_{s}"])[6:14]
    if len(digits) != 8 or not digits.isdigit():
        return ""
    return f"{digits[:4]}-{digits[4:6]}-{digits[6:]}"  # as the column's, to compare with it


def evidence(r: dict[str, Any], lang: str = "zh") -> str:
    """The comparison behind a link, in plain words of `lang`, from the two records' values
    (labels.toml `[evidence]`)."""

    def say(code: str) -> str:
        return label("evidence", code, lang)

    reason = r["reason"]
    if reason in ("review", "same_id", "id_upgraded"):
        return say(reason)
    if reason == "same_row":
        return say("same_row" if r["name_raw_a"] == r["name_raw_b"] else "same_row_spelling")
    ida = _text(r["id_key_a"]) or _text(r["id_number_a"])
    idb = _text(r["id_key_b"]) or _text(r["id_number_b"])
    comma = say("comma")
    if reason == "id_precision_lost":
        head = say("head_same" if ida[:15] == idb[:15] else "head_differ")
        return say("precision_lost").format(head=head) + comma + _names(r, lang)
    if reason == "id_typo" and sorted((len(ida), len(idb))) == [15, 18]:
        # a number's 15 digits against a valid ID: where the 15 differ, not "one
        # character" of 18 (the three lost ones are not known)
        head = _id_difference(ida[:15], idb[:15], lang, "head")
        return say("precision_lost").format(head=head) + comma + _names(r, lang)
    if reason == "id_typo":
        return _id_difference(ida, idb, lang) + comma + _names(r, lang)
    if reason == "name_birth":
        no_id = [pd.isna(r["id_key_a"]), pd.isna(r["id_key_b"])]
        ids = say("no_id_both" if all(no_id) else "no_id_one")
        born = say("birth_same" if _birth(r, "a") == _birth(r, "b") else "birth_differ")
        place = say("also").join(
            say(word)
            for word, col in (("same_village", "village"), ("same_phone", "phone"))
            if _text(r[f"{col}_a"]) and r[f"{col}_a"] == r[f"{col}_b"]
        )
        return ids + say("semicolon") + comma.join(p for p in (_names(r, lang), born, place) if p)
    return label("link", str(reason), lang)


def _persons_sql(limit: int | None) -> str:
    """One row per person of the period at `tier`, masked, with every record's
    provenance (file!sheet!row), by counties and name. With a `limit`, the first persons
    are chosen by their counties before any provenance is made: at 10M persons a table's
    100 rows took 17 s and 7.9 GB, the same rows 7.6 s and 4.3 GB."""
    from .export_rows import mask_id_sql  # it imports this module

    return f"""WITH c AS (
          SELECT person_key, string_agg(DISTINCT county, '、' ORDER BY county) AS counties,
                 bool_or(county = $county) AS here
          FROM person_records WHERE period = $year AND tier = $tier GROUP BY person_key),
       chosen AS (
          SELECT p.person_key, p.name, p.id_number, p.birth_date, c.counties, p.records,
                 p.class, p.wing, p.status, p.exit_year, p.probable
          FROM persons p JOIN c USING (person_key)
          WHERE p.period = $year AND p.tier = $tier AND ($county IS NULL OR c.here)
          {"" if limit is None else f"ORDER BY c.counties, p.name, p.person_key LIMIT {limit:d}"}),
       m AS (
          SELECT pr.person_key, string_agg(r.source_file || '!' || r.source_sheet || '!'
                                           || r.source_row, '; ' ORDER BY r.record_id) AS provenance
          FROM person_records pr JOIN records r ON r.record_id = pr.record_id
          WHERE pr.period = $year AND pr.tier = $tier
            AND {"TRUE" if limit is None else "pr.person_key IN (SELECT person_key FROM chosen)"}
          GROUP BY pr.person_key)
       SELECT p.person_key, p.name, coalesce({mask_id_sql("p.id_number")}, '') AS id_number,
              strftime(p.birth_date, '%Y-%m-%d') AS birth_date, p.counties, p.records,
              m.provenance, p.class, p.wing, p.status, p.exit_year, p.probable
       FROM chosen p JOIN m USING (person_key)
       ORDER BY p.counties, p.name, p.person_key"""


def persons(
    store: Store, year: int, tier: str = "probable", county: str | None = None,
    limit: int | None = None,
) -> pd.DataFrame:  # fmt: skip
    """One row per person of the period at `tier` (the first `limit`), masked, with every
    record's provenance."""
    check_period(store, year, tier)
    params = {"year": year, "tier": tier, "county": county}
    from .export_rows import scrub  # it imports this module

    with bounded_memory(store.con):
        frame = _query(store, _persons_sql(limit), params)
    frame["name"] = frame["name"].map(scrub)  # see _unnumbered
    frame["provenance"] = frame["provenance"].map(scrub_source)
    return frame[PERSONS_COLUMNS].reset_index(drop=True)


def _unnumbered(table: pa.Table) -> pa.Table:
    """Persons rows with an ID or phone typed into the name column masked (the names
    stay for the reviewer), and one naming a roster or sheet in the provenance (一人一卡:
    a sheet named 周小凤320321198606060665 went out whole)."""
    from .export_rows import scrubbed  # it imports this module

    return scrubbed(scrubbed(table, "name"), "provenance", fn=scrub_source)


def persons_batches(
    store: Store, year: int, tier: str = "probable", county: str | None = None,
    limit: int | None = None, size: int = 20_000,
) -> Iterator[list[dict[str, Any]]]:  # fmt: skip
    """`persons` as JSON-ready rows, `size` at a time: a province's millions of persons
    are written without being held (DuckDB bounded to a share of the memory meanwhile)."""
    check_period(store, year, tier)
    params = {"year": year, "tier": tier, "county": county}
    for batch in store.batches(_persons_sql(limit), params, size):
        yield _unnumbered(pa.Table.from_batches([batch])).to_pylist()


def count_persons(
    store: Store, year: int, tier: str = "probable", county: str | None = None
) -> int:
    """How many persons `persons` lists."""
    row = store.con.execute(
        """SELECT count(DISTINCT person_key) FROM person_records
           WHERE period = $year AND tier = $tier AND ($county IS NULL OR county = $county)""",
        {"year": year, "tier": tier, "county": county},
    ).fetchone()
    return int(row[0]) if row else 0


def read_decisions(path: Path) -> pd.DataFrame:
    """Decisions from a filled-in dupes listing (CSV in UTF-8 or GB18030, or a workbook):
    columns record_a, record_b, decision (same/different, 同一人/不同人, 是/否, y/n, 1/0 and
    the like: `DECISIONS`), headed by code or by label in either language."""
    if path.is_dir():  # the user's to fix (exit 2), as `--db DIR` is
        raise UsageError(f"{path} is a folder, not a decisions file (.csv or .xlsx)")
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise UsageError(f"no such file: {path}") from None
    try:
        sheets = read_file(path, data)
    except RefusedFile as exc:
        raise UsageError(f"cannot read decisions from {path.name}: {exc.message}") from None
    wanted = ("record_a", "record_b", "decision")
    for sheet in sheets:
        for h, header in enumerate(sheet.rows[:20]):
            names = [_key(c) for c in header]
            if all(_named(names, w) for w in wanted):
                at = [_find(names, w) for w in wanted]
                return _decision_rows(sheet.rows[h + 1 :], at, h + 2)
    raise UsageError(f"{path.name}: no header row with record_a, record_b and decision")


def _key(cell: object) -> str:
    return unicodedata.normalize("NFKC", str(cell if cell is not None else "")).strip().lower()


def _titles(code: str) -> list[str]:
    """A column's header as the listing may carry it: its code, its Chinese or English
    label (`hcs dupes --lang en` heads 'Decision (same/different)')."""
    return [_key(code), _key(label("column", code)), _key(label("column", code, "en"))]


def _named(names: list[str], code: str) -> bool:
    return any(t in names for t in _titles(code))


def _find(names: list[str], code: str) -> int:
    return next(names.index(t) for t in _titles(code) if t in names)


def _record_id(cell: object, row: int) -> int:
    """A record id as written: digits (a spreadsheet's 12.0 too). Read through a float,
    an id of more than 15 digits (an ID number pasted in) came back altered in the
    message."""
    text = str(cell).strip()
    whole = text.removesuffix(".0") if isinstance(cell, float) or text.endswith(".0") else text
    if not whole.isdecimal() or not whole.isascii() or int(whole) <= 0:
        raise UsageError(f"row {row}: {cell!r} is not a record id (use the ids shown by hcs dupes)")
    return int(whole)


def _decision_words() -> dict[str, str]:
    """DECISIONS and the labels `hcs dupes` writes for a stored decision (labels.toml
    `[decision]`, which hcs.toml may change): a listing given back reads as it was shown."""
    words = dict(DECISIONS)
    for code in ("same", "different"):
        for lang in ("zh", "en"):
            words.setdefault(_key(label("decision", code, lang)), code)
    return words


def _decision_rows(rows: list[list[object]], at: list[int], first: int) -> pd.DataFrame:
    """One decision per pair. Two rows deciding one pair both ways (in either order of
    its records) are refused, naming them: the later one used to win without a word."""
    out = []
    seen: dict[tuple[int, int], tuple[int, str]] = {}
    words = _decision_words()
    for n, row in enumerate(rows, first):
        cells = [row[i] if i < len(row) else None for i in at]
        raw = cells[2]
        if isinstance(raw, float) and raw.is_integer():
            raw = int(raw)  # a 1 or 0 typed into Excel comes back as 1.0
        text = _key(raw)
        if not text:
            continue
        if text not in words:
            raise UsageError(
                f"row {n}: unknown decision {cells[2]!r} (use same/different, 同一人/不同人, "
                "是/否, y/n or 1/0)"
            )
        a, b = _record_id(cells[0], n), _record_id(cells[1], n)
        pair, decision = (min(a, b), max(a, b)), words[text]
        if pair in seen and seen[pair][1] != decision:
            raise UsageError(
                f"rows {seen[pair][0]} and {n} decide records {pair[0]} and {pair[1]} both "
                f"ways ({seen[pair][1]}, {decision}): keep one of them"
            )
        seen[pair] = (n, decision)
        out.append((a, b, decision))
    frame = pd.DataFrame(out, columns=["record_a", "record_b", "decision"])
    return frame.drop_duplicates(["record_a", "record_b"], keep="last").reset_index(drop=True)


def record_decisions(
    store: Store, pairs: pd.DataFrame, source: str, warn: Callable[[str], None] | None = None
) -> set[int]:
    """Keep the decisions (record_a, record_b, decision); return the periods to relink.
    `warn`: told of decisions kept that contradict the records (two records of one valid
    ID decided different)."""
    if pairs.empty:
        return set()
    ids = sorted({int(x) for x in (*pairs["record_a"], *pairs["record_b"])})
    known = _query(
        store,
        "SELECT record_id, period, id_key FROM records WHERE list_contains($ids, record_id)",
        {"ids": ids},
    ).set_index("record_id")
    missing = [i for i in ids if i not in known.index]
    if missing:
        raise UsageError(f"unknown record id(s) {', '.join(map(str, missing))}: use the ids "
                         "shown by hcs dupes")  # fmt: skip
    for a, b, decision in pairs[["record_a", "record_b", "decision"]].itertuples(index=False):
        _check_pair(known, int(a), int(b), str(decision))
        ka, kb = known.at[int(a), "id_key"], known.at[int(b), "id_key"]
        if warn and decision == "different" and isinstance(ka, str) and ka == kb:
            warn(f"records {a} and {b} have the same valid ID number: kept apart as "
                 "decided, so one of the rosters holds a wrong ID: correct it there")  # fmt: skip
    sig = store.SIGNATURE
    # a record of a roster since replaced whose values are in no roster in force (a
    # listing made before 沛县 resent its roster with her phone corrected): its decision
    # would be kept and bind no record (decisions hold by the records' values)
    stale = store.con.execute(
        f"""SELECT r.record_id, f.name FROM records r JOIN files f USING (file_id)
            WHERE list_contains($ids, r.record_id) AND NOT f.active
              AND {sig} NOT IN (
                  SELECT {sig} FROM records r JOIN files f USING (file_id)
                  WHERE f.active AND r.period IN (
                      SELECT period FROM records WHERE list_contains($ids, record_id)))
            ORDER BY r.record_id""",
        {"ids": ids},
    ).fetchall()
    if stale:
        at = ", ".join(f"{i} ({scrub_source(name)})" for i, name in stale)
        raise UsageError(
            f"record(s) {at} of a roster since replaced, and not in the roster in force as "
            "they were: list the pairs again with hcs dupes and decide on those"
        )
    rows = store.con.execute(
        f"""SELECT DISTINCT r.period FROM records r JOIN files f USING (file_id)
            WHERE f.active AND {sig} IN (SELECT {sig} FROM records r
                                         WHERE list_contains($ids, r.record_id))""",
        {"ids": ids},
    ).fetchall()
    periods = {int(p) for (p,) in rows}
    # the periods are marked for relinking with the decisions, in one transaction: a
    # review killed before it relinked them leaves them to the next ingest, whole
    store.add_decisions(pairs, source, [f"{PENDING}{p}" for p in sorted(periods)])
    return periods


def _check_pair(known: pd.DataFrame, a: int, b: int, decision: str) -> None:
    if decision not in ("same", "different"):
        raise UsageError(f"unknown decision {decision!r} for records {a} and {b}")
    if a == b:
        raise UsageError(f"record {a} is paired with itself")
    pa, pb = str(known.at[a, "period"]), str(known.at[b, "period"])
    if pa != pb:
        raise UsageError(f"records {a} and {b} are in different periods ({pa}, {pb})")
    ka, kb = known.at[a, "id_key"], known.at[b, "id_key"]
    if decision == "same" and isinstance(ka, str) and isinstance(kb, str) and ka != kb:
        raise UsageError(
            f"records {a} and {b} have different valid ID numbers: never the same person"
        )
