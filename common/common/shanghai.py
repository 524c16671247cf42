"""The district's clock: days, numbers and periods are counted in Asia/Shanghai."""
import datetime as dt
from zoneinfo import ZoneInfo

from common.db import utcnow

SHANGHAI = ZoneInfo("Asia/Shanghai")


def shanghai_date(moment=None):
    """The calendar day in Shanghai of ``moment`` (an aware datetime; default now)."""
    return (moment or utcnow()).astimezone(SHANGHAI).date()


def day_start(day):
    """The UTC instant at which Shanghai's calendar day ``day`` begins."""
    return dt.datetime.combine(day, dt.time(), SHANGHAI).astimezone(dt.timezone.utc)


def day_bounds(start_day, end_day):
    """The UTC instants [start, end) spanning Shanghai days ``start_day`` to ``end_day``,
    both included."""
    return day_start(start_day), day_start(end_day + dt.timedelta(days=1))
