"""The figures hcs must print, computed from the invented records by the rules of
METRICS.md and docs/metrics.md §5-6 (independently of handcraft_stats)."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sample import config as C
from sample.cells import FIELDS, Record
from sample.people import class_of, toneless
from sample.rosters import RosterFile

KEYED = ("valid", "upgraded15")
# docs/metrics.md §5: same_row compares every normalised field; conflicts skip the ID and
# the location fields, which differ legitimately between rosters
SAME_ROW = FIELDS
COMPARED = tuple(f for f in FIELDS if f not in ("id_number", "id_status", "town", "village"))
PROBABLE_ORDER = ("id_precision_lost", "id_typo", "name_birth")
# docs/metrics.md §5: a capacity or willingness read as `unknown` (a blank cell here, or
# text no vocabulary entry matches) says nothing about her: it is missing for
# survivorship and conflicts. A wing read as `other` or a flag as false is a real answer.
NO_INFORMATION = {"labor_capacity": "unknown", "willing": "unknown"}
CLASSES = (
    "able_willing",
    "able_unwilling",
    "able_unknown",
    "weak_willing",
    "weak_unwilling",
    "weak_unknown",
    "unable",
    "unknown",
)


class UnionFind:
    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def union(self, a: int, b: int) -> bool:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return False
        self.parent[max(ra, rb)] = min(ra, rb)
        return True

    def groups(self) -> list[list[int]]:
        out: dict[int, list[int]] = defaultdict(list)
        for i in range(len(self.parent)):
            out[self.find(i)].append(i)
        return sorted(out.values())


def certain_links(recs: list[Record]) -> tuple[UnionFind, Counter[str]]:
    uf, links = UnionFind(len(recs)), Counter[str]()
    by_key: dict[str, list[int]] = defaultdict(list)
    by_row: dict[tuple[Any, ...], list[int]] = defaultdict(list)
    for i, rec in enumerate(recs):
        f = rec.fields
        if f["id_status"] in KEYED:
            by_key[f["id_number"]].append(i)
        else:
            by_row[(rec.county, rec.cells.get("note"), *(f[k] for k in SAME_ROW))].append(i)
    for members in by_key.values():
        valid = [i for i in members if recs[i].fields["id_status"] == "valid"]
        anchor = valid[0] if valid else members[0]
        for i in members:
            if i == anchor:
                continue
            statuses = {recs[i].fields["id_status"], recs[anchor].fields["id_status"]}
            links["id_upgraded" if statuses == {"valid", "upgraded15"} else "same_id"] += 1
            uf.union(anchor, i)
    for members in by_row.values():
        for i in members[1:]:
            links["same_row"] += 1
            uf.union(members[0], i)
    return uf, links


def names_agree(a: str | None, b: str | None) -> bool:
    return a is not None and b is not None and (a == b or toneless(a) == toneless(b))


def one_edit(a: str, b: str) -> bool:
    if len(a) != len(b) or a == b:
        return False
    diff = [i for i in range(len(a)) if a[i] != b[i]]
    if len(diff) == 1:
        return True
    return (
        len(diff) == 2
        and diff[1] == diff[0] + 1
        and a[diff[0]] == b[diff[1]]
        and a[diff[1]] == b[diff[0]]
    )


def probable_reasons(a: Record, b: Record) -> list[str]:
    """Which probable rules of METRICS.md §2 join two records."""
    fa, fb = a.fields, b.fields
    if not names_agree(fa["name"], fb["name"]):
        return []
    reasons = []
    for x, y in ((fa, fb), (fb, fa)):
        if (
            x["id_status"] == "precision_lost"
            and y["id_number"]
            and y["id_number"][:15] == x["id_number"]
        ):
            reasons.append("id_precision_lost")
            break
    ida, idb = fa["id_number"] or "", fb["id_number"] or ""
    if (
        len(ida) == len(idb) == 18
        and one_edit(ida, idb)
        and not (fa["id_status"] in KEYED and fb["id_status"] in KEYED)
    ):
        reasons.append("id_typo")
    if (
        (fa["id_status"] not in KEYED or fb["id_status"] not in KEYED)
        and fa["birth_date"]
        and fa["birth_date"] == fb["birth_date"]
        and (
            (fa["village"] and fa["village"] == fb["village"])
            or (fa["phone"] and fa["phone"] == fb["phone"])
        )
    ):
        reasons.append("name_birth")
    return reasons


def probable_links(recs: list[Record], uf: UnionFind) -> tuple[UnionFind, Counter[str]]:
    """Merge certain clusters by the probable rules; check they rebuild the true persons."""
    edges: list[tuple[int, int, int, str]] = []
    blocks: dict[str, list[int]] = defaultdict(list)
    for i, rec in enumerate(recs):
        if rec.fields["name"]:
            blocks[toneless(rec.fields["name"])].append(i)
    for members in blocks.values():
        for x, i in enumerate(members):
            for j in members[x + 1 :]:
                if uf.find(i) == uf.find(j):
                    continue
                for reason in probable_reasons(recs[i], recs[j]):
                    edges.append((PROBABLE_ORDER.index(reason), i, j, reason))
    merged = UnionFind(len(recs))
    for i in range(len(recs)):
        merged.union(i, uf.find(i))
    links = Counter[str]()
    for _, i, j, reason in sorted(edges):
        if merged.union(i, j):
            links[reason] += 1
    for group in merged.groups():
        people = {recs[i].person.pid for i in group}
        if len(people) != 1:
            raise AssertionError(f"probable rules join different women: {sorted(people)}")
    by_person: dict[str, set[int]] = defaultdict(set)
    for i, rec in enumerate(recs):
        by_person[rec.person.pid].add(merged.find(i))
    split = {pid: roots for pid, roots in by_person.items() if len(roots) > 1}
    if split:
        raise AssertionError(f"duplicates the rules cannot find: {sorted(split)[:5]}")
    return merged, links


def survive(recs: list[Record], group: list[int]) -> tuple[dict[str, Any], list[tuple[int, str]]]:
    """The person's values (survivorship) and the conflicts of docs/metrics.md §5."""
    survivor = max(group, key=lambda i: (recs[i].filled, -i))
    order = [survivor, *(i for i in group if i != survivor)]  # then load order

    def told(i: int, key: str) -> bool:
        value = recs[i].fields[key]
        return value is not None and value != NO_INFORMATION.get(key)

    values: dict[str, Any] = {}
    for key in COMPARED:
        # the first value that tells something; if none does, the first one there is
        # (`unknown` when a record says so), else missing
        known = next((recs[i].fields[key] for i in order if told(i, key)), None)
        there = next((recs[i].fields[key] for i in order if recs[i].fields[key] is not None), None)
        values[key] = known if known is not None else there
    # the survivor record's place, which `hcs changes` matches by last (name + place)
    where = recs[survivor]
    village = where.fields["village"]
    values["place"] = f"{where.county}|{where.fields['town'] or ''}|{village}" if village else None
    conflicts = []
    if len(group) > 1:
        for i in group:
            for key in COMPARED:
                if told(i, key) and recs[i].fields[key] != values[key]:
                    conflicts.append((i, key))
    return values, conflicts


def classify(person: dict[str, Any]) -> str:
    return class_of(person["labor_capacity"], person["willing"])


def metrics(persons: list[dict[str, Any]], year: int) -> dict[str, Any]:
    increases = [
        Decimal(p["income_after"]) - Decimal(p["income_before"])
        for p in persons
        if p["income_after"] is not None and p["income_before"] is not None
    ]
    mean = None
    if increases:
        cents = sum(int(d * 100) for d in increases)
        mean = float(
            (Decimal(cents) / len(increases) / 100).quantize(
                Decimal("0.01"), rounding=ROUND_HALF_UP
            )
        )
    return {
        "persons": len(persons),
        "trained": sum(1 for p in persons if (p["trainings"] or 0) >= 1),
        "training_person_times": sum(p["trainings"] or 0 for p in persons),
        "new_practitioners": sum(1 for p in persons if p["new_practitioner"]),
        "income_increase_mean": mean,
        "exits": sum(1 for p in persons if p["status"] == "exited" and p["exit_year"] == year),
        "returned_to_poverty": sum(1 for p in persons if p["status"] == "returned"),
    }


def by_wing(persons: list[dict[str, Any]], year: int) -> dict[str, Any]:
    return {w: metrics([p for p in persons if p["wing"] == w], year) for w in C.WINGS}


@dataclass
class Linked:
    """One period's active records, linked at both tiers."""

    year: int
    files: list[RosterFile]
    recs: list[Record]
    issues: Counter[str]
    clusters: dict[str, UnionFind]
    links: dict[str, Counter[str]]
    _persons: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def persons(self, tier: str) -> list[dict[str, Any]]:
        """The persons of a tier: survivorship values, counties, ID key, true women."""
        if tier not in self._persons:
            recs, certain = self.recs, self.clusters["certain"]
            out = []
            for group in self.clusters[tier].groups():
                values, conflicts = survive(recs, group)
                keys = {
                    recs[i].fields["id_number"]
                    for i in group
                    if recs[i].fields["id_status"] in KEYED
                }
                if len(keys) > 1:
                    raise AssertionError(f"two ID keys in one person: {sorted(keys)}")
                values["key"] = next(iter(keys), None)
                values["counties"] = {recs[i].county for i in group}
                values["pids"] = {recs[i].person.pid for i in group}
                values["conflicts"] = len(conflicts)
                values["on_probable"] = len({certain.find(i) for i in group}) > 1
                out.append(values)
            self._persons[tier] = out
        return self._persons[tier]


def summary(linked: Linked, tier: str) -> dict[str, Any]:
    year, files = linked.year, linked.files
    persons = linked.persons(tier)
    issues = Counter(linked.issues)
    issues["conflict"] += sum(p["conflicts"] for p in persons)
    on_probable = sum(1 for p in persons if p["on_probable"])
    links = linked.links[tier]
    skipped: Counter[str] = Counter()
    for roster_file in files:
        for sheet in roster_file.sheets:
            if sheet.roster:
                skipped.update(sheet.skipped)
    counties = {}
    for county in C.COUNTIES:
        mine = [p for p in persons if county in p["counties"]]
        if mine:
            counties[county] = {**metrics(mine, year), "wings": by_wing(mine, year)}
    classes = Counter(classify(p) for p in persons)
    # every exit year written on the period's records, with its exited persons (maybe 0)
    exits = Counter(dict.fromkeys(
        {r.fields["exit_year"] for r in linked.recs if r.fields["exit_year"] is not None}, 0
    ))  # fmt: skip
    exits.update(
        p["exit_year"] for p in persons if p["status"] == "exited" and p["exit_year"] is not None
    )
    return {
        "year": year,
        "link_tier": tier,
        "source": {
            "files": len(files),
            "records": len(linked.recs),
            "persons": len(persons),
            "persons_on_probable_links": on_probable,
        },
        "totals": metrics(persons, year),
        "wings": by_wing(persons, year),
        "counties": counties,
        "classification": {c: classes.get(c, 0) for c in CLASSES},
        "exits_by_year": {str(y): exits[y] for y in sorted(exits)},
        "quality": {
            "issues_by_code": {k: v for k, v in sorted(issues.items()) if v},
            "links_by_reason": {k: v for k, v in sorted(links.items()) if v},
            "cross_county_persons": sum(1 for p in persons if len(p["counties"]) > 1),
            "rows_skipped_by_kind": {k: v for k, v in sorted(skipped.items()) if v},
        },
    }


def link(year: int, files: list[RosterFile]) -> Linked:
    """Link one period's active files, given in load order (docs/metrics.md §1)."""
    recs = [rec for f in files for sheet in f.sheets for rec in sheet.records]
    for index, rec in enumerate(recs):
        rec.load = index
    issues = Counter(issue["code"] for rec in recs for issue in rec.issues)
    certain, certain_count = certain_links(recs)
    probable, probable_count = probable_links(recs, certain)
    return Linked(
        year,
        files,
        recs,
        issues,
        {"certain": certain, "probable": probable},
        {"certain": certain_count, "probable": certain_count + probable_count},
    )


def period_summaries(linked: Linked) -> dict[str, Any]:
    return {tier: summary(linked, tier) for tier in ("certain", "probable")}
