"""`hcs changes --from Y1 --to Y2` as docs/metrics.md §7 defines it, computed from the
persons of the two periods (independently of handcraft_stats)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from sample import config as C
from sample.cells import is_blank
from sample.truth import Linked, classify

CHANGES = (
    "entered",
    "left",
    "exited",
    "returned",
    "moved_county",
    "changed_wing",
    "changed_class",
)
CHECKS = (
    "exit_reverted",
    "exit_year_changed",
    "birth_date_changed",
    "name_changed",
    "missing_without_reason",
)
Person = dict[str, Any]


def match(
    before: list[Person], after: list[Person]
) -> list[tuple[Person | None, Person | None, str]]:
    """Pairs (Y1 person, Y2 person, how): by ID key, then by normalised name + birth date
    where that pair is unique among the persons left unmatched on each side, then so by
    name + phone, then by name + county, town and village of the survivor record; never
    two valid IDs; then the unmatched persons of each side alone."""
    pairs: list[tuple[Person | None, Person | None, str]] = []
    by_key = {p["key"]: p for p in after if p["key"]}
    done1: set[int] = set()
    done2: set[int] = set()
    for p in before:
        q = by_key.get(p["key"]) if p["key"] else None
        if q is not None:
            pairs.append((p, q, "key"))
            done1.add(id(p))
            done2.add(id(q))

    for field, how in (
        ("birth_date", "name_birth"), ("phone", "name_phone"), ("place", "name_place")
    ):  # fmt: skip

        def name_and(p: Person, field: str = field) -> tuple[str, str] | None:
            return (p["name"], p[field]) if p["name"] and p[field] else None

        rest1 = [p for p in before if id(p) not in done1]
        rest2 = [p for p in after if id(p) not in done2]
        count1 = Counter(name_and(p) for p in rest1)
        count2 = Counter(name_and(p) for p in rest2)
        unique2 = {name_and(p): p for p in rest2 if name_and(p) and count2[name_and(p)] == 1}
        for p in rest1:
            nb = name_and(p)
            if nb and count1[nb] == 1 and nb in unique2:
                q = unique2[nb]
                if (p["key"] and q["key"]) or (how in ("name_phone", "name_place") and (
                    p["birth_date"] and q["birth_date"] and p["birth_date"] != q["birth_date"]
                )):  # fmt: skip
                    continue  # two valid IDs, or two birth dates: two women
                pairs.append((p, q, how))
                done1.add(id(p))
                done2.add(id(q))
    pairs += [(p, None, "") for p in before if id(p) not in done1]
    pairs += [(None, q, "") for q in after if id(q) not in done2]
    return pairs


def person_changes(p: Person | None, q: Person | None, year: int) -> tuple[list[str], list[str]]:
    """The changes and checks of one matched or unmatched person (Y2 = `year`)."""
    changes: list[str] = []
    checks: list[str] = []
    if q is None:
        assert p is not None
        changes.append("left")
        if p["status"] != "exited":
            checks.append("missing_without_reason")
        return changes, checks
    if p is None:
        changes.append("entered")
    if q["status"] == "exited" and q["exit_year"] == year:
        changes.append("exited")
    if q["status"] == "returned":
        changes.append("returned")
    if p is not None:
        if not p["counties"] & q["counties"]:
            changes.append("moved_county")
        if (p["wing"] or "none") != (q["wing"] or "none"):
            changes.append("changed_wing")
        if classify(p) != classify(q):
            changes.append("changed_class")
        if p["status"] == "exited" and q["status"] not in ("exited", "returned"):
            checks.append("exit_reverted")
        years = (p["exit_year"], q["exit_year"])
        if None not in years and years[0] != years[1]:
            checks.append("exit_year_changed")
        if p["birth_date"] and q["birth_date"] and p["birth_date"] != q["birth_date"]:
            checks.append("birth_date_changed")
        if p["name"] and q["name"] and p["name"] != q["name"]:
            checks.append("name_changed")
    return sorted(changes), sorted(checks)


def changes_doc(
    before: Linked, after: Linked, tier: str
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The JSON of `hcs changes --from Y1 --to Y2 --link TIER` (persons named, not keyed),
    and one row per person with her true women (pids) for the generator's own checks."""
    y1, y2 = before.year, after.year
    zero = dict.fromkeys(CHANGES, 0)
    counties = {rec.county for linked in (before, after) for rec in linked.recs}
    totals = dict(zero)
    by_county = {c: dict(zero) for c in C.COUNTIES if c in counties}
    by_wing = {w: dict(zero) for w in C.WINGS}
    checks = dict.fromkeys(CHECKS, 0)
    persons, rows = [], []
    for p, q, how in match(before.persons(tier), after.persons(tier)):
        changed, flagged = person_changes(p, q, y2)
        for change in changed:
            shown = p if change == "left" else q
            assert shown is not None
            totals[change] += 1
            for county in shown["counties"]:
                by_county[county][change] += 1
            by_wing[shown["wing"] or "none"][change] += 1
        for check in flagged:
            checks[check] += 1
        shown = q if q is not None else p
        assert shown is not None
        rows.append(
            {
                "before": p["pids"] if p else set(),
                "after": q["pids"] if q else set(),
                "how": how,
                "changes": changed,
                "checks": flagged,
            }
        )
        if changed or flagged:
            if not shown["name"]:
                raise AssertionError(f"a listed person without a name: {shown['pids']}")
            persons.append({"name": shown["name"], "changes": changed, "checks": flagged})
    persons.sort(key=lambda x: (x["name"], x["changes"], x["checks"]))
    doc = {
        "from": y1,
        "to": y2,
        "link_tier": tier,
        "totals": totals,
        "by_county": by_county,
        "by_wing": by_wing,
        "checks": checks,
        "persons": persons,
    }
    return doc, rows


def verify_probable(
    rows: list[dict[str, Any]], planted: dict[str, list[str]], before: Linked, after: Linked
) -> None:
    """At the probable tier the persons are the true women: every woman of both periods
    is matched to herself (by ID key, or by name + a birth-date cell on both sides),
    and every planted change is found on her."""
    seen1 = {pid for r in rows for pid in r["before"]}
    seen2 = {pid for r in rows for pid in r["after"]}
    births = [
        {rec.person.pid for rec in linked.recs if not is_blank(rec.cells.get("birth_date"))}
        for linked in (before, after)
    ]
    for r in rows:
        if r["how"] == "name_birth" and not (r["before"] <= births[0] and r["after"] <= births[1]):
            raise AssertionError(f"matched by name + birth date without a birth-date cell: {r}")
        if r["before"] and r["after"] and r["before"] != r["after"]:
            raise AssertionError(f"different women matched: {r}")
        if r["before"] and not r["after"] and r["before"] & seen2:
            raise AssertionError(f"a woman of both periods not matched: {r['before']}")
        if r["after"] and not r["before"] and r["after"] & seen1:
            raise AssertionError(f"a woman of both periods not matched: {r['after']}")
        (pid,) = r["after"] or r["before"]
        found = set(r["changes"]) | set(r["checks"])
        missing = set(planted.get(pid, ())) - found
        if missing:
            raise AssertionError(f"{pid}: planted {sorted(missing)} not found ({r})")
