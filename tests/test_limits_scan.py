"""The worksheet used-range scan of read/extent.py refuses exactly what the plain
count refuses, with the same reason, at the same chunk, however the sheet XML is cut.

`_Reference` is the scan as it was before the fast path (kept verbatim, module
patterns included): every cell reference counted in every chunk."""

from __future__ import annotations

import io
import itertools
import re
import zipfile
from collections import Counter
from collections.abc import Callable, Iterable, Sequence

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from handcraft_stats.errors import RefusedFile
from handcraft_stats.read import extent, limits
from handcraft_stats.read.extent import SheetExtent, _check_range
from handcraft_stats.read.limits import Limits, check_archive

_WIDE_COL = re.compile(rb' r="([A-Z]{2,3})[0-9]+"[^>/]*>')
_BEYOND = [re.compile(rb' r="([' + bytes([65 + n]) + rb'-Z])[0-9]+"[^>/]*>') for n in range(26)]
_CELL_ROW = re.compile(rb' r="[A-Z]{1,3}([0-9]{5,})"[^>/]*>')
_ROW = re.compile(rb'<row r="([0-9]{5,})"[^>/]*>')
_NO_REF = re.compile(rb'<c(?:>|\s(?!r=")(?![^>]*\br=)[^>]*[^/]>)')


def _column(letters: bytes) -> int:
    n = 0
    for b in letters:
        n = n * 26 + b - 64
    return n


class _Reference:
    def __init__(self, name: str) -> None:
        self.name, self.cols, self.rows = name, 1, 9_999
        self.row_tags, self.row_count, self.widest, self.by_position = 0, 0, 0, False
        self.carry = b""

    def scan(self, chunk: bytes, limits: Limits) -> None:
        text = self.carry + chunk
        self.carry = text[-64:]
        letters = set(_WIDE_COL.findall(text))  # rare: columns AA and beyond
        if letters:
            self.cols = max(self.cols, *(_column(c) for c in letters))
        if self.cols < 26 and (beyond := _BEYOND[self.cols].findall(text)):
            self.cols = max(beyond)[0] - 64  # the widest single-letter column
        self.rows = max(self.rows, max(map(int, _CELL_ROW.findall(text)), default=0))
        self.row_tags = max(self.row_tags, max(map(int, _ROW.findall(text)), default=0))
        self.row_count += chunk.count(b"<row")
        self.by_position = self.by_position or _NO_REF.search(text) is not None
        rows, cols = self.rows, self.cols
        if self.by_position:
            self.widest = max(self.widest, *(s.count(b"<c") for s in text.split(b"<row")))
            rows = max(rows, self.row_tags, self.row_count)
            cols = max(cols, self.widest)
        # the verdict's words (and the far cell it names) as the scanner's
        _check_range(self.name, rows, cols, limits, text)


Outcome = tuple[int, str] | None  # (chunk index, reason) of the refusal, or None


def _outcome(scanner: _Reference | SheetExtent, chunks: Sequence[bytes], lim: Limits) -> Outcome:
    for i, chunk in enumerate(chunks):
        try:
            scanner.scan(chunk, lim)
        except RefusedFile as exc:
            return i, str(exc)
    return None


def reference(chunks: Sequence[bytes], lim: Limits) -> Outcome:
    return _outcome(_Reference("xl/worksheets/sheet1.xml"), chunks, lim)


def fast(chunks: Sequence[bytes], lim: Limits) -> Outcome:
    return _outcome(SheetExtent("xl/worksheets/sheet1.xml", lambda: iter(chunks)), chunks, lim)


def cut(xml: bytes, at: Iterable[int]) -> list[bytes]:
    edges = [0, *sorted({a % (len(xml) + 1) for a in at}), len(xml)]
    return [xml[a:b] for a, b in itertools.pairwise(edges) if b > a] or [b""]


def sheet(*rows: str) -> bytes:
    body = "".join(rows)
    return (f'<worksheet xmlns="x"><sheetData>{body}</sheetData></worksheet>').encode()


def roster(rows: int, cols: int, first: int = 1) -> list[str]:
    names = [extent._letters(c) for c in range(1, cols + 1)]
    return [
        f'<row r="{r}">' + "".join(f'<c r="{n}{r}" t="n"><v>1</v></c>' for n in names) + "</row>"
        for r in range(first, first + rows)
    ]


def chunked(xml: bytes, size: int) -> list[bytes]:
    return [xml[i : i + size] for i in range(0, len(xml), size)]


# ---- generated sheets -----------------------------------------------------------------

# each sheet draws a few columns and rows to use: often neighbours across a limit (H/I
# for 8 columns, AD/AE for 30, ALL/ALM for 1,000) or around a round row bound
COLUMNS = st.one_of(
    st.sampled_from(["A", "H", "V", "Z", "AD", "AZ", "ZZ", "ALL", "XFD", "ZZZ"]),
    st.from_regex(r"[A-Z]{1,3}", fullmatch=True),
)  # fmt: skip


def numbers(lim: Limits) -> st.SearchStrategy[str]:
    """Row numbers, many of them near what some number of columns allows."""
    near = st.builds(
        lambda cols, d: max(1, lim.max_cells // cols + d),
        st.integers(1, 40),
        st.sampled_from([-1, 0, 1, -1_000, 1_000]),
    )
    return st.one_of(
        st.integers(1, 40),
        st.integers(9_990, 10_010),
        st.integers(10_000, 200_000),
        st.sampled_from([19_999, 20_000, 29_999, 30_000, 99_999, 100_000, 1_048_576]),
        near,
        near,
    ).map(str)


PAD = st.sampled_from(["", ' t="s"', ' s="3" t="inlineStr"', ' x="' + "p" * 70 + '"'])


@st.composite
def palette(draw: st.DrawFn) -> list[str]:
    columns = draw(st.lists(COLUMNS, min_size=1, max_size=3))
    after = [extent._letters(_column(c.encode()) + 1) for c in columns]
    return columns + [a for a in after if len(a) <= 3 and draw(st.booleans())]


@st.composite
def cells(draw: st.DrawFn, columns: list[str], rows: list[str]) -> str:
    row = draw(st.sampled_from(rows))
    row = draw(st.sampled_from([row, row, "0" + row, "00001"]))  # leading zeros too
    ref = f' r="{draw(st.sampled_from(columns))}{row}"'
    pad = draw(PAD)
    kind = draw(st.integers(0, 11))
    if kind <= 5:
        return f"<c{ref}{pad}><v>{kind}</v></c>"  # a cell with content
    if kind == 6:
        return f"<c{ref}{pad}/>" if draw(st.booleans()) else f"<c{ref}{pad} />"  # empty
    if kind in (7, 8):
        return f"<c{pad}><v>1</v></c>"  # placed by position
    if kind == 9:
        return f'<c t="n"{ref}><v>2</v></c>'  # r not first: not by position
    if kind == 10:
        return draw(st.sampled_from(["<c/>", '<c s="1"/>', "<col/>", "<v>3</v>", "<cfRule/>"]))
    return f"<c><is><t>{ref}></t></is></c>"  # a reference inside text, placed by position


@st.composite
def part(draw: st.DrawFn, lim: Limits, first: bool = False) -> str:
    """Rows drawing on a few columns and row numbers of their own; the first part of a
    sheet is mostly narrow and shallow, as a roster's first rows are."""
    columns = draw(st.lists(st.sampled_from("ABCDH"), min_size=1) if first else palette())
    rows = draw(st.lists(numbers(lim), min_size=1, max_size=3))
    tags = draw(st.lists(numbers(lim), min_size=1, max_size=2)) + rows
    body = []
    for _ in range(draw(st.integers(0, 6))):
        tag = draw(st.sampled_from(["<row>", '<row spans="1:3">', "<row r={}>", "<row r={} x=1>"]))
        tag = tag.replace("{}", '"' + draw(st.sampled_from(tags)) + '"')
        content = draw(st.lists(cells(columns, rows), max_size=10))
        body.append(tag + "".join(content) + "</row>")
    return "".join(body)


@st.composite
def sheets(draw: st.DrawFn, lim: Limits) -> tuple[bytes, list[int]]:
    """A sheet of a few parts (a later one may be wider or deeper), and where to cut it:
    often near a part's end, so that the parts fall into chunks of their own."""
    parts = [draw(part(lim, first=draw(st.booleans())))]
    parts += draw(st.lists(part(lim), max_size=3))
    xml = sheet(*parts)
    ends, at = [], len(xml) - len(sheet(*parts[1:]))
    for p in parts[1:]:
        ends.append(at)
        at += len(p)
    near = [e + draw(st.integers(-80, 80)) for e in ends]
    anywhere = draw(st.lists(st.integers(0, len(xml)), max_size=8))
    return xml, [a for a in near + anywhere if 0 < a < len(xml)]


LIMITS = st.builds(
    Limits,
    max_columns=st.sampled_from([8, 26, 30, 1_000]),
    max_cells=st.sampled_from([300_000, 300_000, 1_000_000, 2_000_000, 10_000_000, 50]),
)
FUZZ = settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _verdicts_agree(cases: Callable[[Limits], st.SearchStrategy[tuple[bytes, list[int]]]]) -> None:
    """The fast scan refuses (same message, same chunk) or accepts exactly as the plain
    count on every drawn case; both outcomes occur often."""
    outcomes: Counter[str] = Counter()

    @FUZZ
    @given(LIMITS.flatmap(lambda lim: st.tuples(st.just(lim), cases(lim))))
    def check(drawn: tuple[Limits, tuple[bytes, list[int]]]) -> None:
        lim, (xml, at) = drawn
        chunks = cut(xml, at)
        expected = reference(chunks, lim)
        assert fast(chunks, lim) == expected
        outcomes["refused" if expected else "accepted"] += 1

    check()
    assert outcomes["refused"] > 20 and outcomes["accepted"] > 20, outcomes


def test_fast_scan_refuses_like_the_plain_count() -> None:
    _verdicts_agree(sheets)


@st.composite
def rosters(draw: st.DrawFn, lim: Limits) -> tuple[bytes, list[int]]:
    """A roster (its rows perhaps numbered from deep down) with a few stray cells, wide
    or deep or both, anywhere in it, cut anywhere. Deep and wide are near what the
    roster's columns allow, where a wrong bound on the rows would show."""
    cols = draw(st.integers(1, min(40, lim.max_columns + 1)))
    first = draw(st.one_of(st.sampled_from([1, 1, 9_990, 10_000]), numbers(lim).map(int)))
    body = roster(draw(st.integers(1, 20)), cols, first=first)
    some = st.integers(cols, 4 * cols + 2)
    wide = st.one_of(
        some,
        st.integers(1, 60),
        st.sampled_from([cols, lim.max_columns, lim.max_columns + 1, 16_384]),
    )
    deep = st.one_of(
        st.builds(lambda c, d: lim.max_cells // c + d, some, st.sampled_from([-1, 0, 1])),
        numbers(lim).map(int),
        st.just(first),
    )
    for _ in range(draw(st.integers(0, 5))):
        kind = draw(st.sampled_from(["deep", "wide", "both"]))
        col = draw(st.integers(1, cols) if kind == "deep" else wide)
        row = first if kind == "wide" else draw(deep)
        stray = f'<row r="{row}"><c r="{extent._letters(col)}{row}"><v>1</v></c></row>'
        body.insert(draw(st.integers(0, len(body))), stray)
    xml = sheet(*body)
    step = draw(st.sampled_from([64, 100, 300, 1_000, 1 << 20]))  # chunks of one size
    return xml, [*range(step, len(xml), step), *draw(st.lists(st.integers(0, len(xml))))]


def test_rosters_with_stray_cells_are_refused_like_the_plain_count() -> None:
    _verdicts_agree(rosters)


@FUZZ
@given(
    st.integers(1, 30),
    st.sampled_from([300_000, 1_000_000, 10_000_000]),
    st.data(),
)
def test_rows_seen_early_count_when_a_column_comes_late(
    cols: int, max_cells: int, data: st.DataObject
) -> None:
    """The case a bound on the rows must get right: a deep row harmless at the roster's
    columns, then (chunks later) a wider column that makes it too deep, or not quite."""
    lim = Limits(max_cells=max_cells)
    deep = data.draw(st.integers(10_000, max(10_000, max_cells // cols)))
    wide = data.draw(st.one_of(st.integers(cols + 1, 10 * cols + 1), st.just(max_cells // deep)))
    filler = roster(
        data.draw(st.integers(0, 30)), cols, first=data.draw(st.sampled_from([1, 9_000]))
    )
    early = data.draw(st.integers(0, len(filler)))
    late = data.draw(st.integers(early, len(filler)))
    row = data.draw(st.sampled_from([7, deep - 1, deep // 2]))  # the wide cell's
    body = [*filler]
    body.insert(
        late, f'<row r="{row}"><c r="{extent._letters(max(1, wide))}{row}"><v>1</v></c></row>'
    )
    body.insert(early, f'<row r="{deep}"><c r="A{deep}"><v>1</v></c></row>')
    xml = sheet(*roster(1, cols), *body)
    for size in (64, 300, 1 << 20):
        chunks = chunked(xml, size)
        assert fast(chunks, lim) == reference(chunks, lim)


# ---- the fast path's two searches --------------------------------------------------------

TOKENS = st.sampled_from([' r="', ' r="', "A", "B", "H", "I", "Z", "AA", "AE", "ZZ", "XFD", "0",
                          "1", "2", "9", "00", "12345", "99999", '"', '"', ">", "/", " ", "'",
                          ' x="', "<c", "<c ", "<c>", "\t", "r="])  # fmt: skip
BOUNDS = st.sampled_from([9_999, 19_999, 29_999, 99_999, 199_999, 999_999, 2_999_999])


@FUZZ
@given(st.lists(TOKENS, max_size=24).map("".join), st.integers(1, 1_100), BOUNDS)
def test_news_finds_every_wider_or_deeper_cell(text: str, cols: int, rows: int) -> None:
    """The lemma the fast path rests on: where the plain count would see a wider column
    or a deeper row, `_news` finds a cell (perhaps another) in the same text."""
    data = text.encode()
    wider = extent._columns(data, cols) > cols
    deeper = max(map(int, _CELL_ROW.findall(data)), default=0) > rows
    if wider or deeper:
        assert extent._news(cols, rows).search(data), (text, cols, rows)


@FUZZ
@given(st.lists(TOKENS, max_size=24).map("".join))
def test_maybe_no_ref_finds_every_cell_placed_by_position(text: str) -> None:
    data = text.encode()
    if _NO_REF.search(data):
        assert extent._MAYBE_NO_REF.search(data)


def test_names_up_to_is_exact() -> None:
    names = [extent._letters(n) for n in range(1, 26 * 26 * 26 + 26 * 26 + 27)]
    assert names[:3] == ["A", "B", "C"] and names[26] == "AA" and names[-1] == "ZZZ"
    assert all(_column(n.encode()) == i for i, n in enumerate(names, 1))
    for cols in [1, 8, 9, 25, 26, 27, 30, 52, 53, 702, 703, 1_000, 16_384, 18_278]:
        known = re.compile(f"(?:{extent._names_up_to(cols)})[0-9]")
        assert [bool(known.fullmatch(n + "1")) for n in names] == [
            i <= cols for i in range(1, len(names) + 1)
        ], cols


@pytest.mark.parametrize(
    "rows", [9_999, 19_999, 29_999, 89_999, 99_999, 109_999, 22_999, 22_001, 100_000, 1_048_575]
)
def test_rows_up_to_is_exact(rows: int) -> None:
    known = re.compile(f'(?:{extent._rows_up_to(rows)})"')
    near = {n for k in range(1, 9) for n in (10**k - 1, 10**k, 2 * 10**k, 3 * 10**k - 1)}
    near |= {rows + d for d in (-1_001, -1_000, -101, -100, -11, -10, -1, 0, 1, 10, 100)}
    for n in sorted(near | {1, 9_999, 10_000, 21_999, 22_000, 23_000}):
        assert bool(known.fullmatch(f'{n}"')) == (n <= rows), (rows, n)
        # a leading zero may leave a row news, never make a deeper one known
        assert not known.fullmatch(f'0{n}"') or n <= rows


def test_bound_is_round_above_the_rows_and_within_the_cells() -> None:
    lim = Limits()  # 10,000,000 cells
    assert extent._bound(9_999, 0, 1, lim) == 99_999  # headroom: ten times the rows
    assert extent._bound(99_999, 0, 1, lim) == 99_999  # … seen, not ten times the bound
    assert extent._bound(9_999, 22_001, 22, lim) == 199_999  # 10M / 22 / 4, rounded up
    assert extent._bound(9_999, 150_000, 60, lim) == 159_999  # 199,999 x 60 is over 10M
    assert extent._bound(9_999, 166_600, 60, lim) == 166_609  # the roundest that fits
    assert extent._bound(166_667, 0, 60, lim) == 166_667  # over: a refusal is near
    assert extent._bound(9_999, 0, 1, Limits(max_cells=50)) == 9_999


# ---- examples --------------------------------------------------------------------------


@pytest.mark.parametrize("size", [7, 100, 4096, 1 << 20])
@pytest.mark.parametrize(
    ("body", "lim"),
    [
        # a normal roster: accepted
        (roster(30, 22, first=9_990), Limits()),
        # rows beyond 10,000 harmless at 22 columns, until a later cell far to the right
        ([*roster(30, 22, first=9_990), '<row r="10020"><c r="ALM10020"><v>1</v></c></row>'],
         Limits(max_cells=10_000_000)),
        # the same column, but the sheet's rows stay low: accepted
        ([*roster(5, 3), '<row r="5"><c r="ALL5"><v>1</v></c></row>'], Limits()),
        # one cell at the far corner
        ([*roster(3, 3), '<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>'], Limits()),
        # the corner cell self-closing: no content, no extent
        ([*roster(3, 3), '<row r="1048576"><c r="XFD1048576" s="1"/></row>'], Limits()),
        # rows grow past what the columns allow
        (roster(40, 6, first=49_980), Limits(max_cells=300_000)),
        # a row exactly at the bound (199,999 here), then a wider cell one row up
        ([*roster(3, 22), *(f'<row r="{r}"><c r="A{r}"><v>1</v></c></row>'
                             for r in (150_000, 199_999)),
          *roster(5, 1, first=20),  # out of the carry's reach
          '<row r="199998"><c r="BH199998"><v>1</v></c></row>'], Limits()),
        # a deep row early, harmless at 3 columns until a wider cell much later
        ([*roster(3, 3), '<row r="50000"><c r="C50000"><v>1</v></c></row>', *roster(40, 3),
          '<row r="60"><c r="H60"><v>1</v></c></row>'], Limits(max_cells=300_000)),
        # a wide roster: too many columns, or one more than the limit later on
        (roster(2, 40), Limits(max_columns=30)),
        ([*roster(3, 8), '<row r="4"><c r="I4"><v>1</v></c></row>'], Limits(max_columns=8)),
        ([*roster(3, 30), '<row r="4"><c r="AE4"><v>1</v></c></row>'], Limits(max_columns=30)),
        # cells placed by position: counted by rows and their place in the row
        (["<row>" + "<c><v>1</v></c>" * 9 + "</row>"] * 3, Limits(max_columns=8)),
        (['<row r="12000">' + "<c><v>1</v></c>" * 5 + "</row>"], Limits(max_cells=50_000)),
        ([*roster(3, 4), "<row>" + '<c t="n"><v>1</v></c>' * 9 + "</row>"],
         Limits(max_columns=8)),
        # a by-position cell late in the sheet, after rows with references: accepted
        (['<row><c r="A1"><v>1</v></c></row>'] * 60 + ["<row><c><v>1</v></c></row>"], Limits()),
    ],
)  # fmt: skip
def test_examples_refuse_like_the_plain_count(body: list[str], lim: Limits, size: int) -> None:
    chunks = chunked(sheet(*body), size)
    assert fast(chunks, lim) == reference(chunks, lim)


def test_refusal_reasons_name_the_cell_that_reaches_furthest() -> None:
    """A stray cell far out (XFD1048576, J1048576) is named, so the county can delete
    it; cells placed by position have no reference to name."""
    corner = sheet(*roster(2, 2), '<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>')
    outcome = fast([corner], Limits())
    assert outcome == (
        0,
        "sheet xl/worksheets/sheet1.xml has data in 16,384 columns (limit 1,000), as far as "
        "cell XFD1048576: not a roster; if that cell was filled in by mistake, delete it and "
        "send the file again",
    )
    deep = sheet(*roster(2, 2), '<row r="1048576"><c r="J1048576"><v>1</v></c></row>')
    assert fast([deep], Limits()) == (
        0,
        "sheet xl/worksheets/sheet1.xml: the used range reaches row 1,048,576 and column 10 "
        "(over 10,000,000 cells), as far as cell J1048576: not a roster; if that cell was "
        "filled in by mistake, delete it and send the file again",
    )
    wide = sheet(*roster(2, 2), "<row>" + "<c><v>1</v></c>" * 1_001 + "</row>")
    assert fast([wide], Limits()) == (
        0,
        "sheet xl/worksheets/sheet1.xml has data in 1,001 columns (limit 1,000): not a roster",
    )


def test_rows_counted_before_a_cell_placed_by_position() -> None:
    """Once a cell has no reference, every `<row` counts, also those long before it."""
    body = ['<row><c r="A1"><v>1</v></c></row>'] * 10_050 + ["<row><c><v>1</v><c><v>2</v></row>"]
    lim = Limits(max_cells=20_000)  # 10,051 rows x 2 columns
    for size in (4096, 65_536, 1 << 20):
        chunks = chunked(sheet(*body), size)
        expected = reference(chunks, lim)
        assert fast(chunks, lim) == expected
        assert expected is not None and expected[0] == len(chunks) - 1
        # (a `<row` cut by a chunk's end is counted in neither: 10,051 or a few less)
        assert "reaches row 10,0" in expected[1] and "column 2 (over" in expected[1]


def _xlsx(xml: bytes, compression: int) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("xl/worksheets/sheet1.xml", xml)
    return buf.getvalue()


@pytest.mark.parametrize("compression", [zipfile.ZIP_DEFLATED, zipfile.ZIP_STORED])
@pytest.mark.parametrize("late", [False, True])
def test_check_archive_replays_the_sheet_from_its_start(
    monkeypatch: pytest.MonkeyPatch, late: bool, compression: int
) -> None:
    """In small chunks, a wide cell near the end makes the rows seen long before count:
    the chunks are inflated again, the same as the first time."""
    monkeypatch.setattr(limits, "_CHUNK", 512)
    body = roster(400, 5, first=30_000)
    if late:
        body.append('<row r="30400"><c r="DA30400"><v>1</v></c></row>')
    data = _xlsx(sheet(*body), compression)
    member = zipfile.ZipFile(io.BytesIO(data)).getinfo("xl/worksheets/sheet1.xml")
    chunks = list(limits._inflate(data, member, member.file_size + 1))
    assert len(chunks) > 50 and chunks == list(limits._inflate(data, member, 1 << 30))
    lim = Limits(max_cells=3_000_000)
    expected = reference(chunks, lim)
    assert (expected is not None) == late
    if expected is None:
        check_archive(data, ".xlsx", lim)
    else:
        with pytest.raises(RefusedFile) as caught:
            check_archive(data, ".xlsx", lim)
        assert str(caught.value) == expected[1]
        assert "reaches row 30,400 and column 105" in expected[1]
