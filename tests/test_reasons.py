"""Why a file or sheet was refused or skipped: English where hcs writes it down, the
report's language where people read it (labels.toml `[reason]`, reasons.py)."""

from __future__ import annotations

import ast
import json
import string
from pathlib import Path

import pytest

from handcraft_stats.reasons import localised, reason
from handcraft_stats.report.labels import set_overrides, shipped

SRC = Path(__file__).resolve().parents[1] / "src" / "handcraft_stats"
ENTRIES = shipped("reason")


def _names(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


@pytest.mark.parametrize("key", sorted(ENTRIES))
def test_both_languages_have_the_same_parts(key: str) -> None:
    zh, en = ENTRIES[key]
    assert _names(zh) == _names(en)
    assert zh != en and not zh.isascii()


@pytest.mark.parametrize("key", sorted(ENTRIES))
def test_each_reason_is_shown_in_chinese_as_its_own_entry(key: str) -> None:
    """Made in English with parts, read back as that entry (no other entry's pattern
    takes it first) and filled with the same parts."""
    zh, en = ENTRIES[key]
    parts = {name: f"‹{name} 1,024›" for name in _names(en)}
    text = reason(key, **parts)
    assert text == en.format(**parts)
    assert localised(text, "zh") == zh.format(**parts)
    assert localised(text, "en") == text


def test_parts_that_are_reasons_themselves_are_translated() -> None:
    text = reason("not_zip", suffix=".xlsx", kind=reason("kind_pdf"))
    assert text == "cannot open as .xlsx workbook: the file is a PDF document, not a zip archive"
    assert (
        localised(text, "zh") == "无法作为 .xlsx 工作簿打开：该文件实际是 PDF 文档，不是 zip 压缩包"
    )
    seen = reason("no_name_or_id_in", sheet="'名单'", seen=reason("no_known_headers"))
    assert (
        localised(seen, "zh")
        == "工作表 '名单' 中没有姓名列或身份证号列；找到的表头：前 40 行中没有 hcs 认识的表头"
    )
    # a part that merely holds a reason's words is left as written
    headers = reason("no_name_seen", seen="姓名, text")
    assert localised(headers, "zh") == "没有姓名列；找到的表头：姓名, text"


def test_a_text_no_entry_matches_is_shown_as_written() -> None:
    assert localised("cannot frobnicate the roster", "zh") == "cannot frobnicate the roster"
    assert localised("", "zh") == ""


def test_an_override_in_hcs_toml_changes_the_label_not_the_stored_text() -> None:
    set_overrides({"reason": {"no_county": "请在文件名中写明县区"}})
    try:
        text = reason("no_county")
        assert text.startswith("cannot tell the county")
        assert localised(text, "zh") == "请在文件名中写明县区"
    finally:
        set_overrides({})


def _refusals(tree: ast.AST) -> list[ast.Call]:
    return [
        node for node in ast.walk(tree)
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "RefusedFile"
    ]  # fmt: skip


def _inline(node: ast.expr) -> bool:
    """Does the expression make a reason's text itself (a string, an f-string, strings
    joined), rather than take it from `reason(...)`, a variable or another function?"""
    if isinstance(node, ast.BoolOp):
        return any(_inline(v) for v in node.values)
    if isinstance(node, ast.IfExp):
        return _inline(node.body) or _inline(node.orelse)
    if isinstance(node, ast.BinOp):
        return _inline(node.left) or _inline(node.right)
    return isinstance(node, ast.JoinedStr) or (
        isinstance(node, ast.Constant) and isinstance(node.value, str)
    )


def test_every_refusal_is_made_from_the_catalogue() -> None:
    """A reason written inline would be English in every language: each RefusedFile is
    given `reason(...)`, a variable holding one, or a function returning one."""
    inline = [
        f"{path.name}:{call.lineno}"
        for path in SRC.rglob("*.py")
        for call in _refusals(ast.parse(path.read_text("utf-8")))
        if any(_inline(arg) for arg in call.args)
    ]
    assert inline == []
    assert _inline(ast.parse('"x" or y', mode="eval").body)  # the check can fail


def _folder(tmp_path: Path) -> Path:
    tmp_path.mkdir()
    (tmp_path / "丰县2017年名册.xlsx").write_bytes(b"")
    (tmp_path / "沛县2017年名册.xlsx").write_bytes(b"%PDF-1.4 not a workbook")
    (tmp_path / "泉山区2017年名册.csv").write_text("甲,乙\n1,2\n", encoding="utf-8")
    return tmp_path


def test_ingest_report_shows_refusals_in_the_reports_language(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from handcraft_stats.cli import app

    folder = _folder(tmp_path / "in")
    runner = CliRunner()
    zh = runner.invoke(app, ["check", str(folder), "--format", "md"])
    assert zh.exit_code == 1  # files were refused
    assert "|\n\n## 问题清单（0）\n" in zh.stdout  # the fix list after a blank line
    assert "丰县2017年名册.xlsx | 空文件（0 字节） |" in zh.stdout
    assert "该文件实际是 PDF 文档，不是 zip 压缩包" in zh.stdout
    assert "没有姓名列或身份证号列；找到的表头：前 40 行中没有 hcs 认识的表头" in zh.stdout
    en = runner.invoke(app, ["check", str(folder), "--format", "md", "--lang", "en"])
    assert "丰县2017年名册.xlsx | empty file (0 bytes) |" in en.stdout
    doc = json.loads(runner.invoke(app, ["check", str(folder), "--format", "json"]).stdout)
    reasons = {Path(r["file"]).name: r["reason"] for r in doc["refused"]}
    assert reasons["丰县2017年名册.xlsx"] == "empty file (0 bytes)"
    assert reasons["泉山区2017年名册.csv"] == (
        "no name or ID column; headers found: none that hcs knows in the first 40 rows"
    )
