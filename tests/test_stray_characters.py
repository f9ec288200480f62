"""Stray bytes a broken export leaves in a roster (NULs, control characters) and roster
text that looks like a formula: the file is read, the cells mean what they show, and
the fix list sent back to the county holds them as text."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from conftest import ID_A, ID_B
from handcraft_stats.cli import app
from handcraft_stats.config import load_settings
from handcraft_stats.errors import RefusedFile
from handcraft_stats.normalize.names import normalize_name
from handcraft_stats.normalize.text import clean_text, is_blank
from handcraft_stats.normalize.vocab import Vocabulary
from handcraft_stats.parse import parse_file
from handcraft_stats.read.csvfile import decode

ROWS = [f"张丽{i},{ID_A},手工" for i in range(6)]


def _csv(path: Path, *rows: str) -> Path:
    path.write_text("\n".join(["姓名,身份证号码,从业产业", *rows]) + "\n", "utf-8")
    return path


def test_a_utf8_roster_with_a_stray_nul_is_read_not_taken_for_utf16(tmp_path: Path) -> None:
    """One NUL in a UTF-8 roster made it read as UTF-16 (every header lost, the file
    refused for having no name column); a few NULs are stray bytes of a text file."""
    path = _csv(tmp_path / "丰县2017.csv", *ROWS, f"王\x00芳,{ID_B},手\x00工")
    pf = parse_file(path, path.read_bytes(), load_settings(None), Vocabulary())
    last = pf.records.iloc[-1]
    assert (last["name"], last["wing"], last["id_number"]) == ("王芳", "handicraft", ID_B)
    assert "unknown_value" not in set(pf.issues["code"])
    # UTF-16 without a byte-order mark is still told by its NULs, and a binary file
    # (NULs thick and irregular) refused as one
    text = "姓名,身份证号码\n张丽,320321198001010024\n"
    assert decode(text.encode("utf-16-le")) == text
    assert decode(text.encode("utf-16-be")) == text
    # a character whose low byte is 0 (一 U+4E00) puts a NUL on the other side of a pair:
    # such a roster was refused as binary data
    grouped = (
        "姓名,身份证号码,村民小组\n张丽,320321198001010024,一组\n李娜,320321198203040045,丁庄\n"
    )
    assert decode(grouped.encode("utf-16-le")) == grouped
    assert decode(grouped.encode("utf-16-be")) == grouped
    with pytest.raises(RefusedFile, match="binary"):
        decode(b"\x00\x01\x02binary" * 40)
    with pytest.raises(RefusedFile, match="binary"):
        decode(b"ab\x00" + b"\x00c" * 20)


@pytest.mark.parametrize("control", ["\x00", "\x01", "\x07", "\x1c", "\x1f", "\x7f", "\x85"])
def test_control_characters_show_as_nothing(control: str) -> None:
    assert clean_text(f"手{control}工") == "手工"
    assert normalize_name(f"王{control}芳") == "王芳"
    assert is_blank(control) and is_blank(f" {control} ")
    assert clean_text("a\tb") == "a\tb"  # tab is kept (white space inside a cell)


def test_the_fix_list_holds_formula_text_and_control_characters_as_text(tmp_path: Path) -> None:
    """A wing cell "=HYPERLINK(...)" was written to the fix list as a live formula (openpyxl
    makes one of any text starting with "="), and a control character in plain ASCII
    text made openpyxl refuse the whole list (exit 4)."""
    link = '=HYPERLINK("http://x","y")'
    path = _csv(tmp_path / "丰县2017.csv", *ROWS, f'王芳,{ID_B},"{link.replace(chr(34), 2 * chr(34))}"',
                "陈梅,320321198203030046,x\x01y")  # fmt: skip
    out = tmp_path / "问题清单.xlsx"
    res = CliRunner().invoke(app, ["check", str(path), "--out", str(out), "-q"])
    assert res.exit_code == 0, res.output
    cells = [c for row in openpyxl.load_workbook(out)["丰县"].iter_rows() for c in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    values = [c.value for c in cells]
    assert link in values and "xy" in values
