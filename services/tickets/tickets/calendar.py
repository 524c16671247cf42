"""Working days in Asia/Shanghai: weekends off, public holidays off, and the
make-up working days (调休) on weekends that the State Council announces each year.

``TICKET_HOLIDAYS`` and ``TICKET_MAKEUP_DAYS`` list dates (``2026-10-01,2026-10-02``,
ranges as ``2026-10-01..2026-10-08``); the district keeps them current.
"""
import datetime as dt

from common.shanghai import SHANGHAI


def parse_dates(text):
    days = set()
    for item in filter(None, (part.strip() for part in (text or "").split(","))):
        first, _, last = item.partition("..")
        start = dt.date.fromisoformat(first)
        end = dt.date.fromisoformat(last) if last else start
        if end < start:
            raise ValueError(f"date range {item!r} ends before it starts")
        days.update(start + dt.timedelta(days=n) for n in range((end - start).days + 1))
    return days


class WorkCalendar:
    def __init__(self, holidays=(), makeup_days=()):
        self.holidays = set(holidays)
        self.makeup_days = set(makeup_days)

    def is_working_day(self, day):
        if day in self.makeup_days:
            return True
        return day.weekday() < 5 and day not in self.holidays

    def add_working_days(self, start, days):
        """``start`` plus ``days`` working days, at the same local time of day. A start
        on a day off counts from the next working day."""
        local = start.astimezone(SHANGHAI)
        day, counted = local.date(), 0
        while counted < days:
            day += dt.timedelta(days=1)
            if self.is_working_day(day):
                counted += 1
        due = dt.datetime.combine(day, local.timetz())
        return due.astimezone(dt.timezone.utc)

    def due(self, start, amount, unit):
        if unit == "h":
            return start + dt.timedelta(hours=amount)
        if unit == "d":
            return self.add_working_days(start, int(amount))
        raise ValueError(f"unknown deadline unit {unit!r}")
