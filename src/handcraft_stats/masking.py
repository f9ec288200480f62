"""ID and phone numbers written into free text (a note, an unreadable cell, a message):
in one run of digits, or in groups as people write them (320321 19800101 0022,
138-1234-5678, 138 1234 5678, 0516-87654321, (0516)87654321); and the name of a
relative or helper written after her role (丈夫李四, 配偶：王建国, 联系人张红). Light: the
CLI's stderr masking imports it."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

# a run of 11+ digits (an ID, a mobile, a landline with its area code, an ID in a
# number's digits); an ID in groups of 6, 8 and 4; a mobile in groups of 3, 4 and 4; a
# landline with its area code apart. No digit (or X) may touch either end of a group
# form: 2017-08-10, 12,000 and 2017.01.01-2017.12.31 are no numbers of a person.
NUMBER_IN_TEXT = re.compile(
    r"\d{11,}[\dXx]?"
    r"|(?<!\d)(?:"
    r"\d{6}[ -]\d{8}[ -]?\d{3}[\dXx]|\d{14}[ -]\d{3}[\dXx]"
    r"|1[3-9]\d[ -]\d{4}[ -]?\d{4}|1[3-9]\d{5}[ -]\d{4}"
    r"|(?:[(（]0\d{2,3}[)）]\s?|0\d{2,3}[ -])\d{7,8}"
    r")(?![\dXx])"
)
# a superset of NUMBER_IN_TEXT in RE2 (Arrow's match_substring_regex; \p{Nd} is
# Python's \d): which texts to hand to the Python pattern at all
NUMBER_IN_TEXT_RE2 = (
    r"\p{Nd}{11}|\p{Nd}[ \-]\p{Nd}{4}[ \-]?\p{Nd}{4}|\p{Nd}{6}[ \-]\p{Nd}{8}"
    r"|\p{Nd}{7}[ \-]\p{Nd}{4}|[(（]0\p{Nd}{2,3}[)）]\s?\p{Nd}{7}|0\p{Nd}{2,3}[ \-]\p{Nd}{7}"
)


def digits_of(found: str) -> str:
    """The number's digits (and X), without the separators people wrote."""
    return "".join(c for c in found if c.isdigit() or c in "Xx")


# in a file or sheet name, only a run that is an ID (15 or 18 characters) or a mobile
# number is masked: a roster named by its export time (…_20180105093015.xlsx) keeps it,
# or two such rosters of a county read the same in the fix list
_SOURCE_DIGITS = re.compile(r"(?<![\dXx])(?:\d{17}[\dXx]|\d{15}|1[3-9]\d{9})(?![\dXx])")


def scrub_source(text: Any) -> Any:
    """A file or sheet name with the IDs and mobile numbers in it masked."""
    if not isinstance(text, str):
        return text
    return _SOURCE_DIGITS.sub(masked_run, text)


def masked_run(m: re.Match[str]) -> str:
    """A number found in text, masked as an ID (12 or more digits) or a phone (11), or
    (a landline, 10 to 12 digits written with its area code apart) all but the first
    three and last two digits; the separators are dropped."""
    from .normalize.idnumber import mask_id
    from .normalize.phone import mask_phone

    digits = digits_of(m[0])
    if len(digits) in (15, 18) or (len(digits) > 11 and m[0] == digits):
        return mask_id(digits)
    return mask_phone(digits)


# A note names her relatives and helpers by their role: 丈夫李四, 配偶：王建国, 儿子张小明在外
# 务工, 联系人刘红 电话…. A common surname right after a role word (a colon, a space, 是, 为
# or 叫 between them) starts a name: it is masked as names are (李*, 王**). A name is the
# surname, the character after it, and one more unless that one is a word of the sentence
# (在, 已, 患, 外…); the name's own record's names are masked before (names_in_note_sql).
# A heuristic: a name with a rare surname stays, and a word after a role that starts
# with a surname's character and is no name is masked (丈夫常年在外 is kept by NOT_NAMES,
# 丈夫孔雀 would not be). The unmasked export keeps every note as written.
ROLES = (
    "丈夫", "配偶", "爱人", "老公", "前夫", "妻子", "儿子", "女儿", "儿媳", "媳妇", "女婿",
    "公公", "婆婆", "父亲", "母亲", "孙子", "孙女", "哥哥", "弟弟", "姐姐", "妹妹", "户主",
    "经纪人", "联系人", "帮扶人", "责任人", "监护人",
)  # fmt: skip
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩邓冯曹彭曾肖田董潘袁蔡蒋余于杜叶"
    "程魏苏吕丁任卢姚沈钟姜崔谭陆范汪廖石金韦贾夏付方邹熊白孟秦邱侯江尹薛闫段雷龙黎史陶贺毛"
    "郝顾龚邵万覃武钱戴严莫孔向常汤康易乔赖文施洪辛柴殷庞葛仲鲍岳翟倪祝耿单"
)
# what starts with a surname's character after a role word and is no name
NOT_NAMES = frozenset((
    "常年", "常住", "常期", "常州", "常熟", "高血", "高位", "高龄", "高烧", "高度", "于去", "于今",
    "于前", "于上", "于本", "于当", "于年", "于同", "于次", "于外", "于近", "万元", "方面", "方便",
    "文化", "文盲", "白天", "白血", "田地", "马上", "任务", "余额", "江苏", "江西", "江南", "江阴",
    "夏天", "金额", "金钱", "周边", "周末", "石头", "钱款", "史上", "易地", "龙头", "毛病", "程度",
    "曾经", "曾在", "曾因", "曾患", "曾是", "曾于", "曾有", "严重", "关节", "向外", "向来", "付出",
    "付款", "施工", "康复", "乔迁", "许多", "何时", "黄疸", "陆续", "范围", "顾家", "苏州", "苏南",
    "徐州", "贾汪", "钟点", "孙子", "孙女", "单位", "单独", "单身", "洪水", "辛苦", "庞大", "杜绝",
    "邵阳", "孟加", "武汉", "汤山", "柴火", "鲍鱼", "于是", "于此", "王府",
))  # fmt: skip
# a character that ends a name after its first given character: words of the sentence
_STOP = (
    "在是已于因和与及等为的了患残去病住同打做有无现系外务工年月日岁也都不没未身腿眼"
    "需要照顾电话手机号每从被带给到回靠把对让说还又就仍"
)
RELATIVE_RE2 = "|".join(ROLES)  # which texts to try RELATIVE on at all (Arrow's RE2)
RELATIVE = re.compile(
    rf"(?P<role>{'|'.join(ROLES)})[:：\s]*(?:是|为|叫)?(?!{'|'.join(sorted(NOT_NAMES))})"
    rf"(?P<name>[{SURNAMES}][\u3400-\u9fff](?:(?![{_STOP}])[\u3400-\u9fff])?)"
)


def masked_relative(m: re.Match[str]) -> str:
    """A role and the name after it, the name masked (丈夫李四 → 丈夫李*)."""
    name = m["name"]
    return m[0][: m.start("name") - m.start()] + name[0] + "*" * (len(name) - 1)


def scrub_relatives(text: str) -> str:
    """Free text with the names written after a role word masked (丈夫李* 在外务工)."""
    return RELATIVE.sub(masked_relative, text) if any(r in text for r in ROLES) else text


def masked_sources(pairs: Iterable[tuple[Any, Any]]) -> dict[str, str]:
    """{a file or sheet name: that name with the names (two characters or more) of the
    women listed in it masked} from (source, name) pairs, for the sources that hold one:
    一人一卡 workbooks have a sheet (or a file) per woman, named by her (周小凤, 周小凤
    320321…), and records.csv masked her name but gave it whole as her sheet's."""
    held: dict[str, dict[str, str]] = {}
    for source, name in pairs:
        held.setdefault(source, {}).update(names_in_sources([(source, name)]))
    return {source: without_names(source, names) for source, names in held.items() if names}


def names_in_sources(pairs: Iterable[tuple[Any, Any]]) -> dict[str, str]:
    """{a woman's name (two characters or more) that a file or sheet name listing her
    holds: its mask (李红梅: 李**)} from (source, name) pairs: what a report kept as a log
    must not show (a roster named 丰县2017年李红梅.xlsx)."""
    return {
        name: name[0] + "*" * (len(name) - 1)
        for source, name in pairs
        if isinstance(source, str) and isinstance(name, str) and len(name) >= 2 and name in source
    }


def without_names(text: str, names: dict[str, str]) -> str:
    """The text with each of the names replaced by its mask (longest first)."""
    for name in sorted((n for n in names if n in text), key=len, reverse=True):
        text = text.replace(name, names[name])
    return text
