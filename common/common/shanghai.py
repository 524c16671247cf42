"""The district's clock: days, numbers and periods are counted in Asia/Shanghai."""
from zoneinfo import ZoneInfo

from common.db import utcnow

SHANGHAI = ZoneInfo("Asia/Shanghai")


def shanghai_date(moment=None):
    """The calendar day in Shanghai of ``moment`` (an aware datetime; default now)."""
    return (moment or utcnow()).astimezone(SHANGHAI).date()
