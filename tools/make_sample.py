#!/usr/bin/env python
"""Write the synthetic sample rosters of hcs and their truth.

    python tools/make_sample.py [--out data/sample] [--seed 2017]

Invents the low-income women of Xuzhou's ten county-level divisions for 2016 and
2017 (calibrated 1:100 to the "巧手" article), writes the rosters the counties
would send (every file format, layout, cell mess and duplicate kind of ROSTERS.md)
under OUT/rosters/, and OUT/truth.json: per file and sheet the rows hcs must skip,
per record the normalised values and issues, and the `hcs summary` documents of
both periods at both link tiers. The truth is computed here, never by
handcraft_stats. The same seed gives the same content.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from sample import config as C
from sample.people import build_population
from sample.readme import readme
from sample.rosters import RosterFile, build_rosters
from sample.truth import period_summaries
from sample.writers import write_file

DEFAULT_OUT = Path(__file__).resolve().parents[1] / "data" / "sample"


def build(seed: int) -> tuple[list[RosterFile], dict[str, Any]]:
    """Invent the women, lay out their rosters and compute the truth (no writing)."""
    rng = random.Random(seed)
    pop = build_population(rng)
    files = build_rosters(pop, rng)
    truth: dict[str, Any] = {"seed": seed, "files": [], "records": [], "people": [], "summary": {}}
    for year in C.PERIODS:
        mine = [f for f in files if f.period == year]
        truth["summary"][str(year)] = period_summaries(year, mine)
    for roster_file in files:
        truth["files"].append(
            {
                "path": roster_file.path,
                "name": roster_file.name,
                "county": roster_file.county,
                "period": roster_file.period,
                "format": roster_file.fmt,
                "sheets": [
                    {
                        "name": s.name,
                        "roster": s.roster,
                        "records": len(s.records),
                        "skipped": s.skipped if s.roster else {},
                    }
                    for s in roster_file.sheets
                ],
            }
        )
        for sheet in roster_file.sheets:
            for rec in sheet.records:
                truth["records"].append(
                    {
                        "file": roster_file.name,
                        "sheet": sheet.name,
                        "row": rec.row,
                        "county": rec.county,
                        "period": rec.period,
                        "person": rec.person.pid,
                        "dup_kind": rec.dup_kind,
                        "fields": rec.fields,
                        "filled": rec.filled,
                        "issues": rec.issues,
                    }
                )
    for person in pop.people:
        truth["people"].append(
            {
                "person": person.pid,
                "name": person.name,
                "id": person.id18,
                "county": person.county,
                "wing": person.wing,
                "periods": sorted(person.years),
            }
        )
    return files, truth


def dump_truth(truth: dict[str, Any]) -> str:
    """JSON with one record or person per line: readable diffs, moderate size."""

    def line(obj: Any) -> str:
        return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))

    parts = ["{", f' "seed": {truth["seed"]},', ' "files": [']
    parts.append(",\n".join("  " + line(f) for f in truth["files"]) + "\n ],")
    parts.append(' "records": [')
    parts.append(",\n".join("  " + line(r) for r in truth["records"]) + "\n ],")
    parts.append(' "people": [')
    parts.append(",\n".join("  " + line(p) for p in truth["people"]) + "\n ],")
    summary = json.dumps(truth["summary"], ensure_ascii=False, indent=1)
    parts.append(' "summary": ' + summary.replace("\n", "\n ") + "\n}\n")
    return "\n".join(parts)


def write_sample(out: Path, seed: int) -> dict[str, Any]:
    files, truth = build(seed)
    rosters = out / "rosters"
    if rosters.exists():
        shutil.rmtree(rosters)
    for roster_file in files:
        write_file(roster_file, out)
    (out / "truth.json").write_text(dump_truth(truth), encoding="utf-8")
    (out / "README.md").write_text(readme(truth), encoding="utf-8")
    return truth


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--seed", type=int, default=2017)
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    truth = write_sample(args.out, args.seed)
    for year, tiers in truth["summary"].items():
        source = tiers["probable"]["source"]
        print(
            f"{year}: {source['files']} files, {source['records']} records, "
            f"{source['persons']} persons"
        )
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
