"""`hcs summary` and `hcs export` over the store (the hcs DuckDB database) at scale.

Builds a store directly, without `hcs ingest`: `Store(path)` creates the real schema,
then DuckDB SQL (`range()`, `hash()`) fills `files`, `sheets`, `records`, `persons`,
`person_records`, `issues`, `links` and `skipped_rows` for each period with generated
values: the ten Xuzhou divisions (or `--counties N` invented ones), two active rosters
and one replaced (inactive) version per county and period, every class, wing and
status, missing trainings and incomes, 5 % of the women with a second record (2 % of
all on two counties' rosters), certain and probable links (a probable link leaves two
persons at the certain tier), ID issues, value issues, conflicts and skipped rows.
IDs, names and phones are invented and never printed.

Then, for the last period, times in one run:

* baseline: one DuckDB `GROUP BY wing` over the period's persons (the floor);
* `summarize(store, year)`: what `hcs summary --year Y` computes, in this process;
* `hcs summary --year Y --format json` end to end (a subprocess: start-up included);
* `hcs export --year Y --out DIR` end to end (a subprocess).

Prints the shortest of `--repeat` runs of each (the machine is shared) in seconds, as
ratios to the baseline, and peak memory (the subprocesses' own peak RSS from their
rusage, i.e. RUSAGE_CHILDREN per child; this process's VmHWM for `summarize`), and
checks that the JSON of `hcs summary` and the export's summary.json are the library's.

    .venv/bin/python bench/summary.py --sizes 1000000,10000000
"""

from __future__ import annotations

import argparse
import contextlib
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb

from handcraft_stats import Store
from handcraft_stats.classify import WINGS
from handcraft_stats.config import load_settings
from handcraft_stats.metrics import summarize
from handcraft_stats.report.text import to_json

SURNAMES = "王李张刘陈杨黄赵周吴徐孙朱马胡郭林何高罗郑梁谢宋唐许韩冯邓曹"
GIVEN = "丽芳敏静燕秀英华玲红梅霞娟艳萍桂兰凤云莉洁琴"
TOWNS = ["城关", "大许", "房村", "伊庄", "利国", "柳新", "单集", "大屯", "龙固", "杨屯",
         "胡寨", "魏庙"]  # fmt: skip
NOTES = [  # some to neutralise (- =), to quote (, "), to scrub (a phone, an ID)
    "居家灵活就业", "残疾", "外出务工返乡", "照顾老人", "单亲家庭", "家中有病人",
    "-已核实", "=重点户", "外出务工,已返乡", '称"巧手"', "本人电话{phone}", "身份证{id}待核", "",
]  # fmt: skip
# (code, severity, column, value SQL, message prefix) of the value issues
VALUE_ISSUES = [
    ("bad_value", "warning", "trainings", "'若干'", "无法识别的值："),
    ("unknown_value", "warning", "willing", "'见备注'", "不在取值范围内的值："),
    ("income_implausible", "warning", "income_before", "'250000'", "收入不合理："),
    ("phone_invalid", "warning", "phone", "'0516' || lpad((h % 10000000)::VARCHAR, 7, '0')",
     "联系电话不是11位手机号码"),
    ("visit_outside_period", "warning", "visit_date", "'2015-01-08'", "回访日期不在本年度内："),
    ("exit_after_period", "error", "exit_year", "'2019'", "脱贫年度晚于本报告年度："),
    ("capacity_age_able", "warning", "labor_capacity", "'66'", "年龄66岁却登记为有劳动能力"),
    ("broker_is_beneficiary", "warning", "broker", "'刘英华'", "结对经纪人同时登记为帮扶对象："),
]  # fmt: skip
ID_ISSUES = {
    "precision_lost": ("id_precision_lost", "error", "身份证号码以数字格式保存，末几位已丢失"),
    "upgraded15": ("id_upgraded", "info", "15位旧身份证号码，已升级为18位"),
    "bad_check": ("id_bad_check", "error", "身份证号码校验位错误"),
    "malformed": ("id_length", "error", "身份证号码位数错误（应为18位或15位）"),
    "missing": ("id_missing", "error", "身份证号码为空"),
}
SKIPPED = ("title", "info", "header", "blank", "blank", "totals", "signature", "note")
REASONS = (  # (reason, link tier, share of the second records)
    ("same_id", "certain", 0.55), ("id_upgraded", "certain", 0.10),
    ("same_row", "certain", 0.05), ("id_precision_lost", "probable", 0.12),
    ("id_typo", "probable", 0.10), ("name_birth", "probable", 0.08),
)  # fmt: skip


def _pick(options: list[tuple[str, float]], u: str) -> str:
    """A CASE over cumulative shares: `u` is a uniform [0, 1) SQL expression."""
    parts, acc = [], 0.0
    for value, share in options[:-1]:
        acc += share
        parts.append(f"WHEN {u} < {acc:.6f} THEN '{value}'")
    return f"CASE {' '.join(parts)} ELSE '{options[-1][0]}' END"


def _build_period(con: duckdb.DuckDBPyConnection, year: int, n: int, slot: int,
                  counties: list[tuple[str, str]], seed: int) -> None:  # fmt: skip
    """One period: about n active records (5 % of the women with a second record)."""
    c = len(counties)
    people = round(n / 1.05)
    names = ", ".join(f"('{name}', '{code}', {i})" for i, (name, code) in enumerate(counties))
    con.execute(f"CREATE OR REPLACE TEMP TABLE gc(county VARCHAR, area VARCHAR, ci INTEGER); "
                f"INSERT INTO gc VALUES {names}")  # fmt: skip
    s = f"{seed * 1000 + year}"

    def u(tag: str, key: str = "p") -> str:
        return f"((hash({key}, {s}, '{tag}') % 1000003) / 1000003.0)"

    def h(tag: str, key: str = "p") -> str:
        return f"hash({key}, {s}, '{tag}')"

    reason = _pick([(r, share) for r, _, share in REASONS], u("reason"))
    capacity = _pick([("able", .5), ("skilled", .1), ("weak", .2), ("lost", .05), ("none", .03),
                      ("unknown", .12)], u("cap"))  # fmt: skip
    willing = _pick([("yes", 0.65), ("no", 0.15), ("unknown", 0.2)], u("will"))
    wing = _pick([(w, s_) for w, s_ in zip(WINGS, (.35, .2, .15, .18, .05, .07), strict=True)],
                 u("wing"))  # fmt: skip
    status = _pick([("not_exited", 0.55), ("exited", 0.4), ("returned", 0.05)], u("status"))
    id_status = _pick([("valid", .93), ("precision_lost", .03), ("upgraded15", .01),
                       ("missing", .015), ("bad_check", .005), ("malformed", .01)],
                      u("idst"))  # fmt: skip
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE gp AS
        SELECT *,
            CASE WHEN capacity IN ('able', 'skilled') THEN 'able_' || wsuffix
                 WHEN capacity = 'weak' THEN 'weak_' || wsuffix
                 WHEN capacity IN ('lost', 'none') THEN 'unable' ELSE 'unknown' END AS class,
            area || strftime(birth, '%Y%m%d') || lpad(((hseq % 500) * 2)::VARCHAR, 3, '0')
                || substr('10X98765432', 1 + (hseq % 11)::INTEGER, 1) AS id18,
            'P' || lpad(to_hex({h('key')} >> 16), 12, '0') AS key1,
            'P' || lpad(to_hex({h('key2')} >> 16), 12, '0') AS key2
        FROM (
            SELECT p, g.ci, g.county, g.area,
                {u('dup')} < 0.05 AS dup, {u('cross')} < 0.4 AS cross_county,
                {reason} AS reason, {capacity} AS capacity, {willing} AS willing,
                CASE WHEN {willing} = 'yes' THEN 'willing' WHEN {willing} = 'no'
                     THEN 'unwilling' ELSE 'unknown' END AS wsuffix,
                {wing} AS wing,
                CASE WHEN {u('tr')} < 0.1 THEN NULL ELSE ({h('tr')} % 6)::INTEGER END
                    AS trainings,
                {u('np')} < 0.3 AS new_practitioner,
                CASE WHEN {u('ib')} < 0.15 THEN NULL ELSE ({h('ib')} % 8000)::BIGINT * 100 END
                    AS income_before_cents,
                CASE WHEN {u('ia')} < 0.1 THEN NULL
                     ELSE ({h('ib')} % 8000)::BIGINT * 100 + ({h('ia')} % 300000)::BIGINT END
                    AS income_after_cents,
                {status} AS status,
                CASE WHEN {status} = 'exited' AND {u('ex')} > 0.005
                         THEN {year} - ({h('ex')} % 4)::INTEGER
                     WHEN {status} = 'returned' THEN {year} - 1 - ({h('ex')} % 2)::INTEGER END
                    AS exit_year,
                substr('{SURNAMES}', 1 + ({h('sn')} % {len(SURNAMES)})::INTEGER, 1)
                    || substr('{GIVEN}', 1 + ({h('g1')} % {len(GIVEN)})::INTEGER, 1)
                    || CASE WHEN {u('g2')} < 0.5 THEN substr('{GIVEN}',
                       1 + ({h('g2')} % {len(GIVEN)})::INTEGER, 1) ELSE '' END AS name,
                DATE '1950-01-01' + ({h('birth')} % 18000)::INTEGER AS birth,
                {h('seq')} AS hseq, {id_status} AS id_status,
                CASE WHEN {u('ph')} < 0.3 THEN NULL ELSE '1' || (3 + {h('ph')} % 7)::VARCHAR
                     || lpad(({h('ph2')} % 1000000000)::VARCHAR, 9, '0') END AS phone,
                ({h('town')} % {len(TOWNS)})::INTEGER AS town, ({h('vil')} % 30)::INTEGER AS vil
            FROM range({people}) t(p) JOIN gc g ON g.ci = {h('county')} % {c}
        )""")  # fmt: skip
    # record slots: every woman's first record, a second one for 5 % (another county for 40 %)
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE gr AS
        SELECT *, {slot} * 100000000 + row_number() OVER (ORDER BY rci, file_no, p, k)
                AS record_id,
            2 + row_number() OVER (PARTITION BY rci, file_no ORDER BY p, k) AS source_row
        FROM (
            SELECT p, 0 AS k, ci AS rci, ({h('file')} % 2)::INTEGER AS file_no FROM gp
            UNION ALL
            SELECT p, 1, CASE WHEN cross_county THEN (ci + 1) % {c} ELSE ci END,
                   ({h('file2')} % 2)::INTEGER FROM gp WHERE dup
        )""")  # fmt: skip
    con.execute(f"""
        INSERT INTO files
        SELECT {slot} * 1000 + ci * 3 + f AS file_id, name, 'rosters/' || name, sha256(name),
            1000000 + ci, 'xlsx', county, {year}, CASE WHEN f = 2 THEN 1 ELSE 2 END,
            f < 2, CASE WHEN f = 2 THEN {slot} * 1000 + ci * 3 END,
            TIMESTAMP '{year + 1}-01-10 09:00:00' + INTERVAL (f) MINUTE, 1,
            (SELECT count(*) FROM gr WHERE rci = ci AND CASE WHEN f = 2
                 THEN k = 0 AND p % 100 = 0 ELSE file_no = f END), NULL, NULL
        FROM (SELECT ci, county, f, county || '{year}年妇女精准扶贫花名册' || f || '.xlsx' AS name
              FROM gc, range(3) t(f))""")  # fmt: skip
    towns = "[" + ", ".join(f"'{t}'" for t in TOWNS) + "]"
    notes = "[" + ", ".join(f"'{t}'" for t in NOTES) + "]"
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE grec AS
        SELECT r.record_id, {slot} * 1000 + r.rci * 3 + r.file_no AS file_id, {year} AS period,
            rc.county, rc.county || '{year}年妇女精准扶贫花名册' || r.file_no || '.xlsx'
                AS source_file,
            CASE WHEN r.file_no = 1 THEN {towns}[1 + (r.p % {len(TOWNS)})::INTEGER] || '镇'
                 ELSE 'Sheet1' END AS source_sheet,
            r.source_row::INTEGER AS source_row, g.name, g.name AS name_raw, g.name AS name_key,
            CASE st WHEN 'missing' THEN NULL WHEN 'precision_lost' THEN left(g.id18, 15)
                WHEN 'bad_check' THEN left(g.id18, 17) || '0'
                WHEN 'malformed' THEN left(g.id18, 17) ELSE g.id18 END AS id_number,
            st AS id_status, CASE WHEN st IN ('valid', 'upgraded15') THEN g.id18 END AS id_key,
            g.birth AS birth_date, NULL AS county_text,
            {towns}[1 + g.town] || '镇' AS town,
            {towns}[1 + (g.town + g.vil) % {len(TOWNS)}] || g.vil || '村' AS village,
            g.name AS household_head, CASE WHEN g.p % 3 = 0 THEN '本人' ELSE '配偶' END
                AS relation_to_head,
            g.phone, g.capacity AS labor_capacity, g.willing, g.wing, g.trainings,
            g.new_practitioner, (g.income_before_cents / 100)::DECIMAL(14, 2) AS income_before,
            (g.income_after_cents / 100)::DECIMAL(14, 2) AS income_after, g.exit_year,
            g.status, CASE WHEN {u('br')} < 0.2 THEN '刘英华' END AS broker,
            CASE WHEN {u('vd')} < 0.6 THEN DATE '{year}-01-01' + ({h('vd')} % 365)::INTEGER END
                AS visit_date,
            CASE WHEN {u('note')} < 0.05 THEN replace(replace(
                {notes}[1 + ({h('note')} % {len(NOTES)})::INTEGER], '{{phone}}',
                coalesce(g.phone, '13800001111')), '{{id}}', g.id18) END AS note,
            15 AS filled, CASE WHEN {u('ext')} < 0.2 THEN '{{"文化程度": "高中"}}' END AS extras,
            r.p, r.k, r.rci, g.dup, g.reason, g.key1, g.key2
        FROM gr r JOIN gp g USING (p) JOIN gc rc ON rc.ci = r.rci,
        LATERAL (SELECT CASE WHEN r.k = 1 AND g.reason = 'id_precision_lost' THEN 'precision_lost'
                     WHEN r.k = 1 AND g.reason = 'id_typo' THEN 'bad_check'
                     WHEN r.k = 1 AND g.reason = 'name_birth' THEN 'missing'
                     WHEN r.k = 1 AND g.reason = 'id_upgraded' THEN 'upgraded15'
                     WHEN r.k = 1 THEN 'valid' ELSE g.id_status END AS st)
        """)  # fmt: skip
    cols = "record_id, file_id, period, county, source_file, source_sheet, source_row, name, " \
        "name_raw, name_key, id_number, id_status, id_key, birth_date, county_text, town, " \
        "village, household_head, relation_to_head, phone, labor_capacity, willing, wing, " \
        "trainings, new_practitioner, income_before, income_after, exit_year, status, broker, " \
        "visit_date, note, filled, extras"  # fmt: skip
    con.execute(f"INSERT INTO records ({cols}) SELECT {cols} FROM grec ORDER BY record_id")
    # the replaced version of each county's roster: 1 % of its records, again
    con.execute(f"""
        INSERT INTO records ({cols})
        SELECT {cols.replace('record_id, file_id', f'record_id + 50000000, {slot} * 1000 + '
                             'rci * 3 + 2')}
        FROM grec WHERE p % 100 = 0 AND k = 0 ORDER BY record_id""")  # fmt: skip
    certain = "('same_id', 'id_upgraded', 'same_row')"
    for tier in ("certain", "probable"):
        split = f"(r.k = 1 AND r.reason NOT IN {certain})" if tier == "certain" else "false"
        con.execute(f"""
            INSERT INTO person_records
            SELECT {year}, '{tier}', record_id, CASE WHEN {split} THEN key2 ELSE key1 END,
                county FROM grec r ORDER BY record_id""")  # fmt: skip
        joined = "g.dup" if tier == "probable" else f"(g.dup AND g.reason IN {certain})"
        con.execute(f"""
            INSERT INTO persons BY NAME
            SELECT {year} AS period, '{tier}' AS tier, key AS person_key, survivor,
                records, counties, probable, g.name, g.id18 AS id_number,
                g.birth AS birth_date, g.phone, g.capacity AS labor_capacity, g.willing,
                g.class, g.wing, g.trainings, g.new_practitioner, g.income_before_cents,
                g.income_after_cents, g.exit_year, g.status, g.id_status <> 'missing' AS has_id,
                m.places[1] AS county,
                CASE WHEN len(m.places) > 1 THEN m.places[2:] END AS other_counties
            FROM (
                SELECT p, key1 AS key, min(record_id) AS survivor, count(*) AS records,
                    count(DISTINCT county) AS counties,
                    bool_or(k = 1 AND reason NOT IN {certain}) AS probable,
                    list_sort(list_distinct(list(county))) AS places
                FROM grec r WHERE NOT {split} GROUP BY p, key1
                UNION ALL
                SELECT p, key2, record_id, 1, 1, false, [county] FROM grec r WHERE {split}
            ) m JOIN gp g USING (p) ORDER BY key""")  # fmt: skip
        con.execute(f"""
            INSERT INTO links
            SELECT {year}, '{tier}', a.record_id, b.record_id, b.reason,
                CASE WHEN b.reason IN {certain} THEN 'certain' ELSE 'probable' END, 'accepted'
            FROM grec a JOIN grec b ON a.p = b.p AND a.k = 0 AND b.k = 1
            WHERE {joined.replace('g.', 'b.')}
            UNION ALL
            SELECT {year}, '{tier}', a.record_id, b.record_id, 'name_birth', 'probable',
                CASE WHEN a.p % 2 = 0 THEN 'ambiguous' ELSE 'outranked' END
            FROM grec a JOIN grec b ON b.p = a.p + 1 AND a.k = 0 AND b.k = 0
            WHERE '{tier}' = 'probable' AND a.p % 1000 = 7""")  # fmt: skip
        con.execute(f"""
            INSERT INTO issues
            SELECT file_id, record_id, {year}, county, source_file, source_sheet, source_row,
                'conflict', 'warning', col, CASE col WHEN 'phone' THEN phone ELSE name END,
                '同一人的多条记录取值不一致：' || col, '{tier}'
            FROM (SELECT *, CASE WHEN p % 2 = 0 THEN 'phone' ELSE 'name' END AS col
                  FROM grec r WHERE k = 1 AND {joined.replace('g.', 'r.')} AND p % 3 = 0)
            ORDER BY record_id""")  # fmt: skip
    code = "CASE id_status " + " ".join(
        f"WHEN '{st}' THEN '{c_}'" for st, (c_, _, _) in ID_ISSUES.items()) + " END"  # fmt: skip
    sev = "CASE id_status " + " ".join(
        f"WHEN '{st}' THEN '{v}'" for st, (_, v, _) in ID_ISSUES.items()) + " END"  # fmt: skip
    msg = "CASE id_status " + " ".join(
        f"WHEN '{st}' THEN '{m}'" for st, (_, _, m) in ID_ISSUES.items()) + " END"  # fmt: skip
    values = " ".join(f"WHEN {i} THEN {v}" for i, (_, _, _, v, _) in enumerate(VALUE_ISSUES))
    pick = f"({h('iss', 'record_id')} % {len(VALUE_ISSUES)})::INTEGER"
    value_codes = [f"'{c_}'" for c_, *_ in VALUE_ISSUES]
    con.execute(f"""
        INSERT INTO issues
        SELECT file_id, record_id, period, county, source_file, source_sheet, source_row,
            {code}, {sev}, 'id_number', coalesce(id_number, ''), {msg}, NULL
        FROM records WHERE period = {year} AND id_status <> 'valid'
        UNION ALL
        SELECT file_id, record_id, period, county, source_file, source_sheet, source_row,
            [{', '.join(value_codes)}][1 + i],
            [{', '.join(f"'{v[1]}'" for v in VALUE_ISSUES)}][1 + i],
            [{', '.join(f"'{v[2]}'" for v in VALUE_ISSUES)}][1 + i], val,
            [{', '.join(f"'{v[4]}'" for v in VALUE_ISSUES)}][1 + i] || val, NULL
        FROM (SELECT *, {pick} AS i, hash(record_id, 'v') AS h FROM records
              WHERE period = {year} AND {u('iss', 'record_id')} < 0.04),
        LATERAL (SELECT CASE i {values} END AS val)
        UNION ALL
        SELECT file_id, NULL, period, county, name, 'Sheet1', NULL, 'required_missing',
            'warning', 'phone', NULL, '缺少必填列：联系电话', NULL
        FROM files WHERE period = {year}
        ORDER BY 1, 2 NULLS FIRST""")  # fmt: skip
    con.execute(f"""
        INSERT INTO sheets SELECT file_id, 0, 'Sheet1', true, NULL, '2', records
        FROM files WHERE period = {year}""")  # fmt: skip
    kinds = "[" + ", ".join(f"'{k_}'" for k_ in SKIPPED) + "]"
    con.execute(f"""
        INSERT INTO skipped_rows
        SELECT file_id, 'Sheet1', CASE WHEN i < 3 THEN i + 1 ELSE 100000 + i END,
            {kinds}[1 + i] FROM files, range({len(SKIPPED)}) t(i)
        WHERE period = {year}""")  # fmt: skip
    for t in ("gp", "gr", "grec"):
        con.execute(f"DROP TABLE {t}")


def build_store(path: Path, n: int, years: list[int], counties: int, seed: int) -> float:
    """A store with about n active records in each of `years`; seconds it took."""
    started = time.perf_counter()
    settings = load_settings(None)
    if counties <= len(settings.divisions):
        names = [(d.name, d.code) for d in settings.divisions[:counties]]
    else:
        names = [(f"县{i:03d}", f"{320000 + i:06d}") for i in range(counties)]
    store = Store(path)
    try:
        con = store.con
        con.execute("SET preserve_insertion_order = true")
        for slot, year in enumerate(years, start=1):
            with store.transaction():
                _build_period(con, year, n, slot, names, seed)
        con.execute("CHECKPOINT")
    finally:
        store.close()
    return time.perf_counter() - started


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = fn()
    return time.perf_counter() - started, result


def _reset_peak() -> None:
    """Reset this process's VmHWM (Linux), so that the next reading is the peak since."""
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def _peak_mib() -> float:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def run_child(args: list[str], cwd: Path, stdout: Path) -> tuple[float, float]:
    """Seconds and peak RSS (MiB) of one hcs subprocess, from its own rusage."""
    cmd = [sys.executable, "-m", "handcraft_stats", *args]
    started = time.perf_counter()
    with stdout.open("wb") as out:
        proc = subprocess.Popen(cmd, cwd=cwd, stdout=out, stderr=subprocess.PIPE)
        _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        err = proc.stderr.read().decode() if proc.stderr else ""
        raise SystemExit(f"hcs {args[0]} failed: {err[-2000:]}")
    return elapsed, usage.ru_maxrss / 1024


def best(repeat: int, fn: Callable[[], Any]) -> tuple[float, Any]:
    """The shortest of `repeat` runs (the machine is shared) and the last result."""
    runs = [timed(fn) for _ in range(repeat)]
    return min(t for t, _ in runs), runs[-1][1]


def in_process(db: Path, year: int, repeat: int) -> tuple[int, float, float, float, Any]:
    """Active records, the baseline, summarize() and its peak RSS, and the summary."""
    order = [d.name for d in load_settings(None).divisions]
    with Store(db, read_only=True) as store:
        records = store.con.execute(
            "SELECT count(*) FROM records r JOIN files f USING (file_id) "
            "WHERE f.active AND r.period = ?",
            [year],
        ).fetchall()[0][0]
        base_sql = (
            "SELECT wing, count(*), sum(trainings), avg(income_after_cents) FROM persons "
            f"WHERE period = {year} AND tier = 'probable' GROUP BY wing"
        )
        base, _ = best(repeat, lambda: store.con.execute(base_sql).fetchall())
        _reset_peak()
        took, doc = best(repeat, lambda: summarize(store, year, county_order=order).to_dict())
        peak = _peak_mib()
    return int(records), base, took, peak, doc


def measure(n: int, years: list[int], counties: int, seed: int, keep: Path | None,
            repeat: int) -> None:  # fmt: skip
    """One size: build (or reuse, with --keep) the store, time the four, print a row."""
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        if keep is not None:
            keep.mkdir(parents=True, exist_ok=True)  # a new folder: was a traceback
        db = (keep or tmp) / f"summary-{n}-{seed}-{counties}.duckdb"
        build_s = 0.0 if db.exists() else build_store(db, n, years, counties, seed)
        year = years[-1]
        records, base, took, peak, doc = in_process(db, year, repeat)
        built = f"built in {build_s:.0f} s" if build_s else "reused"
        print(f"store: {records:,} active records in {year} ({len(years)} periods, "
              f"{db.stat().st_size / 2**20:,.0f} MiB, {built})", flush=True)  # fmt: skip
        cli = [run_child(["summary", "--year", str(year), "--format", "json", "--db", str(db)],
                         tmp, tmp / "summary.json") for _ in range(repeat)]  # fmt: skip
        same = (tmp / "summary.json").read_text("utf-8") == to_json(doc)
        out = tmp / "export"
        exp = [run_child(["export", "--year", str(year), "--out", str(out), "--db", str(db),
                          "--quiet"], tmp, tmp / "export.out") for _ in range(repeat)]  # fmt: skip
        same = same and (out / "summary.json").read_text("utf-8") == to_json(doc)  # CLI.md
        cli_s, exp_s = min(t for t, _ in cli), min(t for t, _ in exp)
        print(
            f"| {n:,} | {base:.3f} s | {took:.2f} s | {took / base:.0f}× | {peak:,.0f} MiB "
            f"| {cli_s:.2f} s | {cli_s / base:.0f}× | {max(m for _, m in cli):,.0f} MiB "
            f"| {exp_s:.1f} s | {exp_s / base:.0f}× | {max(m for _, m in exp):,.0f} MiB "
            f"| {'yes' if same else 'NO'} |",
            flush=True,
        )
        sizes = {p.name: p.stat().st_size / 2**20 for p in out.iterdir() if p.suffix}
        print("export: " + ", ".join(f"{k} {v:,.1f} MiB" for k, v in sorted(sizes.items())))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--sizes", default="1000000,10000000", help="active records per period")
    ap.add_argument("--years", default="2016,2017", help="periods; the last is measured")
    ap.add_argument("--counties", type=int, default=10, help="10: the Xuzhou divisions")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--keep", type=Path, help="keep the stores in this folder (and reuse them)")
    ap.add_argument("--repeat", type=int, default=3, help="runs of each; the shortest counts")
    args = ap.parse_args()
    years = [int(y) for y in args.years.split(",")]
    print(f"{os.cpu_count()} cores; duckdb {duckdb.__version__}")
    print(
        "| records | baseline (one DuckDB GROUP BY) | summarize() | × | peak "
        "| hcs summary --format json | × | peak | hcs export --out | × | peak | same |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for n in (int(s) for s in args.sizes.split(",")):
        measure(n, years, args.counties, args.seed, args.keep, args.repeat)


if __name__ == "__main__":
    main()
