"""Ingest speed and memory against reading the same files.

Builds a multi-county set of rosters (default 10 files, ~220k records) from the
sample's rows, then measures side by side in one run:

* baseline A: python-calamine merely reading every sheet, one process;
* baseline B: pandas.read_excel(engine="openpyxl") merely reading them;
* hcs ingest end to end (read, layout, normalise, check, store, link), `--jobs` cores.

Figures are ratios against baseline A (the machine is shared and noisy).

    .venv/bin/python bench/ingest.py [--records 220000 | --sizes 10000,100000,220000,1000000]
        [--files 10] [--jobs N] [--skip-openpyxl] [--keep DIR]
"""

from __future__ import annotations

import argparse
import os
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


def measure(folder: Path, records: int, files: int, args: argparse.Namespace) -> dict[str, float]:
    paths = sorted(folder.glob("*.xlsx")) if folder.is_dir() else []
    if not paths:
        folder.mkdir(parents=True, exist_ok=True)
        paths = build(folder, records, files)
    out = {"records": records, "mib": sum(f.stat().st_size for f in paths) / 2**20}
    out["calamine"] = timed(lambda: calamine_read(paths))
    if not args.skip_openpyxl and records <= args.openpyxl_max:
        out["openpyxl"] = timed(lambda: openpyxl_read(paths))
    with tempfile.TemporaryDirectory() as d:
        out["hcs"], out["peak"] = hcs_ingest(folder, Path(d) / "h.duckdb", args.jobs)
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
    ap.add_argument("--keep", type=Path, help="build the rosters under here and keep them")
    args = ap.parse_args()
    sizes = [int(x) for x in args.sizes.split(",")] if args.sizes else [args.records]
    print(f"{args.files} files per size, {os.cpu_count()} cores; ratios to calamine reading "
          "every sheet in one process, measured in the same run")  # fmt: skip
    print("| records | MiB | calamine read | openpyxl read | hcs ingest | hcs / calamine "
          "| openpyxl / hcs | records/s | peak memory |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as d:
        for n in sizes:
            where = (args.keep / str(n)) if args.keep else Path(d) / str(n)
            r = measure(where, n, args.files, args)
            slow, hcs = r.get("openpyxl"), r["hcs"]
            slow_s = f"{slow:.1f} s" if slow else "—"
            faster = f"{slow / hcs:.1f}x" if slow else "—"
            print(
                f"| {n:,} | {r['mib']:.1f} | {r['calamine']:.2f} s | {slow_s} | {hcs:.2f} s "
                f"| {hcs / r['calamine']:.2f}x | {faster} | {n / hcs:,.0f} "
                f"| {r['peak']:,.0f} MiB |",
                flush=True,
            )


if __name__ == "__main__":
    main()
