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

    # Working time: every second of a working day counts (a day is 24 h of it), none of a
    # day off. Deadlines in working days, and pauses of them, are measured in it.

    def add_working_days(self, start, days):
        """``start`` plus ``days`` working days (fractions allowed): from a working day,
        the same local time that many working days later; from a day off, counting
        from the start of the next working day."""
        return self.add_working_time(start, days * DAY_SECONDS)

    def add_working_time(self, start, seconds):
        """The moment ``seconds`` of working time after ``start``."""
        cursor, remaining = start.astimezone(SHANGHAI), seconds
        while True:
            midnight = _next_midnight(cursor)
            if self.is_working_day(cursor.date()):
                room = (midnight - cursor).total_seconds()
                if remaining <= room:
                    return (cursor + dt.timedelta(seconds=remaining)).astimezone(dt.timezone.utc)
                remaining -= room
            cursor = midnight

    def working_seconds(self, start, end):
        """Working time between ``start`` and ``end`` (0 if end is not later)."""
        cursor, end, total = start.astimezone(SHANGHAI), end.astimezone(SHANGHAI), 0.0
        while cursor < end:
            upto = min(_next_midnight(cursor), end)
            if self.is_working_day(cursor.date()):
                total += (upto - cursor).total_seconds()
            cursor = upto
        return total

    def due(self, start, amount, unit):
        if unit == "h":
            return start + dt.timedelta(hours=amount)
        if unit == "d":
            return self.add_working_days(start, amount)
        raise ValueError(f"unknown deadline unit {unit!r}")

    def extend(self, due, unit, paused_from, paused_to):
        """``due`` pushed back by a pause (挂起): an hours clock by the pause's length, a
        working-days clock by the working time the pause took."""
        if unit == "h":
            return due + (paused_to - paused_from)
        return self.add_working_time(due, self.working_seconds(paused_from, paused_to))


DAY_SECONDS = 86400


def _next_midnight(moment):
    """The next local midnight after ``moment`` (a Shanghai time; no daylight saving)."""
    return dt.datetime.combine(moment.date() + dt.timedelta(days=1), dt.time(), SHANGHAI)
