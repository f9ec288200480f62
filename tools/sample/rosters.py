"""Put the women of one period on their counties' rosters, plant duplicates and
messes, and lay every roster out as sheets of raw rows."""

from __future__ import annotations

import copy
import random
from dataclasses import dataclass, field
from datetime import date
from functools import partial
from typing import Any

from sample import config as C
from sample.cells import Record, Renderer, Spec, render
from sample.layouts import BIRTH_COLUMN_COUNTIES, NUMERIC_ID_COUNTY, SIGNATURE, Layout, layouts
from sample.people import MAIN_WINGS, Person, Population, YearValues, check_char

WORKING = ("handicraft", "domestic_service", "ecommerce", "agriculture", "other")

DUP_KINDS = (
    "same_roster",
    "exact_row",
    "two_towns",
    "two_counties",
    "homophone",
    "id15",
    "typo",
    "numeric_id",
)
MESSES = (
    "bad_money",
    "bad_count",
    "bad_date",
    "unknown_labor_capacity",
    "unknown_willing",
    "unknown_wing",
)
EXTRA_VALUES = {
    "民族": ("汉族",) * 9 + ("回族",),
    "文化程度": ("小学", "初中", "初中", "高中", "文盲"),
}


@dataclass
class Sheet:
    name: str
    roster: bool = True
    rows: list[list[Any]] = field(default_factory=list)
    kinds: list[str | None] = field(default_factory=list)  # None: a record
    merges: list[tuple[int, int, int, int]] = field(default_factory=list)  # 1-based, inclusive
    records: list[Record] = field(default_factory=list)

    def add(self, row: list[Any], kind: str | None, record: Record | None = None) -> None:
        self.rows.append(row)
        self.kinds.append(kind)
        if record is not None:
            record.sheet = self.name
            record.row = len(self.rows)
            self.records.append(record)

    @property
    def skipped(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for kind in self.kinds:
            if kind is not None:
                counts[kind] = counts.get(kind, 0) + 1
        return counts


@dataclass
class RosterFile:
    path: str  # relative to the sample folder
    county: str
    period: int
    fmt: str
    sheets: list[Sheet] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.path.rsplit("/", 1)[-1]


@dataclass
class Slot:
    """One roster sheet's worth of records before layout."""

    layout: Layout
    town: str | None
    records: list[Record] = field(default_factory=list)
    specs: dict[int, Spec] = field(default_factory=dict)  # id(record) -> spec
    exact_of: dict[int, Record] = field(default_factory=dict)  # copy -> original


class PeriodBuilder:
    def __init__(self, pop: Population, year: int, rng: random.Random) -> None:
        self.pop, self.year, self.rng = pop, year, rng
        self.layouts = layouts(year)
        self.women = [p.at(year) for p in pop.people if year in p.years]
        self.slots: dict[tuple[str, str | None], Slot] = {}
        self.primary: dict[str, Record] = {}
        self.taken: set[str] = set()
        self.fixes: dict[str, Record] = {}  # errors the county corrects (CORRECTED_COUNTY)

    # -- slots and records ----------------------------------------------------
    def slot(self, county: str, town: str) -> Slot:
        layout = self.layouts[county]
        key = (county, town if layout.per_town else None)
        if key not in self.slots:
            self.slots[key] = Slot(layout, key[1])
        return self.slots[key]

    def add(
        self,
        person: Person,
        spec: Spec,
        county: str,
        town: str,
        village: str,
        kind: str | None = None,
        after: Record | None = None,
        exact: bool = False,
    ) -> Record:
        rec = Record(person, self.year, county, town, village, kind)
        slot = self.slot(county, town)
        if after is None:
            slot.records.insert(self.rng.randint(0, len(slot.records)), rec)
        else:
            at = slot.records.index(after) + 1
            gap = 0 if exact and self.rng.random() < 0.6 else self.rng.randint(0, 12)
            slot.records.insert(min(at + gap, len(slot.records)), rec)
        slot.specs[id(rec)] = spec
        if exact and after is not None:
            slot.exact_of[id(rec)] = after
        return rec

    def pick(self, count: int, ok: Any) -> list[Person]:
        pool = [
            p
            for p in self.women
            if p.pid not in self.taken
            and p.pid not in self.pop.reserved
            and p.county != NUMERIC_ID_COUNTY
            and ok(p)
        ]
        chosen = self.rng.sample(pool, count)
        self.taken.update(p.pid for p in chosen)
        return chosen

    def elsewhere(
        self, person: Person, counties: tuple[str, ...] | None = None
    ) -> tuple[str, str, str]:
        """A county, town and village other than the woman's own."""
        options = [c for c in (counties or tuple(C.COUNTIES)) if c != person.county]
        county = self.rng.choice(options)
        town = self.rng.choice(C.TOWNS[county])
        villages = [v for v in self.pop.villages[county][town] if v != person.village]
        return county, town, self.rng.choice(villages)

    def build(self) -> list[RosterFile]:
        rng = self.rng
        # primary records, in the order a county office would list them
        ordered = sorted(
            self.women, key=lambda p: (p.county, C.TOWNS[p.county].index(p.town), p.village, p.pid)
        )
        for person in ordered:
            rec = Record(person, self.year, person.county, person.town, person.village, None)
            self.primary[person.pid] = rec
            slot = self.slot(person.county, person.town)
            slot.records.append(rec)
            slot.specs[id(rec)] = Spec()
        if self.year == 2017:
            self.plant_errors()
        self.plant_duplicates()
        self.plant_messes()
        self.plant_checks()
        for person in self.women:
            if person.pid not in self.taken:
                self.slot_of(person).specs[id(self.primary[person.pid])] = self.primary_spec(person)
            if self.spec_of(person).id_mode not in ("valid", "upgraded15"):
                self.pop.keyless[self.year].add(person.pid)
        return self.lay_out(rng)

    def both(self, person: Person) -> bool:
        """Listed in both periods: her records must let hcs find her in the other one."""
        return all(year in person.years for year in C.PERIODS)

    def slot_of(self, person: Person) -> Slot:
        return self.slot(person.county, person.town)

    def primary_spec(self, person: Person) -> Spec:
        """Her only record: mostly a valid ID. A woman of both periods has a valid ID
        where her roster has no birth-date column, else a filled birth-date cell (hcs
        may match her across periods by name + birth date, docs/metrics.md §7)."""
        roll = self.rng.random()
        birth_column = person.county in BIRTH_COLUMN_COUNTIES
        both = self.both(person)
        if person.pid in self.pop.reserved:
            values = person.years[self.year]
            if values.status == "not_exited" and values.exit_year is not None:
                # exit_reverted keeping her exit year: 未脱贫 with 2016
                return Spec(birth_cell=birth_column, plants=[("status_exit_conflict", "status")])
            return Spec(birth_cell=birth_column)
        if person.county == NUMERIC_ID_COUNTY:
            if person.id18.endswith("X") or roll > 0.88:  # an X cannot be typed as a number
                return Spec(birth_cell=both)
            return Spec(id_mode="precision_lost", birth_cell=both)
        keyed_only = both and (not birth_column or person.pid in self.pop.renamed)
        birth_cell = birth_column and both
        for mode, share in (
            ("missing", 0.025),
            ("malformed", 0.015),
            ("upgraded15", 0.02),
            ("bad_check", 0.02 if birth_column else 0.0),
        ):
            if roll < share:
                if mode == "upgraded15" and person.birth.year > 1999:
                    return Spec()
                if keyed_only and mode != "upgraded15":
                    return Spec(birth_cell=birth_cell)
                return Spec(id_mode=mode, birth_cell=birth_column)
            roll -= share
        return Spec(birth_cell=birth_cell)

    def spec_of(self, person: Person) -> Spec:
        return self.slot_of(person).specs[id(self.primary[person.pid])]

    # -- duplicates ---------------------------------------------------------------
    def plant_duplicates(self) -> None:
        rng, pop = self.rng, self.pop

        for i, person in enumerate(self.pick(5, lambda p: True)):
            blank = tuple(rng.sample(("phone", "broker", "visit_date", "household_head"), 2))
            override = {"trainings": person.years[self.year].trainings + 1} if i == 0 else {}
            self.add(
                person,
                Spec(blank=blank, override=override),
                person.county,
                person.town,
                person.village,
                "same_roster",
                after=self.primary[person.pid],
            )

        # without a usable ID only where hcs can still match her across periods
        keyless_ok = self.keyless_ok
        for i, person in enumerate(self.pick(3, lambda p: True) + self.pick(3, keyless_ok)):
            mode = ("valid", "valid", "valid", "missing", "missing", "malformed")[i]
            self.spec_of(person).id_mode = mode
            self.spec_of(person).birth_cell = mode != "valid"
            self.add(
                person,
                Spec(),
                person.county,
                person.town,
                person.village,
                "exact_row",
                after=self.primary[person.pid],
                exact=True,
            )

        per_town = ("铜山区", "沛县")
        for i, person in enumerate(
            self.pick(5, lambda p: p.county in per_town)
            + self.pick(1, lambda p: p.county not in per_town)
        ):
            town = rng.choice([t for t in C.TOWNS[person.county] if t != person.town])
            village = rng.choice(pop.villages[person.county][town])
            override = {"phone": pop._phone()} if i == 0 else {}
            self.add(person, Spec(override=override), person.county, town, village, "two_towns")

        for i, person in enumerate(self.pick(5, lambda p: True)):
            override = {}
            if i == 0 and person.years[self.year].income_after is not None:
                override = {"income_after": person.years[self.year].income_after + 1000}
            self.add(person, Spec(override=override), *self.elsewhere(person), "two_counties")

        # another spelling of her name: never next to a 2016 record without ID key
        spelled_ok = self.spelled_ok
        for i, person in enumerate(self.pick(3, spelled_ok)):
            self.respelled(person)
            name = homophone(person.name)
            if i == 0:
                self.add(
                    person,
                    Spec(name=name, plain=True),
                    person.county,
                    person.town,
                    person.village,
                    "homophone",
                    after=self.primary[person.pid],
                )
            else:
                self.add(person, Spec(name=name, plain=True), *self.elsewhere(person), "homophone")
        for person in self.pick(2, lambda p: p.county in BIRTH_COLUMN_COUNTIES and spelled_ok(p)):
            self.respelled(person)
            self.add(
                person,
                Spec(name=homophone(person.name), id_mode="missing", birth_cell=True, plain=True),
                person.county,
                person.town,
                person.village,
                "homophone",
                after=self.primary[person.pid],
            )

        for person in self.pick(5, lambda p: p.birth.year <= 1999):
            self.add(person, Spec(id_mode="upgraded15"), *self.elsewhere(person), "id15")

        for person in self.pick(5, lambda p: True):
            self.add(
                person,
                Spec(
                    id_mode="bad_check",
                    id_text=typo(rng, person.id18),
                    blank=("phone",),
                    birth_cell=True,
                ),
                *self.elsewhere(person, BIRTH_COLUMN_COUNTIES),
                "typo",
            )

        for person in self.pick(5, lambda p: p.id18[14] != "0" and not p.id18.endswith("X")):
            self.add(
                person,
                Spec(id_mode="precision_lost", blank=("phone",), birth_cell=True),
                *self.elsewhere(person, (NUMERIC_ID_COUNTY,)),
                "numeric_id",
            )

    def keyless_ok(self, person: Person) -> bool:
        """May her records of this period lack an ID key?"""
        if not self.both(person):
            return True
        if self.year == 2017 and person.pid in self.pop.renamed:
            return False
        return person.county in BIRTH_COLUMN_COUNTIES

    def spelled_ok(self, person: Person) -> bool:
        """May her name be spelled otherwise (or be missing) in this period?"""
        if self.year == 2016:
            return True
        return person.pid not in self.pop.keyless[2016]

    def mess_ok(self, mess: str, person: Person) -> bool:
        if mess == "bad_date" and person.years[self.year].visit is None:
            return False
        if mess == "unknown_wing" and person.labor in ("lost", "none"):
            return False  # read as "other": a wing, never for a woman without capacity
        # the corrected roster keeps no "约三千" nor "见备注" but the ones it fixes
        corrected = self.year == C.PERIODS[1] and person.county == C.CORRECTED_COUNTY
        return not (corrected and mess != "bad_count")

    def plant_messes(self) -> None:
        for mess in MESSES:
            ok = partial(self.mess_ok, mess)
            for person in self.pick(3, ok):
                self.spec_of(person).mess = mess
                self.pop.messed.add(person.pid)
        with_seq = [c for c, lay in self.layouts.items() if "seq" in lay.keys]
        for person in self.pick(2, lambda p: p.county in with_seq and self.nameless_ok(p)):
            self.respelled(person)
            self.spec_of(person).no_name = True

    def plant_checks(self) -> None:
        """Each rule of the catalogue (docs/checks.md) a few times, on women with no
        other record in the period; every other record passes every rule."""
        rng, pop, year = self.rng, self.pop, self.year
        line = C.POVERTY_LINE

        def values(p: Person) -> YearValues:
            return p.years[year]

        def age(p: Person) -> int:
            return year - p.birth.year

        def plant(person: Person, code: str, column: str, **override: Any) -> Spec:
            spec = self.spec_of(person)
            spec.override.update(override)
            spec.plants.append((code, column))
            return spec

        def one_period(p: Person) -> bool:  # another key is no trouble across periods
            return not self.both(p)

        # IDs that are no ID (id_status malformed): only where she can be matched
        # across periods by name + birth date
        for i, person in enumerate(self.pick(2, self.keyless_ok)):
            spec = self.spec_of(person)
            spec.id_mode, spec.id_text = "chars", id_chars(person.id18, i)
            spec.birth_cell = person.county in BIRTH_COLUMN_COUNTIES
        for i, person in enumerate(self.pick(2, self.keyless_ok)):
            spec = self.spec_of(person)
            spec.id_mode, spec.id_text = "bad_birth", id_bad_birth(person.id18, i)
            spec.birth_cell = person.county in BIRTH_COLUMN_COUNTIES
        # valid IDs that are not hers: a man's, an area code that never existed
        for person in self.pick(2, one_period):
            seq = person.id18[14:16] + rng.choice("13579")
            plant(person, "id_male", "id_number").id_text = pop.new_id(person.id18[:14] + seq)
        for i, person in enumerate(self.pick(2, one_period)):
            area = C.UNKNOWN_AREAS[i % len(C.UNKNOWN_AREAS)]
            spec = plant(person, "id_area_unknown", "id_number")
            spec.id_text = pop.new_id(area + person.id18[6:17])
        # capacity against age (on 31 December) and wing
        for person in self.pick(2, lambda p: age(p) > 65):
            plant(person, "capacity_age_able", "labor_capacity", labor_capacity="able")
        for person in self.pick(2, lambda p: 16 <= age(p) <= 60 and p.wing == "none"):
            plant(
                person,
                "capacity_age_none",
                "labor_capacity",
                labor_capacity=rng.choice(("none", "lost")),
            )
        for person in self.pick(2, lambda p: age(p) > 60 and p.wing in WORKING):
            plant(person, "unable_working", "wing", labor_capacity="lost")
        # incomes
        exited = [p for p in self.women if values(p).status == "exited"]
        for person in self.pick(2, lambda p: p in exited):
            before = values(person).income_before or 0
            after = rng.randint(max(before, 4000) // 100, (line - 100) // 100) * 100
            plant(person, "exit_below_line", "income_after", income_after=after)
        for person in self.pick(2, lambda p: p in exited):
            plant(person, "income_decreased", "income_after", income_before=9000, income_after=8000)
        open_ = [p for p in self.women if values(p).status == "not_exited"]
        light = [p for p in open_ if p.wing in ("other", "none")]  # keeps the wing means
        for i, person in enumerate(self.pick(2, lambda p: p in light)):
            column = ("income_after", "income_before")[i]
            plant(person, "income_implausible", column, **{column: (350000, 250000)[i]})
        # phones: a landline or a digit short; one phone on four households
        for i, person in enumerate(self.pick(2, lambda p: True)):
            bad = f"0516{rng.randrange(10**7):07d}" if i == 0 else pop.new_phone()[:10]
            plant(person, "phone_invalid", "phone", phone=bad)
        shared = pop.new_phone()
        for person in self.pick_households(4):
            plant(person, "phone_shared", "phone", phone=shared)
        # a broker who is a beneficiary of her town
        for person in self.pick(2, lambda p: True):
            town = [
                q
                for q in self.women
                if (q.county, q.town) == (person.county, person.town)
                and q.pid not in self.taken
                and q.pid not in pop.reserved
            ]
            broker = rng.choice(town).name
            plant(person, "broker_is_beneficiary", "broker", broker=broker)
        # dates and counts
        for i, person in enumerate(self.pick(2, lambda p: values(p).visit is not None)):
            visit = date(year - 1, 11, 20) if i == 0 else date(year + 1, 1, 8)
            plant(person, "visit_outside_period", "visit_date", visit=visit)
        for i, person in enumerate(self.pick(2 if year == 2016 else 1, lambda p: True)):
            plant(person, "trainings_implausible", "trainings", trainings=(52, 60)[i])
        # exit years: filled in ahead of time; status and exit year disagreeing

        def may_exit(p: Person) -> bool:
            after, before = values(p).income_after, values(p).income_before or 0
            return after is None or after >= max(line, before)

        if year == C.PERIODS[0]:
            ahead = lambda p: (  # noqa: E731
                values(p).status == "not_exited"
                and p.years.get(year + 1, YearValues()).exit_year == year + 1
                and may_exit(p)
            )
            for person in self.pick(2, ahead):
                plant(person, "exit_after_period", "exit_year", status="exited", exit_year=year + 1)
            for person in self.pick(2, lambda p: p in exited and values(p).exit_year == year):
                plant(person, "status_exit_conflict", "status", exit_year=None)
        else:
            ahead = lambda p: (  # noqa: E731
                values(p).status == "not_exited" and values(p).exit_year is None and may_exit(p)
            )
            for person in self.pick(2, ahead):
                plant(person, "exit_after_period", "exit_year", status="exited", exit_year=year + 1)

    def pick_households(self, count: int) -> list[Person]:
        """`count` women of one town, of different households and names."""
        towns: dict[tuple[str, str], dict[str, Person]] = {}
        for p in self.women:
            if p.pid in self.taken or p.pid in self.pop.reserved or p.county == NUMERIC_ID_COUNTY:
                continue
            heads = towns.setdefault((p.county, p.town), {})
            if p.head not in heads and all(q.name != p.name for q in heads.values()):
                heads[p.head] = p
        town = self.rng.choice(sorted(t for t, heads in towns.items() if len(heads) >= count))
        chosen = self.rng.sample(sorted(towns[town].values(), key=lambda p: p.pid), count)
        self.taken.update(p.pid for p in chosen)
        return chosen

    def respelled(self, person: Person) -> None:
        if self.year == 2016:  # her 2017 records keep a valid ID (docs/metrics.md §7)
            self.pop.renamed.add(person.pid)

    def nameless_ok(self, person: Person) -> bool:
        """A woman without a name is never listed by `hcs changes` (so never has a name
        of null there): she is in both periods, and nothing about her changes."""
        if not self.both(person):
            return False
        if self.year == 2016:
            return True
        before, now = person.years[2016], person.years[2017]
        return (
            self.spelled_ok(person)
            and person.pid not in self.pop.messed
            and person.pid not in self.pop.renamed
            and (before.status, before.exit_year) == (now.status, now.exit_year)
        )

    def plant_errors(self) -> None:
        """Errors on CORRECTED_COUNTY's 2017 roster that its corrected roster fixes, and
        the woman it removes (tools/sample/corrections.py)."""
        county = C.CORRECTED_COUNTY

        def mine(p: Person) -> bool:
            return p.county == county and self.both(p) and p.pid not in self.pop.renamed

        (person,) = self.pick(1, mine)
        self.fixes["id_number"] = self.primary[person.pid]
        self.spec_of(person).id_mode = "malformed"
        (person,) = self.pick(1, lambda p: mine(p) and p.years[2017].income_before is not None)
        self.fixes["income_before"] = self.primary[person.pid]
        self.spec_of(person).mess = "bad_money"
        (person,) = self.pick(1, lambda p: mine(p) and p.wing in MAIN_WINGS)
        self.fixes["wing"] = self.primary[person.pid]
        self.spec_of(person).mess = "unknown_wing"
        (person,) = self.pick(1, lambda p: p.county == county and p.years[2017].exit_year == 2017)
        self.fixes["status"] = self.primary[person.pid]
        self.spec_of(person).override.update(status="not_exited", exit_year=None)
        (person,) = self.pick(1, lambda p: mine(p) and p.years[2016].status == "not_exited")
        self.fixes["removed"] = self.primary[person.pid]

    # -- layout -------------------------------------------------------------------
    def lay_out(self, rng: random.Random) -> list[RosterFile]:
        files: dict[str, RosterFile] = {}
        for county, layout in self.layouts.items():
            towns = C.TOWNS[county] if layout.per_town else [None]
            for t_index, town in enumerate(towns):
                slot = self.slots.get((county, town))
                if slot is None:
                    continue
                folder = f"rosters/{self.year}/" + (f"{layout.folder}/" if layout.folder else "")
                path = folder + layout.file_name.format(town=town)
                if path not in files:
                    files[path] = RosterFile(path, county, self.year, layout.fmt)
                    if layout.per_town == "sheets":
                        files[path].sheets.append(instructions_sheet())
                sheet_name = layout.sheet_name.format(town=town) if town else layout.sheet_name
                if layout.per_town == "sheets":
                    sheet_name = town or ""
                titled = layout.per_town != "files" or t_index % 2 == 1
                files[path].sheets.append(
                    roster_sheet(layout, slot, sheet_name, self.year, rng, titled)
                )
            if layout.per_town == "sheets":
                for roster_file in files.values():
                    if roster_file.county == county:
                        roster_file.sheets.append(summary_sheet(roster_file.sheets))
        return [files[path] for path in sorted(files)]


def homophone(name: str) -> str:
    chars = list(name)
    index = len(chars) - 1
    chars[index] = C.HOMOPHONES[chars[index]]
    return "".join(chars)


def id_chars(id18: str, variant: int) -> str:
    """An 18-character ID with a letter in it: O for a zero, or Y for the check character."""
    at = id18.find("0", 6, 17)
    if variant == 0 and at >= 0:
        return id18[:at] + "O" + id18[at + 1 :]
    return id18[:17] + "Y"


def id_bad_birth(id18: str, variant: int) -> str:
    """18 digits whose birth date does not exist (30 February, month 13)."""
    body = id18[:10] + ("0230" if variant == 0 else "13" + id18[12:14]) + id18[14:17]
    return body + check_char(body)


def typo(rng: random.Random, id18: str) -> str:
    """One mistyped digit or two swapped adjacent digits in the sequence part."""
    chars = list(id18)
    while True:
        trial = chars[:]
        if rng.random() < 0.5:
            at = rng.choice((14, 15, 16))
            trial[at] = rng.choice([d for d in "0123456789" if d != chars[at]])
        else:
            at = rng.choice((14, 15))
            if chars[at] == chars[at + 1]:
                continue
            trial[at], trial[at + 1] = trial[at + 1], trial[at]
        text = "".join(trial)
        if check_char(text[:17]) != text[17] and int(text[16]) % 2 == 0:  # a woman's
            return text


def roster_sheet(
    layout: Layout, slot: Slot, name: str, year: int, rng: random.Random, titled: bool
) -> Sheet:
    sheet = Sheet(name)
    width = len(layout.columns)
    keys = layout.keys
    town = slot.town or ""
    if layout.title and titled:
        sheet.add([layout.title.format(town=town)], "title")
        if layout.merge_title:
            sheet.merges.append((len(sheet.rows), 1, len(sheet.rows), width))
    if layout.blank_above_header:
        sheet.add([], "blank")
    for info in layout.info:
        sheet.add([info], "info")
    headers = [header for _, header in layout.columns]
    if layout.groups:
        group_of = {key: label for label, members in layout.groups for key in members}
        upper: list[Any] = []
        lower: list[Any] = []
        top = len(sheet.rows) + 1
        for col, (key, header) in enumerate(layout.columns, start=1):
            label = group_of.get(key)
            if label is None:
                upper.append(header)
                lower.append(None)
                sheet.merges.append((top, col, top + 1, col))
            else:
                first = keys.index(next(k for k in keys if group_of.get(k) == label)) + 1
                upper.append(label if col == first else None)
                lower.append(header)
                if col == first:
                    span = sum(1 for k in keys if group_of.get(k) == label)
                    sheet.merges.append((top, col, top, col + span - 1))
        sheet.add(upper, "header")
        sheet.add(lower, "header")
    else:
        sheet.add(list(headers), "header")

    rend = Renderer(rng, layout.fmt, C.FORMULAS if layout.county == C.FORMULA_COUNTY else 0)
    rows: dict[int, list[Any]] = {}
    seq = 0
    for rec in slot.records:
        original = slot.exact_of.get(id(rec))
        if original is not None:
            rec.cells = dict(original.cells)
            rec.fields = dict(original.fields)
            rec.issues = copy.deepcopy(original.issues)
            rows[id(rec)] = list(rows[id(original)])
            continue
        render(rec, keys, rend, slot.specs[id(rec)])
        seq += 1
        row: list[Any] = []
        for key in keys:
            if key == "seq":
                row.append(seq)
            elif key.startswith("extra:"):
                row.append(rng.choice(EXTRA_VALUES[key[6:]]))
            else:
                row.append(rec.cells.get(key))
        rows[id(rec)] = row

    count = len(slot.records)
    blanks = (
        set(rng.sample(range(1, count), min(layout.blank_rows, count - 1))) if count > 1 else set()
    )
    middle = count // 2 if layout.repeated_header and count > 4 else -1
    for index, rec in enumerate(slot.records):
        if index == middle:
            sheet.add(list(headers), "repeated_header")
        if index in blanks:
            sheet.add([None] * width, "blank")
        sheet.add(rows[id(rec)], None, rec)
    for _ in range(layout.no_person):
        seq += 1
        sheet.add([seq] + [None] * (width - 1), "no_person")
    if layout.totals:
        label = layout.totals.format(n=count)
        totals: list[Any] = [label] + [None] * (width - 1)
        if layout.totals == "合计":
            totals[keys.index("name")] = f"{count}人"
        sheet.add(totals, "totals")
    if layout.signature:
        sheet.add([SIGNATURE.format(n=rng.randrange(10**7))], "signature")
    if layout.note_row:
        sheet.add([layout.note_row], "note")
    return sheet


def instructions_sheet() -> Sheet:
    sheet = Sheet("填表说明", roster=False)
    for line in (
        "填表说明",
        "1. 本表由各镇（街道）妇联按村填报，每个镇（街道）一张工作表。",
        "2. 身份证号码请按文本格式录入18位号码。",
        "3. 收入单位为元，培训次数为全年累计次数。",
        "4. 脱贫状态填写：未脱贫、已脱贫、返贫。",
    ):
        sheet.add([line], None)
    return sheet


def summary_sheet(sheets: list[Sheet]) -> Sheet:
    summary = Sheet("汇总", roster=False)
    summary.add(["乡镇", "登记人数", "脱贫人数"], None)
    total = exited = 0
    for sheet in sheets:
        if not sheet.roster:
            continue
        n = len(sheet.records)
        e = sum(1 for r in sheet.records if r.fields.get("status") == "exited")
        summary.add([sheet.name, n, e], None)
        total, exited = total + n, exited + e
    summary.add(["合计", total, exited], None)
    return summary


def build_rosters(
    pop: Population, rng: random.Random
) -> tuple[list[RosterFile], dict[int, PeriodBuilder]]:
    """The rosters as the counties first send them, and the builder of each period."""
    files: list[RosterFile] = []
    builders: dict[int, PeriodBuilder] = {}
    for year in C.PERIODS:
        builders[year] = PeriodBuilder(pop, year, rng)
        files.extend(builders[year].build())
    return files, builders
