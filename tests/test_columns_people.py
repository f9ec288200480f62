"""Columns of another person's beside hers: a household head's or a broker's ID, phone and
birth date in a flat header, and a household's income under 家庭情况 (columns.map_columns)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd

from conftest import ID_A, ID_B, ID_C, ingested, write_xlsx
from handcraft_stats import Store
from handcraft_stats.config import load_settings
from handcraft_stats.normalize.vocab import Vocabulary
from handcraft_stats.parse import parse_file

SETTINGS = load_settings(None)
VOCAB = Vocabulary()


def _male_id(body: str) -> str:
    """A valid 18-character ID for 17 digits (the 17th odd: a man's, a household head)."""
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return body + "10X98765432"[sum(int(d) * w for d, w in zip(body, weights, strict=True)) % 11]


HEAD_1 = _male_id("32038119650101011")
HEAD_2 = _male_id("32038119660202013")


def records(path: Path) -> pd.DataFrame:
    return parse_file(path, path.read_bytes(), SETTINGS, VOCAB).records


def texts(column: pd.Series) -> list[str | None]:
    return [None if v is None or pd.isna(v) else str(v) for v in column]


def extras(column: pd.Series) -> list[dict[str, Any]]:
    return [json.loads(v) if isinstance(v, str) else {} for v in column]


def test_the_brokers_phone_never_fills_her_blank_phone(tmp_path: Path) -> None:
    """Flat header, 联系电话 after her ID and again right after 结对经纪人: the second is the
    broker's (kept as 结对经纪人联系电话), not a second phone of hers; a blank phone of
    hers stays blank (it was filled with the broker's number)."""
    p = write_xlsx(tmp_path / "睢宁县2017.xlsx", {"花名册": [
        ["睢宁县2017年妇女巧手脱贫花名册"],
        ["序号", "姓名", "身份证号码", "联系电话", "村(社区)", "从业产业", "结对经纪人", "联系电话"],
        [1, "王秀英", ID_A, "13811112222", "东村", "手工编织", "赵经纪", "13700001111"],
        [2, "李霞", ID_B, None, "东村", "手工编织", "赵经纪", "13700001111"],
        [3, "刘秀兰", ID_C, None, "西村", "手工编织", "钱经纪", "13700002222"],
    ]})  # fmt: skip
    r = records(p)
    assert texts(r["phone"]) == ["13811112222", None, None]
    assert texts(r["broker"]) == ["赵经纪", "赵经纪", "钱经纪"]
    assert [e.get("结对经纪人联系电话") for e in extras(r["extras"])] == [
        "13700001111", "13700001111", "13700002222",
    ]  # fmt: skip
    assert all("联系电话" not in e for e in extras(r["extras"]))


def test_the_only_phone_right_of_the_broker_is_still_his(tmp_path: Path) -> None:
    """帮扶责任人 then the only 联系电话: the broker's phone (one number on every woman he
    helps), kept as 帮扶责任人联系电话; no woman has a phone. Every woman had his."""
    p = write_xlsx(tmp_path / "睢宁县2017.xlsx", {"花名册": [
        ["序号", "姓名", "身份证号码", "村(社区)", "从业产业", "帮扶责任人", "联系电话"],
        [1, "王秀英", ID_A, "东村", "手工编织", "赵经纪", "13700001111"],
        [2, "李霞", ID_B, "东村", "手工编织", "赵经纪", "13700001111"],
        [3, "刘秀兰", ID_C, "西村", "手工编织", "赵经纪", "13700001111"],
    ]})  # fmt: skip
    r = records(p)
    assert texts(r["phone"]) == [None, None, None]
    assert [e.get("帮扶责任人联系电话") for e in extras(r["extras"])] == ["13700001111"] * 3


def test_a_phone_right_of_the_head_is_the_households_when_she_has_none(tmp_path: Path) -> None:
    """户主姓名 then the only phone column of hers: the household's contact phone, which is
    how the county reaches her, stays her phone; the 联系电话 right of 结对经纪人 is the
    broker's and never fills her blank one (it did: the broker's number was hers)."""
    p = write_xlsx(tmp_path / "丰县2017.xlsx", {"花名册": [
        ["序号", "姓名", "身份证号码", "户主姓名", "联系电话", "结对经纪人", "联系电话"],
        [1, "王秀英", ID_A, "孙大强", "13811112222", "赵经纪", "13700001111"],
        [2, "李霞", ID_B, "孙大强", "13811112222", "赵经纪", "13700001111"],
        [3, "刘秀兰", ID_C, "李大勇", None, "钱经纪", "13700002222"],
    ]})  # fmt: skip
    r = records(p)
    assert texts(r["phone"]) == ["13811112222", "13811112222", None]
    assert texts(r["household_head"]) == ["孙大强", "孙大强", "李大勇"]
    assert [e.get("结对经纪人联系电话") for e in extras(r["extras"])] == [
        "13700001111", "13700001111", "13700002222",
    ]  # fmt: skip


FLAT_HEAD = ["序号", "户主姓名", "身份证号码", "与户主关系", "成员姓名", "身份证号码", "联系电话",
             "村(社区)"]  # fmt: skip


def test_the_id_right_of_the_head_is_his_and_hers_is_hers(tmp_path: Path) -> None:
    """户主姓名, 身份证号码 (his), 与户主关系, 成员姓名, 身份证号码 (hers): the first ID is the
    head's, kept as 户主身份证号码; each woman has her own ID. She had the head's, hers
    went to extras, and two women of one household were one person (same_id)."""
    rows = [
        ["新沂市2017年妇女巧手脱贫花名册"],
        FLAT_HEAD,
        [1, "孙大强", HEAD_1, "妻", "王秀英", ID_A, "13811112222", "东村"],
        [2, "孙大强", HEAD_1, "女", "李霞", ID_B, "13811112223", "东村"],
        [3, "李大勇", HEAD_2, "妻", "刘秀兰", ID_C, "13811112224", "西村"],
    ]
    r = records(write_xlsx(tmp_path / "新沂市2017.xlsx", {"花名册": rows}))
    assert texts(r["id_number"]) == [ID_A, ID_B, ID_C]
    assert texts(r["household_head"]) == ["孙大强", "孙大强", "李大勇"]
    assert extras(r["extras"]) == [{"户主身份证号码": h} for h in (HEAD_1, HEAD_1, HEAD_2)]
    db = ingested(tmp_path, {"新沂市2017.xlsx": rows})
    with Store(db, read_only=True) as store:
        persons = store.df("SELECT count(*) AS n FROM persons WHERE tier = 'certain'")
    assert persons["n"].tolist() == [3]


def test_the_heads_id_never_fills_her_blank_id(tmp_path: Path) -> None:
    """The head's ID right of 户主姓名 is no second ID column of hers: a woman whose own ID
    cell is blank stays without an ID (id_missing), not with the head's."""
    p = write_xlsx(tmp_path / "新沂市2017.xlsx", {"花名册": [
        FLAT_HEAD,
        [1, "孙大强", HEAD_1, "妻", "王秀英", ID_A, "13811112222", "东村"],
        [2, "孙大强", HEAD_1, "女", "李霞", None, "13811112223", "东村"],
    ]})  # fmt: skip
    r = records(p)
    assert texts(r["id_number"]) == [ID_A, None]
    assert [e.get("户主身份证号码") for e in extras(r["extras"])] == [HEAD_1, HEAD_1]


def test_a_birth_date_right_of_the_head_is_his(tmp_path: Path) -> None:
    """户主姓名, 出生日期 (his) before her 姓名, 身份证号码, 出生日期: hers is her birth date,
    his is kept as 户主出生日期. His was stored as hers."""
    p = write_xlsx(tmp_path / "丰县2017.xlsx", {"花名册": [
        ["户主姓名", "出生日期", "姓名", "身份证号码", "出生日期", "村(社区)"],
        ["孙大强", "1965-01-01", "王秀英", ID_A, "1980-01-01", "东村"],
        ["李大勇", "1966-02-02", "李霞", ID_B, "1975-05-05", "西村"],
    ]})  # fmt: skip
    r = records(p)
    assert [str(d)[:10] for d in r["birth_date"]] == ["1980-01-01", "1975-05-05"]
    assert [e.get("户主出生日期") for e in extras(r["extras"])] == ["1965-01-01", "1966-02-02"]


def _family_income(path: Path, household_first: bool) -> Path:
    """A two-row header: 家庭情况 merged over 人口数 / 年收入 (the household's), and her
    帮扶前年收入(元) / 当年收入(元) each merged down over both rows."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "花名册"
    family = ["家庭情况", None]
    own = ["帮扶前年收入(元)", "当年收入(元)"]
    ws.append(["丰县2017年妇女巧手脱贫花名册"])
    ws.append(["序号", "姓名", "身份证号码", *(family + own if household_first else own + family)])
    ws.append([None] * 3 + (["人口数", "年收入", None, None] if household_first
                            else [None, None, "人口数", "年收入"]))  # fmt: skip
    group, alone = ("DE", "ABCFG") if household_first else ("FG", "ABCDE")
    ws.merge_cells(f"{group[0]}2:{group[1]}2")
    for c in alone:
        ws.merge_cells(f"{c}2:{c}3")
    for k, woman in enumerate((ID_A, ID_B, ID_C)):
        family_cells, own_cells = [4, 24000 + k], [3000, 7000 + k]
        cells = family_cells + own_cells if household_first else own_cells + family_cells
        ws.append([k + 1, ["王秀英", "李霞", "刘秀兰"][k], woman, *cells])
    wb.save(path)
    return path


def test_the_households_income_yields_to_her_own(tmp_path: Path) -> None:
    """家庭情况 over 年收入 before her 当年收入(元): her own column, titled by a synonym, is
    her income after help; the household's is kept as 家庭情况年收入, before or after hers.
    The household's 24,000 was her income and hers (7,000) went to extras."""
    for household_first in (True, False):
        folder = tmp_path / str(household_first)
        folder.mkdir()
        r = records(_family_income(folder / "丰县2017.xlsx", household_first))
        assert [str(v) for v in r["income_after"]] == ["7000.00", "7001.00", "7002.00"]
        assert [str(v) for v in r["income_before"]] == ["3000.00"] * 3
        assert extras(r["extras"]) == [
            {"人口数": "4", "家庭情况年收入": str(24000 + k)} for k in range(3)
        ]


def test_a_column_right_of_the_broker_whose_cells_vary_for_one_broker_is_hers(
    tmp_path: Path,
) -> None:
    """A broker has one phone: six women, two brokers, six numbers in the 联系电话 right of
    结对经纪人 are the women's (all were blanked as the broker's). And IDs retyped into a
    身份证号 column at the far right, after 结对经纪人, mend hers stored as numbers and
    fill a blank one (they were kept as 结对经纪人身份证号)."""
    rows = [["序号", "姓名", "身份证号码", "结对经纪人", "联系电话"]]
    rows += [[k + 1, name, ident, broker, f"1395167000{k}"] for k, (name, ident, broker) in
             enumerate([("王秀英", ID_A, "赵经纪"), ("李霞", ID_B, "赵经纪"),
                        ("刘秀兰", ID_C, "钱经纪")])]  # fmt: skip
    r = records(write_xlsx(tmp_path / "丰县2017.xlsx", {"S": rows}))
    assert texts(r["phone"]) == ["13951670000", "13951670001", "13951670002"]
    mend = [["姓名", "身份证号码", "结对经纪人", "身份证号"],
            ["王秀英", float(ID_A), "赵经纪", ID_A], ["李霞", None, "赵经纪", ID_B],
            ["刘秀兰", ID_C, "钱经纪", ID_C]]  # fmt: skip
    r = records(write_xlsx(tmp_path / "沛县2017.xlsx", {"S": mend}))
    assert texts(r["id_number"]) == [ID_A, ID_B, ID_C]
    assert list(r["id_status"]) == ["valid"] * 3
    assert [sorted(e) for e in extras(r["extras"])] == [["身份证号"]] * 3


def test_the_broker_merged_down_or_spelled_apart_and_heads_of_one_name(tmp_path: Path) -> None:
    """A broker written once (merged down, or on his first woman only) over women with
    their own phones: the phones are theirs. His one phone written as a number on one row
    and as text on another, or 同上, is still one phone: his. Two heads of one name have
    two IDs, but men's: never hers."""
    rows = [["姓名", "身份证号码", "结对经纪人", "联系电话"],
            ["王秀英", ID_A, "赵经纪", "13951670000"], ["李霞", ID_B, None, "13951670001"],
            ["刘秀兰", ID_C, None, "13951670002"]]  # fmt: skip
    r = records(write_xlsx(tmp_path / "丰县2017.xlsx", {"S": rows}))
    assert texts(r["phone"]) == ["13951670000", "13951670001", "13951670002"]
    one = [["姓名", "身份证号码", "结对经纪人", "联系电话"],
           ["王秀英", ID_A, "赵经纪", 13700001111], ["李霞", ID_B, "赵经纪 ", "137 0000 1111"],
           ["刘秀兰", ID_C, "同上", "同上"]]  # fmt: skip
    r = records(write_xlsx(tmp_path / "沛县2017.xlsx", {"S": one}))
    assert texts(r["phone"]) == [None, None, None]
    heads = [FLAT_HEAD, [1, "孙大强", HEAD_1, "妻", "王秀英", ID_A, "13811112222", "东村"],
             [2, "孙大强", HEAD_2, "妻", "李霞", None, "13811112223", "西村"]]  # fmt: skip
    r = records(write_xlsx(tmp_path / "新沂市2017.xlsx", {"S": heads}))
    assert texts(r["id_number"]) == [ID_A, None]
