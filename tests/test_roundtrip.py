"""Round trip: records written into a workbook with roster messes read back as the same values."""

from __future__ import annotations

import tempfile
from datetime import date
from decimal import Decimal
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import write_xlsx
from handcraft_stats.config import load_settings
from handcraft_stats.normalize.idnumber import check_character
from handcraft_stats.normalize.vocab import Vocabulary
from handcraft_stats.parse import parse_file

SETTINGS = load_settings(None)
VOCAB = Vocabulary()
AREAS = ["320321", "320323", "320382", "340321", "370481"]


@st.composite
def person(draw: st.DrawFn) -> dict[str, object]:
    born = draw(st.dates(date(1940, 1, 1), date(2000, 12, 31)))
    seq = f"{draw(st.integers(0, 99)):02d}{draw(st.sampled_from('02468'))}"
    body = f"{draw(st.sampled_from(AREAS))}{born:%Y%m%d}{seq}"
    cents = draw(st.integers(0, 9_999_999))
    return {
        "name": draw(st.sampled_from(["张丽", "王芳", "李秀英", "陈梅", "刘桂兰"])),
        "id": body + check_character(body),
        "income": Decimal(cents) / 100,
        "trainings": draw(st.integers(0, 12)),
        "visit": draw(st.dates(date(2016, 1, 1), date(2017, 12, 31))),
        "wing": draw(st.sampled_from(["手工", "家政服务", "巾帼电商", "种植", ""])),
    }


def messy_id(i: int, id18: str) -> str:
    forms = [id18, id18.lower(), f"'{id18}", f"{id18[:6]} {id18[6:14]} {id18[14:]}", id18 + "  "]
    return forms[i % len(forms)]


def messy_money(i: int, amount: Decimal) -> object:
    forms: list[object] = [float(amount), f"{amount}元", f"{amount:,}", str(amount)]
    return forms[i % len(forms)]


def messy_date(i: int, d: date) -> object:
    forms: list[object] = [d, f"{d.year}.{d.month}.{d.day}", f"{d.year}年{d.month}月{d.day}日",
                           int(f"{d:%Y%m%d}"), f"{d:%Y-%m-%d}"]  # fmt: skip
    return forms[i % len(forms)]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(person(), min_size=1, max_size=12))
def test_written_rosters_read_back_the_same(people: list[dict[str, object]]) -> None:
    header = ["序号", "姓名", "身份证号码", "上年收入", "参训次数", "回访时间", "从业产业"]
    rows: list[list[object]] = [["徐州市丰县2017年花名册"], header]
    for i, p in enumerate(people):
        name = str(p["name"])
        rows.append([i + 1, name[0] + " " + name[1:] if i % 2 else name,
                     messy_id(i, str(p["id"])), messy_money(i, p["income"]),  # type: ignore[arg-type]
                     f"{p['trainings']}次" if i % 3 else p["trainings"],
                     messy_date(i, p["visit"]), p["wing"]])  # type: ignore[arg-type]  # fmt: skip
    with tempfile.TemporaryDirectory() as d:
        path = write_xlsx(Path(d) / "丰县2017.xlsx", {"Sheet1": rows})
        pf = parse_file(path, path.read_bytes(), SETTINGS, VOCAB)
    r = pf.records
    assert list(r["source_row"]) == list(range(3, 3 + len(people)))
    assert list(r["name"]) == [p["name"] for p in people]
    assert list(r["id_number"]) == [p["id"] for p in people]
    assert set(r["id_status"]) == {"valid"}
    assert [Decimal(str(v)) for v in r["income_before"]] == [p["income"] for p in people]
    assert list(r["trainings"]) == [p["trainings"] for p in people]
    assert list(r["visit_date"]) == [p["visit"] for p in people]
