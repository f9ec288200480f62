"""The invented women: identities and their values per period."""

from __future__ import annotations

import random
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any

from pypinyin import lazy_pinyin

from sample import config as C
from sample.layouts import BIRTH_COLUMN_COUNTIES, NUMERIC_ID_COUNTY

_WEIGHTS = [pow(2, 17 - i, 11) for i in range(17)]


def check_char(body17: str) -> str:
    """ISO 7064 MOD 11-2 check character of the first 17 digits of an ID."""
    total = sum(int(d) * w for d, w in zip(body17, _WEIGHTS, strict=True))
    return "10X98765432"[total % 11]


def is_valid_id(text: str) -> bool:
    if len(text) != 18 or not text[:17].isdigit():
        return False
    try:
        date(int(text[6:10]), int(text[10:12]), int(text[12:14]))
    except ValueError:
        return False
    return check_char(text[:17]) == text[17]


def to15(id18: str) -> str:
    return id18[:6] + id18[8:17]


def toneless(name: str) -> str:
    return "".join(lazy_pinyin(name))


def id_birth(id18: str) -> date:
    return date(int(id18[6:10]), int(id18[10:12]), int(id18[12:14]))


def class_of(labor: str | None, willing: str | None) -> str:
    """The class of METRICS.md §5 (分类建档) from capacity and willingness."""
    if labor in ("lost", "none"):
        return "unable"
    if labor == "unknown":
        return "unknown"
    prefix = "able" if labor in ("able", "skilled") else "weak"
    return f"{prefix}_{ {'yes': 'willing', 'no': 'unwilling'}.get(willing or '', 'unknown') }"


@dataclass
class YearValues:
    """A woman's values as her county records them for one period."""

    status: str = "not_exited"
    exit_year: int | None = None
    trainings: int = 0
    new_practitioner: bool = False
    income_after: int | None = None
    income_before: int | None = None
    visit: date | None = None


@dataclass
class Person:
    pid: str
    county: str
    town: str
    village: str
    name: str
    birth: date
    id18: str
    head: str
    relation: str
    phone: str
    labor: str
    willing: str
    wing: str
    broker: str | None
    note: str | None
    base_income: int
    increase: int
    years: dict[int, YearValues] = field(default_factory=dict)
    # what a period's roster says differently (county, town, village, broker, wing,
    # labor, willing, name, birth): the planted changes between periods
    overrides: dict[int, dict[str, Any]] = field(default_factory=dict)
    planted: list[str] = field(default_factory=list)

    def at(self, year: int) -> Person:
        """The woman as the roster of `year` describes her."""
        over = self.overrides.get(year)
        return replace(self, **over) if over else self


def _weighted(rng: random.Random, table: dict[str, int] | tuple[tuple[str, int], ...]) -> str:
    items = list(table.items()) if isinstance(table, dict) else list(table)
    return rng.choices([k for k, _ in items], [w for _, w in items])[0]


class Population:
    """Invents women county by county; every ID and (pinyin name, birth) is unique."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.people: list[Person] = []
        self._ids: set[str] = set()
        self._name_birth: set[tuple[str, date]] = set()
        self._phones: set[str] = set()
        self.villages = {
            county: {town: self._villages(rng) for town in towns}
            for county, towns in C.TOWNS.items()
        }
        self.brokers = {county: [self._broker() for _ in range(5)] for county in C.COUNTIES}
        # women with planted changes between periods: no duplicates, no messes
        self.reserved: set[str] = set()
        # what the rosters of a period did to a woman, so that the other period keeps
        # her identifiable across periods (docs/metrics.md §7)
        self.keyless: dict[int, set[str]] = {year: set() for year in C.PERIODS}
        self.renamed: set[str] = set()  # a nameless or homophone record in 2016
        self.messed: set[str] = set()

    def unique_name_birth(self, name: str, birth: date) -> bool:
        key = (toneless(name), birth)
        if key in self._name_birth:
            return False
        self._name_birth.add(key)
        return True

    def _villages(self, rng: random.Random) -> list[str]:
        names: list[str] = []
        while len(names) < rng.randint(3, 5):
            name = (
                rng.choice(C.VILLAGE_STEMS)
                + rng.choice(C.VILLAGE_STEMS[:-4])
                + rng.choice(C.VILLAGE_SUFFIXES)
            )
            if name not in names and name[0] != name[1]:
                names.append(name)
        return names

    def _name(self) -> str:
        rng = self.rng
        given = "".join(rng.choice(C.GIVEN_CHARS) for _ in range(rng.choice((1, 2, 2))))
        return rng.choice(C.SURNAMES) + given

    def new_id(self, body17: str) -> str:
        """A valid ID (check character added) held by no one else."""
        id18 = body17 + check_char(body17)
        if id18 in self._ids:
            raise AssertionError(f"ID taken: {id18}")
        self._ids.add(id18)
        return id18

    def new_phone(self) -> str:
        return self._phone()

    def _broker(self) -> str:
        return self.rng.choice(C.SURNAMES) + "".join(self.rng.sample(C.BROKER_GIVEN, 2))

    def _phone(self) -> str:
        while True:
            prefix = self.rng.choice(("13", "15", "18"))
            third = self.rng.choice("0123456789" if prefix != "15" else "012356789")
            phone = prefix + third + f"{self.rng.randrange(10**8):08d}"
            if phone not in self._phones:
                self._phones.add(phone)
                return phone

    def _area(self, county: str) -> str:
        rng = self.rng
        own, historical = C.COUNTIES[county]
        if rng.random() < C.MARRIED_IN_SHARE:
            return rng.choice(C.MARRIED_IN_CODES)
        if historical and rng.random() < C.HISTORICAL_SHARE.get(county, 0):
            return rng.choice(historical)
        return own

    def new_person(self, county: str) -> Person:
        rng = self.rng
        while True:
            name = self._name()
            first, last = C.BIRTH_YEARS
            span = (date(last + 1, 1, 1) - date(first, 1, 1)).days
            birth = date(first, 1, 1) + timedelta(days=rng.randrange(span))
            if (toneless(name), birth) not in self._name_birth:
                break
        self._name_birth.add((toneless(name), birth))
        while True:
            # the 15th digit is never 0 (keeps 15 significant digits in numeric cells);
            # the 17th is even (women)
            seq = f"{rng.randint(1, 9)}{rng.randint(0, 9)}{rng.choice('02468')}"
            body = self._area(county) + birth.strftime("%Y%m%d") + seq
            id18 = body + check_char(body)
            if id18 not in self._ids:
                self._ids.add(id18)
                break
        town = rng.choice(C.TOWNS[county])
        village = rng.choice(self.villages[county][town])
        relation = _weighted(rng, C.RELATIONS)
        head = name if relation == "本人" else rng.choice(C.SURNAMES) + rng.choice(C.MALE_GIVEN)
        phone = self._phone()
        # a second woman of the same household (two at most: a phone stays on a few
        # households even where a copy of a record leaves the household head blank)
        mates = [p for p in self.people[-30:] if p.village == village and p.county == county]
        mates = [m for m in mates if sum(p.phone == m.phone for p in self.people[-60:]) < 2]
        if mates and rng.random() < 0.25:
            mate = mates[-1]
            head, phone = mate.head, mate.phone
            relation = rng.choice(("儿媳", "母亲", "女"))
        old = birth.year <= C.OLD_BORN_BY
        labor = _weighted(rng, C.LABOR_SHARE_OLD if old else C.LABOR_SHARE)
        # no capacity, no work: a woman without capacity has no wing (unable_working)
        wing = "none" if labor in ("lost", "none") else _weighted(rng, C.WING_SHARE)
        low, high = C.INCREASE[wing]
        helped = wing in ("handicraft", "domestic_service", "ecommerce")
        person = Person(
            pid=f"P{len(self.people) + 1:06d}",
            county=county,
            town=town,
            village=village,
            name=name,
            birth=birth,
            id18=id18,
            head=head,
            relation=relation,
            phone=phone,
            labor=labor,
            willing=_weighted(rng, C.WILLING_SHARE),
            wing=wing,
            broker=rng.choice(self.brokers[county]) if helped and rng.random() < 0.7 else None,
            note=rng.choice(C.NOTES) if rng.random() < 0.08 else None,
            base_income=rng.randint(15, 45) * 100,
            increase=rng.randint(low, high) * 100,
        )
        self.people.append(person)
        return person


def year_values(rng: random.Random, person: Person, year: int) -> YearValues:
    values = YearValues()
    if rng.random() < C.TRAINED_SHARE:
        values.trainings = rng.choices(range(1, 7), (30, 30, 20, 10, 6, 4))[0]
    growth = 0 if year == 2016 else rng.randint(0, 20) * 100
    values.income_before = person.base_income if rng.random() > 0.06 else None
    values.income_after = (
        person.base_income + person.increase + growth if rng.random() > 0.06 else None
    )
    if rng.random() < 0.7:
        values.visit = date(year, 3, 1) + timedelta(days=rng.randrange(260))
    return values


def build_population(rng: random.Random) -> Population:
    """Women of 2016, who of them are gone in 2017, and the 2017 entrants."""
    pop = Population(rng)
    for county, size in C.COUNTY_SIZE_2016.items():
        for _ in range(size):
            person = pop.new_person(county)
            person.years[2016] = year_values(rng, person, 2016)
    women16 = list(pop.people)
    _assign_status(rng, women16, 2016)

    exited16 = [p for p in women16 if p.years[2016].status == "exited"]
    stay_out = set(rng.sample([p.pid for p in women16 if p not in exited16], C.GONE_2017 - 20))
    stay_out |= set(rng.sample([p.pid for p in exited16], 20))
    for person in women16:
        if person.pid not in stay_out:
            values = year_values(rng, person, 2017)
            before = person.years[2016]
            values.income_before = (
                before.income_before if before.income_before else values.income_before
            )
            if before.status == "exited":
                values.status, values.exit_year = "exited", before.exit_year
            person.years[2017] = values
    _plant_changes(rng, pop)
    counties = list(C.COUNTY_SIZE_2016)
    weights = list(C.COUNTY_SIZE_2016.values())
    for _ in range(C.ENTRANTS_2017):
        person = pop.new_person(rng.choices(counties, weights)[0])
        person.years[2017] = year_values(rng, person, 2017)
    _assign_status(rng, [p for p in pop.people if 2017 in p.years], 2017)
    _plant_status_checks(rng, pop)
    return pop


MAIN_WINGS = ("handicraft", "domestic_service", "ecommerce", "agriculture")


def _choose(rng: random.Random, pop: Population, pool: list[Person], n: int) -> list[Person]:
    chosen = rng.sample([p for p in pool if p.pid not in pop.reserved], n)
    pop.reserved.update(p.pid for p in chosen)
    return chosen


def _plant_changes(rng: random.Random, pop: Population) -> None:
    """Women of both periods whose 2017 roster says something else (docs/metrics.md §7):
    another county, wing or class, and the inconsistencies hcs must flag (another
    name or birth-date cell under the same valid ID)."""
    both = [
        p
        for p in pop.people
        if 2017 in p.years and p.county != NUMERIC_ID_COUNTY and p.years[2016].status != "returned"
    ]
    n = C.PLANTED
    for i, person in enumerate(_choose(rng, pop, both, n["moved_county"])):
        county = rng.choice([c for c in C.COUNTIES if c not in (person.county, NUMERIC_ID_COUNTY)])
        town = rng.choice(C.TOWNS[county])
        over = person.overrides.setdefault(2017, {})
        over.update(
            county=county,
            town=town,
            village=rng.choice(pop.villages[county][town]),
            broker=rng.choice(pop.brokers[county]) if person.broker else None,
        )
        person.planted.append("moved_county")
        if i == 0 and person.labor not in ("lost", "none"):  # moved and changed wing
            over["wing"] = rng.choice([w for w in MAIN_WINGS if w != person.wing])
            person.planted.append("changed_wing")
    able = [p for p in both if p.labor not in ("lost", "none")]  # a wing needs capacity
    for person in _choose(rng, pop, able, n["changed_wing"]):
        person.overrides.setdefault(2017, {})["wing"] = rng.choice(
            [w for w in MAIN_WINGS if w != person.wing]
        )
        person.planted.append("changed_wing")
    for person in _choose(rng, pop, both, n["changed_class"]):
        before = class_of(person.labor, person.willing)
        # capacities the rules accept at her age in 2017, and without a wing for "none"
        fits = {
            "able": 2017 - person.birth.year <= 65,
            "weak": True,
            "none": 2017 - person.birth.year > 60 and person.at(2017).wing == "none",
        }
        options = [(person.labor, w) for w in ("yes", "no", "unknown")] + [
            (labor, person.willing) for labor, ok in fits.items() if ok
        ]
        labor, willing = rng.choice([o for o in options if class_of(*o) != before])
        person.overrides.setdefault(2017, {}).update(labor=labor, willing=willing)
        person.planted.append("changed_class")
    for i, person in enumerate(_choose(rng, pop, both, n["name_changed"])):
        while True:
            if i % 2 == 0 and person.name[-1] in C.HOMOPHONES:  # another character, same sound
                name = person.name[:-1] + C.HOMOPHONES[person.name[-1]]
            else:  # another given name
                name = person.name[0] + "".join(
                    rng.choice(C.GIVEN_CHARS) for _ in range(rng.choice((1, 2)))
                )
            if name != person.name and pop.unique_name_birth(name, person.birth):
                break
            i += 1
        person.overrides.setdefault(2017, {})["name"] = name
        person.planted.append("name_changed")
    birth_column = [p for p in both if p.county in BIRTH_COLUMN_COUNTIES]
    for i, person in enumerate(_choose(rng, pop, birth_column, n["birth_date_changed"])):
        while True:
            if (
                rng.random() < 0.5
                and person.birth.day <= 12
                and person.birth.day != person.birth.month
            ):
                wrong = person.birth.replace(month=person.birth.day, day=person.birth.month)
            else:
                wrong = person.birth + timedelta(days=rng.choice((-10, -1, 1, 10, 365, -365)))
            if pop.unique_name_birth(person.name, wrong):
                break
        # the wrong cell is in the 2016 roster for some, in the 2017 roster for others
        person.overrides.setdefault(2016 if i % 2 else 2017, {})["birth"] = wrong
        person.planted.append("birth_date_changed")


def _plant_status_checks(rng: random.Random, pop: Population) -> None:
    """Women exited in 2016 whose 2017 roster says 未脱贫 (not 返贫), or another exit year."""
    exited = [
        p
        for p in pop.people
        if 2016 in p.years
        and 2017 in p.years
        and p.county != NUMERIC_ID_COUNTY
        and p.years[2016].status == "exited"
        and p.years[2017].status == "exited"
        and p.years[2017].exit_year == 2016
    ]
    for i, person in enumerate(_choose(rng, pop, exited, C.PLANTED["exit_reverted"])):
        # half of them keep the exit year: 未脱贫 with 2016 (status_exit_conflict)
        person.years[2017].status = "not_exited"
        person.years[2017].exit_year = 2016 if i % 2 else None
        person.planted.append("exit_reverted")
    for person in _choose(rng, pop, exited, C.PLANTED["exit_year_changed"]):
        person.years[2017].exit_year = 2017
        person.planted.extend(("exit_year_changed", "exited"))


def _assign_status(rng: random.Random, women: list[Person], year: int) -> None:
    """Exits by wing quota, a few returned to poverty, new practitioners."""
    open_ = [p for p in women if p.years[year].status == "not_exited"]
    for wing, quota in C.EXIT_QUOTA.items():
        pool = [p for p in open_ if p.at(year).wing == wing]
        for person in rng.sample(pool, quota):
            person.years[year].status = "exited"
            person.years[year].exit_year = year
    if year == 2016:
        rest = [p for p in women if p.years[year].status == "not_exited"]
        returned = rng.sample(rest, C.RETURNED_PER_YEAR[year])
        for person in returned:
            person.years[year].exit_year = year - 1
    else:
        exited_before = [p for p in women if p.years[year].exit_year == year - 1]
        returned = rng.sample(exited_before, C.RETURNED_PER_YEAR[year])
    for person in returned:
        person.years[year].status = "returned"
    working = [p for p in women if p.at(year).wing not in ("none", "other")]
    for person in rng.sample(working, C.NEW_PRACTITIONERS_PER_YEAR):
        person.years[year].new_practitioner = True
