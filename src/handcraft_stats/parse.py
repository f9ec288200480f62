"""One roster file's bytes -> sheets, classified rows, normalised records and issues.

A pure function of the bytes (and settings): the same code runs in `check`, in
`ingest`, and later on Spark executors.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from .checks import Catalogue, record_rules, to_rows
from .columns import HeaderMatcher, map_columns
from .config import GENERIC_SHEETS, Settings
from .errors import NotARosterFile, RefusedFile
from .inputs import text_of
from .layout import HEADER_SEARCH_ROWS, NotARoster, SheetLayout, classify, mostly_men
from .link import id_person_keys
from .normalize.distinct import NONE, Distinct
from .normalize.frame import RawIssue, normalize_frame
from .normalize.text import clean_text, is_blank, nfkc, squash
from .normalize.vocab import Vocabulary
from .read import RawSheet, read_file
from .read.limits import Limits
from .reasons import reason
from .store import REFUSED_SHEET, record_types

# a year 2000-2099 standing alone, or opening a date written as digits (丰县20171231.xlsx,
# 201712): the year of that date
YEAR = re.compile(r"(?<!\d)(20\d\d)(?:(?:0[1-9]|1[0-2])(?:[0-2]\d|3[01])?)?(?!\d)")


@dataclass(frozen=True, slots=True)
class SheetInfo:
    name: str
    roster: bool
    reason: str
    header_rows: tuple[int, ...]
    records: int


@dataclass
class ParsedFile:
    """Everything ingest stores for one file (record ids not yet assigned)."""

    path: Path
    name: str
    sha256: str
    size: int
    format: str
    county: str
    period: int
    sheets: list[SheetInfo]
    records: pd.DataFrame
    issues: pd.DataFrame
    skipped: pd.DataFrame  # sheet, source_row, kind
    unknown_columns: list[str] = field(default_factory=list)
    # the county and year the title names where they differ from those the file's name
    # gave ("沛县 2016"; "" when none differs): a roster renamed, or last year's sent again
    title_says: str = ""
    # with a salt: each record's person key from its ID (link.id_person_keys), made here
    # in the parse workers so relinking need not hash them
    own_keys: np.ndarray[Any, Any] | None = None
    first_record_id: int | None = None  # set when stored

    @property
    def skipped_by_kind(self) -> Counter[str]:
        return Counter(self.skipped["kind"])


def _detect(
    settings: Settings, name: str, sheets: list[str], title: str, rosters: list[str]
) -> tuple[str | None, int | None]:
    """County and year from the file name, else the sheet names, else the title rows
    (METRICS.md §1). The year only from the names of sheets that are rosters: a 汇总 or
    说明 sheet may name another year (2016年汇总 beside a 2017 roster)."""
    county = settings.find_county(name) or next(
        (c for s in sheets if (c := settings.find_county(s))), None
    ) or settings.find_county(title)  # fmt: skip
    name, title = _undated(_in_digits(name)), _undated(_in_digits(title))
    # in the title rows, the year of the roster's own title (丰县2017年…花名册, 2017年度
    # 台账) before any other: one opening a date (2018年1月5日 above the title, unlabelled:
    # the day it was filled in), a number (共2036人), a year a note names (2016年已脱贫)
    stated = _TITLE_YEAR.search(title)
    m = name_year(name) or next(
        (y for s in rosters if (y := YEAR.search(s))), None
    ) or stated or _a_year(title)  # fmt: skip
    # a day in the file's name (丰县妇联花名册20180105.xlsx, …2018.1.5.xlsx: the day it was
    # sent) gives way to another year the title states; 丰县20171231.xlsx holds
    if (m is not None and m.string is name and _a_day(m) and stated is not None
            and stated.group(1) != m.group(1)):  # fmt: skip
        m = stated
    if m is not None and _spanned(m):
        # one end of two years (丰县2016-2017年花名册.xlsx, 2016至2017年度): another year
        # the same text or the title states alone, else no year (refused: `year_span`)
        alone = [y for y in YEAR.finditer(m.string) if not _spanned(y)]
        m = alone[0] if alone else stated if stated and not _spanned(stated) else None
    return county, int(m.group(1)) if m else None


# two years as one period: 2016-2017, 2016年—2017年, 2016至2017 (not a day's range in one
# year, 20170101-20171231, nor 2017-08-10)
_SPAN = re.compile(r"(?<!\d)(20\d\d)\s*年?\s*(?:[-－—–~～/]|至|到)\s*(20\d\d)(?!\d)")


def _spanned(m: re.Match[str]) -> bool:
    """Is the year found one end of a span of two different years?"""
    return any(s.start() <= m.start() < s.end() and s[1] != s[2]
               for s in _SPAN.finditer(m.string))  # fmt: skip


def year_span(*texts: str) -> str | None:
    """The first span of two different years in the texts (2016–2017), for the refusal."""
    for text in texts:
        for s in _SPAN.finditer(_in_digits(text)):
            if s[1] != s[2]:
                return f"{s[1]}–{s[2]}"
    return None


def _title_says(settings: Settings, title: str, county: str | None, year: int | None) -> str:
    """The county and the year the title rows state, where they differ from `county` and
    `year` found elsewhere (the file's or sheets' names; None: given by the user or found
    in the title, nothing to compare): "沛县 2016", "2016", or ""."""
    named = settings.find_county(title) if county is not None else None
    text = _undated(_in_digits(title))
    stated = _TITLE_YEAR.search(text) if year is not None else None
    said = int(stated.group(1)) if stated is not None and not _spanned(stated) else None
    parts = [named if named not in (None, county) else None, said if said != year else None]
    return " ".join(str(p) for p in parts if p is not None)


def name_year(name: str) -> re.Match[str] | None:
    """The year a file's name gives: the first standing alone (丰县2017年花名册), else the
    first opening a month (2017年12月, 201712), else the first opening a day (20171231). A
    date stamp an inbox or a clerk put before the name (20180105_丰县2017年花名册.xlsx,
    （2018.1.5收）丰县2017年…) is the day it came, not the roster's year: it made a 2017
    roster 2018 without a word until session 23, as it still does where the name gives no
    other year (and no title states one)."""
    found = list(YEAR.finditer(name))
    for dated in (0, 1, 2):
        for m in found:
            if _dated(m) == dated:
                return m
    return None


def name_says(settings: Settings, name: str) -> tuple[str | None, int | None]:
    """The county and the year a file's name states, as `_detect` reads them there (None
    where it states none; a day, 20180105, is no year here: a title may outrank it, and a
    span of two years states none)."""
    text = _undated(_in_digits(name))
    m = name_year(text)
    if m is not None and _spanned(m):
        alone = [y for y in YEAR.finditer(text) if not _spanned(y)]
        m = alone[0] if alone else None
    year = int(m.group(1)) if m is not None and _dated(m) < 2 else None
    return settings.find_county(name), year


def _dated(m: re.Match[str]) -> int:
    """0: a year alone; 1: a year opening a month (201712, 2017年12月, 2017.12); 2: a year
    opening a whole day (`_a_day`)."""
    if _a_day(m):
        return 2
    return int(len(m.group(0)) == 6 or _MONTH_AFTER.match(m.string, m.end()) is not None)


def _a_day(m: re.Match[str]) -> bool:
    """Does a year found in a file's name open a whole day (20180105, 2018.1.5, 2018-01-05,
    2018年1月5日)?"""
    return len(m.group(0)) == 8 or _DAY_AFTER.match(m.string, m.end()) is not None


def _a_year(title: str) -> re.Match[str] | None:
    """The first year in the title rows that is no number (共2036人, 低于2080元) and no
    year a note names (2016年已脱贫, 2016年建档立卡)."""
    return next((m for m in YEAR.finditer(title)
                 if _NOT_A_PERIOD.match(title, m.end()) is None), None)  # fmt: skip


# a month or a day, in digits or in Chinese numerals (2018年元月5日, 二〇一八年一月五日)
_MONTH = r"(?:\d{1,2}|[元正一二三四五六七八九十]{1,3})"
_DAY = r"(?:\d{1,2}|[一二三四五六七八九十]{1,3})"
_DAY_AFTER = re.compile(
    rf"\s*(?:[./-]\d{{1,2}}[./-]\d{{1,2}}|年\s*{_MONTH}\s*月\s*{_DAY}\s*[日号])"
)
_MONTH_AFTER = re.compile(rf"\s*(?:[./-]\d{{1,2}}(?!\d)|年\s*{_MONTH}\s*月)")
# what makes a 4-digit number no roster year: a unit (人, 元, 户 …), or a note's year
_NOT_A_PERIOD = re.compile(r"\s*(?:人|元|户|名|次|个|万|余|多|年\s*(?:建档|已脱贫|脱贫|以前|之前))")
# the roster's own title: a year (not opening a date) and, within the same words, what
# the roster is (花名册, 台账 …): 丰县2017年妇女巧手脱贫花名册, 2017年度帮扶台账
_TITLE_YEAR = re.compile(
    rf"(?<!\d)(20\d\d)(?=\s*年)(?!\s*年\s*{_MONTH}\s*月)(?!\s*年\s*(?:建档|已脱贫|脱贫))"
    r"[^\s，,。;；:：]{0,30}?(?:花名册|名册|台账|统计表|登记表|一览表|名单|报表)"
)
_HAN_DIGITS = str.maketrans("〇零○Ｏ一二三四五六七八九", "0000123456789")
_HAN_YEAR = re.compile(  # before 年, or opening a span of years (二〇一六至二〇一七年)
    r"二[〇零○Ｏ][〇零○Ｏ一二三四五六七八九]{2}(?=年|\s*(?:[-－—–~～]|至|到)\s*二[〇零○Ｏ])"
)


def _in_digits(text: str) -> str:
    """A year written in Chinese numerals (二〇一七年, 二零一七年) in digits."""
    return _HAN_YEAR.sub(lambda m: m[0].translate(_HAN_DIGITS), text) if "二" in text else text


# a date the rows above the header label as when the roster was filled in, sent or
# printed (填报日期：2018年1月5日 over a 2017 roster) is no year of the roster. Any other
# date keeps its year: 统计时间：2017年12月, 截止2017年12月31日, 时间：2017年1月-12月.
_DATE_TAIL = (
    rf"[:：]?\s*20\d\d(?:\s*年\s*(?:{_MONTH}\s*月(?:\s*{_DAY}\s*[日号]?)?|元旦|春节)"
    r"|([./-])\d{1,2}(?:\1\d{1,2})?|(?:0[1-9]|1[0-2])(?:[0-2]\d|3[01])?(?!\d))"
)
# 报送 alone too (丰县花名册(报送2018年1月).xlsx); 报表 2017年12月 is the report's period
_DATED = re.compile(
    rf"(?:(?:填报|填表|报送|上报|制表|打印|报表)(?:日期|时间)|报送){_DATE_TAIL}"
    rf"|20\d\d(?:\s*年\s*{_MONTH}\s*月(?:\s*{_DAY}\s*[日号]?)?|[./-]\d{{1,2}}[./-]\d{{1,2}})"
    r"(?:报送|上报|填报)(?![:：]|日期|时间)"  # (2018年1月5日报送), not …31日 报送：2018…
)
# a date after a bare 日期 (not 出生日期, 统计日期, 截止日期) or a stamp: left out only when
# another year is left (数据日期：2017年12月31日 alone is the roster's year)
_WEAK_DATED = re.compile(rf"(?:(?<![生计止至据])日期|盖章[)）]?|[(（]章[)）]){_DATE_TAIL}")


def _undated(title: str) -> str:
    """The title rows without the dates they were filled in on (`_DATED`, `_WEAK_DATED`)."""
    title = _DATED.sub(" ", title)
    weak = _WEAK_DATED.sub(" ", title)
    return weak if weak != title and YEAR.search(weak) else title


# Fields of a roster of the program, not of a list of names and phones (brokers,
# contacts, trainers): a sheet naming one of them but no name or ID column is a roster
# sent with a column missing.
ROSTER_ONLY = frozenset({
    "household_head", "relation_to_head", "labor_capacity", "willing", "wing", "trainings",
    "new_practitioner", "income_before", "income_after", "exit_year", "status", "visit_date",
})  # fmt: skip


# the fields of a list of people that is no roster (brokers, contacts, cadres)
LIST_FIELDS = frozenset({"name", "phone", "town", "village", "broker", "note"})
_ID_LIKE = re.compile(r"\d{15}|\d{17}[\dXx]|\d\.\d+E\+17", re.IGNORECASE)


def _first_id_row(rows: Sequence[Sequence[object]]) -> int | None:
    """The index of the first row with a cell that is an ID number and nothing else (15
    digits, or 17 and a check character; a number of 15 to 18 digits): a 19-digit bank
    card number, or an ID inside a note, is none."""
    return next((i for i, row in enumerate(rows) if any(map(_an_id_cell, row))), None)


def _an_id_cell(c: object) -> bool:
    if isinstance(c, float | int) and not isinstance(c, bool):
        return 1e14 <= c < 1e18
    return isinstance(c, str) and _ID_CELL.fullmatch("".join(c.split())) is not None


_ID_CELL = re.compile(r"\d{15}|\d{17}[\dXx]|\d\.\d+E\+1[47]", re.IGNORECASE)


def _holds_ids(rows: Sequence[Sequence[object]]) -> bool:
    """Does any cell hold an ID number (a page whose ID title hcs does not know)?"""
    return any(
        (isinstance(c, float) and c >= 1e14) or (isinstance(c, str) and _ID_LIKE.search(c))
        for row in rows
        for c in row
    )


# rows of a page above its header, as the first page's layout sees them
PAGE_TOP = frozenset({"repeated_header", "info", "no_person", "blank"})


def _pages(
    matcher: HeaderMatcher, sheet: RawSheet, lay: SheetLayout, year: int | None = None
) -> list[tuple[RawSheet, SheetLayout]]:
    """The sheet in pages, each read by its own header. Pages pasted together repeat
    the header; one whose columns stand in another order (姓名 and 身份证号码 swapped) was
    read by the first page's header: IDs stored as names, villages as wings. The sheet
    is cut at each repeated header that maps a field to another column, and each part
    is laid out alone (row numbers stay the sheet's)."""
    own = {f: j for j, f in lay.columns.fields.items()}
    cuts: list[int] = []
    for i, kind in sorted(lay.skipped.items()):
        if kind != "repeated_header":
            continue
        fields = map_columns(matcher, sheet.rows[i], None).fields
        # a field in another column, or another field in the name or ID column (村(社区)
        # over the names: a table of counts below the roster)
        keys = (own.get("name"), own.get("id_number"))
        # (since session 23 also a field the page before has no column for: 从业产业 added
        # to a later page's header was read as an untitled column of the first page's)
        if any(own.get(f) != j or (j in keys and own.get(f) is None)
               for j, f in fields.items()):  # fmt: skip
            own = {f: j for j, f in fields.items()}
            # the page's own title, info and group rows above its header go with it (a
            # 序号 merged down from the group row named no column of the page: 无表头列A)
            start, floor = i, (cuts[-1] if cuts else 0) + 1
            while start - 1 > floor and lay.skipped.get(start - 1) in PAGE_TOP:
                start -= 1
            cuts.append(start)
    if not cuts:
        return [(sheet, lay)]
    parts: list[tuple[RawSheet, SheetLayout]] = []
    for start, end in zip([0, *cuts], [*cuts, len(sheet.rows)], strict=True):
        part = RawSheet(
            sheet.name, sheet.rows[start:end],
            tuple(((r0 - start, c0), (r1 - start, c1)) for (r0, c0), (r1, c1) in sheet.merged
                  if start <= r0 and r1 < end),
            tuple(sheet.row_number(i) for i in range(start, end)),
        )  # fmt: skip
        try:
            at = classify(matcher, part.rows, part.merged, year)
        except NotARoster:
            if not parts or _holds_ids(part.rows):
                return [(sheet, lay)]  # a part without a header: read as before
            # a table below the roster without a name or ID column (按社区统计: 村(社区),
            # 人数, 户数) and no ID in its cells: none of its rows is a woman
            at = replace(lay, header_rows=(), records=[], skipped={
                i: "blank" if all(is_blank(c) for c in row) else "other_table"
                for i, row in enumerate(part.rows)
            }, above_header_text="", data_columns=[], data_start=len(part.rows))  # fmt: skip
            parts.append((part, replace(at, kinds=Counter(at.skipped.values()))))
            continue
        have = set(at.columns.fields.values())
        if parts and have <= LIST_FIELDS and not _holds_ids(part.rows[at.header_rows[-1] + 1 :]):
            # another table below the roster (结对经纪人名单: 姓名, 联系电话, 所在村), with
            # no ID column, no field beyond a list of people's and no ID in its cells: no
            # woman of it is a record; read by the roster's header, its phones were IDs
            at = replace(at, records=[], skipped={
                i: "blank" if all(is_blank(c) for c in row) else "other_table"
                for i, row in enumerate(part.rows)
            })  # fmt: skip
            at = replace(at, kinds=Counter(at.skipped.values()))
        elif not {"name", "id_number"} <= have:
            return [(sheet, lay)]
        parts.append((part, at))
    return parts


def _side_by_side(matcher: HeaderMatcher, sheet: RawSheet) -> list[RawSheet]:
    """The sheet in blocks of columns when its lists stand side by side (分栏, a page
    printed in two columns: 序号 姓名 身份证号码 村 | 序号 姓名 身份证号码 村): a header
    row whose titles, from its first, come again further right, holding a name and an ID
    title in each block. Read as one table, the right block's IDs were a spare ID column
    and its names an unknown column: its women were lost without a word (until session
    18). Not a header whose second 姓名 / 身份证号码 are another person's (户主 / 本人, 户主情况
    over the first: the row above names the person)."""
    for i, row in enumerate(sheet.rows[:HEADER_SEARCH_ROWS]):
        fields = [matcher.match(c) for c in row]
        if fields.count("name") < 2 or fields.count("id_number") < 2:
            continue
        titles = [squash(c) if not is_blank(c) else "" for c in row]
        first = next(j for j, t in enumerate(titles) if t)
        for k in range(first + 1, len(titles)):
            width = k - first
            left = [t for t in titles[first:k] if t]
            right = [t for t in titles[k : k + width] if t]
            if titles[k] == titles[first] and left == right[: len(left)] and len(left) >= 2:
                break
        else:
            return [sheet]
        # the group over the right block (a title over the whole table, 妇女花名册, stands
        # over the first cells): another person's when it names one (丈夫情况, 帮扶责任人)
        # an info row's label and its text (联系人：王五, 家庭收入单位：元) names no group:
        # read as one, it kept the right block's women out (an audit, session 23)
        over = sheet.rows[i - 1][k:] if i else []
        above = " ".join(
            t for c in over if not is_blank(c) and not _INFO_CELL.search(t := squash(c))
        )
        if any(w in above for w in _SOMEONE) or not {"name", "id_number"} <= set(fields[first:k]):
            return [sheet]
        # the group over the left block: another person's when it is one's (户主情况 over
        # 姓名 | 身份证号码, 妇女情况 over the right: each head was a woman, an audit)
        if i and any(_OTHERS_GROUP.fullmatch(squash(c)) for c in sheet.rows[i - 1][first:k]
                     if not is_blank(c)):  # fmt: skip
            return [sheet]
        rest = _columns(sheet, k, None)
        at = fields[k:].index("id_number")
        if mostly_men(r[at] for r in rest.rows[i + 1 :] if at < len(r)):
            return [sheet]  # her husband's columns, under whatever group (基本情况 | 其他)
        return [_columns(sheet, 0, k), *_side_by_side(matcher, rest)]
    return [sheet]


def _block_parts(
    matcher: HeaderMatcher, sheet: RawSheet, year: int | None
) -> list[tuple[RawSheet, SheetLayout]]:
    """The parts of a sheet whose lists stand side by side (`_side_by_side`), each block
    laid out alone and cut into pages; none when it has one block, or a block has no
    roster header after all (then the sheet is read whole, as before)."""
    blocks = _side_by_side(matcher, sheet)
    if len(blocks) < 2:
        return []
    parts: list[tuple[RawSheet, SheetLayout]] = []
    for block in blocks:
        try:
            at = classify(matcher, block.rows, block.merged, year)
        except NotARoster:
            return []
        parts += _pages(matcher, block, at, year)
    return parts


_INFO_CELL = re.compile(r"[:：].")  # a label followed by its text
# a group naming another person than the woman (户主情况, 配偶信息, 家庭成员)
_OTHERS_GROUP = re.compile(
    r"(?:户主|配偶|丈夫|爱人|家属|家庭成员|男方|监护人|联系人|帮扶人|帮扶责任人|责任人|经纪人)"
    r"(?:基本)?(?:情况|信息|资料)?"
)
_SOMEONE = (
    "户主", "本人", "配偶", "丈夫", "爱人", "夫妻", "妻子", "子女", "家属", "家庭", "成员",
    "男方", "帮扶对象", "经纪人", "帮扶人", "责任人", "联系人", "监护人",
)  # fmt: skip


def _columns(sheet: RawSheet, start: int, end: int | None) -> RawSheet:
    """The sheet's columns `start` to `end` (row numbers stay the sheet's)."""
    stop = end if end is not None else max((len(r) for r in sheet.rows), default=0)
    return RawSheet(
        sheet.name, [r[start:stop] for r in sheet.rows],
        tuple(((r0, c0 - start), (r1, c1 - start)) for (r0, c0), (r1, c1) in sheet.merged
              if start <= c0 and c1 < stop),
        sheet.lines,
        {(r, c - start): f for (r, c), f in sheet.formulas.items() if start <= c < stop},
        sheet.hidden,
    )  # fmt: skip


def _lost_formulas(
    sheet: RawSheet, parts: list[tuple[RawSheet, SheetLayout]]
) -> list[tuple[int, str, str]]:
    """(row number, column, formula) of the formula cells without a value in the sheet's
    records: a known column by its field, a kept unknown one by its title."""
    out = []
    for part, at in parts:
        rows = {part.row_number(i) for i in at.records}
        for (r, c), formula in sorted(sheet.formulas.items()):
            column = at.columns.fields.get(c) or at.columns.extras.get(c)
            if column is not None and sheet.row_number(r) in rows:
                out.append((sheet.row_number(r), column, formula))
    return out


def _formula_issues(
    raw: pd.DataFrame, lost: dict[str, list[tuple[int, str, str]]]
) -> list[RawIssue]:
    """`formula_no_value` on each record whose cell is a formula stored without a value,
    `error_value` on each whose cell holds an error value alone (#N/A pasted as a value)."""
    where = {
        (sheet, int(row)): k
        for k, (sheet, row) in enumerate(zip(raw["source_sheet"], raw["source_row"], strict=True))
        if sheet in lost
    }  # fmt: skip
    return [
        RawIssue(where[(sheet, row)], _FORMULA_CODE[formula.startswith("=")], column, formula)
        for sheet, cells in lost.items() for row, column, formula in cells
        if (sheet, row) in where
    ]  # fmt: skip


_FORMULA_CODE = {True: "formula_no_value", False: "error_value"}  # "=D3*3" or "#N/A"


def _of_the_year(
    year: int, infos: list[SheetInfo],
    kept: list[tuple[int, pd.DataFrame, list[tuple[str, int, str]]]],
    frames: list[pd.DataFrame], skipped: list[tuple[str, int, str]],
) -> tuple[list[pd.DataFrame], list[tuple[str, int, str]]]:  # fmt: skip
    """A roster sheet whose name gives another year than the file's period, beside a sheet
    of that period (2016年 beside 2017年 in one workbook, an old 2016年(旧) sheet kept in a
    2017 roster), is refused, a data problem naming the year: its women were counted in
    the file's period. The frames and skipped rows of the sheets kept."""
    other = {}
    for at, _, _ in kept:
        m = YEAR.search(infos[at].name)
        if m is not None and int(m.group(1)) != year:
            other[at] = int(m.group(1))
    # every roster sheet of another year: a sheet name left from last year's template (a
    # 2017 file whose one sheet still says 2016年); the file's year holds, as before
    if not other or len(other) == len(kept):
        return frames, skipped
    whys = {at: reason("sheet_of_another_year", sheet_year=y, year=year) for at, y in other.items()}
    return _refuse_sheets(infos, kept, skipped, whys)


def _of_the_county(
    settings: Settings, county: str, infos: list[SheetInfo],
    kept: list[tuple[int, pd.DataFrame, list[tuple[str, int, str]]]],
    frames: list[pd.DataFrame], skipped: list[tuple[str, int, str]],
) -> tuple[list[pd.DataFrame], list[tuple[str, int, str]]]:  # fmt: skip
    """A roster sheet named by another county than the file's, beside one that is not (a
    city's workbook of one sheet per county: 丰县, 沛县): refused naming both, a data
    problem. Its women were all counted in the file's county (the first sheet's, when the
    file name names none); a file is one county's roster."""
    other = {}
    for at, _, _ in kept:
        found = settings.find_county(infos[at].name)
        if found is not None and found != county:
            other[at] = found
    if not other or len(other) == len(kept):
        return frames, skipped
    whys = {
        at: reason("sheet_of_another_county", sheet_county=c, county=county)
        for at, c in other.items()
    }
    return _refuse_sheets(infos, kept, skipped, whys)


def _refuse_sheets(
    infos: list[SheetInfo], kept: list[tuple[int, pd.DataFrame, list[tuple[str, int, str]]]],
    skipped: list[tuple[str, int, str]], whys: dict[int, str],
) -> tuple[list[pd.DataFrame], list[tuple[str, int, str]]]:  # fmt: skip
    """The frames and skipped rows of the roster sheets kept, the sheets at `whys`
    refused (in `infos`) for their reason."""
    live = {at for at, _, _ in kept if infos[at].roster}
    for at, why in whys.items():
        info = infos[at]
        infos[at] = SheetInfo(info.name, False, REFUSED_SHEET + why, (), 0)
    gone = {infos[at].name for at in whys}
    return (
        [f for at, f, _ in kept if at in live and at not in whys],
        [row for row in skipped if row[0] not in gone],
    )


def header_texts(rows: Sequence[Sequence[object]], header_rows: Sequence[int]) -> list[str]:
    """The header's column titles as the sheet writes them (a two-row header: the lower
    cell, else its group's), for messages: the person reading them wrote these."""
    width = max((len(rows[h]) for h in header_rows), default=0)
    texts = []
    for j in range(width):
        cells = [rows[h][j] for h in reversed(header_rows) if j < len(rows[h])]
        text = next((clean_text(c) for c in cells if not is_blank(c)), "")
        if text:
            texts.append(text)
    return texts


def _sheet_town(settings: Settings, sheet: str) -> str | None:
    """The town a sheet's name gives (one sheet per town), else None. A name with a year
    gives one only when what is left names a town by its suffix (欢口镇2017年 is 欢口镇;
    2017年巧手行动花名册 is none). A name of digits and marks only (1, 01, 2-3), or
    holding a run of six digits (a woman's ID or phone: 一人一卡, a sheet per woman; a
    date), names no town."""
    key = squash(sheet).lower()
    if not key or key.startswith(GENERIC_SHEETS) or settings.find_county(sheet) is not None:
        return None
    if _DIGIT_RUN.search(key) or not any(ch.isalpha() for ch in key):
        return None
    if YEAR.search(key) is None:
        return _undecorated(clean_text(sheet))
    rest = _undecorated(clean_text(_YEAR_IN_NAME.sub("", sheet)))
    return rest if rest.endswith(_TOWN_SUFFIXES) else None


def _named_by_her(frame: pd.DataFrame, sheet: str) -> bool:
    """Does the sheet's name hold the name (two characters or more) of a woman on it?"""
    if "name" not in frame.columns:
        return False
    names = (clean_text(v) for v in frame["name"].head(200) if isinstance(v, str))
    return any(len(n) >= 2 and n in sheet for n in names)


def _undecorated(town: str) -> str:
    """A sheet's town without what a clerk adds to the tab: a number before it (1.欢口镇,
    (2)华山镇), a count after it (华山镇（3人）), the list's name after a town's suffix
    (师寨镇花名册). Each was a town of its own beside the same town's column values."""
    bare = _SHEET_NUMBER.sub("", town, count=1)
    bare = _SHEET_COUNT.sub("", bare, count=1)
    bare = _SHEET_LIST.sub("", bare, count=1)
    return bare.strip() or town


_SHEET_NUMBER = re.compile(
    r"^(?:\d{1,3}|[一二三四五六七八九十]{1,3})\s*[.、．_\-]\s*|^[(（]\d{1,3}[)）]\s*"
)
_SHEET_COUNT = re.compile(r"\s*[(（]\s*\d+\s*人\s*[)）]$")
_SHEET_LIST = re.compile(r"(?<=镇|乡|道|处)(?:妇女)?(?:花名册|名册|台账|名单|统计表)$")
_DIGIT_RUN = re.compile(r"\d{6}")
_YEAR_IN_NAME = re.compile(r"(?<!\d)20\d\d(?:年度|年)?(?!\d)")
_TOWN_SUFFIXES = ("镇", "乡", "街道", "办事处")


# Columns whose cell, merged down over several women's rows, is each woman's value (a
# village, a household head, a wing written once for a group). Not names, IDs, phones,
# money or counts: a merged income is a household's, not each woman's.
FILL_DOWN = frozenset({
    "county", "town", "village", "household_head", "relation_to_head", "broker", "wing",
    "labor_capacity", "willing", "status", "exit_year", "new_practitioner", "visit_date",
})  # fmt: skip


def _merged_down(sheet: RawSheet, lay: SheetLayout) -> SheetLayout:
    """The layout with each cell merged down one column below the header (村 written
    once for a village's women) copied into the rows it covers, for FILL_DOWN columns:
    a reader sees the value on every row, calamine gives it to the first only."""
    fields = lay.columns.fields
    spans = [
        (r0, r1, c0) for (r0, c0), (r1, c1) in sheet.merged
        if c0 == c1 and r1 > r0 and r0 >= lay.data_start and fields.get(c0) in FILL_DOWN
        and c0 < len(lay.data_columns)
    ]  # fmt: skip
    if not spans:
        return lay
    columns = list(lay.data_columns)
    for r0, r1, c in spans:
        cells = list(columns[c])
        top = r0 - lay.data_start
        value = cells[top] if top < len(cells) else None
        if is_blank(value):
            continue
        for i in range(top + 1, min(r1 - lay.data_start + 1, len(cells))):
            if is_blank(cells[i]):
                cells[i] = value
        columns[c] = tuple(cells)
    return replace(lay, data_columns=columns)


def _sheet_records(sheet: RawSheet, lay: SheetLayout) -> pd.DataFrame:
    """The record rows' cells of the mapped columns, taken from the columns classifying
    transposed (cells past a row's end are blank text, as `transpose` pads them)."""
    n = len(lay.records)
    below = lay.data_columns
    every = n == (len(below[0]) if below else 0)  # usually: no row below the header skipped
    at = np.asarray(lay.records, dtype=np.intp) - lay.data_start

    def column(j: int) -> np.ndarray[Any, Any]:
        if j >= len(below):
            return np.full(n, "", dtype=object)
        cells = np.fromiter(below[j], dtype=object, count=len(below[j]))
        return cells if every else cells[at]

    used = {j: column(j) for j in (*lay.columns.fields, *lay.columns.extras)}
    for j in lay.columns.in_wan:  # 1.2 under 当年收入(万元) is 1.2万: 12,000 yuan
        used[j] = np.fromiter(map(_wan, used[j]), dtype=object, count=n)
    for j, f in lay.columns.spare.items():  # a second ID column: where the first is blank
        k = lay.columns.column_of(f)
        if k is not None:
            gap = np.fromiter(map(is_blank, used[k]), dtype=bool, count=n)
            if f == "id_number":  # or the first is a number that lost the ID's digits
                gap |= np.fromiter(map(_mended, used[k], used[j]), dtype=bool, count=n)
            used[k] = np.where(gap, used[j], used[k])
    # copy=False: one block per column, not one 2-d block copied together (3.5 ms a roster)
    frame = pd.DataFrame(
        {f: used[j] for j, f in lay.columns.fields.items()}, dtype=object, copy=False
    )
    frame["source_sheet"] = sheet.name
    frame["source_row"] = sheet.row_numbers(at + lay.data_start)
    frame["extras"] = _extras(used, lay.columns.extras, n)
    return frame


def _mended(first: object, spare: object) -> bool:
    """Is `spare` the ID the number `first` lost digits of? The clerk's mend of IDs stored
    as numbers: the full IDs typed as text into a second 身份证号码 column beside the old
    one (often hidden). The old column's number won: every woman stayed precision_lost and
    her valid ID went to extras (until session 18)."""
    if isinstance(first, str) and "E+" in first.upper():  # 3.20321198001E+17 as text
        try:
            first = float(first)
        except ValueError:
            return False
    if not isinstance(first, float) or first < 1e14 or not isinstance(spare, str):
        return False
    digits = "".join(spare.split())
    # the digits the number holds: Excel keeps 15 significant ones (3.2032119730413e+17;
    # 12 in a text 3.20321197305E+17), not its exact binary value's (…304129984)
    held = f"{Decimal(f'{first:.15g}'):f}".split(".")[0].rstrip("0")
    return len(digits) in (17, 18) and len(held) >= 11 and digits.startswith(held)


def _wan(cell: object) -> object:
    """A cell of a column headed in 万元 as text money parsing reads in 万 (0.35 -> "0.35万");
    blank cells, and texts that name their unit (1.2万, 3500元), stay as they are."""
    if isinstance(cell, bool) or is_blank(cell):
        return cell
    if isinstance(cell, int | float):
        return f"{cell!r}万" if isinstance(cell, float) else f"{cell}万"
    if isinstance(cell, str):
        text = "".join(nfkc(cell).split())
        return f"{text}万" if _PLAIN_AMOUNT.fullmatch(text) else cell
    return cell


# an amount without its unit (3,500, 0.35): read in 万 under a 万元 title. Anything else
# stays as written: 1.2万 and 3500元 name their unit, "/" and "无" are blanks, and 约三千
# is a bad value quoted as the roster has it (they became "/万", "无万")
_PLAIN_AMOUNT = re.compile(r"[0-9][0-9,]*(?:\.[0-9]*)?|\.[0-9]+")


def _extras(
    columns: Mapping[int, Sequence[object] | np.ndarray[Any, Any]], labels: dict[int, str], n: int
) -> list[str | None]:
    """The kept columns hcs does not know, per row as a JSON object of the non-blank ones
    (exactly what json.dumps of the dict writes), built over distinct values."""
    joined = np.full(n, None, dtype=object)
    for j, label in labels.items():
        d = Distinct(columns[j])
        key = json.dumps(label, ensure_ascii=False) + ": "
        parts = d.spread(
            [None if is_blank(u) else key + json.dumps(clean_text(u), ensure_ascii=False)
             for u in d.uniq]
        )  # fmt: skip
        has, before = ~np.equal(parts, NONE), ~np.equal(joined, NONE)
        both = has & before
        joined[both] = joined[both] + ", " + parts[both]
        only = has & ~before
        joined[only] = parts[only]
    filled = ~np.equal(joined, NONE)
    joined[filled] = "{" + joined[filled] + "}"
    out: list[str | None] = joined.tolist()
    return out


def file_issues(
    typed: pd.DataFrame, found: list[RawIssue], period: int, cat: Catalogue
) -> pd.DataFrame:
    """The normaliser's issues and the record rules, with catalogue severities/messages."""
    raw = pd.DataFrame(
        [(r.index, r.code, r.column, r.value) for r in found if r.code not in cat.off],
        columns=["index", "code", "column", "value"],
    )
    raw["severity"] = raw["code"].map(cat.severity)
    raw["message"] = [cat.message(c, v) for c, v in zip(raw["code"], raw["value"], strict=True)]
    rules = to_rows(record_rules(typed.reset_index(drop=True), period, cat), cat, period)
    both = pd.concat([raw, rules], ignore_index=True) if len(rules) else raw
    return both.sort_values(["index", "code"], kind="stable", ignore_index=True)


def _missing(key: str, sheet: str, seen: str) -> str:
    """Why a file is refused for a sheet without the name or ID column; a CSV file's
    one sheet has no name to give."""
    if sheet:
        return reason(f"{key}_in", sheet=repr(sheet), seen=seen)
    return reason(f"{key}_seen", seen=seen)


def _summary_roster(
    matcher: HeaderMatcher, sheets: list[RawSheet], settings: Settings, year: int | None
) -> str | None:
    """The name of a sheet skipped by its name (全县汇总, 汇总表: a copy of the town
    sheets, counted twice if read) that holds a roster: a header with the name and ID
    columns, and women under it. None when no such sheet holds one."""
    for sheet in sheets:
        if not settings.not_a_roster(sheet.name):
            continue
        try:
            lay = classify(matcher, sheet.rows, sheet.merged, year)
        except NotARoster:
            continue
        if {"name", "id_number"} <= set(lay.columns.fields.values()) and lay.records:
            return sheet.name
    return None


def _summary_only(held: str | None) -> str:
    """Why a file without a roster sheet is refused: when a sheet skipped by its name
    holds a roster (`held`), it names the sheet and the remedy (the file's only roster
    was refused as "every sheet is empty or not a roster")."""
    return reason("no_roster") if held is None else reason("summary_sheet_only", sheet=repr(held))


def parse_file(
    path: Path, data: bytes, settings: Settings, vocab: Vocabulary,
    county: str | None = None, year: int | None = None, salt: str | None = None,
) -> ParsedFile:  # fmt: skip
    """Parse one file; raise RefusedFile (one-line reason) when nothing of it can be used.
    `salt`: the database's, when the file is parsed to be stored: the records' own person
    keys are made (`own_keys`) and their money and dates typed as the store's."""
    raw_sheets = read_file(path, data, Limits.from_mapping(settings.limits))
    name = text_of(path.name)  # a GBK name from a Windows zip: as text
    matcher = HeaderMatcher(settings.headers)
    infos: list[SheetInfo] = []
    frames: list[pd.DataFrame] = []
    kept: list[tuple[int, pd.DataFrame, list[tuple[str, int, str]]]] = []  # roster sheets
    skipped: list[tuple[str, int, str]] = []
    unknown: dict[str, None] = {}
    titles: list[str] = []
    lost: dict[str, list[tuple[int, str, str]]] = {}  # formulas read as blank, by sheet
    refusal = ""
    rosterish = False  # a sheet with a name or ID title, or with titles hcs cannot read
    # the roster's year before its sheets are read, where --year or the file's name gives
    # it: for incomes titled by year (2016年收入 / 2017年收入)
    named = name_year(name)
    known = year if year is not None else int(named.group(1)) if named else None
    for sheet in raw_sheets:
        if settings.not_a_roster(sheet.name):
            infos.append(SheetInfo(sheet.name, False, reason("not_roster_sheet"), (), 0))
            continue
        try:
            lay = classify(matcher, sheet.rows, sheet.merged, known)
        except NotARoster as exc:
            why = reason("empty_sheet" if exc.empty else "no_name_or_id")
            first = None if exc.empty else _first_id_row(sheet.rows)
            if first is not None:
                # women (their IDs) under no header hcs knows: a page continued without its
                # header, titles in other words (妇女名字, 公民身份证号码). Skipped as "not a
                # roster", they were lost from every figure with exit 0 (until session 18)
                said = _missing("no_name_or_id", sheet.name, ", ".join(exc.found[:12])) if (
                    exc.found  # No., Name, ID Number: the titles to add to [headers]
                ) else reason("ids_without_header", sheet=repr(sheet.name),
                              row=sheet.row_number(first))  # fmt: skip
                infos.append(SheetInfo(sheet.name, False, REFUSED_SHEET + said, (), 0))
                refusal = refusal or said
                rosterish = True
                continue
            infos.append(SheetInfo(sheet.name, False, why, (), 0))
            rosterish = rosterish or exc.unknown
            if not exc.empty and not refusal:
                seen = ", ".join(exc.found[:12]) or reason("no_known_headers")
                refusal = _missing("no_name_or_id", sheet.name, seen)
            continue
        have = set(lay.columns.fields.values())
        rosterish = True  # a header naming a name or an ID column
        if not {"name", "id_number"} <= have:
            # a roster's header (a field only rosters have) without the name or the ID
            # column: the sheet is refused (named in the report, exit 1); a list of
            # names and phones (brokers, contacts) is skipped as no roster
            missing = "no_name" if "name" not in have else "no_id"
            seen = ", ".join(header_texts(sheet.rows, lay.header_rows)[:12])
            refused = REFUSED_SHEET if have & ROSTER_ONLY else ""
            why = refused + reason(f"{missing}_seen", seen=seen)
            infos.append(SheetInfo(sheet.name, False, why, (), 0))
            refusal = refusal or _missing(missing, sheet.name, seen)
            continue
        if sheet.hidden:
            # a roster hidden in Excel: last year's copy, or the source of a VLOOKUP (a
            # double count if read), or a town hidden while printing the others (lost if
            # skipped): not read, and named as a data problem (exit 1) for a person to say
            infos.append(
                SheetInfo(sheet.name, False, REFUSED_SHEET + reason("hidden_roster"), (), 0)
            )
            refusal = refusal or reason("hidden_roster_only", sheet=repr(sheet.name))
            continue
        parts = _block_parts(matcher, sheet, known) or _pages(matcher, sheet, lay, known)
        frame = pd.concat(
            [_sheet_records(part, _merged_down(part, at)) for part, at in parts],
            ignore_index=True,
        ) if len(parts) > 1 else _sheet_records(sheet, _merged_down(sheet, lay))  # fmt: skip
        town = _sheet_town(settings, sheet.name) if "town" not in have and sheet.name else None
        if town is not None and _named_by_her(frame, sheet.name):
            town = None  # 一人一卡: a sheet named by the woman on it (周小凤) is no town
        if town is not None:
            frame["sheet_town"] = town  # not a cell: not counted as filled
        frames.append(frame)
        if sheet.formulas:
            lost[sheet.name] = _lost_formulas(sheet, parts)
        skips = []
        # a row is one record or one skipped row, though blocks side by side each see it
        taken = {part.row_number(i) for part, at in parts for i in at.records}
        for part, at in parts:
            unknown.update(dict.fromkeys(at.columns.extras.values()))
            for i, k in sorted(at.skipped.items()):
                if (row := part.row_number(i)) not in taken:
                    taken.add(row)
                    skips.append((sheet.name, row, k))
        skipped += skips
        lay = replace(lay, records=[r for _, at in parts for r in at.records])
        titles.append(lay.above_header_text)
        header_rows = tuple(map(sheet.row_number, lay.header_rows))
        infos.append(SheetInfo(sheet.name, True, "", header_rows, len(lay.records)))
        kept.append((len(infos) - 1, frame, skips))
    if not frames:
        held = _summary_roster(matcher, raw_sheets, settings, known)
        if settings.not_a_roster(Path(name).stem) and not rosterish and held is None:
            # 填表说明.txt, 丰县2017年汇总表.xlsx beside the rosters: no sheet has a name or
            # ID title (丰县…花名册汇总.xlsx with 姓名 but an ID title hcs does not know is
            # a roster sent wrong: refused). 铜山区2017年花名册汇总.xlsx whose only sheet,
            # 汇总, holds the roster is refused naming the sheet, as under any file name:
            # until session 20 it was listed as holding no roster, its women lost (exit 0)
            raise NotARosterFile(refusal or reason("no_roster"))
        raise RefusedFile(refusal or _summary_only(held))
    found_county, found_year = _detect(
        settings, name, [s.name for s in raw_sheets], " ".join(titles),
        [s.name for s in infos if s.roster],
    )  # fmt: skip
    said = _title_says(settings, " ".join(titles), None if county else found_county,
                       None if year else found_year)  # fmt: skip
    county, year = county or found_county, year or found_year
    if county is None:
        gone = settings.find_abolished(" ".join([name, *(s.name for s in raw_sheets), *titles]))
        if gone is not None:  # 九里区 (abolished in 2010): not a county to count a woman in
            raise RefusedFile(reason("abolished_county", name=gone.name, code=gone.code))
        raise RefusedFile(reason("no_county"))
    if year is None:
        span = year_span(name, *(s.name for s in raw_sheets), *titles)
        raise RefusedFile(reason("year_span", span=span) if span else reason("no_year"))
    frames, skipped = _of_the_year(year, infos, kept, frames, skipped)
    frames, skipped = _of_the_county(settings, county, infos, kept, frames, skipped)
    if not frames:
        raise RefusedFile(next(i.reason for i in infos if i.reason.startswith(REFUSED_SHEET)))
    raw = pd.concat(frames, ignore_index=True)
    if "town" in raw.columns:
        raw["town"] = raw["town"].astype(object).where(raw["town"].notna(), "")
    sheet_town = raw.pop("sheet_town") if "sheet_town" in raw.columns else None
    typed, raw_issues = normalize_frame(raw, vocab, FILL_DOWN)  # 同上 filled there
    if lost:
        raw_issues += _formula_issues(raw, lost)
    typed = typed.rename(columns={"county": "county_text"})
    if sheet_town is not None:
        typed["town"] = typed["town"].where(typed["town"].notna(), sheet_town)
    for c in ("source_sheet", "source_row", "extras"):
        typed[c] = raw[c]
    typed["source_file"], typed["county"], typed["period"] = name, county, year
    issues = file_issues(typed, raw_issues, year, Catalogue.load(settings.checks))
    if salt is not None:
        typed = typed_for_store(typed)
    return ParsedFile(
        path=path, name=name, sha256=hashlib.sha256(data).hexdigest(), size=len(data),
        format=path.suffix.lower().lstrip("."), county=county, period=year, sheets=infos,
        records=typed, issues=issues,
        skipped=pd.DataFrame(skipped, columns=["sheet", "source_row", "kind"]),
        unknown_columns=list(unknown), title_says=said,
        own_keys=None if salt is None else id_person_keys(typed["id_key"], salt),
    )  # fmt: skip


def typed_for_store(records: pd.DataFrame) -> pd.DataFrame:
    """The records with their money and date columns (Python decimals and dates) as
    Arrow columns of the store's types. A parse worker hands them to the main process as
    buffers instead of one pickled object per cell, and the store inserts them as they
    are: 27 ms less CPU per 22k-record roster, 16 of them in the main process, which
    stores while the workers parse. A column Arrow cannot take stays as it is (the store
    converts it, or lets DuckDB say why not)."""
    out = records.copy(deep=False)
    for name, kind in record_types().items():
        if name in out.columns and out[name].dtype == object:
            try:
                array = pa.array(out[name].to_numpy(), type=kind, from_pandas=True)
            except (pa.ArrowException, ValueError, TypeError):
                continue
            out[name] = pd.array(array, dtype=pd.ArrowDtype(kind))
    return out
