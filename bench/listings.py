"""The review listings over a large year: what a city's analyst runs after ingesting.

Times, end to end (subprocesses, start-up included), on a store made by `hcs ingest`
(e.g. the 220k-record one `bench/ingest.py --keep DIR` leaves, or any `--db`):

* baseline: `hcs issues --year Y --format csv` (every issue, as text: the floor);
* `hcs issues --year Y --out FIX.xlsx --format csv`: the same plus the fix list
  workbook (one styled sheet per county);
* `hcs persons --year Y --format csv`, and `hcs persons --year Y` as a table (the
  default: 100 rows, then how many more there are);
* with `--full-table`, `hcs persons --year Y --limit 0` as a table (every person: at
  220k persons about a minute and a half).

Prints the shortest of `--repeat` runs, in seconds and as ratios to the baseline.

    rm -f /tmp/b.duckdb && .venv/bin/hcs ingest /tmp/bkr/220000 --db /tmp/b.duckdb -q
    .venv/bin/python bench/listings.py --db /tmp/b.duckdb --year 2017
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def timed(args: list[str], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "handcraft_stats", *args], check=True,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", type=Path, required=True)
    ap.add_argument("--year", type=int, default=2017)
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--full-table", action="store_true")
    args = ap.parse_args()
    if not args.db.exists():
        ap.error(f"no database at {args.db}")
    common = ["--year", str(args.year), "--db", str(args.db)]
    with tempfile.TemporaryDirectory() as tmp:
        runs = {
            "issues csv (baseline)": ["issues", *common, "--format", "csv"],
            "issues csv + fix list xlsx": ["issues", *common, "--format", "csv",
                                           "--out", str(Path(tmp) / "fix.xlsx")],
            "persons csv": ["persons", *common, "--format", "csv"],
            "persons table (first 100)": ["persons", *common],
        }  # fmt: skip
        if args.full_table:
            runs["persons table (all)"] = ["persons", *common, "--limit", "0"]
        figures = {name: timed(cmd, args.repeat) for name, cmd in runs.items()}
    base = figures["issues csv (baseline)"]
    print(f"{'run':32s} {'seconds':>8s} {'/ baseline':>10s}")
    for name, seconds in figures.items():
        print(f"{name:32s} {seconds:8.2f} {seconds / base:9.1f}×")


if __name__ == "__main__":
    main()
