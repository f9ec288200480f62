"""Settings: packaged defaults (defaults/*.toml) overlaid by the user's hcs.toml."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from .errors import UsageError

DEFAULT_MASTER = "local[2]"  # Spark master for --engine spark (engine.py)
# sheets whose name (after a leading year, 2017年统计表) starts with one of these are no
# rosters, nor is any sheet whose name holds 汇总 (全县汇总, 按村汇总表: a copy of the town
# sheets, counted twice when read); brokers' lists name their people with IDs too
NON_ROSTER_SHEETS = ("填表说明", "说明", "汇总", "统计表", "统计", "目录", "帮扶责任人",
                     "结对帮扶人", "结对经纪人", "经纪人")  # fmt: skip
SUMMARY_MARK = "汇总"
_LEADING_YEAR = re.compile(r"^(?:19|20)\d\d(?:年度?|年)?")
GENERIC_SHEETS = ("sheet", "花名册", "台账", "名册", "表", "数据")


@dataclass(frozen=True, slots=True)
class Division:
    """A county-level division: its name, area code and former names."""

    name: str
    code: str
    former_names: tuple[str, ...] = ()
    former_codes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Settings:
    city: str
    divisions: tuple[Division, ...]
    headers: Mapping[str, tuple[str, ...]]
    vocab_extra: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    source: str = "defaults"
    checks: Mapping[str, Any] = field(default_factory=dict)  # [checks] of hcs.toml (checks.py)
    labels: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)  # [labels.section]
    poverty_lines: Mapping[str, Mapping[int, float]] = field(default_factory=dict)  # yuan/year
    limits: Mapping[str, Any] = field(default_factory=dict)  # [limits]: read/limits.py
    # sheet names (white space removed) that start like these are no rosters: skipped
    not_rosters: tuple[str, ...] = NON_ROSTER_SHEETS
    # divisions that no longer exist (九里区, 320304): never a roster's county; a file
    # naming one and no current division is refused saying so
    abolished: tuple[Division, ...] = ()

    def not_a_roster(self, sheet: str) -> bool:
        """Is a sheet of this name no roster (`not_rosters`, `SUMMARY_MARK`)?"""
        from .normalize.text import squash

        name = _LEADING_YEAR.sub("", squash(sheet))
        return name.startswith(self.not_rosters) or SUMMARY_MARK in name

    def to_dict(self) -> dict[str, Any]:
        """The effective settings as plain data (`hcs config show`), in hcs.toml's shape."""
        return {
            "source": self.source,
            "city": self.city,
            "divisions": [_division_dict(d) for d in self.divisions],
            "abolished": [_division_dict(d) for d in self.abolished],
            "headers": {k: list(v) for k, v in self.headers.items()},
            "vocab": {k: dict(v) for k, v in self.vocab_extra.items()},
            "labels": {k: dict(v) for k, v in self.labels.items()},
            "checks": dict(self.checks),
            "limits": dict(self.limits),
            "sheets": {"not_rosters": list(self.not_rosters[len(NON_ROSTER_SHEETS) :])},
            "poverty_lines": {
                k: {
                    str(y): int(v) if float(v).is_integer() else v for y, v in sorted(years.items())
                }
                for k, years in self.poverty_lines.items()
            },
        }

    def division_names(self) -> list[tuple[str, str]]:
        """(text to look for, division name), longest text first."""
        pairs = [(d.name, d.name) for d in self.divisions]
        pairs += [(f, d.name) for d in self.divisions for f in d.former_names]
        return sorted(pairs, key=lambda p: -len(p[0]))

    def county_named(self, text: str) -> str | None:
        """The division `text` names exactly (its name or a former name, spaces around it
        ignored), as its current name; None for any other text."""
        text = text.strip()
        for d in self.divisions:
            if text == d.name or text in d.former_names:
                return d.name
        return None

    def find_county(self, text: str) -> str | None:
        """The division `text` names first (the longest name at that place): 沛县2017年
        花名册（含丰县迁入人员）.xlsx is 沛县's (until session 18 the longest or first
        configured name anywhere in it won: 丰县)."""
        first: tuple[int, str] | None = None
        for needle, name in self.division_names():  # longest first: kept at a tie
            at = text.find(needle)
            if at >= 0 and (first is None or at < first[0]):
                first = (at, name)
        return first[1] if first else None

    def find_abolished(self, text: str) -> Division | None:
        """The abolished division `text` names, if any."""
        return next((d for d in self.abolished if d.name in text), None)


def _division_dict(d: Division) -> dict[str, Any]:
    out: dict[str, Any] = {"name": d.name, "code": d.code}
    if d.former_names:
        out["former"] = [
            {"name": n, "code": c} for n, c in zip(d.former_names, d.former_codes, strict=True)
        ]
    return out


def default_text(name: str) -> str:
    """A packaged defaults file (defaults/NAME) as text."""
    return resources.files("handcraft_stats").joinpath("defaults", name).read_text("utf-8")


def _read_default(name: str) -> dict[str, Any]:
    return tomllib.loads(default_text(name))


def _poverty_lines(user: Mapping[str, Any], checks: dict[str, Any]) -> dict[str, dict[int, float]]:
    """The packaged lines (defaults/checks.toml) overlaid year by year by [poverty_lines]
    of hcs.toml, then by [checks.poverty_lines]. The top-level table is folded into
    `checks` so that the rules (exit_below_line) use it too."""
    merged: dict[str, dict[str, Any]] = {}
    for source in (user.get("poverty_lines", {}), checks.get("poverty_lines", {})):
        for name, years in source.items():
            if not isinstance(years, Mapping):
                raise UsageError(f"[poverty_lines.{name}] must be a table of year = yuan")
            merged.setdefault(str(name), {}).update({str(y): v for y, v in years.items()})
    if merged:
        checks["poverty_lines"] = merged
    lines: dict[str, dict[int, float]] = {}
    for name, years in [*_read_default("checks.toml")["poverty_lines"].items(), *merged.items()]:
        try:
            lines.setdefault(name, {}).update({int(y): float(v) for y, v in years.items()})
        except (TypeError, ValueError) as exc:
            raise UsageError(f"[poverty_lines.{name}] must map years to yuan: {exc}") from None
    return lines


def _divisions(raw: list[dict[str, Any]]) -> tuple[Division, ...]:
    out = []
    for d in raw:
        former = d.get("former", [])
        out.append(
            Division(
                name=str(d["name"]),
                code=str(d.get("code", "")),
                former_names=tuple(str(f["name"]) for f in former),
                former_codes=tuple(str(f.get("code", "")) for f in former),
            )
        )
    return tuple(out)


def load_settings(path: Path | None = None) -> Settings:
    """Defaults, overlaid by `path` (or ./hcs.toml when present)."""
    div = _read_default("divisions.toml")
    headers = {k: tuple(v) for k, v in _read_default("headers.toml").items()}
    user: dict[str, Any] = {}
    source = "defaults"
    if path is None and Path("hcs.toml").is_file():
        path = Path("hcs.toml")
    if path is not None:
        try:
            user = tomllib.loads(_config_text(path))
        except FileNotFoundError as exc:
            raise UsageError(f"config file not found: {path}") from exc
        except tomllib.TOMLDecodeError as exc:
            raise UsageError(f"config file {path} is not valid TOML: {exc}") from exc
        _check_shape(path, user)
        source = str(path)
    city = str(user.get("city", div.get("city", "")))
    divisions = (
        _divisions(user["divisions"]) if "divisions" in user else _divisions(div["divisions"])
    )
    # another city's divisions (hcs.toml) come without the default city's abolished ones
    abolished = _divisions(
        user["abolished"] if "abolished" in user
        else [] if "divisions" in user else div.get("abolished", [])
    )  # fmt: skip
    for key, extra in user.get("headers", {}).items():
        if key not in headers:
            known = ", ".join(headers)
            raise UsageError(f"[headers] {key!r} is no field hcs knows: use one of {known}")
        extra = [extra] if isinstance(extra, str) else extra  # one synonym, not its letters
        headers[key] = tuple(dict.fromkeys([*headers.get(key, ()), *extra]))
    vocab_extra = {
        k: {str(a): str(b) for a, b in v.items()} for k, v in user.get("vocab", {}).items()
    }
    checks = dict(user.get("checks", {}))
    labels = {k: dict(v) for k, v in user.get("labels", {}).items()}
    lines = _poverty_lines(user, checks)
    limits = dict(user.get("limits", {}))
    return Settings(
        city, divisions, headers, vocab_extra, source, checks, labels, lines, limits,
        _not_rosters(user.get("sheets", {})), abolished,
    )  # fmt: skip


def _config_text(path: Path) -> str:
    """hcs.toml as text: UTF-8 (a byte-order mark, which Windows Notepad writes, is
    dropped), else GB18030 (a file saved as ANSI on Chinese Windows)."""
    data = path.read_bytes()
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError:
        raise UsageError(
            f"config file {path} is neither UTF-8 nor GB18030 text: save it as UTF-8"
        ) from None


# What hcs.toml may hold at its top level, and the shape of each (TOML types)
TOP_LEVEL = ("city", "divisions", "abolished", "headers", "vocab", "checks", "labels",
             "poverty_lines", "limits", "sheets")  # fmt: skip


def _check_shape(path: Path, user: Mapping[str, Any]) -> None:
    """Refuse (UsageError, exit 2) an hcs.toml whose tables do not have the shapes hcs
    reads, naming the key: hcs read them as given and failed later with a bug's exit 4
    (`divisions = "x"`, a division without a name, `[headers] phone = 5`), or dropped a
    misspelled key without a word (`citty`). The values inside (vocabulary codes, check
    codes, severities) are checked by what reads them (`hcs config show` reads them all)."""

    def fail(what: str) -> UsageError:
        return UsageError(f"config file {path}: {what}")

    for key in user:
        if key not in TOP_LEVEL:
            raise fail(f"unknown setting {key!r} (known: {', '.join(TOP_LEVEL)})")
    if not isinstance(user.get("city", ""), str):
        raise fail('city must be a text, e.g. city = "徐州市"')
    for key in ("divisions", "abolished"):
        tables = user.get(key, [])
        if not isinstance(tables, list) or not all(isinstance(d, dict) for d in tables):
            raise fail(f'{key} must be [[{key}]] tables, each with name = "…"')
        for d in tables:
            if not isinstance(d.get("name"), str) or not d["name"].strip():
                raise fail(f"a [[{key}]] table has no name: {d}")
    divisions = user.get("divisions", [])
    for d in divisions:
        former = d.get("former", [])
        if not isinstance(former, list) or not all(
            isinstance(f, dict) and isinstance(f.get("name"), str) for f in former
        ):
            raise fail(f'former names of {d["name"]} must be tables with name = "…"')
    for table in ("headers", "vocab", "checks", "labels", "poverty_lines", "limits", "sheets"):
        if not isinstance(user.get(table, {}), dict):
            raise fail(f"{table} must be a table: [{table}]")
    for key in user.get("sheets", {}):
        if key != "not_rosters":
            raise fail(f"[sheets] {key}: unknown setting (known: not_rosters)")
    from .read.limits import Limits  # its fields are the [limits] keys

    known_limits = [f for f in Limits.__dataclass_fields__]
    for key, value in user.get("limits", {}).items():
        if key not in known_limits:
            raise fail(f"[limits] {key}: unknown limit (known: {', '.join(known_limits)})")
        if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
            raise fail(f"[limits] {key} = {value!r} must be a positive number")
    known_sections = set(shipped_sections())
    for section in user.get("labels", {}):
        if section not in known_sections:
            raise fail(f"[labels.{section}]: unknown section (known: "
                       f"{', '.join(sorted(known_sections))})")  # fmt: skip
    for name, names in user.get("headers", {}).items():
        if not isinstance(names, str) and not (
            isinstance(names, list) and all(isinstance(n, str) for n in names)
        ):
            raise fail(f'[headers] {name} must be a list of column titles, e.g. ["本人电话"]')
    for name, spellings in user.get("vocab", {}).items():
        if not isinstance(spellings, dict) or not all(
            isinstance(v, str) for v in spellings.values()
        ):
            raise fail(f'[vocab.{name}] must be a table of "spelling" = "code"')
    for section, pairs in user.get("labels", {}).items():
        if not isinstance(pairs, dict):
            raise fail(f'[labels.{section}] must be a table of code = "标签"')
        for code, value in pairs.items():
            pair = isinstance(value, list) and 1 <= len(value) <= 2
            if not isinstance(value, str) and not (pair and all(isinstance(v, str) for v in value)):
                raise fail(f'[labels.{section}] {code} must be "中文" or ["中文", "English"]')
            _check_placeholders(fail, section, code, [value] if isinstance(value, str) else value)


def _check_placeholders(
    fail: Callable[[str], UsageError], section: str, code: str, texts: list[str]
) -> None:
    """A label may use the {placeholders} its packaged label uses, no other: the title
    `"{city}{yr}年"` failed every report with a bug's exit 4."""
    from string import Formatter

    from .report.labels import shipped

    def fields(text: str) -> set[str]:
        try:
            return {f for _, f, _, _ in Formatter().parse(text) if f is not None}
        except ValueError as exc:  # a lone { or }
            raise fail(f"[labels.{section}] {code}: {exc} (write {{{{ for a brace)") from None

    allowed = set().union(*(fields(t) for t in shipped(section).get(code, [])))
    for text in texts:
        extra = fields(text) - allowed
        if extra:
            names = ", ".join("{" + f + "}" for f in sorted(allowed)) or "none"
            raise fail(f"[labels.{section}] {code} uses {', '.join(sorted(extra))}: "
                       f"it may use {names}")  # fmt: skip


def _not_rosters(sheets: Mapping[str, Any]) -> tuple[str, ...]:
    """The packaged names of sheets that are no rosters, and [sheets] not_rosters of
    hcs.toml (a county's 经纪人名单 or 培训签到 sheet), squashed as sheet names are."""
    extra = sheets.get("not_rosters", [])
    if not isinstance(extra, list) or not all(isinstance(x, str) for x in extra):
        raise UsageError('[sheets] not_rosters must be a list of texts, e.g. ["经纪人名单"]')
    from .normalize.text import squash  # as sheet names are matched

    return tuple(dict.fromkeys([*NON_ROSTER_SHEETS, *(t for x in extra if (t := squash(x)))]))


STARTER = """\
# hcs.toml: settings of hcs for one city (written by `hcs config init`; see README,
# "Configuration"). Every table overlays the packaged defaults; `hcs config show` prints
# the effective settings. Lines starting with # are examples: remove the # to use them.

city = "{city}"

# County-level divisions: this list REPLACES the default one. `former` lists old names
# and area codes that still occur in rosters and ID numbers; [[abolished]] lists
# divisions that no longer exist (a file naming only one of them is refused).
{divisions}
# More header spellings per canonical column (added to the packaged ones).
[headers]
# phone = ["本人电话", "联系方式"]
# wing = ["帮扶项目"]

# More vocabulary spellings: [vocab.FIELD] "text" = "code" (METRICS.md §4).
[vocab.wing]
# "草柳编" = "handicraft"
# "来料加工点" = "handicraft"

[vocab.labor_capacity]
# "有一定劳动能力" = "weak"

# Sheets that are no rosters, by how their name starts (added to 填表说明, 说明, 汇总,
# 统计表, 统计, 目录): skipped, never refused for lacking a name or ID column.
[sheets]
# not_rosters = ["经纪人名单", "培训签到"]

# Labels of the human formats (table, md, xlsx): "中文" replaces the Chinese label,
# ["中文", "English"] both. Sections: metric, wing, class, issue, link, skip, section,
# report, sheet (see defaults/labels.toml).
[labels.section]
# title = "{{city}}{{year}}年妇女“巧手”行动统计"

[labels.wing]
# handicraft = "手工编织"

# Data checks (docs/checks.md): the rules of issue 5 are configured here: switch rules
# off, change severities and thresholds.
[checks]
# off = ["phone_shared"]
# [checks.severity]
# id_area_unknown = "info"
# [checks.params]
# income_max = 300000
# line = "provincial"      # the line exit_below_line uses: national | provincial

# Poverty lines, yuan per person per year (also read by the checks: exit_below_line).
#
# national: China's rural poverty line set in 2011, 2,300 yuan at 2010 prices, published
# at current prices each year by the National Bureau of Statistics (国家统计局《中国农村
# 贫困监测报告》; 国新办《人类减贫的中国实践》白皮书, 2021). 2,800 (2014), 2,952 (2016),
# 2,995 (2018) and 3,218 (2019) are widely quoted; 2,855 (2015) and 2,952 (2017) are
# written from memory of the same reports, and 4,000 (2020) is the round figure quoted
# for 2020: check them against the 监测报告 before a report relies on them.
[poverty_lines.national]
2014 = 2800
2015 = 2855
2016 = 2952
2017 = 2952
2018 = 2995
2019 = 3218
2020 = 4000

# provincial: Jiangsu's own line for 2016–2020 (the 13th five-year plan): annual income
# per person below 6,000 yuan (江苏省“十三五”农村低收入人口标准：人均年收入6000元).
[poverty_lines.provincial]
2016 = 6000
2017 = 6000
2018 = 6000
2019 = 6000
2020 = 6000
"""


def starter_toml() -> str:
    """The commented starter hcs.toml of `hcs config init`: the default city, its
    divisions, extension tables with examples, checks, and the poverty lines."""
    defaults = _read_default("divisions.toml")
    blocks = []
    for d in _divisions(defaults["divisions"]):
        lines = ["[[divisions]]", f'name = "{d.name}"', f'code = "{d.code}"']
        former = [
            f'{{ name = "{n}", code = "{c}" }}'
            for n, c in zip(d.former_names, d.former_codes, strict=True)
        ]
        if former:
            lines.append(f"former = [{', '.join(former)}]")
        blocks.append("\n".join(lines) + "\n")
    for d in _divisions(defaults.get("abolished", [])):
        blocks.append(f'[[abolished]]\nname = "{d.name}"\ncode = "{d.code}"\n')
    return STARTER.format(city=defaults.get("city", ""), divisions="\n".join(blocks))


def shipped_sections() -> list[str]:
    """The sections of the packaged labels.toml (what [labels.SECTION] may name)."""
    return list(_read_default("labels.toml"))


CHECKS_KEYS = ("off", "severity", "params", "poverty_lines", "required")


def check_checks(u: Mapping[str, Any]) -> None:
    """UsageError (exit 2) naming the key for a [checks] table hcs would misread: a key
    it does not know (silently ignored before), `off` or `required` not a list (a text
    was taken letter by letter), a threshold that is no number (exit 4 mid-run), or a
    poverty line `line` that is none of the lines (exit_below_line found nothing), a rule
    code that is none. Here, not in checks.py, so that checking costs no pandas import."""
    d = _read_default("checks.toml")
    for key in ("severity",):
        table = u.get(key, {})
        if not isinstance(table, Mapping):
            raise UsageError(f"[checks.{key}] must be a table of code = severity")
        for code, sev in table.items():
            if code not in d["rules"] or sev not in ("error", "warning", "info"):
                raise UsageError(f"[checks.severity] {code} = {sev!r}: unknown rule or severity")
    for key in u:
        if key not in CHECKS_KEYS:
            raise UsageError(f"[checks] {key}: unknown setting (known: {', '.join(CHECKS_KEYS)})")
    for key in ("off", "required"):
        if key in u and not (isinstance(u[key], list) and all(isinstance(v, str) for v in u[key])):
            raise UsageError(
                f'[checks] {key} must be a list of codes, e.g. {key} = ["phone_shared"]'
            )
    params = u.get("params", {})
    if not isinstance(params, Mapping):
        raise UsageError("[checks.params] must be a table of name = number")
    for name, value in params.items():
        if name not in d["params"]:
            known = ", ".join(d["params"])
            raise UsageError(f"[checks.params] {name}: unknown threshold (known: {known})")
        if name == "line":
            lines = {*d["poverty_lines"], *u.get("poverty_lines", {})}
            if value not in lines:
                raise UsageError(f"[checks.params] line = {value!r}: use one of {sorted(lines)}")
        elif isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise UsageError(f"[checks.params] {name} = {value!r} must be a number ≥ 0")
