"""A sheet's cells -> header, data rows, and every other row classified by kind.

Rules: docs/metrics.md §2. Row indices here are 0-based; row numbers shown to people
are index + 1.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from functools import lru_cache

import numpy as np

from .columns import _ANY_UNIT, MONEY, SERIAL, ColumnMap, HeaderMatcher, map_columns
from .masking import digits_of
from .normalize.distinct import Distinct, transpose
from .normalize.frame import a_ditto
from .normalize.text import NOTHING, is_blank, is_ideograph, placeholder, squash

HEADER_SEARCH_ROWS = 40
TOTALS = ("合计", "总计", "小计", "共计")
SIGNATURES = (
    "填表人",
    "审核人",
    "负责人",
    "填报人",
    "制表人",
    "联系电话",
    "审批人",
    "经办人",
    "统计人",
    "核对人",
    "复核人",
    "签字",
    "盖章",
)
NOTES = ("注", "说明", "填表说明", "备注:")
_NOTE = re.compile(f"^({'|'.join(NOTES)})")
# every marker word: a cell whose text starts with none can never mark a row
_MARKERS = (*TOTALS, *SIGNATURES, *NOTES)
_MARKER_STARTS = frozenset(w[0] for w in _MARKERS)
_INFO = re.compile(r"[:]")

SKIP_KINDS = (
    "title", "info", "header", "blank", "repeated_header", "totals", "signature", "note",
    "no_person", "other_table",
)  # fmt: skip


@dataclass(frozen=True)
class SheetLayout:
    """Where the table is: header rows, record rows, skipped rows by kind."""

    header_rows: tuple[int, ...]
    columns: ColumnMap
    records: list[int]
    skipped: dict[int, str]
    above_header_text: str = ""
    kinds: Counter[str] = field(default_factory=Counter)
    # the rows below the header as columns (row `data_start` first): transposed once,
    # for classifying and then for the records' cells
    data_columns: list[tuple[object, ...]] = field(default_factory=list)
    data_start: int = 0


class NotARoster(Exception):
    """The sheet has no header row naming a name or ID column."""

    def __init__(self, found: list[str], empty: bool = False, unknown: bool = False) -> None:
        super().__init__("no header row with a name or ID column")
        self.found = found  # the best header candidate's texts (never data rows)
        self.empty = empty
        # titles no synonym names (No., Name, ID Number): maybe a roster hcs cannot read
        self.unknown = unknown


@lru_cache(maxsize=200_000, typed=True)
def _squash_cell(cell: object) -> str:
    return "" if is_blank(cell) else squash(cell)


def _likely_header(rows: Sequence[Sequence[object]]) -> list[str]:
    """When no cell names a column: the texts of the first row of three or more cells,
    all Latin text, above any row holding a run of six digits (an ID, a phone: data
    comes after its header), so the refusal can name the headers (No., Name, ID Number;
    XM, SFZH) and the user can add them to [headers]. Chinese titles nearly always name
    a column hcs knows (姓名); a row of Chinese texts that names none may be a woman's
    row of a sheet without a header, which a message must not quote."""
    for row in rows:
        cells = [c for c in row if not is_blank(c)]
        if any(_SIX_DIGITS.search(str(c)) for c in cells):
            return []
        if len(cells) >= 3 and all(isinstance(c, str) and c.isascii() for c in cells):
            return [" ".join(str(c).split()) for c in cells]  # as written: ID Number
    return []


_SIX_DIGITS = re.compile(r"\d{6}")


def _texts(row: Sequence[object]) -> list[str]:
    return [_squash_cell(c) for c in row]


HEAD_CELLS = 4  # the row rules look at a row's first four non-blank cells


def _head_texts(row: Sequence[object], k: int = HEAD_CELLS) -> list[str]:
    """The squashed texts of a row's first k non-blank cells."""
    out: list[str] = []
    for c in row:
        if c == "" or c is None:
            continue
        t = _squash_cell(c)
        if t:
            out.append(t)
            if len(out) == k:
                break
    return out


def _score(matcher: HeaderMatcher, row: Sequence[object]) -> set[str]:
    return {f for c in row if (f := matcher.match(c)) is not None and f != SERIAL}


def _fills(matcher: HeaderMatcher, row: Sequence[object], other: Sequence[object]) -> int:
    """How many columns blank in `row` are header texts in `other` (vertical merges)."""
    n = 0
    for j, c in enumerate(other):
        if matcher.match(c) is not None and (j >= len(row) or is_blank(row[j])):
            n += 1
    return n


def _is_group_row(matcher: HeaderMatcher, header: Sequence[object], row: Sequence[object]) -> bool:
    if _fills(matcher, header, row) >= 1:
        return True
    cells = [t for t in _texts(row) if t]
    return len(cells) >= 2 and not any(_INFO.search(t) for t in cells)


Merged = Sequence[tuple[tuple[int, int], tuple[int, int]]]


def _first_page(rows: Sequence[Sequence[object]], scores: list[set[str]], best: int) -> int:
    """The header of the first page when pages are pasted together and a later page's
    header titles one or two columns more (从业产业 added at its end, 出生日期 inserted):
    an earlier row naming the name or ID column and no field the later one lacks, with
    a woman's ID in a row between them. The later header scored higher and was taken:
    the first page's header and women were `title` rows, half a roster lost without an
    issue (an audit, session 23). The later header then starts a page of its own
    (parse._pages)."""
    top = scores[best]
    for i in range(best):
        found = scores[i]
        if (found & {"name", "id_number"} and found <= top and len(found) >= len(top) - 2
                and any(_an_id(c) for r in rows[i + 1 : best] for c in r)):  # fmt: skip
            return i
    return best


def find_header(
    matcher: HeaderMatcher, rows: Sequence[Sequence[object]], merged: Merged = ()
) -> tuple[int, ...]:
    """Indices of the header rows: (header,) or (group, header).

    The header is the row matching most synonyms; the row above or below joins it as
    a two-row header when the join maps more canonical columns (vertical merges).
    A group cell merged across several columns heads each of them (`spread`).
    """
    best, best_score = -1, 0
    scores = [_score(matcher, row) for row in rows[:HEADER_SEARCH_ROWS]]
    for i, found in enumerate(scores):
        if len(found) > best_score:
            best, best_score = i, len(found)
    if best < 0:  # no cell names a roster column
        titles = _likely_header(rows[:HEADER_SEARCH_ROWS])
        raise NotARoster(titles, unknown=bool(titles))
    best = _first_page(rows, scores, best)
    options: list[tuple[int, ...]] = [(best,)]
    above = rows[best - 1] if best > 0 else []
    if any(not is_blank(c) for c in above) and _is_group_row(matcher, rows[best], above):
        options.append((best - 1, best))
    # the row below joins as the lower row when it fills blank header cells (vertical
    # merges) or holds sub-labels under a group (收入情况(元) over 帮扶前 / 帮扶后: names no
    # synonym alone); the scores below decide, a data row mapping nothing more
    if best + 1 < len(rows) and (
        _fills(matcher, rows[best], rows[best + 1]) >= 1 or _sublabels(rows[best + 1])
    ):
        options.append((best, best + 1))
    scored = []
    for opt in options:
        group = spread(rows[opt[0]], opt[0], merged, rows[opt[1]]) if len(opt) == 2 else None
        cmap = map_columns(matcher, rows[opt[-1]], group)
        fields = set(cmap.fields.values())
        # as many fields either way: the pair when it titles columns the row leaves blank
        # (家庭情况 merged over 人口数 / 住房情况: 住房情况 was an untitled column), unless
        # its lower row has a name or an ID that no title is (a first record)
        titled = -len(cmap.unnamed) if not _a_record(matcher, rows[opt[-1]], cmap) else -(10**6)
        scored.append((len(fields), bool({"name", "id_number"} & fields), titled, -len(opt), opt))
    _, has_key, _, _, opt = max(scored)
    if not has_key:
        raise NotARoster([t for t in _texts(rows[best]) if t])
    if len(opt) == 2 and opt[1] + 1 < len(rows) and _details(matcher, rows, opt, merged):
        opt = (*opt, opt[1] + 1)
    return opt


def _a_record(matcher: HeaderMatcher, row: Sequence[object], cmap: ColumnMap) -> bool:
    """Does the row hold a name or an ID in the name or ID column that is no title? 本人
    there is the sub-label of her own column (姓名 over 丈夫 | 本人), no woman's name."""
    return any(
        f in ("name", "id_number") and j < len(row) and not is_blank(row[j])
        and matcher.match(row[j]) not in ("name", "id_number") and squash(row[j]) not in _SELF
        for j, f in cmap.fields.items()
    )  # fmt: skip


_SELF = frozenset({"本人", "妇女本人", "本人情况", "本人信息"})


def _details(
    matcher: HeaderMatcher, rows: Sequence[Sequence[object]], opt: tuple[int, ...],
    merged: Merged,
) -> bool:  # fmt: skip
    """Is the row under a two-row header a third header row: sub-labels (金额 / 来源)
    under the lower row's labels (帮扶前 / 帮扶后, under 收入情况(元)), each standing under
    a label and none in the name or ID column (a first record has a name or an ID)?"""
    row = rows[opt[1] + 1]
    if not _sublabels(row):
        return False
    lower = spread(rows[opt[1]], opt[1], merged, row)
    cmap = map_columns(matcher, lower, spread(rows[opt[0]], opt[0], merged, lower))
    keys = {j for j, f in cmap.fields.items() if f in ("name", "id_number")}
    return all(
        is_blank(c) or (j < len(lower) and not is_blank(lower[j]) and j not in keys)
        for j, c in enumerate(row)
    ) and not {matcher.match(c) for c in row} & {"name", "id_number"}


_STEMS = "甲乙丙丁戊己庚辛壬癸"
_NUMBERING = ("栏次", "栏目", "栏号")


def _column_numbers(row: Sequence[object]) -> bool:
    """Does the row number the columns: three or more cells, in order, that are 甲, 乙,
    丙 … (the stems, from 甲) then 1, 2, 3 … (from 1), after an optional 栏次? A
    woman's row has a name, which is neither."""
    cells = [c for c in row if not is_blank(c)]
    if cells and isinstance(cells[0], str) and squash(cells[0]) in _NUMBERING:
        cells = cells[1:]
    texts = [_number_text(c) for c in cells]
    if len(texts) < 3:
        return False
    stems = 0
    while stems < len(texts) and stems < len(_STEMS) and texts[stems] == _STEMS[stems]:
        stems += 1
    return texts[stems:] == [str(n) for n in range(1, len(texts) - stems + 1)]


def _unit_row(row: Sequence[object]) -> bool:
    """Is every written cell of the row a unit (（万元）, 元, 次, 单位：人 …)? A woman's row
    has a name, which is none."""
    cells = [c for c in row if not is_blank(c)]
    return bool(cells) and all(isinstance(c, str) and _UNIT_CELL.match(squash(c)) for c in cells)


_UNIT_CELL = re.compile(r"^\(?(?:单位:?)?(?:万元|元|元/人|元/年|人|次|人次|万|户|岁|个|年)\)?$")


def _number_text(cell: object) -> str:
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return squash(cell) if isinstance(cell, str) else str(cell)


def _sublabels(row: Sequence[object]) -> bool:
    """Could the row be a header's lower row: two or more text cells, none of them a
    number or a long text (names and IDs of a first record are data), or years (2016 and
    2017 under 年收入(元), typed as numbers: two or more of them)."""
    texts = [c for c in row if not is_blank(c)]
    years = sum(map(_a_year, texts))
    return len(texts) >= 2 and all(
        (isinstance(c, str) and not c.strip().isdigit() and len(c.strip()) <= 12)
        or (years >= 2 and _a_year(c))
        for c in texts
    )


def _a_year(cell: object) -> bool:
    """A cell that is a year alone: 2016 (a number or a text), 2016年, 2016年度."""
    if isinstance(cell, int | float) and not isinstance(cell, bool):
        return float(cell).is_integer() and 1990 <= cell <= 2099
    return isinstance(cell, str) and _YEAR_ALONE.fullmatch(cell.strip()) is not None


_YEAR_ALONE = re.compile(r"(?:19|20)\d\d(?:年度?)?")


def spread(
    row: Sequence[object], at: int, merged: Merged, below: Sequence[object] | None = None
) -> Sequence[object]:
    """Row `at` with each cell merged across columns (收入情况(元) over 帮扶前 and 帮扶后)
    written into the columns it covers: calamine gives it to the first only. A group row
    without merged cells (a CSV, or an xlsx whose merges were undone) has its text in the
    first column only: a group text then heads the blank cells after it that have a
    label in `below`, the row under it."""
    spans = [(c0, c1) for (r0, c0), (_, c1) in merged if r0 == at and c1 > c0 and c0 < len(row)]
    if not spans:
        if below is None or any(r0 == at for (r0, _), _ in merged):
            return row
        out = list(row) + [""] * max(0, len(below) - len(row))
        last: object = None
        for j, cell in enumerate(out):
            if not is_blank(cell):
                last = cell
            elif last is not None and j < len(below) and not is_blank(below[j]):
                out[j] = last
            else:
                last = None  # a blank over a blank ends the group
        return out
    out = list(row)
    out += [""] * (max(c1 for _, c1 in spans) + 1 - len(out))
    for c0, c1 in spans:
        if not is_blank(out[c0]):
            out[c0 + 1 : c1 + 1] = [c if not is_blank(c) else out[c0] for c in out[c0 + 1 : c1 + 1]]
    return out


def classify(
    matcher: HeaderMatcher, rows: Sequence[Sequence[object]], merged: Merged = (),
    year: int | None = None,
) -> SheetLayout:  # fmt: skip
    """Find the header and classify every row up to the last non-empty one (`merged`:
    the sheet's merged ranges, for a group row's cells; `year`: the roster's, when known
    before its rows are read, for incomes titled by year)."""
    last = len(rows)
    while last > 0 and all(is_blank(c) for c in rows[last - 1]):
        last -= 1
    if last == 0:
        raise NotARoster([], empty=True)
    hdr = find_header(matcher, rows[:last], merged)
    group = rows[hdr[0]] if len(hdr) >= 2 else None
    # a third header row (金额 / 来源 under 帮扶前 / 帮扶后): the middle row, its merged
    # cells spread, is the labels' row, and the third names the columns under each label
    detail = rows[hdr[2]] if len(hdr) == 3 else None
    labels = spread(rows[hdr[1]], hdr[1], merged, detail) if detail is not None else rows[hdr[-1]]
    # a group row above a one-row header that adds no column (基本情况 over 姓名…) is still
    # the header's: counted as such, and its repeats below are no records
    spare = hdr[0] - 1 if len(hdr) == 1 and hdr[0] > 0 else None
    if spare is not None and not (
        any(not is_blank(c) for c in rows[spare])
        and _is_group_row(matcher, rows[hdr[0]], rows[spare])
    ):
        spare = None
    upper = spread(group, hdr[0], merged, labels) if group is not None else None
    cmap = map_columns(matcher, labels, upper, year)
    if detail is not None and upper is not None:
        cmap = _with_details(cmap, labels, upper, detail)
    titles = [r for r in (upper, labels, detail) if r is not None]
    cmap = _unit_declared(cmap, rows[: hdr[0]], titles)
    header_fields = set(cmap.fields.values())
    skipped: dict[int, str] = {}
    records: list[int] = []
    above: list[str] = []
    first_data = hdr[-1] + 1
    # a row numbering the columns under the header (栏次: 1 2 3 …, or 甲 乙 丙 1 2 …), as
    # statistical templates have: the header's, not a woman named 2 with the ID 3
    # a row of units under the titles (（万元） under 当年收入): the header's; a money
    # column under 万元 is in 万 (0.3 was stored as 0.30 yuan, without a word)
    if first_data < last and _unit_row(rows[first_data]):
        units = spread(rows[first_data], first_data, merged, labels)
        cmap = replace(cmap, in_wan=cmap.in_wan | {
            j for j, f in cmap.fields.items()
            if f in MONEY and j < len(units) and "万" in squash(units[j] or "")
        })  # fmt: skip
        skipped[first_data] = "header"
        first_data += 1
    numbers = rows[first_data] if first_data < last and _column_numbers(rows[first_data]) else None
    if numbers is not None:
        skipped[first_data] = "header"
        first_data += 1
    below = rows[first_data:last]
    columns = transpose(below, max(map(len, below))) if below else []
    above_row = group if group is not None else rows[spare] if spare is not None else None
    cmap = _under_merged_title(cmap, columns, merged, hdr)
    name_col, id_col = cmap.column_of("name"), cmap.column_of("id_number")
    note_col = cmap.column_of("note")
    # cells right of the header's last title (a text file's rows are as long as they
    # are written: a remark or a phone added after the last column) are kept as well
    width = max(len(labels), len(upper or ()))
    beyond = tuple(
        j for j in range(width, len(columns)) if _beside_a_woman(columns, j, name_col, id_col)
    )
    cmap = _distinct_extras(_unnamed_with_data(
        matcher, replace(cmap, unnamed=(*cmap.unnamed, *beyond)), columns,
        rows[max(0, hdr[0] - 2) : hdr[0]],
    ))  # fmt: skip
    cmap = _hers_after_all(cmap, columns)
    plain = _plain_records(matcher, columns, len(below), name_col, id_col, above_row)
    if numbers is not None:  # its repeats under a repeated header (pasted pages)
        plain = [p and not _column_numbers(rows[first_data + k]) for k, p in enumerate(plain)]
    # a two-row header repeated below: its group row (基本情况, 收入情况…) names no
    # column itself, and its cell in the name column would read as a woman's name
    group_texts = [t for t in _texts(above_row) if t] if above_row is not None else []
    # and its lower row of sub-labels (帮扶前 帮扶后), which names no column alone
    lower_texts = [t for t in _texts(rows[hdr[1]]) if t] if len(hdr) >= 2 else []
    detail_texts = [t for t in _texts(detail) if t] if detail is not None else []
    number_texts = [t for t in _texts(numbers) if t] if numbers is not None else []
    for i in range(last):
        if i >= first_data and plain[i - first_data]:
            records.append(i)
            continue
        row = rows[i]
        # below the header only the first cells can mark a non-record row (合计, 填表人, 注…)
        texts = _texts(row) if i <= hdr[-1] else _head_texts(row)
        if i == spare:  # its text still counts as text above the header (county, year)
            above.append(" ".join(t for t in texts if t))
            skipped[i] = "header"
        elif i in hdr or i in skipped:
            skipped[i] = skipped.get(i, "header")
        elif not any(texts):
            skipped[i] = "blank"
        elif i < hdr[0]:
            above.append(" ".join(t for t in texts if t))
            skipped[i] = "info" if any(_INFO.search(t) for t in texts) else "title"
        elif (group_texts or lower_texts or number_texts) and (
            [t for t in _texts(row) if t] in (group_texts, lower_texts, detail_texts, number_texts)
        ):
            skipped[i] = "repeated_header"
        else:
            kind = _row_kind(matcher, row, texts, header_fields, name_col, id_col, note_col)
            if kind is None:
                records.append(i)
            else:
                skipped[i] = kind
    kinds = Counter(skipped.values())
    return SheetLayout(hdr, cmap, records, skipped, " ".join(above), kinds, columns, first_data)


def _hers_after_all(cmap: ColumnMap, columns: list[tuple[object, ...]]) -> ColumnMap:
    """A column kept as another person's by where it stands (ColumnMap.theirs) is hers
    when its cells vary for one person: a broker has one phone and a head one ID, while
    the phones of the women one broker helps differ, as do the IDs retyped into a column
    beside 结对经纪人 (every woman's phone, or her only ID, was lost). Then it is her field
    when she has no column of it, else a second column of it (filling her blanks,
    mending IDs stored as numbers)."""
    if not cmap.theirs:
        return cmap
    fields, extras, spare = dict(cmap.fields), dict(cmap.extras), dict(cmap.spare)
    theirs = dict(cmap.theirs)
    for j, (own, title) in cmap.theirs.items():
        if j >= len(columns) or not _varies(columns[j - 1], columns[j], own):
            continue
        del theirs[j]
        if own in fields.values():
            spare[j] = own  # kept raw as an unknown column too, as any second column
            extras[j] = title if title not in extras.values() else f"{title}({column_letter(j)})"
        else:
            fields[j] = own
            del extras[j]
    return replace(cmap, fields=fields, extras=extras, spare=spare, theirs=theirs)


def _varies(persons: tuple[object, ...], values: tuple[object, ...], own: str) -> bool:
    """Does one person (a broker, a head) have two different values? A blank or 同上
    person cell is the person above (a broker merged down over his women, or written on
    the first only); values are compared by their digits (138 1234 5678, a number, a
    trailing space alike) and marks (同上, -) are no value. IDs that are mostly men's are
    heads' (two heads of one name have two IDs), never hers."""
    seen: dict[str, str] = {}
    person_now, varied = "", False
    for person, value in zip(persons, values, strict=False):
        who = "" if is_blank(person) else squash(person)
        if who and not a_ditto(who):
            person_now = who
        key = _digits(value)
        if not person_now or not key:
            continue
        if seen.setdefault(person_now, key) != key:
            varied = True
            break
    return varied and not (own == "id_number" and mostly_men(values))


def mostly_men(cells: Iterable[object]) -> bool:
    """Are most IDs among the cells a man's (the 17th digit of 18, the 15th of 15, odd)?
    A number that lost an 18-digit ID's last digits tells nothing."""
    sexes = []
    for cell in cells:
        text = _digits(cell) if not isinstance(cell, float) or cell < 1e15 else ""
        at = {15: 14, 18: 16}.get(len(text))
        if at is not None and text[: at + 1].isdigit():
            sexes.append(int(text[at]) % 2)
    return bool(sexes) and sum(sexes) * 2 > len(sexes)


def _digits(value: object) -> str:
    """A cell's digits (and an ID's X): what an ID, a phone or a date is compared by."""
    if isinstance(value, float) and value == value:
        return f"{value:.0f}"
    return "" if is_blank(value) else digits_of(str(value)).upper()


def _beside_a_woman(
    columns: list[tuple[object, ...]], j: int, name_col: int | None, id_col: int | None
) -> bool:
    """Does column `j` hold a cell on a row with a name or an ID? (A signature line
    with commas below a CSV's table made columns of nobody.)"""

    def someone(k: int | None, r: int) -> bool:
        if k is None or k >= len(columns) or is_blank(cell := columns[k][r]):
            return False
        if k == name_col:
            return not (_sentence(cell) or _totals_text(cell))
        return any(ch.isdigit() for ch in str(cell))  # an ID, not 情况属实

    return any(
        not is_blank(c) and (someone(name_col, r) or someone(id_col, r))
        for r, c in enumerate(columns[j])
    )


def _under_merged_title(
    cmap: ColumnMap, columns: list[tuple[object, ...]], merged: Merged, hdr: tuple[int, ...]
) -> ColumnMap:
    """A title merged across columns (身份证号码 over C:D) whose own column is empty and
    whose data stands in one of the other columns it spans: that column is the field's.
    Every woman had `id_missing` and her ID went to an unknown column (无表头列D)."""
    fields, unnamed = dict(cmap.fields), list(cmap.unnamed)

    def filled(k: int) -> bool:
        return k < len(columns) and any(not is_blank(c) for c in columns[k])

    for (r0, c0), (r1, c1) in merged:
        if c1 <= c0 or not (r0 <= hdr[-1] <= r1 or r0 in hdr) or c0 not in fields:
            continue
        if filled(c0):
            continue
        spanned = [k for k in range(c0 + 1, c1 + 1) if k in unnamed and filled(k)]
        if len(spanned) == 1:
            fields[spanned[0]] = fields.pop(c0)
            unnamed.remove(spanned[0])
    if fields == cmap.fields:
        return cmap
    return replace(cmap, fields=dict(sorted(fields.items())), unnamed=tuple(unnamed))


def _unnamed_with_data(
    matcher: HeaderMatcher, cmap: ColumnMap, columns: list[tuple[object, ...]],
    above: Sequence[Sequence[object]],
) -> ColumnMap:  # fmt: skip
    """A column with cells below the header but no header text is kept as an unknown
    column, named by its letter (无表头列E): ROSTERS.md drops no column silently. A title
    in the two rows above the header (a third header row: 序号 merged down over all
    three) names it instead; a 序号 there is a serial column, which is not kept."""
    named = {}
    for j in cmap.unnamed:
        if j >= len(columns) or all(is_blank(c) for c in columns[j]):
            continue
        title = next((r[j] for r in reversed(above) if j < len(r) and not is_blank(r[j])), None)
        if (
            title is not None
            and matcher.match(title) is None
            and (len(squash(title)) > 12 or _INFO.search(squash(title)))
        ):
            title = None  # the sheet's title or an info row (填报单位：…), not a column's
        if title is None:
            named[j] = f"无表头列{column_letter(j)}"
        elif matcher.match(title) != SERIAL:
            named[j] = squash(title)
    return replace(cmap, extras={**cmap.extras, **named}) if named else cmap


_AMOUNT = ("金额", "数额", "收入", "元", "次数", "数量")


def _with_details(
    cmap: ColumnMap, labels: Sequence[object], upper: Sequence[object],
    detail: Sequence[object],
) -> ColumnMap:  # fmt: skip
    """A three-row header's columns: a column under a label and a sub-label is named by
    both (帮扶前来源); of the columns under one label, the field the label names
    (帮扶前: income_before) is the amount's (金额), not the first's when that is 来源."""
    fields, extras, in_wan = dict(cmap.fields), dict(cmap.extras), set(cmap.in_wan)

    def sub(j: int) -> str:
        return "" if j >= len(detail) or is_blank(detail[j]) else squash(detail[j])

    def under(j: int) -> tuple[object, object]:
        return _cell(upper, j), _cell(labels, j)

    for j in extras:
        if sub(j):
            extras[j] = f"{squash(_cell(labels, j) or _cell(upper, j))}{sub(j)}"
    for j in list(fields):
        if not sub(j) or _is_amount(sub(j)):
            continue
        k = next((k for k in sorted(extras) if under(k) == under(j) and _is_amount(sub(k))), None)
        if k is None:
            continue
        fields[k] = fields.pop(j)
        extras[j] = f"{squash(_cell(labels, j))}{sub(j)}"
        del extras[k]
        if j in in_wan:
            in_wan = (in_wan - {j}) | {k}
    for j, f in fields.items():
        if f in MONEY and "万元" in sub(j):
            in_wan.add(j)
    return replace(cmap, fields=dict(sorted(fields.items())), extras=dict(sorted(extras.items())),
                   in_wan=frozenset(in_wan))  # fmt: skip


def _is_amount(text: str) -> bool:
    return any(w in text for w in _AMOUNT)


_WAN_DECLARED = re.compile(r"单位:?万元")  # 单位：万元、次 (squashed: NFKC, no spaces)


def _unit_declared(
    cmap: ColumnMap, above: Sequence[Sequence[object]], titles: Sequence[Sequence[object]]
) -> ColumnMap:
    """An info row above the header declaring 万元 (单位：万元、次) puts the money columns
    whose titles (in every header row, a group's spread) name no unit in 万: 0.35 under
    当年收入 is 3,500 yuan (it was stored as 0.35 yuan). A title naming its own unit
    (当年收入(元), or under 收入情况(元)) keeps it."""
    money = [j for j, f in cmap.fields.items() if f in MONEY and j not in cmap.in_wan]
    if not money or not any(_WAN_DECLARED.search(t) for row in above for t in _texts(row)):
        return cmap
    bare = [
        j for j in money
        if not any(_ANY_UNIT.search(_squash_cell(_cell(row, j))) for row in titles)
    ]  # fmt: skip
    return replace(cmap, in_wan=cmap.in_wan | frozenset(bare)) if bare else cmap


def _distinct_extras(cmap: ColumnMap) -> ColumnMap:
    """Each kept unknown column under a name of its own: two columns headed 联系人 (or
    来源 under 帮扶前 and under 帮扶后) were one key twice in a record's extras, and a
    JSON reader keeps only the last. The first keeps its header; a later one is named
    by its column too: 联系人(E列)."""
    seen: set[str] = set()
    named: dict[int, str] = {}
    for j in sorted(cmap.extras):
        label = cmap.extras[j]
        if label in seen:
            label = f"{label}({column_letter(j)}列)"
        seen.add(label)
        named[j] = label
    return cmap if named == cmap.extras else replace(cmap, extras=named)


def column_letter(j: int) -> str:
    """Excel's letter of the 0-based column j (0 -> A, 26 -> AA)."""
    out = ""
    j += 1
    while j:
        j, r = divmod(j - 1, 26)
        out = chr(65 + r) + out
    return out


def _plain_records(
    matcher: HeaderMatcher, columns: list[tuple[object, ...]], n: int, name_col: int | None,
    id_col: int | None, group: Sequence[object] | None = None,
) -> list[bool]:  # fmt: skip
    """Which of the `n` rows below the header (given as columns) are certainly records,
    found column by column over distinct values: a name or an ID that is not a header
    text, and first cells that are neither blank nor could start a marker word (合计,
    填表人, 注 …). The others go through `_row_kind`.

    The row rules read a row's first `HEAD_CELLS` non-blank cells (`_head_texts`): when
    its first `HEAD_CELLS` cells are all non-blank, those are the ones, and the cells
    after them can never mark the row, so only the first columns are looked at."""
    if not n:
        return []
    doubt = np.zeros(n, dtype=bool)
    seen: dict[int, Distinct] = {}  # the name and ID columns are often among the first
    for j, column in enumerate(columns[:HEAD_CELLS]):
        d = seen[j] = Distinct(column)
        doubt |= np.asarray([_may_open(u) for u in d.uniq], dtype=bool)[d.codes]
    keyless = np.ones(n, dtype=bool)
    for k in (name_col, id_col):
        if k is None or k >= len(columns):
            continue
        d = seen[k] if k in seen else Distinct(columns[k])
        keyless &= np.asarray([is_blank(u) for u in d.uniq], dtype=bool)[d.codes]
        above = _cell(group, k) if group is not None else None  # the group row's cell
        above = None if is_blank(above) else above
        if k == name_col:  # a title, 小计, a sentence, a count, a page, a label in the name column
            headerish = [u == above or (not _plainly_a_name(matcher, u) and (
                matcher.match(u) is not None or _totals_text(u) or _sentence(u)
                or _no_one(u) or _label(u) is not None
            )) for u in d.uniq]  # fmt: skip
        else:  # any header text: a row repeating a header row of two (备注 over the IDs)
            headerish = [matcher.match(u) is not None or u == above for u in d.uniq]
        doubt |= np.asarray(headerish, dtype=bool)[d.codes]
    plain: list[bool] = (~(doubt | keyless)).tolist()
    return plain


def _plainly_a_name(matcher: HeaderMatcher, cell: object) -> bool:
    """A name of letters none of the name column's rules could take for anything else
    (most cells; the rules' own tests cost a tenth of a roster's layout): no title opens
    with its first letter, no label, totals word, sentence or page mark opens or closes
    with its letters, and it holds no 年 (a date) nor a stamp's letter."""
    return (
        type(cell) is str and cell.isalpha() and len(cell) <= _LONGEST_NAME
        and cell not in NOTHING and cell[0] not in _ODD_FIRST and cell[-1] not in _LABEL_LAST
        and cell[:2] not in _SENTENCE_OPENS and _ODD_INNER.isdisjoint(cell)
        and not matcher.may_name(cell)
    )  # fmt: skip


_TOTALS_START = frozenset(w[0] for w in TOTALS)
# a name cell that is a sentence, not a woman's name (以上人员信息已经村、镇两级审核, 以下空白,
# 报送时间2018年1月5日): it opens with words that point at the list, or holds a sentence's
# punctuation inside it, or is longer than any name (a name's separator dot · aside).
# Digits and brackets are not enough (张丽(大), 张丽2 tell namesakes apart), nor a ?
# (王?芳: a rare character a GBK export could not write) or a colon at the end (陈梅:).
_SENTENCE_START = (
    "以上",
    "以下",
    "上述",
    "本表",
    "此表",
    "本页",
    "此页",
    "报送",
    "制表",
    "填报",
    "审核",
)
_SENTENCE_OPENS = frozenset(_SENTENCE_START)  # all of two characters
_SENTENCE_MARKS = re.compile(r"[，。；！,;!]|[：:](?=.)")
_LONGEST_NAME = 12


def _sentence(cell: object) -> bool:
    """Is a name cell a sentence below the list (以上人员…已经审核, 以下空白)?"""
    if not isinstance(cell, str):
        return False
    if len(cell) <= _LONGEST_NAME and cell.isalpha() and cell[:2] not in _SENTENCE_OPENS:
        return False  # a name of letters (Han characters): most cells, decided at once
    text = "".join(cell.split())
    if not text or text.startswith(_SENTENCE_START):
        return bool(text)
    if "·" in text or "•" in text:  # 阿依古丽·买买提
        return False
    return len(text) > _LONGEST_NAME or _SENTENCE_MARKS.search(text) is not None


def _no_one(cell: object) -> bool:
    """Is a name or ID cell a count, a page mark, a date or a placeholder, which names no
    woman (共2人, 2人, (续表), 续上表, 第1页共2页, 第一页, 共3页, 2017.12.31, 2018年1月5日,
    20171231, 二〇一七年十二月三十一日, a date cell; /, 无, NULL)? Names of letters are
    decided at once."""
    if isinstance(cell, date) or placeholder(cell, NOTHING):  # /, 无, NULL: since session 23
        return True
    if isinstance(cell, int) and not isinstance(cell, bool):
        return _DAY_DIGITS.fullmatch(str(cell)) is not None
    if not isinstance(cell, str) or (
        cell.isalpha() and cell not in _CONTINUED and "年" not in cell and "页" not in cell
    ):
        return False
    text = squash(cell)
    return bool(text) and (
        _COUNT.fullmatch(text) is not None or _PAGE.fullmatch(text) is not None
        or _DATE_ONLY.fullmatch(text) is not None
    )  # fmt: skip


def _label(cell: object) -> str | None:
    """The kind of row a name cell makes when it is a label, not a name: a statistic under
    the list (平均, 人均增收, 最高, 户数: `totals`), an office signing it (妇联主席, 村主任:
    `signature`), or a sub-heading grouping the women by town (一、欢口镇, （二）华山镇（3人）,
    师寨镇, 首羡镇：: `title`). Each was a woman with id_missing until session 18."""
    if not isinstance(cell, str) or cell.isascii():
        return None
    if cell.isalpha() and not (
        cell[0] in _LABEL_FIRST or cell[-1] in _LABEL_LAST or not _LABEL_INNER.isdisjoint(cell)
    ):
        return None  # a name of letters (most cells), decided without squashing
    text = squash(cell)
    if _STATISTIC.fullmatch(text) or _SUBTOTAL.fullmatch(text):  # 平均, 张庄村小计
        return "totals"
    if _OFFICE.fullmatch(text) or _STAMP.search(text) or _SIGNED.search(text):
        return "signature"  # 妇联主席, 领导签字, 丰县妇联(盖章), 单位负责人:王五
    if _HEADING.match(text) or _TOWN_HEADING.fullmatch(text) or _LIST_TITLE.fullmatch(text):
        return "title"  # 一、欢口镇, 师寨镇, 乙镇花名册, 花名册(续)
    if _LABELLED.fullmatch(text):  # 填报单位:丰县妇联, repeated below the header
        return "info"
    return None


# the letters a label of letters can open or close with, or hold (`_label`'s patterns)
_LABEL_FIRST = frozenset("平人最均一二三四五六七八九十")
_LABEL_LAST = frozenset("计席任记镇乡道处村区会册账表单数总人书长纳入")
_LABEL_INNER = frozenset("签盖章")
# what `_plainly_a_name` leaves to the rules: a first letter of a totals word, a label, a
# page mark (续表, 接上表); a letter of a date, a page or a stamp anywhere
_ODD_FIRST = frozenset("合总小共续接") | _LABEL_FIRST
_ODD_INNER = frozenset("年页") | _LABEL_INNER
_STATISTIC = re.compile(
    r"(?:平均|人均|最高|最低|最大|最小)[\u4e00-\u9fff()（）元]{0,8}[:：]?|均值|汇总|累计|总收入|总数"
    r"|[\u4e00-\u9fff]{0,6}(?:户数|人数|人次)[:：]?"
)
_OFFICE = re.compile(
    r"[\u4e00-\u9fff]{0,6}?(?:妇联|村委|居委|党委|政府|办)?副?(?:主席|主任|书记|支书|会计|出纳|镇长|乡长|村长)[:：]?"
)
# 一、欢口镇 | （二）华山镇 | 三. | 1、欢口镇: an enumerated heading (a name never opens so)
_HEADING = re.compile(
    r"(?:[一二三四五六七八九十]+[、.．]|[(（][一二三四五六七八九十\d]+[)）]|\d+[、．])"
)
# 师寨镇, 华山镇（3人）, 首羡镇：, 王陵街道, 张庄村, 欢口镇张庄村: a town's or a village's name
# alone (three characters or more; a heading only when nothing but a 序号 is beside it)
_TOWN_HEADING = re.compile(
    r"[\u4e00-\u9fff]{2,10}(?:镇|乡|街道|办事处|村|社区|居委会)(?:[(（]\d+人[)）])?[:：]?"
)


_HAN_NUMBER = "〇零一二三四五六七八九十"
# a stamp or a signature's place (领导签字, 单位盖章, 丰县妇联(盖章), (章))
_STAMP = re.compile(r"签字|签名|盖章|公章|\(章\)")
# a page's or a list's own title (乙镇花名册, 2017年花名册, 沛县乙镇妇女花名册(第二页))
_LIST_TITLE = re.compile(
    rf".{{0,24}}(?:花名册|名册|台账|统计表|登记表|名单|一览表)(?:\((?:续|第[\d{_HAN_NUMBER}]+页)\))?"
)
# a label and its text (填报单位:丰县妇联): not a name's trailing colon (陈梅:)
_LABELLED = re.compile(r"[\u4e00-\u9fff]{2,6}:.+")


_CONTINUED = frozenset({"续表", "续上表", "接上表", "续前表"})
_COUNT = re.compile(r"(?:以上|本页|全村|全镇)?(?:共|计|合计|共计)?[:：]?\d+(?:人|名|户|人次)")
_PAGE = re.compile(
    rf"[(（]?(?:续|接)(?:上|前)?表[)）]?|第[\d{_HAN_NUMBER}]+页(?:[,，]?共[\d{_HAN_NUMBER}]+页)?"
    rf"|共[\d{_HAN_NUMBER}]+页|[(（]续[)）]|(?:转|接)下页|下转|上接"
)
# a day (20171231), in digits or in Chinese numerals
_DAY_DIGITS = re.compile(r"(?:19|20)\d\d(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])")
_DATE_ONLY = re.compile(
    r"\d{2,4}(?:[./\-·年月]\d{1,2}){1,2}[日号]?|\d{4}年\d{1,2}月份?|(?:19|20)\d{6}"
    rf"|[{_HAN_NUMBER}]{{4}}年[{_HAN_NUMBER}]{{1,2}}月(?:[{_HAN_NUMBER}]{{1,3}}[日号])?"
)


def _totals_text(cell: object) -> bool:
    """A cell whose text starts with a totals word (小计, 合计 3人): in the name column it
    marks a totals row wherever it stands in the row (a per-village 小计 row repeats the
    county, town and village in the cells before it)."""
    if not isinstance(cell, str) or cell.isascii():
        return False
    text = cell.lstrip()
    return bool(text) and text[0] in _TOTALS_START and squash(text).startswith(TOTALS)


def _may_open(cell: object) -> bool:
    """`is_blank(cell) or _may_mark(cell)`, the usual cells (numbers, names) decided
    without a call: a third of the time over a roster's first columns."""
    if type(cell) is str:
        if cell.isascii():  # a control character alone (ESC) is blank too
            return not cell.strip() if cell.isprintable() else is_blank(cell)
        if is_ideograph(cell[0]) and cell[0] not in _MARKER_STARTS:
            return False
        return is_blank(cell) or _may_mark(cell)
    if type(cell) is float:
        return cell != cell  # NaN
    return is_blank(cell) or _may_mark(cell)


def _may_mark(cell: object) -> bool:
    """Does the cell start with a marker word (or squash to nothing)? Numbers and ASCII
    texts stay ASCII when squashed, and marker words are not ASCII. 小学 (an education
    column) starts like 小计 but is no marker: only whole marker words count."""
    if not isinstance(cell, str) or cell.isascii():
        return False
    if is_ideograph(cell[0]) and cell[0] not in _MARKER_STARTS:
        return False  # squashing keeps a leading ideograph (most cells: names, places)
    text = squash(cell)
    return not text or (text[0] in _MARKER_STARTS and text.startswith(_MARKERS))


def _cell(row: Sequence[object], j: int | None) -> object:
    return row[j] if j is not None and j < len(row) else None


_SPECIAL = re.compile(
    f"(?:^|\x1f)(?:(?P<totals>{'|'.join(TOTALS)})|(?P<signature>{'|'.join(SIGNATURES)}))"
)


def _row_kind(
    matcher: HeaderMatcher,
    row: Sequence[object],
    texts: list[str],
    header_fields: set[str],
    name_col: int | None,
    id_col: int | None,
    note_col: int | None = None,
) -> str | None:
    name, ident = _cell(row, name_col), _cell(row, id_col)
    held = _an_id(ident)  # before `_no_one`: a count or a date is no ID
    if matcher.match(name) in ("name", "id_number") or matcher.match(ident) in (
        "name",
        "id_number",
    ):
        return "repeated_header"
    if not _an_id(ident):
        if matcher.match(name) is not None:  # 村(社区) over 人数: another table's header
            return "repeated_header"
        label = _label(name)  # 平均, 妇联主席, 一、欢口镇
        # a heading stands alone on its row (a 序号 beside it at most): a woman without
        # an ID whose name ends in 乡 still has her village, her wing …
        if label is not None and (label != "title" or sum(not is_blank(c) for c in row) <= 2):
            return label
    # a count, a page or a date where a name or an ID stands (共2人, 本页小计 | 2人, (续表),
    # 第1页共2页, 2017.12.31) names no one: each was a woman, with id_missing
    if _totals_text(name):  # 合计 2人
        return "totals"
    name, ident = ("" if _no_one(name) else name), ("" if _no_one(ident) else ident)
    keyless = is_blank(name) and is_blank(ident)
    if keyless and len(_score(matcher, row)) * 2 >= max(len(header_fields), 1):
        return "repeated_header"
    if held:  # a woman's ID: her row, whatever her 备注 says (联系电话：…, 合计3口人, 签字确认)
        return None
    heads = texts
    if not is_blank(_cell(row, note_col)) and not keyless and not _sentence(name):
        # a woman named without an ID: her remark is no signature or totals row of its own
        heads = _head_texts([c for j, c in enumerate(row) if j != note_col])
    special = _SPECIAL.search("\x1f".join(heads))
    if special:
        return "totals" if special["totals"] else "signature"
    if _totals_text(name):
        return "totals"
    first = next((t for t in heads if t), "")
    if _NOTE.match(first) or (is_blank(ident) and _sentence(name)):
        return "note"
    if keyless and _SIGNED.search("\x1f".join(texts)):  # 单位负责人：, 村审核人：
        return "signature"
    if keyless and any(_INFO.search(t) for t in texts):  # 填报单位：… repeated mid-sheet
        return "info"
    if keyless and any(_SUBTOTAL.fullmatch(t) for t in texts):  # 本页小计, 张庄村小计
        return "totals"
    if keyless and any(_COUNT.fullmatch(squash(t)) for t in texts if t):  # 共2人, 以上3人
        return "totals"
    return "no_person" if keyless else None


def _an_id(cell: object) -> bool:
    """Does an ID cell hold what may be a woman's ID (15 digits or more, or a number that
    large)? A label row's "ID" is blank, a count (户数 | 4) or a name (妇联主席 | 张三)."""
    if isinstance(cell, int | float) and not isinstance(cell, bool):
        return cell >= 1e14
    return isinstance(cell, str) and sum(ch.isdigit() for ch in cell) >= 15


# a totals word closing a short label, on a row with no name and no ID: 本页小计, 张庄村合计
_SUBTOTAL = re.compile(f".{{1,8}}(?:{'|'.join(TOTALS)})")


# a signature word after a qualifier (单位负责人：): only on a row with no name and no ID
_SIGNED = re.compile(
    f"(?:^|\x1f)[^\x1f]{{1,6}}?(?:{'|'.join(w for w in SIGNATURES if w.endswith('人'))})[:：]"
)
