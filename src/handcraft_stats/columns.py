"""Header texts -> canonical fields (ROSTERS.md synonym table, extendable in config)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from dataclasses import field as default

from .normalize.text import is_blank, is_ideograph, squash

SERIAL = "_serial"
_UNIT = re.compile(r"\((元|元/人|人|次|万元|人次)\)$")
# a note on a title that names no other field: a unit per year, a length, a kind of phone
# (当年收入(元/年), 参加培训次数(次/年), 脱贫年度(年), 身份证号码(18位), 联系电话(手机): each
# was an unknown column, and 身份证号码(18位) got a roster refused for no ID column).
# (元/月) is not one: a month's income is no year's
_NOTE = re.compile(
    r"\((?:元/年|万元/年|次/年|人次/年|年|年月日|年月|18位|18位数字|手机|手机号|手机号码|本人)\)$"
)
# a year in a title, alone or in brackets (帮扶前(2016年)收入, 2016年帮扶前收入)
_A_YEAR = re.compile(r"\((?:19|20)\d\d年?度?\)|(?:19|20)\d\d年度?")
# what templates add to a title (squashed: NFKC, no white space, ASCII brackets): a
# required-field star (姓名*, *姓名, ※), a note (必填) / (选填), a number (1.姓名, 1、姓名,
# (1)姓名), a colon (姓名:)
_MARKS = re.compile(
    r"^(?:[*※★]+|\(?\d{1,2}[.、)]|\(\d{1,2}\))|[*※★]+$|\((?:必填|选填|必须填写)\)$|[:]$"
)

CANONICAL = (
    "name", "id_number", "birth_date", "county", "town", "village", "household_head",
    "relation_to_head", "phone", "labor_capacity", "willing", "wing", "trainings",
    "new_practitioner", "income_before", "income_after", "exit_year", "status", "broker",
    "visit_date", "note",
)  # fmt: skip


class HeaderMatcher:
    """Matches squashed header texts against the synonym table."""

    def __init__(self, headers: Mapping[str, Sequence[str]]) -> None:
        self._exact: dict[str, str] = {}
        self._cache: dict[tuple[type, object], str | None] = {}
        for field, names in headers.items():
            for n in names:
                self._exact.setdefault(squash(n), field)
        # Numbers and ASCII texts stay ASCII when squashed: with no ASCII synonym (the
        # default table has none) they never name a column, without a lookup.
        self._ascii = any(k.isascii() for k in self._exact)
        # a text starting with an ideograph no synonym starts with names no column (in
        # simplified or traditional characters: 身份證號碼 is read as 身份证号码)
        from .normalize.names import traditional, traditional_only

        starts = {k[0] for k in self._exact if k}
        self._starts = frozenset(starts | {traditional(c) for c in starts})
        self._traditional = traditional_only(self._exact)

    def may_name(self, text: str) -> bool:
        """Could a non-empty text be a title? Not when it opens with an ideograph no
        synonym opens with (most names and places), decided without a lookup."""
        return not (is_ideograph(text[0]) and text[0] not in self._starts)

    def match(self, text: object) -> str | None:
        """The canonical field (or "_serial") a header cell names, else None."""
        if not self._ascii and (
            isinstance(text, int | float) or (isinstance(text, str) and text.isascii())
        ):
            return None
        if isinstance(text, str) and text and is_ideograph(text[0]) and text[0] not in self._starts:
            return None  # most data cells (names, places): no squashing, no cache entry
        ck = (type(text), text)
        try:
            return self._cache[ck]
        except KeyError:
            pass
        except TypeError:  # unhashable cell: never a header
            return None
        hit = None
        if not is_blank(text):
            key = squash(text)
            hit = self._lookup(key)
            if hit is None and not self._traditional.isdisjoint(key):  # 身份證號碼, 聯繫電話
                from .normalize.names import simplified

                hit = self._lookup(simplified(key))
        if len(self._cache) < 200_000:
            self._cache[ck] = hit
        return hit

    def _lookup(self, key: str) -> str | None:
        hit = self._exact.get(key)
        if hit is None:
            hit = self._exact.get(_UNIT.sub("", key))
        # 身份证号码*(必填): one mark after another (each pass removes one or stops)
        while hit is None and (bare := _MARKS.sub("", key)) != key:
            key = bare
            hit = self._exact.get(key) or self._exact.get(_UNIT.sub("", key))
        if hit is None and (bare := _NOTE.sub("", key)) != key:  # 身份证号码(18位), 当年收入(元/年)
            hit = self._exact.get(bare)
        if hit is None and _SAYS_WHICH.search(key) and _A_YEAR.search(key):
            # 帮扶前(2016年)收入, 2016年帮扶前收入, 本年收入(2017年): says which income it is
            hit = self._lookup(_A_YEAR.sub("", key))
        return hit


@dataclass(frozen=True, slots=True)
class ColumnMap:
    """Column index -> canonical field, plus the kept columns hcs does not know."""

    fields: dict[int, str]
    extras: dict[int, str]
    # money columns headed in 万元 (当年收入(万元), or under 收入情况(万元)): 1.2 is 12,000
    in_wan: frozenset[int] = frozenset()
    # columns with no header text at all (neither row of a two-row header)
    unnamed: tuple[int, ...] = ()
    # a second column of a field an earlier column took (身份证号 and 身份证号码 both):
    # column -> field; kept raw as an unknown column, and read where the first is blank
    spare: dict[int, str] = default(default_factory=dict)
    # an ID, phone or birth date column kept as another person's by where it stands (right
    # of 户主姓名 or 结对经纪人): column -> (the field it would be hers, its own title); the
    # person's column is the one left of it. Her own after all when its cells vary for one
    # person (layout.classify: `_hers_after_all`)
    theirs: dict[int, tuple[str, str]] = default(default_factory=dict)

    def column_of(self, field: str) -> int | None:
        for j, f in self.fields.items():
            if f == field:
                return j
        return None


def map_columns(
    matcher: HeaderMatcher, header: Sequence[object], group: Sequence[object] | None,
    year: int | None = None,
) -> ColumnMap:  # fmt: skip
    """Map each header column; a two-row header joins its group row with the row below.
    `year`: the roster's, when known, for incomes titled by year (`_by_year`)."""
    width = max(len(header), len(group or ()))
    dated = _income_years(header, group, width)
    by_year = _by_year(dated, year)
    fields: dict[int, str] = {}
    extras: dict[int, str] = {}
    seen: set[str] = set()
    in_wan: set[int] = set()
    unnamed: list[int] = []
    spare: dict[int, str] = {}
    titles = {j: _Titles.of(matcher, *_cells(header, group, j)) for j in range(width)}
    theirs = _theirs(matcher, header, group, width)
    # who names each field otherwise than by a title under a household's group (家庭情况
    # over 年收入 names 年收入 only by dropping 家庭情况): such a title yields to them
    claims: dict[str, set[int]] = {}
    for j, t in titles.items():
        if j not in dated and j not in theirs and (hit := t.first(matcher)) is not None:
            claims.setdefault(hit, set()).add(j)
    for j in range(width):
        if j in dated:
            continue  # after the columns titled without a year, which come first
        lower, upper = _cells(header, group, j)
        if j in theirs:  # 户主姓名 | 身份证号码 beside hers: the head's ID (户主身份证号码)
            extras[j] = theirs[j][0]
            continue
        t = titles[j]
        whose = t.whose
        field = None
        for i, c in enumerate(t.candidates):  # a field taken by an earlier column: try the
            found = matcher.match(c)  # group's (结对经纪人 over a second 姓名 is the broker)
            if i == t.weak and found is not None and claims.get(found, set()) - {j}:
                continue  # 年收入 under 家庭情况: the household's, hers is 当年收入(元)
            if found is not None and (found == SERIAL or found not in seen):
                field = found
                break
        label = squash(lower) if not is_blank(lower) else squash(upper)
        if field == SERIAL:
            continue
        if field is not None and field not in seen:
            fields[j] = field
            seen.add(field)
            if field in MONEY and _in_wan(lower, upper):
                in_wan.add(j)
        elif whose:
            extras[j] = whose
        elif label:
            own = matcher.match(lower) if not is_blank(lower) else None
            if own is not None and not is_blank(upper):
                # 联系电话 under 结对经纪人: the broker's phone, not a second phone of hers
                label = f"{squash(upper)}{label}"
            elif field is None and own in SPARE_FIELDS and own in seen:
                spare[j] = own
            extras[j] = label
        else:
            unnamed.append(j)
    for j in dated:
        lower = header[j] if j < len(header) else ""
        upper = group[j] if group is not None and j < len(group) else ""
        field = by_year.get(j)
        if field is not None and field not in seen:
            fields[j] = field
            seen.add(field)
            if _in_wan(lower, upper):
                in_wan.add(j)
        else:  # 2016年 over 年收入 and 2017年 over 年收入: two labels, not 年收入 twice
            extras[j] = "".join(squash(t) for t in (upper, lower) if not is_blank(t))
    return ColumnMap(fields, extras, frozenset(in_wan), tuple(unnamed), spare,
                     {j: (f, t) for j, (_, f, t) in theirs.items()})  # fmt: skip


def _cells(
    header: Sequence[object], group: Sequence[object] | None, j: int
) -> tuple[object, object]:
    """A column's title and the group text over it ("" past a row's end)."""
    lower = header[j] if j < len(header) else ""
    return lower, group[j] if group is not None and j < len(group) else ""


@dataclass(frozen=True, slots=True)
class _Titles:
    """The texts that may name a column, in the order they are tried."""

    candidates: tuple[object, ...]
    # a title naming another person under a field of hers (户主 under 身份证号码)
    whose: str = ""
    # the candidate that is the title alone under a group naming the household or another
    # person (年收入 under 家庭情况): a field it names is theirs as much as hers (-1: none)
    weak: int = -1

    @classmethod
    def of(cls, matcher: HeaderMatcher, lower: object, upper: object) -> _Titles:
        if is_blank(upper):
            return cls((lower,))
        up, low = squash(upper), squash(lower)
        stem = _UNIT.sub("", up).replace("情况", "")
        # the group and title joined first (帮扶前 / 帮扶后 over 年收入: 帮扶前年收入, not
        # 年收入 twice; 户主情况 over 姓名: 户主姓名), then the title alone, then the
        # title and group (收入情况(元) over 帮扶前: 帮扶前收入), then the group
        core = f"{_ABOUT.sub('', stem)}{low}"  # 户主基本信息 over 姓名: 户主姓名
        candidates = (f"{up}{low}", f"{stem}{low}", core, lower, f"{low}{stem}", upper)
        own = matcher.match(lower)
        if own in OWN_FIELDS and _someone_elses(matcher, up, stem):
            # 户主情况 over 身份证号码: the head's ID; 结对经纪人 over 姓名: the broker
            return cls((*candidates[:3], *([upper] if own == "name" else [])))
        if (
            low
            and matcher.match(upper) in OWN_FIELDS
            and (_someone_elses(matcher, low, low) or _RELATIVE.fullmatch(low) is not None)
        ):
            # 姓名 / 身份证号码 over 户主 / 本人: the head's name (户主姓名) and his ID,
            # kept as 户主身份证号码; the woman's are under 本人. The head's ID was hers.
            return cls((f"{low}{up}",), whose=f"{low}{up}")
        household = bool(low) and bool(_HOUSEHOLD.search(stem) or _someone_elses(matcher, up, stem))
        return cls(candidates, weak=3 if household else -1)

    def first(self, matcher: HeaderMatcher) -> str | None:
        """The field the first text naming one names, unless that is the weak one (or 序号)."""
        for i, c in enumerate(self.candidates):
            found = matcher.match(c)
            if found is not None:
                return None if i == self.weak or found == SERIAL else found
        return None


# a group naming the household or someone in it besides her (家庭情况, 家庭基本信息, 全户,
# 户情况, 户主情况, 配偶情况, 其他家庭成员): a value under it is theirs as much as hers
_HOUSEHOLD = re.compile(
    r"家庭|全家|家人|全户|^户(?:基本)?(?:信息|资料)?$|户主|配偶|丈夫|爱人|其他人|其它人"
)


def _theirs(
    matcher: HeaderMatcher, header: Sequence[object], group: Sequence[object] | None, width: int
) -> dict[int, tuple[str, str, str]]:
    """The columns of an ID, a phone or a birth date that are another person's by where
    they stand, with the label they are kept under, the field they name and their title: right of a
    column titled as a household head or a broker (户主姓名 | 身份证号码, 结对经纪人 |
    联系电话), in a flat header or under one group, that column names the person whose
    value it is.

    A broker's is never hers by its title, even when she has no column of it (unless its
    cells vary for one broker: layout `_hers_after_all`): a cadre pairs with many
    women, and his number reaches none of them at home; stored as hers it flagged every
    woman he helps phone_shared, and linking (a phone as the place of name_birth) and
    year-to-year matching (name + phone) took it for hers. A head's is his when she has a
    column of that field of her own elsewhere
    (户主姓名, 身份证号码, 与户主关系, 成员姓名, 身份证号码: the first ID is the head's; hers
    went to extras, and two women of one household were one person). When it is the
    roster's only one it stays hers: 户主姓名 | 联系电话 is the household's contact phone,
    the number the county reaches her on (phone_shared counts households, not women), and
    a head's ID in the only ID column is told by the ID checks (id_male), where reading
    the roster without an ID column of hers would refuse it.
    A column under a group naming someone (户主情况 over 身份证号码) is left to that group."""
    own: list[str | None] = []
    title: list[str] = []
    under: list[str] = []  # the group over a titled column ("" for none, or merged down)
    other: list[bool] = []  # under a group naming another person (户主情况, 结对经纪人)
    for j in range(width):
        lower, upper = _cells(header, group, j)
        text = upper if is_blank(lower) else lower
        title.append("" if is_blank(text) else squash(text))
        own.append(matcher.match(text) if title[-1] else None)
        up = "" if is_blank(lower) or is_blank(upper) else squash(upper)
        under.append(up)
        other.append(
            bool(up) and _someone_elses(matcher, up, _UNIT.sub("", up).replace("情况", ""))
        )
    # a relative's name column (配偶姓名, 丈夫姓名) names a person too: 配偶姓名 | 身份证号码 |
    # 姓名 | 身份证号码 gave her the husband's ID (an audit, session 23)
    whose = [own[j] if own[j] in OTHERS else "relative" if _RELATIVE_NAME.fullmatch(title[j])
             else None for j in range(width)]  # fmt: skip
    beside = {
        j: whose[j - 1] for j in range(1, width)
        if own[j] in SPARE_FIELDS and whose[j - 1] is not None and under[j] == under[j - 1]
        and not other[j]
    }  # fmt: skip
    out: dict[int, tuple[str, str, str]] = {}
    for j, whom in beside.items():
        hers = any(
            own[k] == own[j] and k not in beside and not other[k] for k in range(width) if k != j
        )
        field = own[j]
        if (whom == "broker" or hers) and field is not None:
            out[j] = (f"{_person(title[j - 1])}{title[j]}", field, title[j])
    return out


def _person(title: str) -> str:
    """Whom a column titled as a person's name names: 户主姓名 -> 户主, 结对经纪人 as is."""
    while (bare := _MARKS.sub("", title)) != title:  # 户主姓名*: 户主
        title = bare
    return _ANY_UNIT.sub("", title).removesuffix("姓名") or title


# a year in a title: 2016年, 2016年度, or a year alone (a group cell 2016, a number)
_YEAR_TITLE = re.compile(r"((?:19|20)\d\d)年度?|^((?:19|20)\d\d)$")
# a title that says which income it is whatever year it names (帮扶前(2016年)收入)
_SAYS_WHICH = re.compile(r"帮扶前|帮扶后|脱贫前|脱贫后|上年|本年|当年|去年|今年|基础|基期")


def _income_years(
    header: Sequence[object], group: Sequence[object] | None, width: int
) -> dict[int, int]:
    """The columns titled by a year and an income (2016年收入(元); 2016年 over 年收入;
    年收入(元) over 2016年 / 2017年), with their year: which income each is depends on
    the roster's year (`_by_year`). A title that says which income it is besides its
    year (帮扶前(2016年)收入) is read by the synonyms as any other."""
    dated: dict[int, int] = {}
    for j in range(width):
        years, rest = set(), ""
        for cell in (group[j] if group is not None and j < len(group) else "",
                     header[j] if j < len(header) else ""):  # fmt: skip
            if is_blank(cell):
                continue
            text = squash(cell)
            m = _YEAR_TITLE.search(text)
            if m is not None:
                years.add(int(m.group(1) or m.group(2)))
                text = text[: m.start()] + text[m.end() :]
            rest += _ANY_UNIT.sub("", text)
        if len(years) == 1 and "收入" in rest and not _SAYS_WHICH.search(rest):
            dated[j] = years.pop()
    return dated


def _by_year(dated: Mapping[int, int], year: int | None) -> dict[int, str]:
    """Incomes titled by year: the roster year's is `income_after`, the latest year's
    before it `income_before` (2016年 and 2017年 in a 2017 roster; in a 2018 roster, a
    2016 and a 2017 column are one income before and none after). Without the roster's
    year (no --year, and none in the file's name), of two or more years the latest is
    after and the one before it before; a year alone is then kept as an unknown column.
    The first column of a year takes it; others, and other years, are unknown columns."""
    years = sorted(set(dated.values()))
    if year is not None:
        after = year if year in years else None
        before = max((y for y in years if y < year), default=None)
    elif len(years) >= 2:
        after, before = years[-1], years[-2]
    else:
        return {}
    out: dict[int, str] = {}
    for j, y in dated.items():
        field = "income_after" if y == after else "income_before" if y == before else None
        if field is not None and field not in out.values():
            out[j] = field
    return out


MONEY = ("income_before", "income_after")
# a woman's own columns, which under a group naming another person (户主情况, 结对经纪人)
# are that person's
OWN_FIELDS = ("name", "id_number", "phone", "birth_date")
OTHERS = ("household_head", "broker")


def _someone_elses(matcher: HeaderMatcher, up: str, stem: str) -> bool:
    """Does a group name another person than the woman (户主情况, 户主信息, 户主基本情况,
    结对经纪人)?"""
    core = _ABOUT.sub("", stem)
    return any(matcher.match(t) in OTHERS for t in (up, stem, core, f"{core}姓名"))


# a sub-label naming a relative or another person of her household beside 本人 (姓名 over
# 丈夫 | 本人): each record took the relative's name and ID, hers went to 无表头列 (an
# audit, session 23; only 户主 was known)
_RELATIVE = re.compile(
    r"(?:丈夫|配偶|爱人|老公|家属|家人|母亲|父亲|婆婆|公公|儿子|女儿|子女|儿媳|媳妇|女婿|"
    r"孙子|孙女|哥哥|弟弟|姐姐|妹妹|监护人|联系人|男方|其他成员|家庭成员)(?:情况|信息)?"
)


_RELATIVE_NAME = re.compile(f"(?:{_RELATIVE.pattern})姓名")


# what a group adds after whom it is about: 户主(基本)信息, 户主基本情况 (情况 is gone already)
_ABOUT = re.compile(r"(?:基本)?(?:信息|资料)?$")


# fields whose second column is the same woman's value where the first is blank (a second
# 姓名 column is often another person's: a broker's, a household head's)
SPARE_FIELDS = ("id_number", "phone", "birth_date")
_ANY_UNIT = re.compile(r"\((?:[^()]*)\)$")


def _in_wan(lower: object, upper: object) -> bool:
    """Is a money column's header in 万元: its own text, or, when its own names no unit,
    the group's above it (收入情况(万元) over 帮扶前)."""
    own = "" if is_blank(lower) else squash(lower)
    if "万元" in own:
        return True
    return not _ANY_UNIT.search(own) and not is_blank(upper) and "万元" in squash(upper)
