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
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from sample import config as C
from sample.changes import changes_doc, verify_probable
from sample.checks import verify
from sample.corrections import corrected_file
from sample.people import build_population
from sample.readme import readme
from sample.rosters import RosterFile, build_rosters
from sample.truth import link, period_summaries
from sample.writers import write_file

DEFAULT_OUT = Path(__file__).resolve().parents[1] / "data" / "sample"


def build(seed: int) -> tuple[list[RosterFile], dict[str, Any]]:
    """Invent the women, lay out their rosters and compute the truth (no writing).

    Returns every file to write (the replaced original too) and the truth, which
    describes the state after `hcs ingest OUT/rosters` then `hcs ingest OUT/corrections`.
    """
    rng = random.Random(seed)
    pop = build_population(rng)
    files, builders = build_rosters(pop, rng)
    (original,) = [f for f in files if f.period == 2017 and f.county == C.CORRECTED_COUNTY]
    corrected = corrected_file(builders[2017], original, pop, rng)
    # load order: the rosters folder (sorted paths), then the corrections folder
    active = [f for f in files if f is not original] + [corrected]
    truth: dict[str, Any] = {
        "seed": seed,
        "files": [],
        "replaced": [{"path": original.path, "replaced_by": corrected.path}],
        "planted_issues": {},
        "records": [],
        "people": [],
        "summary": {},
        "changes": {},
    }
    linked = {year: link(year, [f for f in active if f.period == year]) for year in C.PERIODS}
    planted_issues: Counter[str] = Counter()
    for year in C.PERIODS:
        verify(linked[year].recs)  # the rules find exactly the planted issues
        planted_issues.update(i["code"] for rec in linked[year].recs for i in rec.issues)
    truth["planted_issues"] = dict(sorted(planted_issues.items()))
    for year in C.PERIODS:
        truth["summary"][str(year)] = period_summaries(linked[year])
    y1, y2 = C.PERIODS
    planted = {p.pid: p.planted for p in pop.people if p.planted}
    planted[builders[2017].fixes["removed"].person.pid] = ["left", "missing_without_reason"]
    planted[builders[2017].fixes["status"].person.pid] = ["exited"]
    planted[corrected.sheets[0].records[-1].person.pid] = ["entered"]
    truth["changes"][f"{y1}-{y2}"] = {}
    for tier in ("certain", "probable"):
        doc, rows = changes_doc(linked[y1], linked[y2], tier)
        truth["changes"][f"{y1}-{y2}"][tier] = doc
        for r in rows:  # a match by name + phone is one woman, at either tier
            if r["how"] == "name_phone" and r["before"] != r["after"]:
                raise AssertionError(f"different women matched by name + phone: {r}")
        if tier == "probable":
            verify_probable(rows, planted, linked[y1], linked[y2])
    periods: dict[str, set[int]] = {}
    for roster_file in active:
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
                periods.setdefault(rec.person.pid, set()).add(rec.period)
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
        entry = {
            "person": person.pid,
            "name": person.name,
            "id": person.id18,
            "county": person.county,
            "wing": person.wing,
            "periods": sorted(periods[person.pid]),
        }
        if person.pid in planted:
            entry["planted"] = sorted(planted[person.pid])
        truth["people"].append(entry)
    return [*files, corrected], truth


def dump_truth(truth: dict[str, Any]) -> str:
    """JSON with one record, person or changed person per line: readable diffs,
    moderate size."""

    def line(obj: Any) -> str:
        return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))

    def block(obj: Any) -> str:
        return json.dumps(obj, ensure_ascii=False, indent=1).replace("\n", "\n ")

    parts = ["{", f' "seed": {truth["seed"]},', ' "files": [']
    parts.append(",\n".join("  " + line(f) for f in truth["files"]) + "\n ],")
    parts.append(' "replaced": ' + line(truth["replaced"]) + ",")
    parts.append(' "planted_issues": ' + line(truth["planted_issues"]) + ",")
    parts.append(' "records": [')
    parts.append(",\n".join("  " + line(r) for r in truth["records"]) + "\n ],")
    parts.append(' "people": [')
    parts.append(",\n".join("  " + line(p) for p in truth["people"]) + "\n ],")
    parts.append(' "summary": ' + block(truth["summary"]) + ",")
    parts.append(' "changes": {')
    spans = []
    for span, tiers in truth["changes"].items():
        docs = []
        for tier, doc in tiers.items():
            head = {k: v for k, v in doc.items() if k != "persons"}
            text = json.dumps(head, ensure_ascii=False, indent=1)[:-2].replace("\n", "\n   ")
            persons = ",\n".join("    " + line(x) for x in doc["persons"])
            docs.append(f'   "{tier}": {text},\n    "persons": [\n{persons}\n    ]\n   }}')
        spans.append(f'  "{span}": {{\n' + ",\n".join(docs) + "\n  }")
    parts.append(",\n".join(spans) + "\n }\n}\n")
    return "\n".join(parts)


def write_sample(out: Path, seed: int) -> dict[str, Any]:
    files, truth = build(seed)
    for folder in ("rosters", "corrections"):
        if (out / folder).exists():
            shutil.rmtree(out / folder)
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
