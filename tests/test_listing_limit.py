"""--limit on the listings: a table lists 100 rows and says how many more there are (a
province's 220k persons took 99 s to print), the formats written to files list all unless
told, and the figures of a cut listing still count every row."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from typer.testing import CliRunner

from handcraft_stats import Store
from handcraft_stats.cli import app
from handcraft_stats.cli.common import TABLE_ROWS
from handcraft_stats.report.frames import frame_records
from handcraft_stats.report.text import json_list_pieces, json_pieces, to_csv, to_json
from handcraft_stats.review import PERSONS_COLUMNS, count_persons, persons, persons_batches

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"
KEY = re.compile(r"\bP[0-9a-f]{12}\b")
runner = CliRunner()


def run(*args: str | Path) -> Any:
    res = runner.invoke(app, [str(a) for a in args], env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    return res


def records(*args: str | Path) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = json.loads(run(*args, "--format", "json").stdout)
    return out


def note(n: int, total: int, lang: str = "zh") -> str:
    if lang == "zh":
        return f"另有 {n:,} 行未列出（共 {total:,} 行）"
    return f"{n:,} more rows not listed (of {total:,})"


def test_a_table_lists_the_first_hundred_and_says_how_many_more(
    sample_db: tuple[Path, Any],
) -> None:
    db = sample_db[0]
    everyone = records("persons", "--year", "2017", "--db", db)
    assert len(everyone) > TABLE_ROWS
    table = run("persons", "--year", "2017", "--db", db).stdout
    shown = KEY.findall(table)
    assert shown == [p["person_key"] for p in everyone[:TABLE_ROWS]]
    assert note(len(everyone) - TABLE_ROWS, len(everyone)) in table
    assert f"（{len(everyone)}）" in table  # the title counts every person
    every = run("persons", "--year", "2017", "--db", db, "--limit", "0").stdout
    assert KEY.findall(every) == [p["person_key"] for p in everyone]
    assert "未列出" not in every


def test_files_list_every_row_unless_told(sample_db: tuple[Path, Any]) -> None:
    db = sample_db[0]
    everyone = records("persons", "--year", "2017", "--db", db)
    assert records("persons", "--year", "2017", "--db", db, "--limit", "5") == everyone[:5]
    whole = run("persons", "--year", "2017", "--db", db, "-f", "csv").stdout
    assert len(list(csv.reader(io.StringIO(whole)))) == len(everyone) + 1
    cut = run("persons", "--year", "2017", "--db", db, "-f", "csv", "--limit", "5").stdout
    assert cut.splitlines() == whole.splitlines()[:6]
    md = run("persons", "--year", "2017", "--db", db, "-f", "md").stdout
    assert len(KEY.findall(md)) == len(everyone) and "未列出" not in md
    md = run("persons", "--year", "2017", "--db", db, "-f", "md", "--lang", "en",
             "--limit", "3").stdout  # fmt: skip
    assert KEY.findall(md) == [p["person_key"] for p in everyone[:3]]
    assert note(len(everyone) - 3, len(everyone), "en") in md


@pytest.mark.parametrize("command", ["issues", "dupes"])
def test_issue_and_link_lists_are_cut_alike(sample_db: tuple[Path, Any], command: str) -> None:
    args: list[str | Path] = [command, "--year", "2017", "--db", sample_db[0]]
    if command == "dupes":
        args.append("--rejected")
    rows = records(*args)
    assert len(rows) > 7
    assert records(*args, "--limit", "7") == rows[:7]
    md = run(*args, "-f", "md", "--limit", "7").stdout
    assert len([x for x in md.splitlines() if x.startswith("| ")]) == 1 + 7  # header + 7
    assert note(len(rows) - 7, len(rows)) in md
    table = run(*args).stdout  # issues: 100 of many; dupes: all 42, no note
    assert ("未列出" in table) == (len(rows) > TABLE_ROWS)
    if len(rows) > TABLE_ROWS:
        assert note(len(rows) - TABLE_ROWS, len(rows)) in table


def test_check_cuts_the_printed_list_not_the_fix_list(tmp_path: Path) -> None:
    out = tmp_path / "fix.csv"
    folder = SAMPLE / "rosters"
    res = runner.invoke(app, ["check", str(folder), "--limit", "4", "--out", str(out), "-q"],
                        env={"COLUMNS": "200"})  # fmt: skip
    assert res.exit_code in (0, 1), res.output
    fixes = list(csv.reader(io.StringIO(out.read_text("utf-8-sig"))))
    total = len(fixes) - 1
    assert total > 4
    assert note(total - 4, total) in res.stdout


def test_changes_cut_its_persons_not_its_figures(sample_db: tuple[Path, Any]) -> None:
    db = sample_db[0]
    args = ["changes", "--from", "2016", "--to", "2017", "--db", db]
    whole = json.loads(run(*args, "-f", "json").stdout)
    cut = json.loads(run(*args, "-f", "json", "--limit", "2").stdout)
    assert cut["persons"] == whole["persons"][:2]
    assert {k: v for k, v in cut.items() if k != "persons"} == {
        k: v for k, v in whole.items() if k != "persons"
    }
    lines = run(*args, "-f", "csv", "--limit", "4").stdout.splitlines()
    assert lines == run(*args, "-f", "csv").stdout.splitlines()[:5]
    n = len(whole["persons"])
    assert n > TABLE_ROWS
    table = run(*args).stdout
    assert note(n - TABLE_ROWS, n) in table
    assert str(whole["totals"]["entered"]) in table  # the figures are the whole's


def test_a_negative_limit_is_refused_with_a_usage_error(sample_db: tuple[Path, Any]) -> None:
    res = runner.invoke(app, ["persons", "--year", "2017", "--db", str(sample_db[0]),
                              "--limit", "-1"])  # fmt: skip
    assert res.exit_code == 2
    assert "--limit" in res.output and "Traceback" not in res.output


@given(
    st.lists(
        st.lists(
            st.dictionaries(
                st.sampled_from("abc"),
                st.one_of(st.none(), st.integers(), st.text(max_size=3), st.booleans()),
            ),
            max_size=3,
        ),
        max_size=4,
    )
)
def test_a_list_written_in_pieces_is_the_list_written_whole(
    batches: list[list[dict[str, Any]]],
) -> None:
    whole = [item for batch in batches for item in batch]
    assert "".join(json_list_pieces(iter(batches))) == to_json(whole)


@given(st.lists(st.lists(st.text(max_size=4), max_size=3), max_size=3))
@example([["杨\x85丽", "\u2028"], ["王芳"]])
def test_a_document_written_in_pieces_is_the_document_written_whole(
    batches: list[list[str]],
) -> None:
    """`hcs changes` writes its persons this way: a name holding U+0085 or U+2028 (line
    breaks to textwrap, not to JSON) came out with spaces inside it."""
    items = [[{"name": t} for t in b] for b in batches]
    head = {"from": 2016, "to": 2017}
    whole = {**head, "persons": [i for b in items for i in b]}
    assert "".join(json_pieces(head, "persons", iter(items))) == to_json(whole)
    assert json.loads(to_json(whole)) == whole


def test_persons_come_in_batches_as_one_listing(
    sample_db: tuple[Path, Any], tmp_path: Path
) -> None:
    """The json and csv of `hcs persons` are written batch by batch (a province lists
    millions): the rows are the listing's, in its order, whatever the batch size."""
    with Store(sample_db[0], read_only=True) as store:
        for county, limit in ((None, None), ("丰县", None), (None, 9), ("沛县", 3)):
            frame = persons(store, 2017, "probable", county, limit)
            want = frame_records(frame)
            for size in (1, 7, 5000):
                got = [r for b in persons_batches(store, 2017, "probable", county, limit, size)
                       for r in b]  # fmt: skip
                assert got == want
            if limit is None:
                assert count_persons(store, 2017, "probable", county) == len(frame)
        everyone = frame_records(persons(store, 2017))
    db = sample_db[0]
    assert run("persons", "--year", "2017", "--db", db, "-f", "json").stdout == to_json(everyone)
    text = run("persons", "--year", "2017", "--db", db, "-f", "csv").stdout
    assert text == to_csv(PERSONS_COLUMNS, [list(r.values()) for r in everyone])
    unknown = runner.invoke(app, ["persons", "--year", "2017", "--db", str(db), "-f", "json",
                                  "--county", "无此县"])  # fmt: skip
    assert unknown.exit_code == 2 and "is not a county of" in unknown.stderr
    # a county of the program without rosters lists nothing: an empty array
    config = tmp_path / "hcs.toml"
    run("config", "init", config)  # the starter lists the city's divisions
    with config.open("a", encoding="utf-8") as f:
        f.write('\n[[divisions]]\nname = "新设县"\ncode = "320399"\n')
    empty = run("persons", "--year", "2017", "--db", db, "-f", "json", "--county", "新设县",
                "--config", config)  # fmt: skip
    assert empty.exit_code == 0 and empty.stdout == "[]\n"


def test_issues_come_in_batches_as_one_list(sample_db: tuple[Path, Any], tmp_path: Path) -> None:
    """`hcs issues --format json|csv` is written batch by batch: the same rows, and a
    batch with a missing row number keeps the others whole (812980, not 812980.0)."""
    import shutil

    from handcraft_stats.issues import ISSUE_COLUMNS, count_issues, issue_batches, list_issues

    db = tmp_path / "copy.duckdb"
    shutil.copy(sample_db[0], db)
    with Store(db) as store:  # a file-level issue: no row
        store.con.execute("""INSERT INTO issues SELECT * REPLACE (NULL AS source_row)
                             FROM issues WHERE code = 'id_bad_check' AND file_id IN (
                               SELECT file_id FROM files WHERE active AND period = 2017)
                             LIMIT 1""")
    with Store(db, read_only=True) as store:
        whole = list_issues(store, 2017)
        assert whole["source_row"].isna().any()
        for size in (1, 7, 100_000):
            parts = list(issue_batches(store, 2017, size=size))
            got = [r for p in parts for r in p.to_dict("records")]
            assert got == whole.to_dict("records")
        assert count_issues(store, 2017) == len(whole)
        assert count_issues(store, 2017, county="丰县", severity="error") == len(
            list_issues(store, 2017, county="丰县", severity="error")
        )
    text = run("issues", "--year", "2017", "--db", db, "-f", "csv").stdout
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ISSUE_COLUMNS and len(rows) == len(whole) + 1
    at = ISSUE_COLUMNS.index("source_row")
    assert "" in {r[at] for r in rows[1:]} and all("." not in r[at] for r in rows[1:])
    doc = json.loads(run("issues", "--year", "2017", "--db", db, "-f", "json").stdout)
    assert len(doc) == len(whole) and all(isinstance(r["source_row"], int | None) for r in doc)


def test_links_come_in_batches_as_one_list(sample_db: tuple[Path, Any]) -> None:
    from handcraft_stats.review import dupes, dupes_batches

    with Store(sample_db[0], read_only=True) as store:
        for chosen in ((None, None, None, False, "zh", None), ("沛县", None, None, True, "en", 4),
                       (None, "same_id", "certain", False, "zh", None)):  # fmt: skip
            whole = frame_records(dupes(store, 2017, "probable", *chosen))
            assert whole
            for size in (1, 5, 10_000):
                parts = dupes_batches(store, 2017, "probable", *chosen, size=size)
                assert [r for p in parts for r in frame_records(p)] == whole
