"""The corrected 2017 roster one county resends (docs/metrics.md §7, versions): the same
file name under corrections/2017/, a few rows fixed, one woman added, one removed."""

from __future__ import annotations

import copy
import random

from sample import config as C
from sample.cells import Record, Renderer, Spec, money_text, render
from sample.people import Population, year_values
from sample.rosters import EXTRA_VALUES, PeriodBuilder, RosterFile, Sheet


def _copy(rec: Record) -> Record:
    out = copy.copy(rec)
    out.cells, out.fields, out.issues = dict(rec.cells), dict(rec.fields), list(rec.issues)
    return out


def _drop_issue(rec: Record, code: str, column: str) -> None:
    wanted = {"code": code, "column": column}
    if wanted not in rec.issues:
        raise AssertionError(f"no {code} on {rec.person.pid}")
    rec.issues.remove(wanted)


def corrected_file(
    builder: PeriodBuilder, original: RosterFile, pop: Population, rng: random.Random
) -> RosterFile:
    """The county's corrected roster; the original file is left as it was."""
    layout = builder.layouts[original.county]
    keys = layout.keys
    (old,) = [s for s in original.sheets if s.roster]
    sheet = Sheet(old.name, rows=[list(r) for r in old.rows], kinds=list(old.kinds))
    sheet.merges = list(old.merges)
    copies = {id(rec): _copy(rec) for rec in old.records}
    sheet.records = [copies[id(rec)] for rec in old.records]
    fixes = {kind: copies[id(rec)] for kind, rec in builder.fixes.items()}

    def put(rec: Record, key: str, value: object) -> None:
        sheet.rows[rec.row - 1][keys.index(key)] = value
        rec.cells[key] = value

    # the ID typed with a digit short, now complete
    rec = fixes["id_number"]
    put(rec, "id_number", rec.person.id18)
    rec.fields.update(id_number=rec.person.id18, id_status="valid")
    rec.fields["birth_date"] = rec.fields["birth_date"] or rec.person.birth.isoformat()
    _drop_issue(rec, "id_length", "id_number")
    # 约三千 replaced by the amount
    rec = fixes["income_before"]
    amount = rec.person.years[2017].income_before
    assert amount is not None
    put(rec, "income_before", amount)
    rec.fields["income_before"] = money_text(amount)
    _drop_issue(rec, "bad_value", "income_before")
    # 见备注 replaced by her wing
    rec = fixes["wing"]
    put(rec, "wing", C.WING_SPELLING[rec.person.wing][0])
    rec.fields["wing"] = rec.person.wing
    _drop_issue(rec, "unknown_value", "wing")
    # an exit the county forgot to record
    rec = fixes["status"]
    put(rec, "status", "已脱贫")
    put(rec, "exit_year", 2017)
    rec.fields.update(status="exited", exit_year=2017)

    # a woman listed by mistake: she left (the rows below move up)
    gone = fixes["removed"]
    del sheet.rows[gone.row - 1], sheet.kinds[gone.row - 1]
    if any(r2 >= gone.row for _, _, r2, _ in sheet.merges):
        raise AssertionError("merged cells below the removed row")
    sheet.records.remove(gone)
    for rec in sheet.records:
        if rec.row > gone.row:
            rec.row -= 1

    # a woman the first roster forgot, added after the last record
    person = pop.new_person(original.county)
    person.years[2017] = year_values(rng, person, 2017)
    added = Record(person, 2017, person.county, person.town, person.village, None)
    render(added, keys, Renderer(rng, original.fmt), Spec())
    seq = max(sheet.rows[rec.row - 1][keys.index("seq")] for rec in sheet.records)
    row = []
    for key in keys:
        if key == "seq":
            row.append(seq + 1)
        elif key.startswith("extra:"):
            row.append(rng.choice(EXTRA_VALUES[key[6:]]))
        else:
            row.append(added.cells.get(key))
    at = max(rec.row for rec in sheet.records)  # 0-based index after the last record
    sheet.rows.insert(at, row)
    sheet.kinds.insert(at, None)
    added.sheet, added.row = sheet.name, at + 1
    sheet.records.append(added)
    if any(r1 > at for r1, _, _, _ in sheet.merges):
        raise AssertionError("merged cells below the added row")

    sheets = [sheet if s is old else s for s in original.sheets]
    path = "corrections/" + original.path.split("/", 1)[1]
    return RosterFile(path, original.county, original.period, original.fmt, sheets)
