"""Ingest speed and memory on the sample and on a large synthetic roster.

Prints wall time, records per second and peak memory, each as a ratio against a
baseline measured in the same run (reading the same files' cells with calamine
and nothing else), because these machines are shared and noisy.

    .venv/bin/python bench/ingest.py [--rows 100000]
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import openpyxl
from python_calamine import CalamineWorkbook

from handcraft_stats import Store, check, ingest, load_settings
from handcraft_stats.read.csvfile import read_csv

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample" / "rosters"


def timed(fn: Callable[[], object]) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def read_cells(files: list[Path]) -> int:
    n = 0
    for f in files:
        if f.suffix == ".csv":
            n += len(read_csv(f.read_bytes()))
            continue
        wb = CalamineWorkbook.from_path(str(f))
        for name in wb.sheet_names:
            n += len(wb.get_sheet_by_name(name).to_python())
    return n


def big_roster(folder: Path, rows: int) -> Path:
    """One large xlsx written from the sample's 丰县 2017 records, IDs made unique."""
    src = next(SAMPLE.glob("2017/丰县*.xlsx"))
    wb = CalamineWorkbook.from_path(str(src))
    cells = wb.get_sheet_by_index(0).to_python()
    header_at = next(i for i, r in enumerate(cells) if "姓名" in [str(c).strip() for c in r])
    header, data = cells[header_at], [r for r in cells[header_at + 1 :] if r[1] not in ("", None)]
    out = openpyxl.Workbook(write_only=True)
    ws = out.create_sheet("Sheet1")
    ws.append(["徐州市丰县2017年妇女花名册（基准测试）"])
    ws.append(header)
    for i in range(rows):
        ws.append(data[i % len(data)])
    path = folder / "丰县2017年基准.xlsx"
    out.save(path)
    return path


def report(label: str, seconds: float, records: int, base: float) -> None:
    rate = records / seconds if seconds else 0
    print(f"{label:<34} {seconds:8.2f} s {rate:10,.0f} rec/s   {seconds / base:5.1f}x baseline")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=100_000)
    args = ap.parse_args()
    settings = load_settings(None)
    files = sorted(p for p in SAMPLE.rglob("*") if p.is_file())
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        base = timed(lambda: read_cells(files))
        n = check([SAMPLE], settings).to_dict()["records"]
        print(f"sample: {len(files)} files, {n} records")
        report("baseline: calamine cells only", base, n, base)
        report(
            "hcs check (parse+normalise+link)", timed(lambda: check([SAMPLE], settings)), n, base
        )
        with Store(tmp / "a.duckdb") as st:
            report(
                "hcs ingest (… + DuckDB store)",
                timed(lambda: ingest([SAMPLE], st, settings)),
                n,
                base,
            )
        big = big_roster(tmp, args.rows)
        base = timed(lambda: read_cells([big]))
        print(f"\nlarge roster: 1 file, {args.rows} records")
        report("baseline: calamine cells only", base, args.rows, base)
        with Store(tmp / "b.duckdb") as st:
            report("hcs ingest", timed(lambda: ingest([big], st, settings)), args.rows, base)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\npeak memory (whole run): {peak:,.0f} MiB")


if __name__ == "__main__":
    main()
