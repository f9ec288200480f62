"""hcs config init | show: the starter file, refusal to overwrite, the effective settings."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from handcraft_stats.checks import Catalogue
from handcraft_stats.cli import app
from handcraft_stats.config import load_settings, starter_toml
from handcraft_stats.tomltext import dumps

runner = CliRunner()


def run(*args: str | Path) -> Result:
    return runner.invoke(app, [str(a) for a in args], env={"COLUMNS": "120"})


def test_init_writes_a_commented_starter_equal_to_the_defaults(tmp_path: Path) -> None:
    path = tmp_path / "hcs.toml"
    res = run("config", "init", path)
    assert res.exit_code == 0, res.output
    assert res.stdout == "" and "wrote" in res.stderr
    text = path.read_text("utf-8")
    assert text == starter_toml()
    for part in ("[[divisions]]", "[headers]", "[vocab.wing]", "[labels.section]", "[checks]",
                 "[poverty_lines.national]", "[poverty_lines.provincial]", "2,300", "6000"):  # fmt: skip
        assert part in text
    assert sum(line.startswith("#") for line in text.splitlines()) > 20
    mine, packaged = load_settings(path), load_settings(None)
    assert mine.city == packaged.city and mine.divisions == packaged.divisions
    assert mine.headers == packaged.headers and mine.poverty_lines == packaged.poverty_lines
    assert mine.poverty_lines["national"][2016] == 2952
    assert all(mine.poverty_lines["provincial"][y] == 6000 for y in range(2016, 2021))
    Catalogue.load(mine.checks)  # the checks accept the starter's tables


def test_init_refuses_to_overwrite_unless_forced(tmp_path: Path) -> None:
    path = tmp_path / "hcs.toml"
    path.write_text('city = "宿迁市"\n', "utf-8")
    res = run("config", "init", path)
    assert res.exit_code == 2 and "exists" in res.stderr and "--force" in res.stderr
    assert path.read_text("utf-8") == 'city = "宿迁市"\n'
    assert run("config", "init", path, "--force", "-q").exit_code == 0
    assert path.read_text("utf-8") == starter_toml()


def test_show_prints_the_effective_settings(tmp_path: Path) -> None:
    cfg = tmp_path / "hcs.toml"
    cfg.write_text(
        'city = "宿迁市"\n[[divisions]]\nname = "泗洪县"\ncode = "321324"\n'
        '[headers]\nphone = ["本人电话"]\n[labels.wing]\nhandicraft = "手工编织"\n'
        "[poverty_lines.national]\n2017 = 2999\n",
        "utf-8",
    )
    res = run("config", "show", "--config", cfg)
    assert res.exit_code == 0, res.output
    assert res.stdout.startswith("# effective settings: packaged defaults overlaid by")
    shown = tomllib.loads(res.stdout)
    doc = json.loads(run("config", "show", "--config", cfg, "--format", "json").stdout)
    assert doc.pop("source") == str(cfg)
    assert shown == doc
    assert doc["city"] == "宿迁市" and doc["divisions"] == [{"name": "泗洪县", "code": "321324"}]
    assert doc["headers"]["phone"][-1] == "本人电话" and "联系电话" in doc["headers"]["phone"]
    assert doc["labels"] == {"wing": {"handicraft": "手工编织"}}
    assert doc["poverty_lines"]["national"]["2017"] == 2999
    assert doc["poverty_lines"]["national"]["2016"] == 2952
    # the top-level table reaches the checks too
    assert load_settings(cfg).checks["poverty_lines"]["national"]["2017"] == 2999


def test_show_without_a_file_and_with_a_broken_one(tmp_path: Path) -> None:
    res = run("config", "show", "--config", tmp_path / "none.toml")
    assert res.exit_code == 2 and "not found" in res.stderr
    bad = tmp_path / "bad.toml"
    bad.write_text("[poverty_lines]\nnational = 5\n", "utf-8")
    res = run("config", "show", "--config", bad)
    assert res.exit_code == 2 and "poverty_lines" in res.stderr


def test_toml_writer_round_trips_the_settings() -> None:
    doc = load_settings(None).to_dict()
    doc.pop("source")
    assert tomllib.loads(dumps(doc)) == doc
    odd = {"a b": 'x"y', "n": [1, 2.5, True], "t": {"1": {"k": "v"}}, "arr": [{"x": 1}]}
    assert tomllib.loads(dumps(odd)) == odd


@pytest.mark.parametrize(
    ("toml", "said"),
    [
        ('divisions = "x"', "divisions must be [[divisions]] tables"),
        ('[[divisions]]\ncode = "1"', "a [[divisions]] table has no name"),
        ("[headers]\nphone = 5", "[headers] phone must be a list of column titles"),
        ('headers = ["a"]', "headers must be a table"),
        ('[vocab]\nwing = "x"', '[vocab.wing] must be a table of "spelling" = "code"'),
        ("[labels.wing]\nhandicraft = 5", '[labels.wing] handicraft must be "中文"'),
        ('[labels.section]\ntitle = "{city}{yr}年"', "title uses yr: it may use {city}, {year}"),
        ('[labels.section]\ntitle = "{city"', "write {{ for a brace"),
        ('citty = "徐州市"', "unknown setting 'citty'"),
        ('[headers]\nphonee = ["本人电话"]', "'phonee' is no field hcs knows"),
        ('[vocab.wing]\n"草柳编" = "handcraft"', "maps to unknown code 'handcraft'"),
        ('[vocab.wingz]\n"a" = "handicraft"', "no vocabulary for field(s): wingz"),
        ('[checks]\noff = ["phone_sharedd"]', "unknown rules ['phone_sharedd']"),
    ],
)
def test_a_misshapen_hcs_toml_is_a_usage_error_that_names_the_key(
    tmp_path: Path, toml: str, said: str
) -> None:
    """Each was a bug's exit 4 (an AttributeError, KeyError or TypeError later on), was
    dropped without a word, or passed `hcs config show` only to stop `hcs ingest`."""
    config = tmp_path / "hcs.toml"
    config.write_text(toml + "\n", "utf-8")
    for command in (["config", "show"], ["summary", "--year", "2017", "--db", "x.duckdb"]):
        res = CliRunner().invoke(app, [*command, "--config", str(config)])
        if command[0] == "summary" and ("[vocab." in toml or "[checks]" in toml):
            continue  # read when rosters are: `config show` checks them (above)
        assert res.exit_code == 2, (command, res.output)
        assert said in res.stderr and "internal error" not in res.stderr, res.stderr


def test_hcs_toml_saved_by_notepad_or_as_ansi_is_read(tmp_path: Path) -> None:
    """Windows Notepad writes UTF-8 with a byte-order mark; "ANSI" on Chinese Windows is
    GBK. Both were refused as no TOML; a column title given as one text is one title."""
    text = 'city = "徐州市"\n[headers]\nphone = "本人电话"\n'
    for name, data in (("bom.toml", b"\xef\xbb\xbf" + text.encode()),
                       ("gbk.toml", text.encode("gbk"))):  # fmt: skip
        config = tmp_path / name
        config.write_bytes(data)
        res = CliRunner().invoke(app, ["config", "show", "--config", str(config),
                                       "--format", "json"])  # fmt: skip
        assert res.exit_code == 0, res.output
        doc = json.loads(res.stdout)
        assert doc["city"] == "徐州市" and doc["headers"]["phone"][-1] == "本人电话"
    config = tmp_path / "bad.toml"
    config.write_bytes(b'city = "\xff\xfe\xfd"\n')
    res = CliRunner().invoke(app, ["config", "show", "--config", str(config)])
    assert res.exit_code == 2 and "save it as UTF-8" in res.stderr
