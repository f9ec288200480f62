"""Fixed vocabularies, places and layouts of the synthetic sample."""

from __future__ import annotations

PERIODS = (2016, 2017)

# county -> (own area code, historical codes used by some of its women)
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
# share of a county's women whose ID carries a historical code
HISTORICAL_SHARE = {"鼓楼区": 0.3, "泉山区": 0.3, "铜山区": 0.4, "新沂市": 0.35, "邳州市": 0.4}
MARRIED_IN_CODES = ("341321", "341322", "340321", "370481", "371322")
MARRIED_IN_SHARE = 0.08

# registered women per county in 2016 (uneven on purpose)
COUNTY_SIZE_2016 = {
    "鼓楼区": 100,
    "云龙区": 130,
    "贾汪区": 180,
    "泉山区": 120,
    "铜山区": 320,
    "丰县": 260,
    "沛县": 250,
    "睢宁县": 280,
    "新沂市": 200,
    "邳州市": 260,
}
GONE_2017 = 140  # 2016 women no longer listed in 2017
ENTRANTS_2017 = 280

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
VILLAGE_STEMS = "王李张刘陈杨黄孙马朱胡郭何高林罗大小前后东西南北新老双"
VILLAGE_SUFFIXES = ("庄村", "楼村", "集村", "湖村", "河村", "圩村", "营村", "社区")

SURNAMES = "张王李刘陈杨赵黄周吴徐孙马朱胡郭何高林罗"
# brokers' given names share no character with women's names (nor their homophones,
# nor the traditional forms): a broker is never named like a beneficiary by chance
BROKER_GIVEN = "建新春晓文洁淑琴珍玉"
GIVEN_CHARS = "丽莉芳红霞梅英兰秀娟敏静燕萍玲华桂凤云艳"
MALE_GIVEN = (
    "建国",
    "国强",
    "志刚",
    "明",
    "伟",
    "军",
    "勇",
    "德胜",
    "传富",
    "广田",
    "东升",
    "保全",
    "玉山",
    "长江",
    "永福",
    "庆华",
    "学文",
    "海",
)
# homophones for given-name characters (same toneless pinyin)
HOMOPHONES = {
    "丽": "莉",
    "莉": "丽",
    "芳": "方",
    "红": "虹",
    "霞": "侠",
    "梅": "玫",
    "英": "莺",
    "兰": "岚",
    "秀": "绣",
    "娟": "鹃",
    "敏": "闵",
    "静": "婧",
    "燕": "艳",
    "萍": "平",
    "玲": "铃",
    "华": "花",
    "桂": "贵",
    "凤": "风",
    "云": "芸",
    "艳": "燕",
}
# simplified -> traditional, for the few names written in traditional characters
TRADITIONAL = {
    "陈": "陳",
    "张": "張",
    "刘": "劉",
    "杨": "楊",
    "赵": "趙",
    "黄": "黃",
    "吴": "吳",
    "孙": "孫",
    "马": "馬",
    "罗": "羅",
    "丽": "麗",
    "红": "紅",
    "华": "華",
    "凤": "鳳",
    "云": "雲",
    "艳": "艷",
    "兰": "蘭",
    "静": "靜",
}
RELATIONS = (("本人", 25), ("配偶", 50), ("儿媳", 12), ("女", 5), ("母亲", 8))
NOTES = ("外出务工返乡", "家中有病人", "单亲家庭", "居家灵活就业", "照顾老人", "残疾")

WINGS = ("handicraft", "domestic_service", "ecommerce", "agriculture", "other", "none")
WING_SHARE = {
    "handicraft": 34,
    "domestic_service": 20,
    "ecommerce": 14,
    "agriculture": 21,
    "other": 5,
    "none": 6,
}
# exits per period (1:100 of the article's two-year figures, half each year)
EXIT_QUOTA = {"handicraft": 160, "domestic_service": 105, "ecommerce": 80, "agriculture": 105}
# income increase (yuan, in hundreds) per wing: (low, high)
INCREASE = {
    "handicraft": (180, 300),
    "domestic_service": (90, 150),
    "ecommerce": (80, 140),
    "agriculture": (60, 110),
    "other": (30, 80),
    "none": (0, 20),
}
RETURNED_PER_YEAR = {2016: 4, 2017: 6}
# changes 2016 -> 2017 planted on women of both periods (docs/metrics.md §7); entrants,
# leavers, exits and returns come from the figures above
PLANTED = {
    "moved_county": 7,
    "changed_wing": 7,
    "changed_class": 7,
    "name_changed": 6,
    "birth_date_changed": 6,
    "exit_reverted": 6,
    "exit_year_changed": 6,
}
# the county that resends a corrected 2017 roster (data/sample/corrections/2017/)
CORRECTED_COUNTY = "丰县"
# its roster comes from a reporting system: a few blank incomes are formulas stored
# without their results (hcs reads them as blank and says so: formula_no_value), and as
# many are #N/A pasted as values (error_value)
FORMULA_COUNTY, FORMULAS = "鼓楼区", 3
NEW_PRACTITIONERS_PER_YEAR = 180
TRAINED_SHARE = 0.095

# accepted spellings (METRICS.md §4), mixed when rendering
LABOR = {
    "able": ("普通劳动力", "有劳动能力", "有劳动力", "劳动力"),
    "skilled": ("技能劳动力",),
    "weak": ("弱劳动力或半劳动力", "弱劳动力", "半劳动力", "部分丧失劳动能力"),
    "lost": ("丧失劳动力", "丧失劳动能力", "完全丧失劳动能力"),
    "none": ("无劳动力", "无劳动能力", "非劳动力"),
}
# capacity by age (docs/checks.md): able/skilled only for ages 16-65, none/lost only
# over 60 (on 31 December of both periods: born 1956 or later / 1955 or earlier)
LABOR_SHARE = {"able": 58, "skilled": 10, "weak": 16, "unknown": 8}
LABOR_SHARE_OLD = {"weak": 35, "lost": 30, "none": 15, "unknown": 20}
OLD_BORN_BY = 1955
BIRTH_YEARS = (1950, 2000)
WILLING = {"yes": ("是", "有", "愿意", "√", "Y"), "no": ("否", "无", "不愿意", "×", "N")}
WILLING_SHARE = {"yes": 72, "no": 14, "unknown": 14}
WING_SPELLING = {
    "handicraft": ("手工", "手工加工", "手工加工业", "来料加工", "编织", "刺绣", "香包"),
    "domestic_service": ("家政", "家政服务", "家政服务业", "月嫂", "育婴员", "保洁", "养老护理"),
    "ecommerce": ("电商", "巾帼电商", "电子商务", "网店", "微商", "直播带货"),
    "agriculture": ("农业", "种植", "养殖", "种养殖"),
    "other": ("其他", "务工", "个体经营"),
    "none": ("", "无", "/", "—"),
}
STATUS = {
    "not_exited": ("未脱贫", "否"),
    "exited": ("已脱贫", "是", "脱贫", "已脱贫（享受政策）", "已脱贫（不再享受政策）"),
    "returned": ("返贫",),
}
UNKNOWN_TEXT = "见备注"  # matches no vocabulary entry by contract
CN_NUMERALS = "零一二三四五六七八九十"
# area codes that exist at no time (stdnum's database), for IDs with a mistyped area
UNKNOWN_AREAS = ("320399", "999999")
# the Jiangsu provincial poverty line of 2016-2020 (docs/checks.md), yuan per year
POVERTY_LINE = 6000
INCOME_MAX = 200000
TRAININGS_MAX = 50
PHONE_SHARED_MAX = 3
