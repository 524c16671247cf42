"""Resident identity numbers (GB 11643-1999) and mobile phone numbers, free of I/O.

An ID number is 18 characters: 6-digit region, 8-digit birth date (YYYYMMDD),
3-digit sequence (odd for men, even for women), and a check character computed
with ISO 7064 MOD 11-2 over the first 17 digits.
"""
import datetime as dt
import re
import unicodedata

from common.errors import InvalidInput
from common.pii import InvalidPhone, mask_id, mask_numbers_in, mask_phone, normalise_phone  # noqa: F401 (re-exported)

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"


class InvalidIdNumber(InvalidInput):
    code = "INVALID_ID_NUMBER"


def check_char(first17):
    return CHECK_CHARS[sum(int(d) * w for d, w in zip(first17, WEIGHTS)) % 11]


def normalise_id(value):
    """Full-width characters (３２０５…, Ｘ), common in spreadsheets typed in Chinese, as
    ASCII: one person, one number, one search hash."""
    return unicodedata.normalize("NFKC", value or "").strip().upper()


def parse_id_number(value, today=None, field="id_number"):
    """(normalised number, birth date, gender) or InvalidIdNumber saying what is wrong."""
    number = normalise_id(value)
    if not re.fullmatch(r"[0-9]{17}[0-9X]", number):
        raise InvalidIdNumber("An ID number has 17 digits and a final digit or X.", details={"field": field})
    if not 11 <= int(number[:2]) <= 91:
        raise InvalidIdNumber(f"{number[:2]} is not a province code.", details={"field": field})
    try:
        birth = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise InvalidIdNumber(f"Digits 7-14 ({number[6:14]}) are not a valid birth date.",
                              details={"field": field}) from None
    today = today or dt.date.today()
    if birth > today or birth.year < 1890:
        raise InvalidIdNumber(f"Birth date {birth.isoformat()} is not plausible.", details={"field": field})
    expected = check_char(number[:17])
    if number[17] != expected:
        raise InvalidIdNumber("The check digit is wrong: the number was mistyped.", details={"field": field})
    gender = "male" if int(number[16]) % 2 else "female"
    return number, birth, gender


def age_on(birth, day):
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))
