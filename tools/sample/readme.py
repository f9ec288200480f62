"""data/sample/README.md, written from the truth so that it is never stale."""

from __future__ import annotations

from collections import Counter
from typing import Any

from sample import config as C

TEMPLATE = """# Sample rosters (synthetic)

Everything here is **invented** by `tools/make_sample.py` (seed {seed}): no real
person, ID number or phone number. The women of Xuzhou's ten county-level
divisions are calibrated 1:100 to the "巧手" article
(`shared/reference/seed-article-zh.txt`): about 900 exits over 2016–2017 (手工
320, 家政 210, 电商 160, 农业 210), handicraft income increase above 20,000 yuan.

Regenerate (same seed, same bytes):

    .venv/bin/python tools/make_sample.py            # --out data/sample --seed 2017
    .venv/bin/python -m pytest tests/test_sample_generator.py

Load it as a city office would, the rosters first, then the corrected roster a county
resent later (it replaces the file of the same name, county and period):

    hcs ingest data/sample/rosters
    hcs ingest data/sample/corrections
    hcs changes --from 2016 --to 2017

Every figure of `truth.json` describes the database after both steps.

## Figures (true persons = `--link probable`)

| period | files | records | persons certain / probable | exits 手工/家政/电商/农业 | by year |
|---|---|---|---|---|---|
{figures}

## From 2016 to 2017 (`hcs changes --from 2016 --to 2017`)

| change or check | certain | probable |
|---|---|---|
{changes}

Planted on women of both periods (docs/metrics.md §7; `people[].planted` in the
truth): {planted}. Entrants, leavers (most of them without an exit in 2016:
`missing_without_reason`), exits and returns to poverty (返贫, exited in 2016) come
from the yearly rosters. The rules find a few more: a wing or class change where a
roster wrote "见备注" in a vocabulary column (read as `other` / `unknown`), a name
change where a homophone copy is her most complete record, an exit-year change where a
woman returned to poverty in 2016 (exit year 2015) exited again. Every woman of both
periods is found again by hcs: her records hold a valid or 15-digit ID in each period,
or else a birth-date cell in both (she is matched by name + birth date, as most of
邳州市, whose IDs are numbers). At the certain tier, copies without an ID key are
persons of their own, hence more entrants and leavers there.

## The corrected roster (`corrections/`)

{corrected_county} resends its 2017 roster under the same name:
`{corrected}` replaces `{original}`. In it: a 17-digit ID completed, "约三千"
replaced by the amount, "见备注" replaced by her wing, a forgotten exit recorded
(未脱贫 → 已脱贫, 2017), one woman removed (so she left: `missing_without_reason`)
and one woman added after the last row (an entrant). The original stays in
`rosters/` (hcs keeps it in its history as replaced); `truth["replaced"]` names it,
and `truth["files"]` / `truth["records"]` hold the active files only, in load order.

## What the counties send

* 鼓楼区: xlsx, sheet `花名册`, header on row 1, `编号` column, blank rows, the header
  repeated in the middle, a `总计` row.
* 云龙区: xlsx, merged title + info row(s) (2017: a blank row above the header),
  header on row 3 (2016) / 5 (2017), line breaks and full-width brackets inside
  headers, unknown column `民族`, template rows holding only a 序号.
* 贾汪区: legacy **.xls** (both years), title + 2 info rows, header on row 4, totals,
  signature, template rows.
* 泉山区: 2016 xlsx, 2017 **.ods**; a title row; no household columns.
* 铜山区: xlsx with **one sheet per town** (no town column: the town is the sheet
  name) plus `填表说明` and `汇总` sheets; a `注：` row under each table.
* 丰县: xlsx, merged title + 2 info rows, header on row 4, `县(市、区)` column,
  unknown column `文化程度`, repeated header, `合计 N人`, signature.
* 沛县: **one file per town** under `沛县分镇/` (`沛县_龙固镇_2017.xlsx`), the sheet
  named by the town, no town column; a title row in every second file.
* 睢宁县: xlsx, **two-row merged header** (基本情况 / 帮扶情况 / 收入情况(元) over
  the names; 序号, 姓名, 身份证号码, 脱贫年度, 脱贫状态, 备注 merged vertically),
  `出生日期` column; the 2016 file `睢宁县巧手花名册.xlsx` has **no year in its
  name** (only in its title row).
* 新沂市: **GB18030 .csv** (2016: header on line 1; 2017: a title line first),
  `出生日期` column, all cells text.
* 邳州市: xlsx whose ID column holds **numbers** (precision lost:
  `3.20382198001012e+17`) except IDs ending in X and a few typed as text;
  `出生年月` and `所属县区` columns.

Cell messes: IDs with lowercase x, full-width digits, inner spaces, a leading
apostrophe, trailing spaces, 15 digits, a wrong check character, 17 digits,
blank; names with inner (ideographic) spaces, trailing spaces, traditional
characters; money as 3500 / 3500.0 / "3500.00" / "3500元" / "3,500" / "0.35万" /
"/" / "无" / blank / "约三千"; counts as 3, 3.0, "3次", "三次", "若干"; dates as date
cells, Excel serial numbers, 2017.5.3, 2017/5/3, 2017-05-03, 2017年5月3日,
20170503 and "2017年春"; exit years as 2017, "2017年", "2017.12", "2017-12-20",
date cells; yes/no as 是/否, 有/无, 愿意/不愿意, √/×, Y/N, 1, blank; "见备注" in
vocabulary columns (matches nothing); in 鼓楼区's xlsx (a reporting system's export)
three blank incomes per period are formulas stored without their results (read as
blank, `formula_no_value`), and three more are `#N/A` pasted as values (read as blank,
`error_value`).

Duplicates (each kind at least 4 times per period, labelled `dup_kind` in the
truth): `same_roster`, `exact_row` (some without a usable ID: `same_row`),
`two_towns`, `two_counties`, `homophone` (same valid ID, or no ID + birth-date
column + same village), `id15`, `typo` (a bad-check copy in another county's
birth-date roster), `numeric_id` (a copy in 邳州市's file). A few copies disagree
on phone, trainings or income (conflicts).

## Checks (docs/checks.md)

Every rule of the catalogue except `required_missing` (off by default) is planted,
on women who have no other record in the period, and the truth lists each issue on
its record (code and column). Counts over the active records of both periods
(`truth["planted_issues"]`): {checks}.

What is planted besides the cell messes above: a man's ID (odd 17th digit) and IDs
whose area code never existed (320399, 999999), on women listed in one period only;
IDs with a letter (O for a zero, Y as check character) or an impossible birth date
(30 February, month 13); 普通劳动力 at 66 or more, 无劳动力 / 丧失劳动力 between 16 and
60, 丧失劳动力 with a wing; exited women below the Jiangsu line of 6,000 yuan or
earning less than before (9,000 → 8,000); incomes of 350,000 and 250,000; a landline
and a 10-digit mobile; one phone on four households of one town; a broker named like
a woman of her town; visits in the year before or after; 52 or 60 trainings; exit
years after the roster's year (2016 roster: 2017, filled in ahead of time); 已脱贫
without an exit year, and three `exit_reverted` women listed 未脱贫 with exit year
2016. Every other record passes every rule: 普通/技能劳动力 only for ages 16–65 (on
31 December), no capacity only over 60 and without a wing, exited women at or above
6,000 yuan and their income before, valid mobiles on three households at most, brokers
never named like a woman, visits inside the year. The generator checks this with its
own reading of the rules (`tools/sample/checks.py`) and stops otherwise.

## truth.json

`files` (the active files, in load order: every sheet with its record count and
skipped rows by kind), `replaced` (the file the corrected roster replaces),
`planted_issues` (issues by code over both periods, conflicts apart), `records`
(one per line: file, sheet, 1-based row, county, period, person, dup_kind, the
normalised fields, `filled` = completeness, issues other than conflicts), `people`
(the invented women; `planted`: the changes planted on her), `summary[year][tier]`:
the exact document `hcs summary --year Y --link TIER --format json` must print, and
`changes["2016-2017"][tier]`: the document `hcs changes --from 2016 --to 2017 --link
TIER --format json` must print, persons named by their name (Y2, Y1 for `left`)
instead of their key. Probable links are
counted one per merge of two certain clusters, by the first rule that applies in
the order id_precision_lost, id_typo, name_birth.
"""


def readme(truth: dict[str, Any]) -> str:
    lines = []
    for year in C.PERIODS:
        tiers = truth["summary"][str(year)]
        doc = tiers["probable"]
        exits = " / ".join(str(doc["wings"][w]["exits"]) for w in C.EXIT_QUOTA)
        by_year = ", ".join(f"{y}: {n}" for y, n in doc["exits_by_year"].items())
        lines.append(
            f"| {year} | {doc['source']['files']} | {doc['source']['records']} | "
            f"{tiers['certain']['source']['persons']} / {doc['source']['persons']} | "
            f"{exits} | {by_year} |"
        )
    (span,) = truth["changes"].values()
    changes = []
    for group in ("totals", "checks"):
        for key in span["probable"][group]:
            certain, probable = span["certain"][group][key], span["probable"][group][key]
            changes.append(f"| `{key}` | {certain} | {probable} |")
    planted = Counter(
        kind for p in truth["people"] for kind in p.get("planted", ()) if kind in C.PLANTED
    )
    (replaced,) = truth["replaced"]
    county = next(f["county"] for f in truth["files"] if f["path"] == replaced["replaced_by"])
    return TEMPLATE.format(
        seed=truth["seed"],
        figures="\n".join(lines),
        changes="\n".join(changes),
        planted=", ".join(f"`{kind}` {planted[kind]}" for kind in C.PLANTED),
        checks=", ".join(f"`{code}` {n}" for code, n in truth["planted_issues"].items()),
        corrected_county=county,
        corrected=replaced["replaced_by"],
        original=replaced["path"],
    )
