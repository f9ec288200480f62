"""A quote opened and never closed in a text roster of two columns (read/csvfile.py).

姓名,身份证号码 with `"女01,…` on row 3: the women after it were one cell of it, the file
"1 record, 1 note, no issue". A row of two columns holds one separator, below the two
asked of a line before it counts as a row; four columns were read right. The narrow file
is now read as the wide one: without quoting, one row per line, the quote kept as typed.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from handcraft_stats.config import load_settings
from handcraft_stats.normalize.vocab import Vocabulary
from handcraft_stats.parse import parse_file
from handcraft_stats.read.csvfile import read_csv

SETTINGS = load_settings(None)
VOCAB = Vocabulary()
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def woman_id(i: int) -> str:
    """A valid ID of 睢宁县 (320324), born 1979, the 17th digit even (a woman)."""
    body = f"3203241979{i % 12 + 1:02d}{i % 28 + 1:02d}{i % 10}{i // 10 % 10}2"
    return body + "10X98765432"[sum(int(c) * w for c, w in zip(body, WEIGHTS, strict=True)) % 11]


HEADER = ["姓名", "身份证号码", "从业产业", "备注"]


def roster(width: int, quoted: int | None, n: int = 20) -> list[str]:
    """The lines of a roster `width` columns wide, a quote opening row `quoted`'s name."""
    lines = [",".join(HEADER[:width])]
    for i in range(n):
        cells = [f"女{i:02d}", woman_id(i), "手工", ""][:width]
        if i == quoted:
            cells[0] = '"' + cells[0]
        lines.append(",".join(cells))
    return lines


def records(tmp_path: Path, lines: list[str], end: str = "\n", codec: str = "utf-8") -> object:
    p = tmp_path / "睢宁县2017年花名册.csv"
    p.write_bytes((end.join(lines) + end).encode(codec))
    return parse_file(p, p.read_bytes(), SETTINGS, VOCAB)


def names(n: int, quoted: int | None) -> list[str]:
    return [('"' if i == quoted else "") + f"女{i:02d}" for i in range(n)]


@pytest.mark.parametrize("width", [2, 3, 4])
@pytest.mark.parametrize("quoted", [0, 1, 9, 18, 19])  # first, early, middle, last rows
def test_an_unclosed_quote_loses_no_woman_in_any_width(
    tmp_path: Path, width: int, quoted: int
) -> None:
    pf = records(tmp_path, roster(width, quoted))
    r = pf.records  # type: ignore[attr-defined]
    assert r["name"].tolist() == names(20, quoted)
    assert r["id_number"].tolist() == [woman_id(i) for i in range(20)]
    assert r["id_status"].tolist() == ["valid"] * 20
    assert r["source_row"].tolist() == list(range(2, 22))
    assert dict(pf.skipped_by_kind) == {"header": 1}  # type: ignore[attr-defined]
    assert pf.issues.empty  # type: ignore[attr-defined]


def test_the_audits_files_of_two_columns(tmp_path: Path) -> None:
    """Three rows, the quote on the middle one; and on the first, in a GBK file with
    CRLF line ends; and with no line end after the last row."""
    r = records(tmp_path, roster(2, 1, 3)).records  # type: ignore[attr-defined]
    assert r["name"].tolist() == names(3, 1)
    assert r["id_number"].tolist() == [woman_id(i) for i in range(3)]
    r = records(tmp_path, roster(2, 0, 3), "\r\n", "gb18030").records  # type: ignore[attr-defined]
    assert r["name"].tolist() == names(3, 0)
    assert r["id_number"].tolist() == [woman_id(i) for i in range(3)]
    rows, _ = read_csv("\n".join(roster(2, 2, 3)).encode())
    assert rows[1:] == [["女00", woman_id(0)], ["女01", woman_id(1)], ['"女02', woman_id(2)]]


def test_a_quote_opening_the_header_of_two_columns(tmp_path: Path) -> None:
    lines = roster(2, None, 5)
    lines[0] = '"' + lines[0]
    rows, _ = read_csv(("\n".join(lines) + "\n").encode())
    assert rows == [['"姓名', "身份证号码"]] + [[f"女{i:02d}", woman_id(i)] for i in range(5)]


def test_two_stray_quotes_in_two_columns(tmp_path: Path) -> None:
    """`"女03` … `女07"`: the second quote closes the first, the rows between one cell;
    lines of one separator in it (two or more) are rows."""
    lines = roster(2, 3)
    lines[8] = lines[8].replace("女07", '女07"')
    r = records(tmp_path, lines).records  # type: ignore[attr-defined]
    assert len(r) == 20
    assert r["name"].tolist()[3:8] == ['"女03', "女04", "女05", "女06", '女07"']
    assert r["id_number"].tolist() == [woman_id(i) for i in range(20)]


def test_quoted_cells_that_span_lines_stay_one_cell() -> None:
    """A quote that closes is a cell, whatever lines and commas it holds: a header of
    two lines, a name with a former one in brackets, a note of three lines."""
    text = f'"姓\n名",身份证号码\n"张丽\n(曾用名,张莉)",{woman_id(0)}\n"王芳",{woman_id(1)}\n'
    rows, starts = read_csv(text.encode())
    assert rows == [
        ["姓\n名", "身份证号码"],
        ["张丽\n(曾用名,张莉)", woman_id(0)],
        ["王芳", woman_id(1)],
    ]
    assert starts == (1, 3, 5)
    # three columns: a note whose lines hold a comma each
    text = (
        "姓名,身份证号码,备注\n"
        f'张丽,{woman_id(0)},"家庭困难,无劳力\n丈夫残疾,需照顾\n低保户"\n'
        f"王芳,{woman_id(1)},\n"
        f'陈梅,{woman_id(2)},"技能培训,小额贷款"\n'
    )
    rows, starts = read_csv(text.encode())
    assert rows[1][2] == "家庭困难,无劳力\n丈夫残疾,需照顾\n低保户"
    assert rows[3] == ["陈梅", woman_id(2), "技能培训,小额贷款"]
    assert starts == (1, 2, 5, 6)


def test_a_note_left_open_on_the_last_row_is_read_as_quoted() -> None:
    """A quote opened in the last cell takes in no row: the file is read with its
    quoting (the cell of commas above stays one)."""
    text = (
        "姓名,身份证号码,备注\n"
        f'张丽,{woman_id(0)},"技能培训,小额贷款"\n'
        f'王芳,{woman_id(1)},"三无人员\n'
    )
    rows, _ = read_csv(text.encode())
    assert rows[1] == ["张丽", woman_id(0), "技能培训,小额贷款"]
    assert rows[2] == ["王芳", woman_id(1), "三无人员\n"]


def test_a_file_of_one_column_is_refused_as_before(tmp_path: Path) -> None:
    """One column holds no separator to tell rows from a cell's lines; it holds no ID
    either, and is refused for that, the quote or not."""
    from handcraft_stats.errors import RefusedFile

    for quoted in (None, 3):
        lines = [x.split(",")[0] for x in roster(2, quoted)]
        with pytest.raises(RefusedFile, match="no ID number column"):
            records(tmp_path, lines)


@pytest.mark.parametrize("amount", ["10,400", "1,234,567.50", "19,000", "¥12,000"])
def test_an_unquoted_amount_in_thousands_is_one_cell(amount: str) -> None:
    """A comma CSV that quotes nothing, an income written 10,400: the row had a cell too
    many, the income was stored as 10.00 and the trainings as 400, without an issue (found
    by an audit, session 23). Every row of such amounts is joined back; so is a file where
    every row holds one (the header's width decides)."""
    from conftest import ID_A, ID_B

    text = (f"序号,姓名,身份证号码,当年收入(元),参加培训次数\n1,张丽,{ID_A},{amount},3\n"
            f"2,王芳,{ID_B},{amount},0\n")  # fmt: skip
    rows, _ = read_csv(text.encode())
    assert rows[1] == ["1", "张丽", ID_A, amount, "3"]
    assert rows[2] == ["2", "王芳", ID_B, amount, "0"]
    # a row longer for another reason (a remark after the last title) stays as written
    rows, _ = read_csv(f"姓名,身份证号码,当年收入(元)\n张丽,{ID_A},3000,备注\n".encode())
    assert rows[1] == ["张丽", ID_A, "3000", "备注"]
