"""Ingest speed and memory against reading the same files.

Builds a multi-county set of rosters (default 10 files, ~220k records) from the
sample's rows, then measures side by side in one run:

* baseline A: python-calamine merely reading every sheet, one process;
* baseline B: pandas.read_excel(engine="openpyxl") merely reading them;
* hcs ingest end to end (read, layout, normalise, check, store, link), `--jobs` cores.

Figures are ratios against baseline A (the machine is shared and noisy).

    .venv/bin/python bench/ingest.py [--records 220000] [--files 10] [--jobs N] [--skip-openpyxl]
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
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


def build(folder: Path, records: int, files: int) -> list[Path]:
    """`files` county rosters (title row + header) cycling through the sample's 2017 rows."""
    src = next(SAMPLE.glob("2017/丰县*.xlsx"))
    cells = CalamineWorkbook.from_path(str(src)).get_sheet_by_index(0).to_python()
    at = next(i for i, r in enumerate(cells) if "姓名" in [str(c).strip() for c in r])
    header, data = (
        cells[at],
        [r for r in cells[at + 1 :] if r[1] not in ("", None) and r[0] != "合计"],
    )
    out = []
    per = records // files
    for k in range(files):
        county = COUNTIES[k % len(COUNTIES)]
        wb = openpyxl.Workbook(write_only=True)
        ws = wb.create_sheet("Sheet1")
        ws.append([f"徐州市{county}2017年妇女花名册（基准测试）"])
        ws.append(header)
        id_col = next(j for j, h in enumerate(header) if "身份证" in str(h))
        for i in range(per):
            row = list(data[(i + k * 7) % len(data)])
            row[id_col] = unique_id(k * per + i)  # one woman per row, as in real rosters
            ws.append(row)
        path = folder / f"{county}2017年基准{k}.xlsx"
        wb.save(path)
        out.append(path)
    return out


def hcs_ingest(folder: Path, db: Path, jobs: int | None) -> float:
    cmd = [
        sys.executable,
        "-m",
        "handcraft_stats",
        "ingest",
        str(folder),
        "--db",
        str(db),
        "--quiet",
        "--format",
        "json",
    ]
    if jobs:
        cmd += ["--jobs", str(jobs)]
    t = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--records", type=int, default=220_000)
    ap.add_argument("--files", type=int, default=10)
    ap.add_argument("--jobs", type=int, default=None)
    ap.add_argument("--skip-openpyxl", action="store_true")
    ap.add_argument("--keep", type=Path, help="build the rosters here and keep them (reused)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        rosters = args.keep or tmp / "rosters"
        files = sorted(rosters.glob("*.xlsx")) if rosters.is_dir() else []
        if not files:
            rosters.mkdir(parents=True, exist_ok=True)
            files = build(rosters, args.records, args.files)
        size = sum(f.stat().st_size for f in files) / 2**20
        print(
            f"{len(files)} files, {args.records:,} records, {size:.1f} MiB, {os.cpu_count()} cores"
        )
        base = timed(lambda: calamine_read(files))
        print(f"{'calamine read (1 process)':<36} {base:7.2f} s   1.00x")
        if not args.skip_openpyxl:
            slow = timed(lambda: openpyxl_read(files))
            print(f"{'pandas read_excel openpyxl':<36} {slow:7.2f} s   {slow / base:5.2f}x")
        t = hcs_ingest(rosters, tmp / "h.duckdb", args.jobs)
        rate = args.records / t
        print(f"{'hcs ingest (end to end)':<36} {t:7.2f} s   {t / base:5.2f}x   {rate:,.0f} rec/s")
        if not args.skip_openpyxl:
            print(f"hcs ingest is {slow / t:.1f}x faster than reading with openpyxl")
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"peak memory of the hcs process: {peak:,.0f} MiB")


if __name__ == "__main__":
    main()
