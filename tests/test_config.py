"""hcs.toml overlays the packaged defaults: divisions, header spellings, vocabularies."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import ID_A
from handcraft_stats.config import load_settings
from handcraft_stats.errors import UsageError
from handcraft_stats.normalize.vocab import Vocabulary
from handcraft_stats.parse import parse_file


def test_user_headers_vocab_and_divisions_are_used(tmp_path: Path) -> None:
    cfg = tmp_path / "hcs.toml"
    cfg.write_text(
        'city = "宿迁市"\n'
        '[[divisions]]\nname = "泗洪县"\ncode = "321324"\n'
        '[headers]\nphone = ["本人电话"]\n'
        '[vocab.wing]\n"草柳编" = "handicraft"\n',
        "utf-8",
    )
    settings = load_settings(cfg)
    assert settings.city == "宿迁市"
    assert [d.name for d in settings.divisions] == ["泗洪县"]
    p = tmp_path / "泗洪县2017.csv"
    p.write_bytes(f"姓名,身份证号,本人电话,从业产业\n张丽,{ID_A},13812345678,草柳编\n".encode())
    pf = parse_file(p, p.read_bytes(), settings, Vocabulary(settings.vocab_extra))
    assert pf.county == "泗洪县"
    assert list(pf.records["phone"]) == ["13812345678"]
    assert list(pf.records["wing"]) == ["handicraft"]
    assert pf.issues.empty


def test_broken_config_is_a_usage_error(tmp_path: Path) -> None:
    cfg = tmp_path / "hcs.toml"
    cfg.write_text("city = [unclosed", "utf-8")
    with pytest.raises(UsageError, match="not valid TOML"):
        load_settings(cfg)
    with pytest.raises(UsageError, match="not found"):
        load_settings(tmp_path / "missing.toml")


def test_limits_come_from_hcs_toml(tmp_path: Path) -> None:
    from handcraft_stats.errors import RefusedFile

    cfg = tmp_path / "hcs.toml"
    cfg.write_text("[limits]\nmax_columns = 3\n", "utf-8")
    settings = load_settings(cfg)
    p = tmp_path / "丰县2017.xlsx"
    from conftest import write_xlsx

    write_xlsx(p, {"S": [["姓名", "身份证号", "村(社区)", "备注"], ["张丽", ID_A, "东村", "x"]]})
    with pytest.raises(RefusedFile, match="columns"):
        parse_file(p, p.read_bytes(), settings, Vocabulary(settings.vocab_extra))


def test_abolished_divisions_are_settings_and_refuse_a_roster_naming_only_one(
    tmp_path: Path,
) -> None:
    """九里区 (abolished in 2010) is packaged as [[abolished]]: a file naming it and no
    current division is refused saying so (not "cannot tell the county"); --county reads
    it. hcs.toml may list its own (the packaged divisions.toml copied in was exit 2 for
    its [[abolished]]); another city's [[divisions]] come without Xuzhou's."""
    from handcraft_stats.errors import RefusedFile

    settings = load_settings(None)
    assert [(d.name, d.code) for d in settings.abolished] == [("九里区", "320304")]
    p = tmp_path / "九里区2017.csv"
    p.write_text(f"姓名,身份证号码\n张丽,{ID_A}\n", "utf-8")
    vocab = Vocabulary(settings.vocab_extra)
    with pytest.raises(RefusedFile, match=r"names 九里区 \(320304\), a division since abolished"):
        parse_file(p, p.read_bytes(), settings, vocab)
    assert parse_file(p, p.read_bytes(), settings, vocab, county="鼓楼区").county == "鼓楼区"
    own = tmp_path / "hcs.toml"
    own.write_text('[[abolished]]\nname = "旧区"\ncode = "320399"\n', "utf-8")
    assert [d.name for d in load_settings(own).abolished] == ["旧区"]
    other = tmp_path / "other.toml"
    other.write_text('[[divisions]]\nname = "甲县"\ncode = "110101"\n', "utf-8")
    assert load_settings(other).abolished == ()
    bad = tmp_path / "bad.toml"
    bad.write_text('[[abolished]]\ncode = "320304"\n', "utf-8")
    with pytest.raises(UsageError, match=r"a \[\[abolished\]\] table has no name"):
        load_settings(bad)


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ('[checks.params]\nincome_max = "x"\n', "income_max = 'x' must be a number"),
        ('[checks.params]\nphone_shared_max = "3"\n', "phone_shared_max = '3' must be a number"),
        ('[checks.params]\nline = "nope"\n', "line = 'nope': use one of"),
        ("[checks.params]\nincome_maxx = 5\n", "income_maxx: unknown threshold"),
        ('[checks]\nnope = "error"\n', "[checks] nope: unknown setting"),
        ('[checks]\noff = "phone_shared"\n', "[checks] off must be a list of codes"),
        ("[sheets]\nnope = 1\n", "[sheets] nope: unknown setting"),
        ('[limits]\nmax_columns = "many"\n', "max_columns = 'many' must be a positive number"),
        ("[limits]\nmax_columns = -5\n", "max_columns = -5 must be a positive number"),
        ("[limits]\nmax_colums = 5\n", "[limits] max_colums: unknown limit"),
        ('[labels.nosection]\na = "b"\n', "[labels.nosection]: unknown section"),
    ],
)
def test_a_mistake_in_a_table_is_exit_2_naming_the_key(
    tmp_path: Path, text: str, named: str
) -> None:
    """config show checks the file as ingest reads it: these passed it (exit 0), then
    ingest ended with exit 4 mid-run, or silently used the default (a threshold that is
    no number, a limit of -5, a misspelt key, a line that is none)."""
    from typer.testing import CliRunner

    from handcraft_stats.cli import app

    cfg = tmp_path / "hcs.toml"
    cfg.write_text(text, "utf-8")
    res = CliRunner().invoke(app, ["config", "show", "--config", str(cfg)])
    assert res.exit_code == 2 and named in res.stderr, res.stderr
    db = tmp_path / "t.duckdb"
    res = CliRunner().invoke(app, ["ingest", str(tmp_path), "--config", str(cfg), "--db", str(db)])
    assert res.exit_code == 2 and not db.exists()
