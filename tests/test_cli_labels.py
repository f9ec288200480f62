"""`[labels]` of --config in the human formats of persons and dupes; overrides are set
fresh by every run, so one run's labels never reach the next in the same process."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from conftest import ID_A, ID_B, ingested, write_xlsx
from handcraft_stats.cli import app
from handcraft_stats.report.labels import label, set_overrides

HEADER = ["姓名", "身份证号码", "出生日期", "村(社区)", "从业产业"]
FENG = [HEADER, ["张丽", ID_A, "", "东村", "手工"], ["王芳", ID_B, "", "西村", "家政"]]
PEI = [HEADER, ["张丽", ID_A, "", "某村", "手工"]]

# labels of persons (column, wing) and of dupes (column, tier), none of them packaged
PERSONS_TOML = '[labels.column]\ncounties = "涉及县区"\n[labels.wing]\nhandicraft = "手工编织"\n'
DUPES_TOML = '[labels.column]\nevidence = "判断依据"\n[labels.tier]\ncertain = "确定无疑"\n'
BOTH_TOML = (
    '[labels.column]\ncounties = "涉及县区"\nevidence = "判断依据"\n'
    '[labels.wing]\nhandicraft = "手工编织"\n[labels.tier]\ncertain = "确定无疑"\n'
)
OVERRIDDEN = ("涉及县区", "手工编织", "判断依据", "确定无疑")


@pytest.fixture(autouse=True)
def _fresh_labels(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """No ./hcs.toml of the working folder; no overrides before or after a test."""
    monkeypatch.chdir(tmp_path)
    set_overrides({})
    yield
    set_overrides({})


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """张丽 listed by 丰县 and 沛县 (one same_id link), 王芳 by 丰县 only."""
    return ingested(tmp_path, {"丰县2017年花名册.xlsx": FENG, "沛县2017年花名册.xlsx": PEI})


def config(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, "utf-8")
    return path


def run(*args: object) -> Result:
    res = CliRunner().invoke(app, [str(a) for a in args], env={"COLUMNS": "240"})
    assert res.exit_code == 0, res.output
    return res


@pytest.mark.parametrize("fmt", ["table", "md"])
def test_persons_shows_the_labels_of_config(db: Path, tmp_path: Path, fmt: str) -> None:
    base = ("persons", "--year", 2017, "--db", db, "-f", fmt)
    plain = run(*base).stdout
    assert "所在县(市、区)" in plain and "手工加工" in plain
    out = run(*base, "--config", config(tmp_path, "p.toml", PERSONS_TOML)).stdout
    assert "涉及县区" in out and "手工编织" in out
    assert "所在县(市、区)" not in out and "手工加工" not in out


@pytest.mark.parametrize("fmt", ["table", "md"])
def test_dupes_shows_the_labels_of_config(db: Path, tmp_path: Path, fmt: str) -> None:
    base = ("dupes", "--year", 2017, "--db", db, "-f", fmt)
    plain = run(*base).stdout
    assert "依据" in plain and "确定" in plain and "判断依据" not in plain
    out = run(*base, "--config", config(tmp_path, "d.toml", DUPES_TOML)).stdout
    assert "判断依据" in out and "确定无疑" in out


def test_json_and_csv_keep_their_codes_under_a_config(db: Path, tmp_path: Path) -> None:
    cfg = config(tmp_path, "p.toml", PERSONS_TOML + '[labels.tier]\ncertain = "确定无疑"\n')
    for cmd in ("persons", "dupes"):
        for fmt in ("json", "csv"):
            base = (cmd, "--year", 2017, "--db", db, "-f", fmt)
            assert run(*base, "--config", cfg).stdout == run(*base).stdout


def test_labels_do_not_leak_into_the_next_run(db: Path, tmp_path: Path) -> None:
    """Same process, one command after another: each run's labels are its config's only."""
    p_cfg = config(tmp_path, "p.toml", PERSONS_TOML)
    d_cfg = config(tmp_path, "d.toml", DUPES_TOML)
    persons = ("persons", "--year", 2017, "--db", db, "-f", "md")
    dupes = ("dupes", "--year", 2017, "--db", db, "-f", "md")
    plain_persons, plain_dupes = run(*persons).stdout, run(*dupes).stdout

    # summary puts its config's labels in force: persons and dupes without one set them back
    run("summary", "--year", 2017, "--db", db, "--config", config(tmp_path, "b.toml", BOTH_TOML))
    assert label("column", "evidence") == "判断依据"
    assert run(*persons).stdout == plain_persons
    assert run(*dupes).stdout == plain_dupes

    run(*persons, "--config", p_cfg)
    assert run(*persons).stdout == plain_persons  # the same command without --config
    run(*persons, "--config", p_cfg)
    assert run(*dupes).stdout == plain_dupes  # another command without --config
    run(*dupes, "--config", d_cfg)
    assert run(*persons).stdout == plain_persons
    run(*dupes, "--config", d_cfg)
    assert "判断依据" not in run("summary", "--year", 2017, "--db", db, "-f", "md").stdout

    # a second config replaces the first: nothing of p.toml is left under d.toml
    run(*persons, "--config", p_cfg)
    out = run(*persons, "--config", d_cfg).stdout
    assert "所在县(市、区)" in out and "手工加工" in out and "涉及县区" not in out
    assert label("column", "counties") == "所在县(市、区)"
    assert label("tier", "certain") == "确定无疑"  # d.toml's, in force after its run

    # a run without --config leaves no override in force
    run(*dupes)
    assert [label(s, c) for s, c in (("column", "counties"), ("wing", "handicraft"),
                                     ("column", "evidence"), ("tier", "certain"))] == [
        "所在县(市、区)", "手工加工", "依据", "确定"]  # fmt: skip
    assert not any(text in run(*persons).stdout + run(*dupes).stdout for text in OVERRIDDEN)


def test_ingest_and_check_show_the_configs_labels(tmp_path: Path) -> None:
    """The ingest report's tables label links and skipped rows with [labels] too."""
    folder = tmp_path / "r"
    folder.mkdir()
    write_xlsx(folder / "丰县2017年花名册.xlsx", {"S": FENG})
    write_xlsx(folder / "沛县2017年花名册.xlsx", {"S": PEI})
    cfg = config(tmp_path, "labels.toml", '[labels.link]\nsame_id = "同一身份证"\n'
                                       '[labels.skip]\nheader = "标题栏"\n')  # fmt: skip
    out = run("ingest", folder, "--db", tmp_path / "t.duckdb", "--config", cfg, "--quiet")
    assert out.exit_code == 0, out.output
    assert "同一身份证" in out.stdout and "标题栏" in out.stdout
    plain = run("check", folder, "--quiet")
    assert "同一身份证" not in plain.stdout and "身份证号相同" in plain.stdout
    dry = run("check", folder, "--config", cfg, "--quiet")
    assert "同一身份证" in dry.stdout and "标题栏" in dry.stdout
