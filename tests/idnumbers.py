"""Valid, fresh ID numbers (GB 11643) for tests."""
import datetime as dt
import uuid

from people.idcard import check_char


def fresh_id_number(birth=None, region="320508"):
    """A random birth date (1960-1999) unless one is given (YYYYMMDD) and a random
    sequence, so numbers made in one run do not collide (409 DUPLICATE_ID_NUMBER)."""
    noise = uuid.uuid4().int
    if birth is None:
        birth = (dt.date(1960, 1, 1) + dt.timedelta(days=noise % 14600)).strftime("%Y%m%d")
    first17 = f"{region}{birth}{noise // 14600 % 1000:03d}"
    return first17 + check_char(first17)
