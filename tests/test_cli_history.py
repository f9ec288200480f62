"""hcs history and hcs changes: the full content hash, the table's headings, --config."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from conftest import ID_A, ID_B, ID_C, write_xlsx
from handcraft_stats import Store, ingest, load_settings
from handcraft_stats.cli import app
from handcraft_stats.report.labels import set_overrides

HEADER = ["姓名", "身份证号码", "从业产业", "脱贫状态", "脱贫年度"]
SETTINGS = load_settings(None)


@pytest.fixture(autouse=True)
def _no_label_overrides() -> Iterator[None]:
    """A run with --config leaves its [labels] in force in this process: not for others."""
    yield
    set_overrides({})


def run(*args: object) -> Result:
    return CliRunner().invoke(app, [str(a) for a in args])


@pytest.fixture
def db(tmp_path: Path) -> tuple[Path, list[Path]]:
    """丰县 2016 and 2017 (2017 sent twice: the second replaces the first), 沛县 2016–2017."""
    y16, y17, fix = tmp_path / "2016", tmp_path / "2017", tmp_path / "fix"
    for d in (y16, y17, fix):
        d.mkdir()
    files = [
        write_xlsx(y16 / "丰县2016.xlsx", {"S": [HEADER, ["张丽", ID_A, "手工", "未脱贫", ""],
                                                 ["王芳", ID_B, "家政", "未脱贫", ""]]}),
        write_xlsx(y16 / "沛县2016.xlsx", {"S": [HEADER, ["陈梅", ID_C, "手工", "未脱贫", ""]]}),
        write_xlsx(y17 / "丰县2017.xlsx", {"S": [HEADER, ["张丽", ID_A, "手工", "已脱贫", 2017]]}),
        write_xlsx(y17 / "沛县2017.xlsx", {"S": [HEADER, ["陈梅", ID_C, "手工", "已脱贫", 2017]]}),
        write_xlsx(fix / "丰县2017.xlsx", {"S": [HEADER, ["张丽", ID_A, "手工", "已脱贫", 2017],
                                                 ["刘兰", "", "农业", "未脱贫", ""]]}),
    ]  # fmt: skip
    path = tmp_path / "t.duckdb"
    with Store(path) as s:
        for d in (y16, y17, fix):
            ingest([d], s, SETTINGS)
    return path, files


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_history_json_and_csv_carry_the_full_sha256(db: tuple[Path, list[Path]]) -> None:
    path, files = db
    want = sorted(sha(f) for f in files)
    res = run("history", "--db", path, "--format", "json")
    assert res.exit_code == 0, res.output
    rows = json.loads(res.stdout)
    assert sorted(r["sha256"] for r in rows) == want
    assert all(len(r["sha256"]) == 64 for r in rows)
    res = run("history", "--db", path, "--format", "csv")
    assert res.exit_code == 0, res.output
    table = list(csv.DictReader(io.StringIO(res.stdout)))
    assert sorted(r["sha256"] for r in table) == want
    assert "name" in table[0]  # the keys scripts use are unchanged


def test_history_table_heads_the_file_name_as_a_file_and_shows_the_hash(
    db: tuple[Path, list[Path]],
) -> None:
    path, files = db
    res = run("history", "--db", path)
    assert res.exit_code == 0, res.output
    out = res.stdout
    head = next(line for line in out.splitlines() if "文件号" in line)
    assert "来源文件" in head and "内容哈希" in head and "姓名" not in head
    assert all(sha(f)[:12] in out for f in files)
    md = run("history", "--db", path, "--format", "md").stdout
    assert "来源文件" in md and "姓名" not in md
    assert all(sha(f) in md for f in files)


def test_history_takes_config_and_its_labels(db: tuple[Path, list[Path]], tmp_path: Path) -> None:
    path, _ = db
    config = tmp_path / "mine.toml"
    config.write_text('[labels.column]\nsha256 = "文件指纹"\nsource_file = "名册文件"\n', "utf-8")
    res = run("history", "--db", path, "--config", config)
    assert res.exit_code == 0, res.output
    assert "文件指纹" in res.stdout and "名册文件" in res.stdout
    missing = run("history", "--db", path, "--config", tmp_path / "none.toml")
    assert missing.exit_code == 2


def test_changes_takes_config_its_labels_and_division_order(
    db: tuple[Path, list[Path]], tmp_path: Path
) -> None:
    path, _ = db
    config = tmp_path / "mine.toml"
    config.write_text(
        '[[divisions]]\nname = "沛县"\ncode = "320322"\n\n'
        '[[divisions]]\nname = "丰县"\ncode = "320321"\n\n'
        '[labels.change]\nexited = "当年脱贫"\n',
        "utf-8",
    )
    base = ("changes", "--from", 2016, "--to", 2017, "--db", path)
    plain = run(*base, "--format", "json")
    assert plain.exit_code == 0, plain.output
    assert list(json.loads(plain.stdout)["by_county"]) == ["丰县", "沛县"]
    res = run(*base, "--config", config, "--format", "json")
    assert res.exit_code == 0, res.output
    assert list(json.loads(res.stdout)["by_county"]) == ["沛县", "丰县"]
    md = run(*base, "--config", config, "--format", "md")
    assert md.exit_code == 0, md.output
    text = md.stdout
    assert "当年脱贫" in text and "本年脱贫" not in text
    assert text.index("| 沛县 ") < text.index("| 丰县 ")
    table = run(*base, "--config", config).stdout
    assert "当年脱贫" in table


def test_history_of_a_year_without_files_is_a_usage_error(db: tuple[Path, list[Path]]) -> None:
    """Exit 2 naming the periods held, as summary, persons and export do (it was exit 0
    and an empty list); a county without files in a held year is an empty list."""
    path, _ = db
    res = run("history", "--year", 2030, "--db", path)
    assert res.exit_code == 2
    assert "no rosters for 2030 in the database (periods: 2016, 2017)" in res.stderr
    res = run("history", "--year", 2017, "--county", "睢宁县", "--db", path, "--format", "json")
    assert res.exit_code == 0 and json.loads(res.stdout) == []


def test_history_md_heads_every_column_by_its_label(db: tuple[Path, list[Path]]) -> None:
    """path, format, sheets, replaced_by_id and reading were left as codes in md."""
    path, _ = db
    for lang, words in (("zh", ["路径", "格式", "工作表数", "读取版本"]),
                        ("en", ["Path", "Format", "Sheets", "Reading"])):  # fmt: skip
        head = run("history", "--db", path, "--format", "md", "--lang", lang).stdout.splitlines()[2]
        assert all(f" {w} " in head for w in words), head
        assert "replaced_by_id" not in head and " path " not in head
