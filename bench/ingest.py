"""Ingest speed and memory against reading the same files.

Builds a multi-county set of rosters (default 10 files, ~220k records) from the
sample's rows, then measures side by side in one run:

* baseline A: python-calamine merely reading every sheet, one process;
* baseline B: pandas.read_excel(engine="openpyxl") merely reading them;
* hcs ingest end to end (read, layout, normalise, check, store, link), `--jobs` cores.

Figures are ratios against baseline A (the machine is shared and noisy).

    .venv/bin/python bench/ingest.py [--records 220000 | --sizes 10000,100000,220000,1000000]
        [--files 10] [--jobs N] [--repeat N] [--skip-openpyxl] [--keep DIR] [--rerun]

`--rerun` also times the run a city makes when one county resends its roster: the
whole folder ingested again into the first run's database, one file changed.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import openpyxl
import pandas as pd
from python_calamine import CalamineWorkbook

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample" / "rosters"
COUNTIES = [
    "鼓楼区",
    "云龙区",
    "贾汪区",
    "泉山区",
    "铜山区",
    "丰县",
    "沛县",
    "睢宁县",
    "新沂市",
    "邳州市",
]


def timed(fn: Callable[[], object]) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def calamine_read(files: list[Path]) -> int:
    n = 0
    for f in files:
        wb = CalamineWorkbook.from_path(str(f))
        for name in wb.sheet_names:
            n += len(wb.get_sheet_by_name(name).to_python())
    return n


def openpyxl_read(files: list[Path]) -> int:
    return sum(
        len(df)
        for f in files
        for df in pd.read_excel(f, sheet_name=None, engine="openpyxl").values()
    )


def unique_id(n: int) -> str:
    """A valid women's ID number, different for every n."""
    year, month, day, seq = 1950 + n % 50, 1 + n // 50 % 12, 1 + n // 600 % 28, n // 16800 % 500
    body = f"320321{year}{month:02d}{day:02d}{seq * 2:03d}"  # unique below 8,400,000
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    check = "10X98765432"[sum(int(c) * w for c, w in zip(body, weights, strict=True)) % 11]
    return body + check


SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
    "苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝"
)
GIVEN = "秀英华玉兰桂珍凤芳梅丽红霞燕敏静娟艳萍琴云莲翠荣丹洁春雪慧美婷琳娜倩颖月桃菊香淑惠"


def _name(rng: random.Random) -> str:
    given = rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.8 else "")
    return rng.choice(SURNAMES) + given


def _money(cell: object, rng: random.Random) -> object:
    """A new amount written the way the sample's cell was (number, 万, 1,234, 元)."""
    yuan = rng.randrange(1_000, 40_000, 10)
    if isinstance(cell, float):
        return float(yuan)
    text = str(cell)
    if "万" in text:
        return f"{yuan / 10_000:.2f}万"
    if "," in text:
        return f"{yuan:,}"
    return f"{yuan}元" if "元" in text else cell


def _visit(cell: object, rng: random.Random) -> object:
    """A visit date in 2017, written the way the sample's cell was."""
    day = date(2017, 1, 1) + timedelta(days=rng.randrange(365))
    if isinstance(cell, date):
        return day
    text = str(cell)
    if "/" in text:
        return f"{day.year}/{day.month}/{day.day}"
    return day.isoformat() if "-" in text else cell


def realistic(row: list[object], cols: dict[str, int], n: int, rng: random.Random) -> list[object]:
    """The sample row with what differs from woman to woman in a real roster made
    different: serial number, names, phone, incomes, visit date (and a unique ID).
    Cells keep the sample's formats, so normalisers meet the same variety."""
    row = list(row)
    row[cols["序号"]] = float(n % 100_000 + 1)
    row[cols["身份证"]] = unique_id(n)
    row[cols["姓名"]] = name = _name(rng)
    head = cols["户主"]
    row[head] = name if row[cols["与户主关系"]] == "本人" else _name(rng)
    phone = f"1{rng.choice('3589')}{n % 1_000_000_000:09d}"
    if "-" in str(row[cols["电话"]]):
        phone = f"{phone[:3]}-{phone[3:7]}-{phone[7:]}"
    row[cols["电话"]] = phone
    for j in (cols["帮扶前"], cols["当年收入"]):
        row[j] = _money(row[j], rng)
    row[cols["回访"]] = _visit(row[cols["回访"]], rng)
    return row


def build(folder: Path, records: int, files: int) -> list[Path]:
    """`files` county rosters (title row + header) from the sample's 2017 rows, with
    each woman's own name, ID, phone, incomes and visit date (see `realistic`)."""
    src = next(SAMPLE.glob("2017/丰县*.xlsx"))
    cells = CalamineWorkbook.from_path(str(src)).get_sheet_by_index(0).to_python()
    at = next(i for i, r in enumerate(cells) if "姓名" in [str(c).strip() for c in r])
    header, data = (
        cells[at],
        [r for r in cells[at + 1 :] if r[1] not in ("", None) and r[0] != "合计"],
    )
    cols = {
        key: next(j for j, h in enumerate(header) if key in str(h))
        for key in ("序号", "姓名", "身份证", "户主", "与户主关系", "电话", "帮扶前", "当年收入",
                    "回访")
    }  # fmt: skip
    out = []
    per = records // files
    for k in range(files):
        county = COUNTIES[k % len(COUNTIES)]
        rng = random.Random(k)
        wb = openpyxl.Workbook(write_only=True)
        ws = wb.create_sheet("Sheet1")
        ws.append([f"徐州市{county}2017年妇女花名册（基准测试）"])
        ws.append(header)
        for i in range(per):
            ws.append(realistic(data[(i + k * 7) % len(data)], cols, k * per + i, rng))
        path = folder / f"{county}2017年基准{k}.xlsx"
        wb.save(path)
        out.append(path)
    return out


def hcs_ingest(folder: Path, db: Path, jobs: int | None) -> tuple[float, float]:
    """Seconds and peak resident memory (MiB, the largest hcs process) of one ingest."""
    cmd = [sys.executable, "-m", "handcraft_stats", "ingest", str(folder), "--db", str(db),
           "--quiet", "--format", "json"]  # fmt: skip
    if jobs:
        cmd += ["--jobs", str(jobs)]
    t = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    took = time.perf_counter() - t
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise SystemExit(f"hcs ingest failed with exit code {proc.returncode}")
    return took, usage.ru_maxrss / 1024


def resend(path: Path) -> None:
    """The county sends its roster again, corrected: a title that says so and one woman's
    phone number changed, every other cell as it was."""
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()
    rows[0] = [f"{rows[0][0]}（更正）", *rows[0][1:]]
    phone = next(j for j, h in enumerate(rows[1]) if "电话" in str(h))
    rows[2] = [*rows[2][:phone], "13912345678", *rows[2][phone + 1 :]]
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("Sheet1")
    for row in rows:
        ws.append(row)
    wb.save(path)


def rerun(folder: Path, args: argparse.Namespace) -> dict[str, float]:
    """`hcs ingest` of the whole folder again after one county resent its roster, into
    the database of a first ingest: seconds (fastest of --repeat) and peak, with
    calamine reading only the resent file for scale."""
    took, peak, one = [], [], []
    for _ in range(max(1, args.repeat)):
        with tempfile.TemporaryDirectory() as d:
            copy = Path(d) / "rosters"
            shutil.copytree(folder, copy)
            db = Path(d) / "h.duckdb"
            hcs_ingest(copy, db, args.jobs)
            changed = sorted(copy.glob("*.xlsx"))[0]
            resend(changed)
            t, mib = hcs_ingest(copy, db, args.jobs)
            took.append(t)
            peak.append(mib)
            one.append(timed(lambda c=changed: calamine_read([c])))
    return {"rerun": min(took), "rerun_peak": max(peak), "one_file": min(one)}


def measure(folder: Path, records: int, files: int, args: argparse.Namespace) -> dict[str, float]:
    paths = sorted(folder.glob("*.xlsx")) if folder.is_dir() else []
    if not paths:
        folder.mkdir(parents=True, exist_ok=True)
        paths = build(folder, records, files)
    out = {"records": records, "mib": sum(f.stat().st_size for f in paths) / 2**20}
    runs = max(1, args.repeat)  # interleaved, best of each: the machine is shared
    cal, hcs, peak = [], [], []
    for _ in range(runs):
        cal.append(timed(lambda: calamine_read(paths)))
        with tempfile.TemporaryDirectory() as d:
            took, mib = hcs_ingest(folder, Path(d) / "h.duckdb", args.jobs)
        hcs.append(took)
        peak.append(mib)
    out["calamine"], out["hcs"], out["peak"] = min(cal), min(hcs), max(peak)
    if not args.skip_openpyxl and records <= args.openpyxl_max:
        out["openpyxl"] = timed(lambda: openpyxl_read(paths))
    if args.rerun:
        out.update(rerun(folder, args))
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--records", type=int, default=220_000)
    ap.add_argument("--sizes", help="several record counts, e.g. 10000,100000,220000,1000000")
    ap.add_argument("--files", type=int, default=10)
    ap.add_argument("--jobs", type=int, default=None)
    ap.add_argument("--skip-openpyxl", action="store_true")
    ap.add_argument(
        "--openpyxl-max",
        type=int,
        default=220_000,
        help="read with openpyxl only up to this many records (it is slow)",
    )
    ap.add_argument(
        "--repeat", type=int, default=1,
        help="run calamine and hcs this many times each, interleaved; report the fastest "
        "of each (and the highest peak)",
    )  # fmt: skip
    ap.add_argument("--keep", type=Path, help="build the rosters under here and keep them")
    ap.add_argument(
        "--rerun", action="store_true",
        help="also time `hcs ingest` of the folder again after one county resent its roster",
    )  # fmt: skip
    args = ap.parse_args()
    sizes = [int(x) for x in args.sizes.split(",")] if args.sizes else [args.records]
    print(f"{args.files} files per size, {os.cpu_count()} cores; ratios to calamine reading "
          "every sheet in one process, measured in the same run")  # fmt: skip
    print("| records | MiB | calamine read | openpyxl read | hcs ingest | hcs / calamine "
          "| openpyxl / hcs | records/s | peak memory |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|---|")
    reruns = []
    with tempfile.TemporaryDirectory() as d:
        for n in sizes:
            where = (args.keep / str(n)) if args.keep else Path(d) / str(n)
            r = measure(where, n, args.files, args)
            if args.rerun:
                reruns.append((n, r))
            slow, hcs = r.get("openpyxl"), r["hcs"]
            slow_s = f"{slow:.1f} s" if slow else "—"
            faster = f"{slow / hcs:.1f}x" if slow else "—"
            print(
                f"| {n:,} | {r['mib']:.1f} | {r['calamine']:.2f} s | {slow_s} | {hcs:.2f} s "
                f"| {hcs / r['calamine']:.2f}x | {faster} | {n / hcs:,.0f} "
                f"| {r['peak']:,.0f} MiB |",
                flush=True,
            )
    if reruns:
        print(f"\nRerun after one county resent its roster (1 of {args.files} files changed):")
        print("| records | hcs ingest | rerun | rerun / ingest | calamine reading the resent file "
              "| rerun / that read | peak memory |")  # fmt: skip
        print("|---|---|---|---|---|---|---|")
        for n, r in reruns:
            print(
                f"| {n:,} | {r['hcs']:.2f} s | {r['rerun']:.2f} s | {r['rerun'] / r['hcs']:.2f}x "
                f"| {r['one_file']:.2f} s | {r['rerun'] / r['one_file']:.1f}x "
                f"| {r['rerun_peak']:,.0f} MiB |"
            )


if __name__ == "__main__":
    main()
