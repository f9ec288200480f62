"""Formula cells stored without a value: calamine reads them as blank; hcs says so."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import openpyxl

from conftest import ID_A, ID_B
from handcraft_stats.config import load_settings
from handcraft_stats.normalize.vocab import Vocabulary
from handcraft_stats.parse import parse_file
from handcraft_stats.read.formulas import _cells, blank_formulas

HEADER = ["序号", "姓名", "身份证号码", "帮扶前年收入(元)", "当年收入(元)"]


def _workbook(path: Path) -> Path:
    """A roster as a program writes it (openpyxl): formulas with no cached results, in
    the women's rows and in the totals row."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "花名册"
    ws.append(["丰县2017年花名册"])
    ws.append(HEADER)
    ws.append([1, "张丽", ID_A, 3000, "=D3*3"])
    ws.append([2, "李娜", ID_B, 2500, 7000])
    ws.append([None, "合计", None, "=SUM(D3:D4)", "=SUM(E3:E4)"])
    wb.save(path)
    return path


def _parse(path: Path) -> object:
    settings = load_settings(None)
    return parse_file(path, path.read_bytes(), settings, Vocabulary(settings.vocab_extra))


def test_a_formula_without_a_value_in_a_record_is_an_issue(tmp_path: Path) -> None:
    """The woman's 当年收入 is a formula with no result: blank, as calamine reads it, and
    a warning naming the formula at her row (the totals row's formulas are no record's)."""
    pf = _parse(_workbook(tmp_path / "丰县2017.xlsx"))
    r = pf.records  # type: ignore[attr-defined]
    assert r["income_after"].isna().tolist() == [True, False]
    found = pf.issues[pf.issues["code"] == "formula_no_value"]  # type: ignore[attr-defined]
    assert found[["index", "column", "value", "severity"]].values.tolist() == [
        [0, "income_after", "=D3*3", "warning"]
    ]
    assert "Excel" in found["message"].iloc[0]


def _with_results(path: Path) -> bytes:
    """The same workbook as Excel saves it: every formula with its cached result."""
    out = io.BytesIO()
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = (
                    data.replace(b"<f>D3*3</f><v />", b"<f>D3*3</f><v>9000</v>")
                    .replace(b"<f>SUM(D3:D4)</f><v />", b"<f>SUM(D3:D4)</f><v>5500</v>")
                    .replace(b"<f>SUM(E3:E4)</f><v />", b"<f>SUM(E3:E4)</f><v>16000</v>")
                )
            dst.writestr(item, data)
    return out.getvalue()


def test_formulas_with_their_results_are_read_and_no_issue(tmp_path: Path) -> None:
    path = _workbook(tmp_path / "丰县2017.xlsx")
    path.write_bytes(_with_results(path))
    pf = _parse(path)
    assert [str(v) for v in pf.records["income_after"]] == ["9000.00", "7000.00"]  # type: ignore[attr-defined]
    assert "formula_no_value" not in set(pf.issues["code"])  # type: ignore[attr-defined]
    assert blank_formulas(path.read_bytes(), {"xl/worksheets/sheet1.xml"}) == {}


def test_the_cells_are_found_in_the_sheet_xml() -> None:
    """Shared formulas (each other cell names the one holding the text), escaped text,
    an empty text result (Excel's <v></v> of t="str") and elements that only look like a
    formula (<formula1> of a drop-down list)."""
    xml = (
        b'<worksheet><sheetData><row r="3"><c r="E3"><f t="shared" ref="E3:E5" si="0">'
        b'D3*3</f></c></row><row r="4"><c r="E4"><f t="shared" si="0"/></c>'
        b'<c r="AB4" s="2"><f>IF(A4&lt;&gt;"",1,0)</f><v/></c>'
        b'<c r="F4" t="str"><f>""</f><v></v></c><c r="G4"><f>D4</f><v>12</v></c></row>'
        b'</sheetData><dataValidations><dataValidation><formula1>"Y,N"</formula1>'
        b"</dataValidation></dataValidations></worksheet>"
    )
    assert _cells(xml) == {(2, 4): "=D3*3", (3, 4): "=D3*3", (3, 27): '=IF(A4<>"",1,0)'}


def test_a_workbook_with_a_drop_down_list_and_no_formulas_gives_none(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(HEADER)
    ws.append([1, "张丽", ID_A, 3000, 9000])
    dv = openpyxl.worksheet.datavalidation.DataValidation(type="list", formula1='"是,否"')
    ws.add_data_validation(dv)
    dv.add("E2:E100")
    path = tmp_path / "丰县2017.xlsx"
    wb.save(path)
    assert blank_formulas(path.read_bytes(), {"xl/worksheets/sheet1.xml"}) == {}
    assert "formula_no_value" not in set(_parse(path).issues["code"])  # type: ignore[attr-defined]


def test_a_formula_whose_result_is_an_error_is_flagged_with_its_error(tmp_path: Path) -> None:
    """A VLOOKUP that found nothing (#N/A) or a #DIV/0!, as Excel saves them: calamine
    reads the cell as blank; the issue names the formula and its error, and asks for
    the formula to be mended (not the file to be saved again)."""
    path = _workbook(tmp_path / "丰县2017.xlsx")
    out = io.BytesIO()
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(
                    b'<c r="E3"><f>D3*3</f><v />', b'<c r="E3" t="e"><f>D3*3</f><v>#DIV/0!</v>'
                )
            dst.writestr(item, data)
    path.write_bytes(out.getvalue())
    pf = _parse(path)
    found = pf.issues[pf.issues["code"] == "formula_no_value"]  # type: ignore[attr-defined]
    assert found["value"].tolist() == ["=D3*3 → #DIV/0!"]
    assert found["message"].iloc[0].startswith("公式结果出错，读作空白：=D3*3 → #DIV/0!")
    xml = b'<row r="2"><c r="C2" t="e"><f>VLOOKUP(A2,B:C,2,0)</f><v>#N/A</v></c></row>'
    assert _cells(xml) == {(1, 2): "=VLOOKUP(A2,B:C,2,0) → #N/A"}


def test_error_values_pasted_without_their_formulas_are_issues(tmp_path: Path) -> None:
    """A VLOOKUP column pasted as values keeps its #N/A; a copy of broken cells, #REF!.
    calamine reads them as blank: an ID cell of #REF! was only "身份证号码为空", the
    income a missing one, without a word of what the cell held. Every output shows the
    error as written (it is no woman's value: an ID column's #REF! was *****)."""
    from typer.testing import CliRunner

    from handcraft_stats.cli import app

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(HEADER)
    ws.append([1, "张丽", ID_A, 3000, "#N/A"])  # openpyxl writes these as error cells
    ws.append([2, "李娜", "#REF!", 2500, 7000])
    ws.append([3, "王芳", ID_B, "=D4/0", 6000])  # a formula's error is formula_no_value's
    assert ws["E2"].data_type == "e" and ws["C3"].data_type == "e"
    path = tmp_path / "丰县2017年花名册.xlsx"
    wb.save(path)
    pf = _parse(path)
    r = pf.records  # type: ignore[attr-defined]
    assert r["income_after"].isna().tolist() == [True, False, False]
    assert r["id_number"].isna().tolist() == [False, True, False]
    issues = pf.issues  # type: ignore[attr-defined]
    found = issues[issues["code"] == "error_value"]
    assert found[["index", "column", "value"]].values.tolist() == [
        [0, "income_after", "#N/A"], [1, "id_number", "#REF!"],
    ]  # fmt: skip
    assert set(issues[issues["code"] == "formula_no_value"]["value"]) == {"=D4/0"}
    db, out = tmp_path / "h.duckdb", tmp_path / "out"
    run = CliRunner().invoke
    assert run(app, ["ingest", str(path), "--db", str(db), "-q"]).exit_code == 0
    listed = run(app, ["issues", "--year", "2017", "--db", str(db), "-f", "csv"]).stdout
    assert ",id_number,#REF!,单元格是错误值，读作空白：#REF!" in listed
    assert run(app, ["export", "--year", "2017", "--db", str(db), "--out", str(out)]).exit_code == 0
    sent = (out / "issues.csv").read_text("utf-8-sig")
    assert ",id_number,#REF!," in sent and ",income_after,#N/A," in sent
    assert ID_A not in sent and ID_A not in listed  # the women's own IDs stay masked
