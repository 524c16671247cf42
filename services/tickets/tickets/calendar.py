"""Working days in Asia/Shanghai: weekends off, public holidays off, and the
make-up working days (调休上班) on weekends that the State Council announces each year.

The schedule is data: by default the State Council's notices as shipped in
``holidays/cn-state-council.txt`` (its header gives the format and the sources);
``TICKET_HOLIDAY_FILE`` names another file in the same format instead. ``TICKET_HOLIDAYS``
and ``TICKET_MAKEUP_DAYS`` (``2026-10-01,2026-10-02``, ranges as ``2026-10-01..2026-10-08``)
amend it and win over it: a date in ``TICKET_MAKEUP_DAYS`` is a working day even where the
file says holiday, a date in ``TICKET_HOLIDAYS`` a day off even where it says make-up day.
A schedule that contradicts itself is refused (``HolidayScheduleInvalid``) naming the line
or item, so tickets never runs on a calendar nobody meant.
"""
import datetime as dt
import logging
import re
from dataclasses import dataclass
from pathlib import Path

from common.shanghai import SHANGHAI
from tickets.exceptions import HolidayScheduleInvalid

log = logging.getLogger(__name__)

SCHEDULE_FILE = Path(__file__).with_name("holidays") / "cn-state-council.txt"
HOLIDAY, MAKEUP = "holiday", "makeup"  # a day off; a weekend day worked (调休上班)

_DATE = r"\d{4}-\d{2}-\d{2}"
_YEAR_LINE = re.compile(r"^year\s+(?P<year>\d{4})\s+(?P<source>\S.*?)\s*$")
_RANGE_LINE = re.compile(rf"^(?P<first>{_DATE})(?:\.\.(?P<last>{_DATE}))?\s+(?P<kind>\S+)\s+(?P<name>\S.*?)\s*$")
_RANGE_ITEM = re.compile(rf"^(?P<first>{_DATE})(?:\.\.(?P<last>{_DATE}))?$")
# "<中文名> / <English name>": Chinese first (at least one CJK character), then English (ASCII).
_NAME = re.compile(r"^(?P<zh>[^/]*[\u4e00-\u9fff][^/]*?)\s+/\s+(?P<en>[ -~]+)$")


@dataclass(frozen=True)
class DayRange:
    """Days ``first`` to ``last`` (both included) of one kind, as one line of a schedule file
    lists them."""
    first: dt.date
    last: dt.date
    kind: str  # HOLIDAY or MAKEUP
    name: str  # "国庆节 / National Day"
    line: int  # its line in the file (1-based)

    def days(self):
        return [self.first + dt.timedelta(days=n) for n in range((self.last - self.first).days + 1)]


@dataclass(frozen=True)
class HolidaySchedule:
    """A year-by-year schedule of days off and make-up working days. ``years``: {year: the
    notice its dates come from}; only these years are known: any other counts weekends only."""
    source: str
    years: dict
    ranges: tuple

    def days(self, kind):
        return {day for entry in self.ranges if entry.kind == kind for day in entry.days()}


def load_schedule(path=SCHEDULE_FILE):
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise HolidayScheduleInvalid(f"Holiday file {path} cannot be read: {error}",
                                     details={"field": "TICKET_HOLIDAY_FILE", "file": str(path)}) from error
    return parse_schedule(text, str(path))


def parse_schedule(text, source):
    """The schedule in ``text`` (the format of ``holidays/cn-state-council.txt``), checked:
    every line parses, no range is reversed, every date falls in a declared year, make-up
    days are weekend days and no date is listed twice (ranges do not overlap)."""
    def refuse(number, problem):
        raise HolidayScheduleInvalid(f"Holiday file {source}, line {number}: {problem}",
                                     details={"field": "TICKET_HOLIDAY_FILE", "file": source, "line": number})

    lines = [(number, line.strip()) for number, line in enumerate(text.splitlines(), start=1)
             if line.strip() and not line.lstrip().startswith("#")]
    years, year_lines = {}, {}
    for number, line in lines:  # years first: a year line may follow the dates it covers
        if match := _YEAR_LINE.match(line):
            year = int(match["year"])
            if year in years:
                refuse(number, f"year {year} is declared again (first on line {year_lines[year]})")
            years[year], year_lines[year] = match["source"], number
    ranges, claimed = [], {}  # claimed: {day: the line listing it}
    for number, line in lines:
        if _YEAR_LINE.match(line):
            continue
        match = _RANGE_LINE.match(line)
        if match is None:
            refuse(number, f"cannot read {line!r}; expected 'YYYY-MM-DD[..YYYY-MM-DD] holiday|makeup 中文名 / "
                           "English name' or 'year YYYY <notice>'")
        first, last = _date(match["first"]), _date(match["last"] or match["first"])
        if first is None or last is None:
            refuse(number, f"{match['first'] if first is None else match['last']!r} is not a date")
        if last < first:
            refuse(number, f"range {first}..{last} ends before it starts")
        if match["kind"] not in (HOLIDAY, MAKEUP):
            refuse(number, f"kind {match['kind']!r} is neither {HOLIDAY!r} nor {MAKEUP!r}")
        if not _NAME.match(match["name"]):
            refuse(number, f"name {match['name']!r} is not '中文名 / English name'")
        entry = DayRange(first, last, match["kind"], match["name"], number)
        for day in entry.days():
            if day.year not in years:
                refuse(number, f"{day} is in {day.year}, which no 'year {day.year} <notice>' line declares")
            if entry.kind == MAKEUP and day.weekday() < 5:
                refuse(number, f"make-up working day {day} is a {day:%A}: only a weekend day can be one")
            if day in claimed:
                refuse(number, f"{day} is listed already on line {claimed[day]} (ranges must not overlap)")
            claimed[day] = number
        ranges.append(entry)
    return HolidaySchedule(source=source, years=years, ranges=tuple(ranges))


def parse_dates(text, field="dates"):
    """The days listed in ``text`` (``2026-10-01,2026-10-03..2026-10-05``), checked like a
    schedule file: readable, no reversed range, no day listed twice. ``field`` names the
    setting in the error."""
    days = {}  # {day: the item listing it}
    for item in filter(None, (part.strip() for part in (text or "").split(","))):
        match = _RANGE_ITEM.match(item)
        first, last = (_date(match["first"]), _date(match["last"] or match["first"])) if match else (None, None)
        if first is None or last is None:
            _refuse_item(field, item, f"cannot read {item!r}; expected YYYY-MM-DD or YYYY-MM-DD..YYYY-MM-DD")
        if last < first:
            _refuse_item(field, item, f"date range {item!r} ends before it starts")
        for n in range((last - first).days + 1):
            day = first + dt.timedelta(days=n)
            if day in days:
                _refuse_item(field, item, f"{day} in {item!r} is listed already in {days[day]!r} "
                                          "(ranges must not overlap)")
            days[day] = item
    return set(days)


def _refuse_item(field, item, problem):
    raise HolidayScheduleInvalid(f"{field}: {problem}", details={"field": field, "item": item})


def _date(text):
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None


def load_calendar(schedule_file=None, holidays="", makeup_days=""):
    """The working calendar: the schedule file (default the State Council's), amended by
    ``holidays`` and ``makeup_days`` (the texts of ``TICKET_HOLIDAYS`` and
    ``TICKET_MAKEUP_DAYS``), which win over it. A date in both is refused."""
    schedule = load_schedule(schedule_file or SCHEDULE_FILE)
    days_off = parse_dates(holidays, "TICKET_HOLIDAYS")
    days_worked = parse_dates(makeup_days, "TICKET_MAKEUP_DAYS")
    if both := sorted(days_off & days_worked):
        raise HolidayScheduleInvalid(
            f"TICKET_MAKEUP_DAYS: {both[0]} is listed in TICKET_HOLIDAYS too; a day is off or worked, not both",
            details={"field": "TICKET_MAKEUP_DAYS", "item": str(both[0])})
    return WorkCalendar(holidays=(schedule.days(HOLIDAY) - days_worked) | days_off,
                        makeup_days=(schedule.days(MAKEUP) - days_off) | days_worked,
                        years=schedule.years, source=schedule.source)


def warn_missing_years(calendar, today):
    """Log a warning when this year or the next (``today`` a Shanghai date) has no schedule:
    SLA working days in it would run through its holidays. Returns the missing years."""
    missing = calendar.missing_years(today)
    for year in missing:
        log.warning("The working-day calendar has no public-holiday schedule for %s (holiday file %s): SLA "
                    "working days in %s count only weekends as days off. Add the State Council's notice for %s "
                    "to a holiday file (TICKET_HOLIDAY_FILE) when it is published.",
                    year, calendar.source, year, year)
    return missing


class WorkCalendar:
    """``holidays`` and ``makeup_days``: sets of dates; ``years``: the years whose schedule is
    known (the warning at start); ``source``: where it came from."""

    def __init__(self, holidays=(), makeup_days=(), years=(), source=None):
        self.holidays = set(holidays)
        self.makeup_days = set(makeup_days)
        self.years = frozenset(years)
        self.source = source

    def is_working_day(self, day):
        if day in self.makeup_days:
            return True
        return day.weekday() < 5 and day not in self.holidays

    def missing_years(self, today):
        """This year and the next, those of them without a schedule."""
        return [year for year in (today.year, today.year + 1) if year not in self.years]

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
