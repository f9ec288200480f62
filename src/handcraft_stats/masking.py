"""ID and phone numbers written into free text (a note, an unreadable cell, a message):
in one run of digits, or in groups as people write them (320321 19800101 0022,
138-1234-5678, 138 1234 5678, 0516-87654321, (0516)87654321). Light: the CLI's stderr
masking imports it."""

from __future__ import annotations

import re
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
