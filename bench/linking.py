"""Linking quality, speed and memory on labelled synthetic records (10k to 1M).

Invents women (valid 18-digit IDs, names, birth dates, Xuzhou places), gives each one
clean record, plants duplicates of known kinds and hard negatives (sisters, namesakes)
at known rates, builds the records frame the way the store does, and runs
`link_period(rec, "probable", salt)` on it. Prints pairwise precision and recall,
recall per planted kind, false merges per hard-negative kind, link time, peak memory,
and a baseline measured in the same run (a pandas group-by on id_key over the same
frame), because these machines are shared and noisy. Each size runs in a fresh
subprocess, so its memory figures are its own.

    .venv/bin/python bench/linking.py [--sizes 10000,100000,1000000] [--seed 1]
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import json
import pstats
import resource
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Hashable
from datetime import date
from decimal import Decimal
from functools import wraps
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from handcraft_stats import blocking, link
from handcraft_stats.normalize.idnumber import IdStatus, check_character, normalize_id
from handcraft_stats.normalize.names import normalize_name, pinyin_key

PERIOD = 2017
SALT = "bench"
DUP_SHARE = 0.10  # share of women with one planted duplicate
SISTER_SHARE = 0.04  # share of women in a sister group (pairs; a fifth are triples)
TWIN_SHARE = 0.2  # sister groups whose first two are twins (same birth date, adjacent seq)
NAMESAKE_SHARE = 0.03  # share of women in a namesake pair
BIRTH_COLUMN_SHARE = 0.5  # records whose roster has a birth-date column
KINDS = (
    "same_roster", "two_towns", "two_counties", "homophone", "id15", "typo", "numeric_id",
    "no_id",
)  # fmt: skip
HARD = ("sisters", "namesakes")

COUNTIES: dict[str, tuple[str, tuple[str, ...]]] = {
    "鼓楼区": ("320302", ("320304",)),
    "云龙区": ("320303", ()),
    "贾汪区": ("320305", ()),
    "泉山区": ("320311", ("320304",)),
    "铜山区": ("320312", ("320323",)),
    "丰县": ("320321", ()),
    "沛县": ("320322", ()),
    "睢宁县": ("320324", ()),
    "新沂市": ("320381", ("320326",)),
    "邳州市": ("320382", ("320325",)),
}
COUNTY_WEIGHT = (4, 5, 7, 5, 13, 10, 10, 11, 8, 10)
MARRIED_IN = ("341321", "341322", "340321", "370481", "371322")
TOWNS = {
    "鼓楼区": ["环城街道", "丰财街道", "琵琶街道", "牌楼街道", "黄楼街道"],
    "云龙区": ["彭城街道", "子房街道", "黄山街道", "骆驼山街道", "大郭庄街道"],
    "贾汪区": ["大吴街道", "青山泉镇", "紫庄镇", "塔山镇", "汴塘镇", "江庄镇"],
    "泉山区": ["王陵街道", "七里沟街道", "湖滨街道", "段庄街道", "翟山街道"],
    "铜山区": ["柳新镇", "刘集镇", "大许镇", "房村镇", "伊庄镇", "单集镇", "利国镇"],
    "丰县": ["凤城街道", "师寨镇", "华山镇", "首羡镇", "顺河镇", "常店镇", "欢口镇"],
    "沛县": ["龙固镇", "杨屯镇", "大屯镇", "胡寨镇", "魏庙镇", "五段镇"],
    "睢宁县": ["睢城街道", "王集镇", "双沟镇", "岚山镇", "李集镇", "桃园镇", "凌城镇"],
    "新沂市": ["新安街道", "北沟街道", "唐店街道", "瓦窑镇", "港头镇", "草桥镇", "窑湾镇"],
    "邳州市": ["运河街道", "邳城镇", "官湖镇", "四户镇", "宿羊山镇", "八义集镇", "土山镇"],
}
VILLAGES_PER_TOWN = 30
# village names repeat across towns (王庄村 is everywhere), as they do in reality
VILLAGE_STEMS = "王李张刘陈杨黄孙马朱胡郭何高林罗大小前后东西南北新老双"
VILLAGE_SUFFIXES = ("庄村", "楼村", "集村", "湖村", "河村", "圩村", "营村", "社区")
VILLAGE_NAMES = [s + x for s in VILLAGE_STEMS for x in VILLAGE_SUFFIXES]
# the 100 commonest surnames, commonest first (weights ~ rank^-0.7: 王/李/张 ~7% each)
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶"
    "程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾"
    "毛郝龚邵万钱严覃武戴莫孔向汤"
)
# female given-name characters -> a homophone (same toneless pinyin) typed by mistake
HOMOPHONES = {
    "丽": "莉", "芳": "方", "红": "虹", "霞": "侠", "梅": "玫", "英": "莺", "兰": "岚",
    "秀": "绣", "娟": "鹃", "敏": "闵", "静": "婧", "燕": "艳", "萍": "平", "玲": "铃",
    "华": "花", "桂": "贵", "凤": "风", "云": "芸", "婷": "亭", "琴": "勤", "洁": "杰",
    "慧": "惠", "佳": "嘉", "晶": "菁", "春": "椿", "月": "悦", "爱": "艾", "珍": "真",
    "翠": "萃", "荣": "蓉", "玉": "钰", "美": "媚", "莲": "连",
}  # fmt: skip
GIVEN = "".join(HOMOPHONES) + "莉艳丹娜琳颖倩雯欣怡素淑秋菊香芬艾亚宁"
COMMON_FULL = ("王秀英", "李秀英", "张秀英", "刘桂英", "王桂兰", "张丽", "王芳", "李芳",
               "刘红", "陈玉兰", "王秀兰", "李桂英", "张凤英", "杨秀英", "王丽")  # fmt: skip
MALE_GIVEN = ("建国", "国强", "志刚", "明", "伟", "军", "勇", "德胜", "传富", "广田", "东升",
              "保全", "玉山", "长江", "永福", "庆华", "学文", "海")  # fmt: skip
RELATIONS = (("本人", 25), ("配偶", 50), ("儿媳", 12), ("女", 5), ("母亲", 8))
LABOR = (("able", 58), ("skilled", 10), ("weak", 16), ("lost", 5), ("none", 3), (None, 8))
WILLING = (("yes", 72), ("no", 14), (None, 14))
WING = (("handicraft", 34), ("domestic_service", 20), ("ecommerce", 14), ("agriculture", 21),
        ("other", 5), (None, 6))  # fmt: skip
NOTES = ("外出务工返乡", "家中有病人", "单亲家庭", "居家灵活就业", "照顾老人", "残疾")
BROKERS = ("孙主任", "李会计", "王书记", "赵委员", "周主任")
FIRST_DAY, LAST_DAY = date(1950, 1, 1).toordinal(), date(2000, 12, 31).toordinal()


# ---------------------------------------------------------------- the labelled generator


def _pick(rng: np.random.Generator, table: tuple[tuple[Any, int], ...], n: int) -> np.ndarray:
    values = np.empty(len(table), dtype=object)
    values[:] = [v for v, _ in table]
    weights = np.array([w for _, w in table], dtype=float)
    return values[rng.choice(len(table), n, p=weights / weights.sum())]


def _phone(rng: np.random.Generator, n: int) -> np.ndarray:
    digits = rng.integers(0, 10**9, n)
    second = rng.integers(3, 10, n)
    out = np.array([f"1{s}{d:09d}" for s, d in zip(second, digits, strict=True)], dtype=object)
    out[rng.random(n) < 0.15] = None
    return out


def _given(rng: np.random.Generator, n: int) -> list[str]:
    a, b = rng.integers(0, len(GIVEN), n), rng.integers(0, len(GIVEN), n)
    two = rng.random(n) < 0.75
    return [GIVEN[x] + (GIVEN[y] if t else "") for x, y, t in zip(a, b, two, strict=True)]


def _typo(rng: np.random.Generator, id18: str) -> str:
    """One digit changed or two adjacent different digits swapped (MOD 11-2 makes it invalid)."""
    last = 18 if id18[17] != "X" else 17
    while True:
        chars = list(id18)
        if rng.random() < 0.5:
            i = int(rng.integers(0, last))
            chars[i] = str((int(chars[i]) + int(rng.integers(1, 10))) % 10)
        else:
            i = int(rng.integers(0, last - 1))
            if chars[i] == chars[i + 1]:
                continue
            chars[i], chars[i + 1] = chars[i + 1], chars[i]
        out = "".join(chars)
        assert normalize_id(out).status is not IdStatus.VALID, (id18, out)
        return out


class Women:
    """The invented women: one entry per woman in every array."""

    def __init__(self, n: int, rng: np.random.Generator) -> None:
        self.n = n
        names = list(COUNTIES)
        weights = np.array(COUNTY_WEIGHT, dtype=float)
        self.county = rng.choice(len(names), n, p=weights / weights.sum())
        ntowns = np.array([len(TOWNS[c]) for c in names])
        self.town = (rng.random(n) * ntowns[self.county]).astype(int)
        self.village = rng.integers(0, VILLAGES_PER_TOWN, n)
        sw = np.arange(1, len(SURNAMES) + 1, dtype=float) ** -0.7
        self.surname = np.array(list(SURNAMES), dtype=object)[
            rng.choice(len(SURNAMES), n, p=sw / sw.sum())
        ]
        self.given = np.array(_given(rng, n), dtype=object)
        self.birth = rng.integers(FIRST_DAY, LAST_DAY + 1, n)
        self.seq = 2 * rng.integers(0, 500, n)  # 3 digits, the last even (female)
        own = np.array([COUNTIES[c][0] for c in names], dtype=object)
        self.area = own[self.county]
        u = rng.random(n)
        for i, c in enumerate(names):
            hist = COUNTIES[c][1]
            if hist:
                pick = (self.county == i) & (u < 0.3)
                self.area[pick] = hist[0]
        married_in = rng.random(n) < 0.08
        self.area[married_in] = np.array(MARRIED_IN, dtype=object)[
            rng.integers(0, len(MARRIED_IN), married_in.sum())
        ]
        self.phone = _phone(rng, n)
        self.relation = _pick(rng, RELATIONS, n)
        male = (
            np.array([SURNAMES[i] for i in rng.integers(0, 30, n)], dtype=object)
            + np.array(MALE_GIVEN, dtype=object)[rng.integers(0, len(MALE_GIVEN), n)]
        )
        self.head = male
        self.hard = np.full(n, "", dtype=object)  # "", sisters, namesakes
        self.group = np.full(n, -1)
        self._plant_hard_negatives(rng)
        self.name = self.surname + self.given
        self.head = np.where(self.relation == "本人", self.name, self.head)
        self.id18 = self._ids()

    def _plant_hard_negatives(self, rng: np.random.Generator) -> None:
        order = rng.permutation(self.n)
        at, group = 0, 0
        while at < int(self.n * SISTER_SHARE):
            size = 3 if rng.random() < 0.2 else 2
            members = order[at : at + size]
            at += size
            first = members[0]
            twins = rng.random() < TWIN_SHARE
            used = {pinyin_key(self.given[first])}
            for k, m in enumerate(members[1:], 1):
                for f in ("surname", "county", "town", "village", "area", "phone", "head"):
                    getattr(self, f)[m] = getattr(self, f)[first]
                while pinyin_key(self.given[m]) in used:  # sisters' names never sound alike
                    self.given[m] = _given(rng, 1)[0]
                used.add(pinyin_key(self.given[m]))
                if twins and k == 1:
                    self.birth[m] = self.birth[first]
                    self.seq[m] = (self.seq[first] + 2) % 1000
                else:
                    gap = int(rng.integers(1, 11)) * 365 + int(rng.integers(-150, 150))
                    self.birth[m] = min(max(self.birth[first] + gap, FIRST_DAY), LAST_DAY)
            self.relation[members] = "女"
            self.hard[members], self.group[members] = "sisters", group
            group += 1
        end = at + 2 * int(self.n * NAMESAKE_SHARE / 2)
        names = list(COUNTIES)
        while at < end:
            a, b = order[at], order[at + 1]
            at += 2
            full = COMMON_FULL[int(rng.integers(0, len(COMMON_FULL)))]
            for m in (a, b):
                self.surname[m], self.given[m] = full[0], full[1:]
                self.area[m] = COUNTIES[names[self.county[a]]][0]
            self.county[b], self.birth[b] = self.county[a], self.birth[a]
            if self.town[b] >= len(TOWNS[names[self.county[b]]]):
                self.town[b] = 0
            if (self.town[a], self.village[a]) == (self.town[b], self.village[b]):
                self.village[b] = (self.village[a] + 1) % VILLAGES_PER_TOWN
            self.hard[[a, b]], self.group[[a, b]] = "namesakes", group
            group += 1

    def _ids(self) -> np.ndarray:
        days = [date.fromordinal(int(d)).strftime("%Y%m%d") for d in self.birth]
        seen: set[str] = set()
        out = np.empty(self.n, dtype=object)
        for i in range(self.n):
            body = f"{self.area[i]}{days[i]}{self.seq[i]:03d}"
            while body in seen:  # IDs are unique: move to the next free sequence number
                self.seq[i] = (self.seq[i] + 2) % 1000
                body = f"{self.area[i]}{days[i]}{self.seq[i]:03d}"
            seen.add(body)
            out[i] = body + check_character(body)
        return out


def generate(n_records: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The records frame (as the store builds it) and its truth (woman, kind, original)."""
    rng = np.random.default_rng(seed)
    n_women = round(n_records / (1 + DUP_SHARE))
    w = Women(n_women, rng)
    copies = _plan_copies(w, n_records - n_women, rng)
    woman = np.concatenate([np.arange(n_women), copies[:, 0]])
    kind = np.concatenate([np.full(n_women, -1), copies[:, 1]])
    n = len(woman)
    names = list(COUNTIES)

    # per record raw values, first those of the woman's clean record
    county, town, village = w.county[woman], w.town[woman], w.village[woman]
    name = w.name[woman].copy()
    raw_id = w.id18[woman].copy()
    phone = w.phone[woman].copy()
    birth_col = rng.random(n) < BIRTH_COLUMN_SHARE
    labor, willing = _pick(rng, LABOR, n_women)[woman], _pick(rng, WILLING, n_women)[woman]
    wing = _pick(rng, WING, n_women)[woman]
    trainings = np.where(rng.random(n_women) < 0.3, rng.integers(0, 6, n_women), -1)[woman]
    before = rng.integers(5, 60, n_women)[woman] * 100
    after = before + rng.integers(0, 40, n_women)[woman] * 100
    exit_year = np.where(rng.random(n_women) < 0.25, rng.integers(2014, 2018, n_women), -1)
    exit_year = exit_year[woman]
    returned = (rng.random(n_women) < 0.01)[woman]
    newp = rng.integers(-1, 2, n_women)[woman]  # -1 blank, 0 no, 1 yes
    broker = np.where(rng.random(n_women) < 0.3, _pick(rng, tuple((b, 1) for b in BROKERS),
                                                         n_women), None)[woman]  # fmt: skip
    visit = np.where(rng.random(n_women) < 0.5, rng.integers(736330, 736695, n_women), -1)[woman]
    note = np.where(rng.random(n_women) < 0.1, _pick(rng, tuple((x, 1) for x in NOTES),
                                                      n_women), None)[woman]  # fmt: skip

    # then what each planted copy changes
    ntowns = np.array([len(TOWNS[c]) for c in names])
    for j in range(n_women, n):
        k, i = KINDS[kind[j]], woman[j]
        if k in ("two_towns", "two_counties") and rng.random() < 0.3:
            trainings[j] = int(rng.integers(0, 6))  # a second roster disagrees a little
            after[j] = after[j] + 100
        if k == "two_towns":
            town[j] = (town[j] + int(rng.integers(1, ntowns[county[j]]))) % ntowns[county[j]]
            village[j] = int(rng.integers(0, VILLAGES_PER_TOWN))
        elif k == "two_counties":
            county[j] = (county[j] + int(rng.integers(1, len(names)))) % len(names)
            town[j] = int(rng.integers(0, ntowns[county[j]]))
            village[j] = int(rng.integers(0, VILLAGES_PER_TOWN))
        elif k == "homophone":
            given = w.given[i]
            at = next(p for p, ch in enumerate(given) if ch in HOMOPHONES)
            name[j] = w.surname[i] + given[:at] + HOMOPHONES[given[at]] + given[at + 1 :]
        elif k == "id15":
            raw_id[j] = w.id18[i][:6] + w.id18[i][8:17]
        elif k == "typo":
            raw_id[j] = _typo(rng, w.id18[i])
        elif k == "numeric_id":
            raw_id[j] = float(w.id18[i][:15] + "000")  # what Excel keeps of an 18-digit number
        elif k == "no_id":
            raw_id[j], birth_col[j] = None, True
            if rng.random() < 0.5:
                phone[j] = None

    # load order: files (one roster per county and town) in order, rows shuffled inside
    file_no = county * 10 + town
    order = np.lexsort((rng.random(n), file_no))
    county, town, village, file_no = county[order], town[order], village[order], file_no[order]
    woman, kind = woman[order], kind[order]
    name, raw_id, phone, birth_col = name[order], raw_id[order], phone[order], birth_col[order]
    labor, willing, wing, trainings = labor[order], willing[order], wing[order], trainings[order]
    before, after, exit_year, returned = (
        before[order],
        after[order],
        exit_year[order],
        returned[order],
    )
    newp, broker, visit, note = newp[order], broker[order], visit[order], note[order]
    first_row = np.r_[0, np.flatnonzero(np.diff(file_no)) + 1]
    starts = np.repeat(first_row, np.diff(np.r_[first_row, n]))
    source_row = np.arange(n) - starts + 3  # title row, header row, then the records

    rec = _store_frame(
        {
            "county": np.array(names, dtype=object)[county],
            "town": np.array([TOWNS[names[c]][t] for c, t in zip(county, town, strict=True)],
                             dtype=object),
            "village_no": (county * 10 + town) * VILLAGES_PER_TOWN + village,
            "name": name, "id": raw_id, "phone": phone, "birth_col": birth_col,
            "birth": w.birth[woman], "head": w.head[woman], "relation": w.relation[woman],
            "labor": labor, "willing": willing, "wing": wing, "trainings": trainings,
            "before": before, "after": after, "exit_year": exit_year, "returned": returned,
            "newp": newp, "broker": broker, "visit": visit, "note": note, "file_no": file_no,
            "source_row": source_row, "county_col": rng.random(n) < 0.3,
            "blank_income": rng.random(n) < 0.2,
        },
        seed,
    )  # fmt: skip
    truth = pd.DataFrame(
        {
            "record_id": rec["record_id"].to_numpy(),
            "woman": woman,
            "kind": np.array(["original", *KINDS], dtype=object)[kind + 1],
            "hard": w.hard[woman],
            "group": w.group[woman],
        }
    )
    originals = truth[truth["kind"] == "original"].set_index("woman")["record_id"]
    truth["original"] = truth["woman"].map(originals)
    return rec, truth


def _plan_copies(w: Women, n_copies: int, rng: np.random.Generator) -> np.ndarray:
    """(woman, kind) of each planted copy: kinds in equal shares, one copy per woman."""
    born_19xx = np.array([date.fromordinal(int(d)).year < 2000 for d in w.birth])
    sounds = np.array([any(ch in HOMOPHONES for ch in g) for g in w.given])
    eligible = {"id15": born_19xx, "homophone": sounds}
    order = rng.permutation(w.n)
    used = np.zeros(w.n, dtype=bool)
    out = []
    for k, kind in enumerate(KINDS):
        quota = n_copies // len(KINDS) + (k < n_copies % len(KINDS))
        ok = eligible.get(kind, np.ones(w.n, dtype=bool))
        picks = [i for i in order if not used[i] and ok[i]][:quota]
        used[picks] = True
        out += [(i, k) for i in picks]
    return np.array(out, dtype=int).reshape(-1, 2)


def _cached(values: np.ndarray, fn: Callable[[Any], Any]) -> list[Any]:
    """fn over the distinct values only (as the store's normaliser does)."""
    cache: dict[Hashable, Any] = {}
    out = []
    for v in values:
        key = (type(v).__name__, v)
        if key not in cache:
            cache[key] = fn(v)
        out.append(cache[key])
    return out


def _store_frame(c: dict[str, Any], seed: int) -> pd.DataFrame:
    """Normalise the raw values over their distinct values, into the store's columns."""
    n = len(c["name"])
    rng = np.random.default_rng(seed + 1)
    ids = _cached(c["id"], normalize_id)
    names = _cached(c["name"], normalize_name)
    blank_income = c["blank_income"]
    money: dict[int, Decimal] = {}

    def yuan(v: int) -> Decimal:
        return money.setdefault(v, Decimal(v).quantize(Decimal("0.01")))

    days: dict[int, date] = {}

    def day(v: int) -> date:
        return days.setdefault(v, date.fromordinal(v))

    id_birth = {IdStatus.VALID, IdStatus.UPGRADED15, IdStatus.BAD_CHECK}
    keyed = {IdStatus.VALID, IdStatus.UPGRADED15}
    status = np.where(c["exit_year"] >= 0, "exited", "not_exited").astype(object)
    status[c["returned"]] = "returned"
    status[rng.random(n) < 0.3] = None  # blank cells; derived below like the normaliser does
    status = np.where((status == None) & (c["exit_year"] >= 0), "exited", status)  # noqa: E711
    out: dict[str, Any] = {
        "name": names,
        "name_raw": list(c["name"]),
        "name_key": _cached(np.array(names, dtype=object), pinyin_key),
        "id_number": [r.value for r in ids],
        "id_status": [str(r.status) for r in ids],
        "id_key": [r.value if r.status in keyed else None for r in ids],
        "birth_date": [
            day(int(b)) if bc else (r.birth_date if r.status in id_birth else None)
            for b, bc, r in zip(c["birth"], c["birth_col"], ids, strict=True)
        ],
        "county_text": np.where(c["county_col"], c["county"], None).tolist(),
        "town": c["town"].tolist(),
        "village": [VILLAGE_NAMES[_village_name(v, seed)] for v in c["village_no"]],
        "household_head": c["head"].tolist(),
        "relation_to_head": c["relation"].tolist(),
        "phone": c["phone"].tolist(),
        "labor_capacity": c["labor"].tolist(),
        "willing": c["willing"].tolist(),
        "wing": c["wing"].tolist(),
        "trainings": [None if t < 0 else int(t) for t in c["trainings"]],
        "new_practitioner": [None if p < 0 else bool(p) for p in c["newp"]],
        "income_before": [None if b else yuan(int(v))
                          for v, b in zip(c["before"], blank_income, strict=True)],
        "income_after": [None if b else yuan(int(v))
                         for v, b in zip(c["after"], blank_income, strict=True)],
        "exit_year": [None if y < 0 else int(y) for y in c["exit_year"]],
        "status": status.tolist(),
        "broker": c["broker"].tolist(),
        "visit_date": [None if v < 0 else day(int(v)) for v in c["visit"]],
        "note": c["note"].tolist(),
    }  # fmt: skip
    rec = pd.DataFrame(out)
    rec["trainings"] = rec["trainings"].astype("Int64")
    rec["exit_year"] = rec["exit_year"].astype("Int64")
    rec["new_practitioner"] = rec["new_practitioner"].astype("boolean")
    canonical = [
        "name", "id_number", "county_text", "town", "village", "household_head",
        "relation_to_head", "phone", "labor_capacity", "willing", "wing", "trainings",
        "new_practitioner", "income_before", "income_after", "exit_year", "broker",
        "visit_date", "note",
    ]  # fmt: skip
    filled = rec[canonical].notna().sum(axis=1) + c["birth_col"] + rec["status"].notna()
    rec["filled"] = filled.astype(int)
    rec["extras"] = None
    counties = list(COUNTIES)
    files = {
        f: f"{counties[f // 10]}{PERIOD}年{TOWNS[counties[f // 10]][f % 10]}花名册.xlsx"
        for f in np.unique(c["file_no"])
    }
    rec.insert(0, "record_id", np.arange(1, n + 1, dtype="int64"))
    rec.insert(1, "file_id", (c["file_no"] + 1).astype("int32"))
    rec.insert(2, "period", PERIOD)
    rec.insert(3, "county", c["county"].tolist())
    rec.insert(4, "source_file", [files[f] for f in c["file_no"]])
    rec.insert(5, "source_sheet", "Sheet1")
    rec.insert(6, "source_row", c["source_row"].astype("int32"))
    return rec


def _village_name(village_no: int, seed: int) -> int:
    """The name of a town's village (village_no = town * VILLAGES_PER_TOWN + k): each town
    has VILLAGES_PER_TOWN distinct names out of VILLAGE_NAMES, the same ones run after run."""
    town, k = divmod(int(village_no), VILLAGES_PER_TOWN)
    names = _TOWN_VILLAGES.get(town)
    if names is None:
        names = np.random.default_rng([seed, town]).permutation(len(VILLAGE_NAMES))
        _TOWN_VILLAGES[town] = names
    return int(names[k])


_TOWN_VILLAGES: dict[int, np.ndarray] = {}


# ---------------------------------------------------------------- measuring


def _rss(field: str) -> int:
    """VmRSS / VmHWM of this process in KiB (Linux)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def _reset_peak() -> bool:
    """Reset this process's peak RSS (Linux ≥ 4.0: write 5 to clear_refs)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


class Stages:
    """Wall time of link_period's stages, by wrapping the functions it calls."""

    NAMES = (
        ("candidates", link, "candidates"),
        ("  certain same_id", link, "_id_links"),
        ("  certain same_row", link, "_same_row_links"),
        ("  birth (for name_birth)", link, "birth_text"),
        ("  precision_lost_pairs", blocking, "precision_lost_pairs"),
        ("  typo_pairs", blocking, "typo_pairs"),
        ("  name_birth_pairs", blocking, "name_birth_pairs"),
        ("person keys (hmac)", link, "_cluster_keys"),
        ("survive (values, conflicts)", link, "survive"),
    )

    def __init__(self) -> None:
        self.seconds: Counter[str] = Counter()
        for label, module, attr in self.NAMES:
            setattr(module, attr, self._wrap(label, getattr(module, attr)))

    def _wrap(self, label: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(fn)
        def timed(*args: Any, **kwargs: Any) -> Any:
            t = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self.seconds[label] += time.perf_counter() - t

        return timed


def _pairs(sizes: pd.Series) -> int:
    s = sizes.to_numpy(dtype="int64")
    return int((s * (s - 1) // 2).sum())


def evaluate(rec: pd.DataFrame, truth: pd.DataFrame, members: pd.DataFrame) -> dict[str, Any]:
    t = truth.merge(members[["record_id", "person_key"]], on="record_id", validate="1:1")
    pk = t.set_index("record_id")["person_key"]
    true_pairs = _pairs(t.groupby("woman").size())
    pred_pairs = _pairs(t.groupby("person_key").size())
    tp = _pairs(t.groupby(["person_key", "woman"]).size())
    copies = t[t["kind"] != "original"]
    found = copies["person_key"].to_numpy() == pk.loc[copies["original"]].to_numpy()
    by_kind = {k: [0, 0] for k in KINDS}
    for k, ok in zip(copies["kind"], found, strict=True):
        by_kind[k][0] += int(ok)
        by_kind[k][1] += 1
    # persons holding records of two or more women: who got mixed, and through which copy
    women = t.groupby("person_key")["woman"].nunique()
    mixed = t[t["person_key"].isin(women.index[women > 1])]
    hard = {h: 0 for h in HARD}
    hn = t[t["hard"] != ""].drop_duplicates(["person_key", "woman"])
    per = hn.groupby(["hard", "group", "person_key"])["woman"].nunique()
    for (h, _, _), k in per.items():
        hard[h] += k * (k - 1) // 2
    misplaced = Counter()
    examples: dict[str, list[str]] = {}
    show = rec.set_index("record_id")
    for key, grp in mixed.groupby("person_key"):
        # the owner: the woman whose clean record (valid ID) is in this person
        first = grp[grp["kind"] == "original"]
        owner = (first if len(first) else grp)["woman"].value_counts().index[0]
        anchor = grp[grp["woman"] == owner]
        for _, r in grp[grp["woman"] != owner].iterrows():
            misplaced[r["kind"]] += 1
            label = f"merged:{r['kind']}"
            if len(examples.setdefault(label, [])) < 3:
                examples[label].append(_example(show, t, r, anchor, str(key)))
    missed = copies[~found]
    for _, r in missed.iterrows():
        label = f"missed:{r['kind']}"
        if len(examples.setdefault(label, [])) < 3:
            examples[label].append(_example(show, t, r, None, str(r["person_key"])))
    return {
        "records": len(t),
        "women": int(t["woman"].nunique()),
        "persons": int(t["person_key"].nunique()),
        "true_pairs": true_pairs,
        "pred_pairs": pred_pairs,
        "tp": tp,
        "precision": tp / pred_pairs if pred_pairs else 1.0,
        "recall": tp / true_pairs if true_pairs else 1.0,
        "by_kind": by_kind,
        "hard": hard,
        "hard_women": {h: int((t[t["kind"] == "original"]["hard"] == h).sum()) for h in HARD},
        "mixed_persons": int((women > 1).sum()),
        "ambiguous": _ambiguous(rec, t),
        "misplaced": dict(misplaced),
        "examples": examples,
    }


def _ambiguous(rec: pd.DataFrame, t: pd.DataFrame) -> dict[str, int]:
    """Planted copies whose probable-tier evidence also fits another woman's record: for
    numeric_id the 15 digits and the name, for no_id the name pinyin, the birth date and
    the village or phone. No rule can tell these apart by that evidence alone."""
    cols = ["record_id", "name", "name_key", "id_number", "id_key", "birth_date", "village"]
    r = rec[[*cols, "phone"]].merge(t[["record_id", "woman", "kind"]], on="record_id")
    text = r["id_key"].fillna(r["id_number"]).astype("string")
    r["k15"] = text.str.slice(0, 15).where(text.str.len() == 18)
    r["birth"] = pd.to_datetime(r["birth_date"], errors="coerce")
    out = {}
    lost = r[r["kind"] == "numeric_id"].assign(k15=lambda x: x["id_number"])
    m = lost.merge(r.dropna(subset=["k15"]), on="k15", suffixes=("", "_b"))
    m = m[(m["woman"] != m["woman_b"]) & (m["name_key"] == m["name_key_b"])]
    out["numeric_id"] = int(m["record_id"].nunique())
    no_id = r[r["kind"] == "no_id"]
    m = no_id.merge(r.dropna(subset=["birth"]), on=["name_key", "birth"], suffixes=("", "_b"))
    place = (m["village"] == m["village_b"]).fillna(False) | (m["phone"] == m["phone_b"]).fillna(
        False
    )
    m = m[(m["woman"] != m["woman_b"]) & place]
    out["no_id"] = int(m["record_id"].nunique())
    return out


def _example(
    show: pd.DataFrame, t: pd.DataFrame, r: pd.Series, anchor: pd.DataFrame | None, key: str
) -> str:
    cols = ["name", "id_number", "id_status", "birth_date", "county", "town", "village", "phone"]

    def row(rid: int, tag: str) -> str:
        v = show.loc[rid, cols]
        return f"    {tag:<9} #{rid}: " + " | ".join("-" if pd.isna(x) else str(x) for x in v)

    lines = [f"  {r['kind']} copy of woman {r['woman']} ({r['hard'] or 'no hard negative'})"]
    lines.append(row(int(r["original"]), "original"))
    lines.append(row(int(r["record_id"]), "copy"))
    others = t[(t["person_key"] == key) & (t["woman"] != r["woman"])]
    for _, o in others.head(3).iterrows():
        lines.append(row(int(o["record_id"]), f"with w{o['woman']}"))
    if anchor is None and others.empty:
        lines.append("    (the copy is a person of its own)")
    return "\n".join(lines)


def run_one(size: int, seed: int, profile: bool = False) -> dict[str, Any]:
    """Generate, link and evaluate one size (in this process)."""
    t0 = time.perf_counter()
    rec, truth = generate(size, seed)
    gen = time.perf_counter() - t0
    gc.collect()
    t = time.perf_counter()
    rec.groupby("id_key").ngroup()
    base = time.perf_counter() - t
    rss_before, peak_before = _rss("VmRSS"), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    reset = _reset_peak()
    stages = Stages()
    prof = cProfile.Profile() if profile else None
    t = time.perf_counter()
    if prof:
        prof.enable()
    linked = link.link_period(rec, "probable", SALT)
    if prof:
        prof.disable()
    seconds = time.perf_counter() - t
    link_hwm = _rss("VmHWM") if reset else 0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    out = evaluate(rec, truth, linked.members)
    out.update(
        generate_s=gen,
        baseline_s=base,
        link_s=seconds,
        stages=dict(stages.seconds),
        links_by_reason=linked.links[linked.links["status"] == "accepted"]["reason"]
        .value_counts()
        .to_dict(),
        rejected=int((linked.links["status"] == "rejected").sum()),
        rss_before_mib=rss_before / 1024,
        link_peak_mib=link_hwm / 1024 if reset else None,
        peak_mib=max(peak, peak_before) / 1024,
    )
    if prof:
        text = io.StringIO()
        pstats.Stats(prof, stream=text).sort_stats("tottime").print_stats(20)
        out["profile"] = text.getvalue()
    return out


# ---------------------------------------------------------------- printing


def report(r: dict[str, Any]) -> None:
    ok = "ok" if r["precision"] >= 0.995 and r["recall"] >= 0.97 else "BELOW TARGET"
    print(f"\n== {r['records']:,} records ({r['women']:,} women, {r['persons']:,} persons) ==")
    print(f"true duplicate pairs {r['true_pairs']:,}   predicted pairs {r['pred_pairs']:,}   "
          f"correct {r['tp']:,}")  # fmt: skip
    print(f"precision {r['precision']:.5f}   recall {r['recall']:.5f}   "
          f"(targets ≥ 0.995, ≥ 0.97: {ok})")  # fmt: skip
    print("recall per planted kind:")
    for k, (hit, total) in r["by_kind"].items():
        print(f"  {k:<13} {hit:>7,} / {total:<7,} {hit / total if total else 1:.4f}")
    print("false merges of hard negatives (pairs of women of one group in one person):")
    for h in HARD:
        print(f"  {h:<13} {r['hard'][h]:>7,}   (women in such groups: {r['hard_women'][h]:,})")
    print(f"persons mixing two or more women: {r['mixed_persons']:,}; "
          f"misplaced records by kind: {r['misplaced'] or '-'}")  # fmt: skip
    amb = ", ".join(f"{k} {v:,}" for k, v in r["ambiguous"].items())
    print(f"planted copies whose evidence also fits another woman (ambiguous): {amb}")
    print(f"accepted links: {r['links_by_reason']}; rejected (cannot-link): {r['rejected']:,}")
    ratio = r["link_s"] / r["baseline_s"] if r["baseline_s"] else float("nan")
    fit = "ok" if r["records"] < 1_000_000 or r["link_s"] < 120 else "OVER 2 min"
    print(f"generate + normalise {r['generate_s']:.1f} s (not counted)")
    print(f"baseline groupby('id_key').ngroup() {r['baseline_s']:.3f} s")
    print(f"link_period(probable) {r['link_s']:.2f} s = {ratio:,.0f}x baseline ({fit})")
    for label, s in sorted(r["stages"].items(), key=lambda x: [n for n, *_ in Stages.NAMES]
                           .index(x[0])):  # fmt: skip
        print(f"    {label:<32} {s:7.2f} s")
    cands = sum(v for k, v in r["stages"].items() if not k.startswith(" "))
    print(f"    {'clustering (union-find) + rest':<32} {r['link_s'] - cands:7.2f} s")
    link_peak = r["link_peak_mib"]
    print(f"memory: RSS before link {r['rss_before_mib']:,.0f} MiB, "
          + (f"peak during link {link_peak:,.0f} MiB, " if link_peak else "")
          + f"process peak (ru_maxrss, incl. generation) {r['peak_mib']:,.0f} MiB")  # fmt: skip
    if "profile" in r:
        print("cProfile of link_period, by own time (link time above includes its overhead):")
        print(r["profile"])
    for label, lines in r["examples"].items():
        print(f"examples {label}:")
        for x in lines:
            print(x)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="10000,100000,1000000")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument(
        "--profile", action="store_true",
        help="run link_period under cProfile and print its hot spots (inflates link time)",
    )  # fmt: skip
    ap.add_argument("--one", type=int, help=argparse.SUPPRESS)  # internal: one size, JSON out
    args = ap.parse_args()
    if args.one:
        print(json.dumps(run_one(args.one, args.seed, args.profile), default=str))
        return
    rows = []
    for size in (int(s) for s in args.sizes.split(",")):
        cmd = [sys.executable, __file__, "--one", str(size), "--seed", str(args.seed)]
        cmd += ["--profile"] if args.profile else []
        done = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            print(f"\n== {size:,} records: FAILED ==\n{done.stderr}")
            continue
        r = json.loads(done.stdout.strip().splitlines()[-1])
        report(r)
        rows.append(r)
    if rows:
        print("\n| records | precision | recall | " + " | ".join(KINDS)
              + " | sisters | namesakes | link s | ×baseline | peak MiB |")  # fmt: skip
        for r in rows:
            kinds = " | ".join(f"{h / n:.4f}" if n else "-" for h, n in r["by_kind"].values())
            print(f"| {r['records']:,} | {r['precision']:.5f} | {r['recall']:.5f} | {kinds} | "
                  f"{r['hard']['sisters']} | {r['hard']['namesakes']} | {r['link_s']:.1f} | "
                  f"{r['link_s'] / r['baseline_s']:,.0f} | {r['peak_mib']:,.0f} |")  # fmt: skip


if __name__ == "__main__":
    main()
