"""hcs changes: every change type and cross-period check on small rosters."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from conftest import write_xlsx
from handcraft_stats import Store, ingest, load_settings
from handcraft_stats.changes import changes
from handcraft_stats.cli import app
from handcraft_stats.normalize.idnumber import check_character

HEADER = [
    "姓名",
    "身份证号码",
    "出生日期",
    "劳动能力",
    "就业意愿",
    "从业产业",
    "脱贫状态",
    "脱贫年度",
]


def ident(n: int) -> str:
    body = f"320321198{n:01d}0101{n:02d}2"[:17]
    return body + check_character(body)


def person(n: int, name: str, **kw: object) -> list[object]:
    v = {
        "birth": "",
        "cap": "普通劳动力",
        "will": "是",
        "wing": "手工",
        "status": "未脱贫",
        "year": "",
    }
    v.update(kw)
    return [name, ident(n), v["birth"], v["cap"], v["will"], v["wing"], v["status"], v["year"]]


def build(tmp_path: Path) -> Path:
    y16, y17 = tmp_path / "2016", tmp_path / "2017"
    y16.mkdir()
    y17.mkdir()
    write_xlsx(y16 / "丰县2016.xlsx", {"S": [HEADER,
        person(1, "张丽"),                                        # exits in 2017
        person(2, "王芳", status="已脱贫", year=2016),             # returns in 2017
        person(3, "陈梅"),                                        # leaves, not exited
        person(4, "李兰", wing="手工"),                           # changes wing
        person(5, "刘英", cap="弱劳动力"),                        # changes class
        person(6, "赵霞", status="已脱贫", year=2016),            # exit reverted
        person(7, "孙红", status="已脱贫", year=2016),            # exit year changed
        person(8, "周燕", birth="1980-01-01"),                    # birth date changed
        person(9, "吴萍"),                                        # name changed
        person(0, "郑娟", status="已脱贫", year=2016),            # leaves after exit
        ["马玲", "", "1975-03-03", "普通劳动力", "是", "农业", "未脱贫", ""],  # no ID, stays
    ]})  # fmt: skip
    write_xlsx(y16 / "沛县2016.xlsx", {"S": [HEADER, ["胡敏", "", "", "", "", "", "", ""]]})
    write_xlsx(y17 / "丰县2017.xlsx", {"S": [HEADER,
        person(1, "张丽", status="已脱贫", year=2017),
        person(2, "王芳", status="返贫"),
        person(4, "李兰", wing="家政"),
        person(5, "刘英", cap="普通劳动力"),
        person(6, "赵霞", status="未脱贫"),
        person(7, "孙红", status="已脱贫", year=2017),
        person(8, "周燕", birth="1980-02-02"),
        person(9, "吴平"),
        ["马玲", "", "1975-03-03", "普通劳动力", "是", "农业", "未脱贫", ""],
        ["杨梅", "", "", "", "", "", "", ""],                     # enters
    ]})  # fmt: skip
    write_xlsx(
        y17 / "沛县2017.xlsx", {"S": [HEADER, person(3, "陈梅")]}
    )  # moved 丰县 -> 沛县? no: left 丰县
    db = tmp_path / "t.duckdb"
    with Store(db) as s:
        ingest([tmp_path], s, load_settings(None))
    return db


def test_every_change_and_check(tmp_path: Path) -> None:
    db = build(tmp_path)
    with Store(db, read_only=True) as s:
        doc = changes(s, 2016, 2017).to_dict()
    by_name = {p["name"]: (p["changes"], p["checks"]) for p in doc["persons"]}
    assert by_name["张丽"] == (["exited"], [])
    assert by_name["王芳"] == (["returned"], [])
    assert by_name["陈梅"] == (["moved_county"], [])
    assert by_name["李兰"] == (["changed_wing"], [])
    assert by_name["刘英"] == (["changed_class"], [])
    assert by_name["赵霞"] == ([], ["exit_reverted"])
    assert by_name["孙红"] == (["exited"], ["exit_year_changed"])
    assert by_name["周燕"] == ([], ["birth_date_changed"])
    assert by_name["吴平"] == ([], ["name_changed"])
    assert by_name["郑娟"] == (["left"], [])
    assert by_name["胡敏"] == (["left"], ["missing_without_reason"])
    assert by_name["杨梅"] == (["entered"], [])
    assert "马玲" not in by_name  # matched by name + birth date, nothing changed
    assert doc["totals"] == {"entered": 1, "left": 2, "exited": 2, "returned": 1, "moved_county": 1,
                             "changed_wing": 1, "changed_class": 1}  # fmt: skip
    assert doc["by_county"]["沛县"]["moved_county"] == 1 and doc["by_county"]["沛县"]["left"] == 1
    assert doc["by_wing"]["domestic_service"]["changed_wing"] == 1
    assert doc["checks"] == {"exit_reverted": 1, "exit_year_changed": 1, "birth_date_changed": 1,
                             "name_changed": 1, "missing_without_reason": 1}  # fmt: skip
    assert all("*" in p["id_number"] or not p["id_number"] for p in doc["persons"])


def test_changes_cli_formats(tmp_path: Path) -> None:
    db = build(tmp_path)
    runner = CliRunner()
    res = runner.invoke(
        app, ["changes", "--from", "2016", "--to", "2017", "--db", str(db), "--format", "json"]
    )
    assert res.exit_code == 0, res.output
    assert "NaN" not in res.stdout  # was written for a missing exit year: not JSON
    with Store(db, read_only=True) as s:
        assert json.loads(res.stdout) == json.loads(json.dumps(changes(s, 2016, 2017).to_dict()))
    md = runner.invoke(
        app, ["changes", "--from", "2016", "--to", "2017", "--db", str(db), "--format", "md"]
    )
    assert "跨县迁移" in md.stdout and "未脱贫即退出名册" in md.stdout
    csv = runner.invoke(
        app, ["changes", "--from", "2016", "--to", "2017", "--db", str(db), "--format", "csv"]
    )
    assert csv.stdout.splitlines()[0].startswith("county,name,id_number")
    assert ident(1) not in res.stdout + md.stdout + csv.stdout
    bad = runner.invoke(app, ["changes", "--from", "2015", "--to", "2017", "--db", str(db)])
    assert bad.exit_code == 2 and "periods: 2016, 2017" in bad.stderr


def test_two_women_sharing_a_person_key_across_periods_are_not_one(
    tmp_path: Path, monkeypatch: object
) -> None:
    """Person keys are 48 bits: two periods of millions share some keys by chance. With
    keys narrowed, a woman of 2016 and another of 2017 draw one key: they
    are matched only if their IDs (else names) agree, so one left and one entered.
    (Keys narrowed to two values here: the salt is the database's own, random.)"""
    import handcraft_stats.person_keys as person_keys

    real = person_keys._mac

    def narrow(salt: str, bases: list[str]) -> list[str]:  # two keys in all
        return ["P" + "0" * 11 + str(int(k[-1], 16) % 2) for k in real(salt, bases)]

    monkeypatch.setattr(person_keys, "_mac", narrow)  # type: ignore[attr-defined]
    db = tmp_path / "t.duckdb"
    with Store(db) as s:
        salt = s.salt()
    made = [f"32032119800101{n:03d}" for n in range(100)]
    first, *others = [b + check_character(b) for b in made]
    second = next(n for n in others if narrow(salt, [f"id:{n}"]) == narrow(salt, [f"id:{first}"]))
    for year, row in ((2016, ["张丽", first]), (2017, ["王芳", second])):
        folder = tmp_path / str(year)
        folder.mkdir()
        write_xlsx(folder / f"丰县{year}.xlsx", {"S": [HEADER[:2], row]})
    with Store(db) as s:
        ingest([tmp_path / "2016", tmp_path / "2017"], s, load_settings(None), jobs=1)
        doc = changes(s, 2016, 2017).to_dict()
    by_name = {p["name"]: p["changes"] for p in doc["persons"]}
    assert by_name == {"张丽": ["left"], "王芳": ["entered"]}


def _same_document(db: Path, y1: int, y2: int, tier: str = "probable") -> None:
    """The DuckDB query and the pandas oracle (tests/changes_reference.py) give one
    document; persons of equal name, changes and checks may come in either order (the
    oracle's sort is not stable)."""
    import changes_reference

    with Store(db, read_only=True) as s:
        new = changes(s, y1, y2, tier).to_dict()
        old = changes_reference.changes(s, y1, y2, tier).to_dict()
    assert [k for k in new] == [k for k in old]
    for k in new:
        if k != "persons":
            assert new[k] == old[k], k

    def key(r: dict[str, object]) -> tuple[object, ...]:
        return (r["name"] or "", r["changes"], r["checks"])

    assert [key(r) for r in new["persons"]] == [key(r) for r in old["persons"]]
    rows = [json.dumps(r, sort_keys=True, ensure_ascii=False, allow_nan=False)
            for r in new["persons"]]  # fmt: skip
    # the oracle wrote a missing exit year or wing as NaN (not JSON); now it is null
    nan = [{k: None if isinstance(v, float) and v != v else v for k, v in r.items()}
           for r in old["persons"]]  # fmt: skip
    expected = [json.dumps(r, sort_keys=True, ensure_ascii=False) for r in nan]
    assert sorted(rows) == sorted(expected)


def test_the_query_equals_the_pandas_oracle_on_the_sample(
    sample_db: tuple[Path, object, object],
) -> None:
    for tier in ("probable", "certain"):
        _same_document(sample_db[0], 2016, 2017, tier)


def test_the_query_equals_the_pandas_oracle_on_small_rosters(tmp_path: Path) -> None:
    _same_document(build(tmp_path), 2016, 2017)


@pytest.mark.parametrize("seed", range(5))
def test_the_query_equals_the_pandas_oracle_on_generated_periods(tmp_path: Path, seed: int) -> None:
    """Two periods of women drawn from one pool: some stay (some with another ID cell, name
    spelling, wing, class or status), some leave, some enter, some move county, some
    twins (one name and birth date) without an ID."""
    r = random.Random(seed)
    wings, statuses = ["手工", "家政", "电商", "种植", ""], ["已脱贫", "未脱贫", "返贫", ""]
    pool = [(n, f"{r.choice('张王李刘陈')}{r.choice('丽芳兰英霞')}", r.choice(["", "1980-01-01"]))
            for n in range(10)]  # fmt: skip
    for year in (2016, 2017):
        folder = tmp_path / str(year)
        folder.mkdir()
        for county in ("丰县", "沛县"):
            rows = [HEADER]
            for n, name, birth in r.sample(pool, r.randint(3, 8)):
                id_cell = r.choice([ident(n), ident(n), ""])
                rows.append([name, id_cell, birth, r.choice(["普通劳动力", "弱劳动力", ""]),
                             "是", r.choice(wings), r.choice(statuses),
                             r.choice(["", year, year - 1])])  # fmt: skip
            write_xlsx(folder / f"{county}{year}.xlsx", {"S": rows})
    db = tmp_path / "t.duckdb"
    with Store(db) as s:
        ingest([tmp_path / "2016", tmp_path / "2017"], s, load_settings(None), jobs=1)
    for tier in ("probable", "certain"):
        _same_document(db, 2016, 2017, tier)


@pytest.mark.parametrize("sizes", [[], [0], [1], [3, 0, 2], [5, 5]])
def test_json_in_pieces_is_the_document(sizes: list[int]) -> None:
    """`hcs changes --format json` writes its persons batch by batch; the text is exactly
    the one document `to_json` writes."""
    from handcraft_stats.report.text import json_pieces, to_json

    head = {"from": 2016, "to": 2017, "by_county": {"丰县": {"left": 1}}, "checks": {}}
    n = iter(range(100))
    batches = [[{"name": f"张{next(n)}", "changes": ["left"], "counties_from": [], "x": None}
                for _ in range(k)] for k in sizes]  # fmt: skip
    whole = {**head, "persons": [r for b in batches for r in b]}
    assert "".join(json_pieces(head, "persons", batches)) == to_json(whole)


def test_changes_csv_in_batches(tmp_path: Path) -> None:
    db = build(tmp_path)
    res = CliRunner().invoke(
        app, ["changes", "--from", "2016", "--to", "2017", "--db", str(db), "--format", "csv"]
    )
    with Store(db, read_only=True) as s:
        rows = changes(s, 2016, 2017).persons
    lines = res.stdout.splitlines()
    assert lines[0].split(",") == list(rows.columns)
    assert len(lines) == 1 + len(rows) == 13
    assert lines.count(lines[0]) == 1  # one header


def test_changes_bounds_duckdb_and_gives_the_limit_back(tmp_path: Path) -> None:
    """The query runs with DuckDB bounded to a share of the memory; the connection's own
    limit is back afterwards, and a second run on the same connection works."""
    import handcraft_stats.changes as module

    db = build(tmp_path)
    seen: list[str] = []
    with Store(db, read_only=True) as s:
        s.con.execute("SET memory_limit = '300MiB'")
        real = module._person_rows

        def spy(store: Store) -> object:
            rows = store.con.execute("SELECT current_setting('memory_limit')").fetchall()
            seen.append(str(rows[0][0]))
            return real(store)

        module._person_rows = spy  # type: ignore[assignment]
        try:
            first = changes(s, 2016, 2017).to_dict()
            second = changes(s, 2016, 2017).to_dict()
        finally:
            module._person_rows = real
        after = s.con.execute("SELECT current_setting('memory_limit')").fetchone()
    assert first == second
    assert seen and all(v != "300.0 MiB" for v in seen)  # bounded by SHARE meanwhile
    assert after is not None and after[0] == "300.0 MiB"


def test_a_woman_whose_fuller_record_has_a_mistyped_id_is_one_woman_across_periods(
    tmp_path: Path,
) -> None:
    """2016: her valid ID on a sparse record, and a fuller one whose ID has one digit
    mistyped (linked to it as id_typo). 2017: her valid ID. She was `left` and `entered`:
    her person carried the fuller record's ID, which 2017's did not match."""
    y16, y17 = tmp_path / "2016", tmp_path / "2017"
    y16.mkdir()
    y17.mkdir()
    good = ident(3)
    typo = good[:13] + str((int(good[13]) + 1) % 10) + good[14:]  # a birth-day digit
    write_xlsx(y16 / "丰县2016.xlsx", {"S": [HEADER,
        ["陈梅", good, "", "", "", "", "", ""],
        ["陈梅", typo, "", "普通劳动力", "是", "手工", "未脱贫", ""],
    ]})  # fmt: skip
    write_xlsx(y17 / "丰县2017.xlsx", {"S": [HEADER, person(3, "陈梅")]})
    db = tmp_path / "t.duckdb"
    with Store(db) as s:
        for d in (y16, y17):
            ingest([d], s, load_settings(None))
    with Store(db, read_only=True) as s:
        doc = changes(s, 2016, 2017).to_dict()
        (person_id,) = s.con.execute(
            "SELECT id_number FROM persons WHERE period = 2016 AND tier = 'probable'"
        ).fetchone() or (None,)
    assert person_id == good  # her valid ID, not the fuller record's mistyped one
    assert doc["totals"]["left"] == doc["totals"]["entered"] == 0


def _changes_of(tmp_path: Path) -> dict[str, Any]:
    """`hcs changes --from 2016 --to 2017` of the rosters under tmp_path/r."""
    with Store(tmp_path / "t.duckdb") as store:
        ingest([tmp_path / "r"], store, load_settings(None))
        return changes(store, 2016, 2017).to_dict()


def test_a_woman_without_id_or_birth_date_is_matched_by_name_and_phone(tmp_path: Path) -> None:
    """周梅 has no ID and no birth date on either year's roster: her person key is her
    row's, which the other year does not repeat, so she was entered + left +
    missing_without_reason. Her name and phone, unique on both sides, match her; a
    namesake with another phone is a woman of her own."""
    head = ["姓名", "身份证号码", "联系电话", "从业产业"]
    for year, rows in {
        2016: [["周梅", "", "13812345678", "手工"], ["吴芳", "", "13900000001", "家政"]],
        2017: [["王芳", "", "", "农业"], ["周梅", "", "13812345678", "手工"],
               ["吴芳", "", "13900000002", "家政"]],
    }.items():  # fmt: skip
        (tmp_path / "r").mkdir(exist_ok=True)
        write_xlsx(tmp_path / "r" / f"丰县{year}年花名册.xlsx", {"S": [head, *rows]})
    doc = _changes_of(tmp_path)
    assert doc["totals"]["entered"] == 2 and doc["totals"]["left"] == 1  # 王芳, 吴芳 / 吴芳
    assert doc["checks"]["missing_without_reason"] == 1
    assert sorted(p["name"] for p in doc["persons"]) == ["吴芳", "吴芳", "王芳"]


def test_a_woman_without_id_birth_date_or_phone_is_matched_by_name_and_village(
    tmp_path: Path,
) -> None:
    """周梅 of 张庄村 has no ID, no birth date and no phone on either year's roster: she was
    entered + left + missing_without_reason. Her name, town and village, unique on both
    sides, match her (her wing changed); 吴芳 of 李庄村 and 吴芳 of 王庄村 are two women; 刘英
    without a village is not matched by her name and county alone."""
    head = ["姓名", "身份证号码", "乡镇", "行政村", "从业产业"]
    for year, rows in {
        2016: [["周梅", "", "凤城镇", "张庄村", "手工"], ["吴芳", "", "凤城镇", "李庄村", "家政"],
               ["刘英", "", "凤城镇", "", ""]],
        2017: [["周梅", "", "凤城镇", "张庄村", "电商"], ["吴芳", "", "凤城镇", "王庄村", "家政"],
               ["刘英", "", "凤城镇", "", ""]],
    }.items():  # fmt: skip
        (tmp_path / "r").mkdir(exist_ok=True)
        write_xlsx(tmp_path / "r" / f"丰县{year}年花名册.xlsx", {"S": [head, *rows]})
    doc = _changes_of(tmp_path)
    assert (doc["totals"]["entered"], doc["totals"]["left"]) == (2, 2)  # 吴芳, 刘英
    assert doc["totals"]["changed_wing"] == 1
    zhou = [p for p in doc["persons"] if p["name"] == "周梅"]
    assert [(p["changes"], p["wing_from"], p["wing_to"]) for p in zhou] == [
        (["changed_wing"], "handicraft", "ecommerce"),
    ]  # fmt: skip
    _same_document(tmp_path / "t.duckdb", 2016, 2017)


def test_a_shared_phone_does_not_match_women_of_different_birth_dates(tmp_path: Path) -> None:
    """王芳 with her ID (born 1980) in 2016 and a 王芳 without ID born 1975 in 2017, one
    phone (a family's or a cadre's): two women, not one who stayed."""
    head = ["姓名", "身份证号码", "出生日期", "联系电话"]
    (tmp_path / "r").mkdir()
    write_xlsx(tmp_path / "r" / "丰县2016年花名册.xlsx",
               {"S": [head, ["王芳", ident(1), "", "13812345678"]]})  # fmt: skip
    write_xlsx(tmp_path / "r" / "丰县2017年花名册.xlsx",
               {"S": [head, ["王芳", "", "1975-05-05", "13812345678"]]})  # fmt: skip
    with Store(tmp_path / "t.duckdb") as store:
        ingest([tmp_path / "r"], store, load_settings(None))
        doc = changes(store, 2016, 2017).to_dict()
    assert (doc["totals"]["entered"], doc["totals"]["left"]) == (1, 1)


def test_two_valid_ids_are_two_women_whatever_else_they_share(tmp_path: Path) -> None:
    """张丽 of 丰县 (2016) and 张丽 of 沛县 (2017), born the same day, different valid IDs:
    one woman who moved county, said `changes`, by name + first 15 ID characters or name +
    birth date. METRICS.md §2: two different valid IDs are never one person."""
    head = ["姓名", "身份证号码"]
    a, b = "320321198001010024", "320322198001010047"
    c, d = "320321198105050223", "320321198105050469"  # one county, one birth date
    (tmp_path / "r").mkdir()
    write_xlsx(tmp_path / "r" / "丰县2016年花名册.xlsx", {"S": [head, ["张丽", a], ["王芳", c]]})
    write_xlsx(tmp_path / "r" / "沛县2017年花名册.xlsx", {"S": [head, ["张丽", b]]})
    write_xlsx(tmp_path / "r" / "丰县2017年花名册.xlsx", {"S": [head, ["王芳", d]]})
    with Store(tmp_path / "t.duckdb") as store:
        ingest([tmp_path / "r"], store, load_settings(None))
        doc = changes(store, 2016, 2017).to_dict()
    assert {k: doc["totals"][k] for k in ("entered", "left", "moved_county")} == {
        "entered": 2, "left": 2, "moved_county": 0,
    }  # fmt: skip
    assert doc["checks"]["missing_without_reason"] == 2
    _same_document(tmp_path / "t.duckdb", 2016, 2017)
