"""Valid, fresh ID numbers (GB 11643) for tests."""
import datetime as dt
import uuid

from people.idcard import check_char


def fresh_id_number(birth=None, region="320508", gender=None):
    """A random birth date (1972-1999: a person the recruitment rules take) unless one is
    given (YYYYMMDD) and a random
    sequence, so numbers made in one run do not collide (409 DUPLICATE_ID_NUMBER);
    ``gender`` ("男"/"女") fixes the sequence's parity (odd for men)."""
    noise = uuid.uuid4().int
    if birth is None:
        birth = (dt.date(1972, 1, 1) + dt.timedelta(days=noise % 10220)).strftime("%Y%m%d")
    sequence = noise // 14600 % 1000
    if gender is not None and sequence % 2 != (gender == "男"):
        sequence = (sequence + 1) % 1000
    first17 = f"{region}{birth}{sequence:03d}"
    return first17 + check_char(first17)
