"""Periods of account (assessment, coverage): a year (``2026``), a quarter
(``2026-Q3``) or a month (``2026-07``), from 2000 to 2099, counted in Shanghai days.

A fact belongs to the period of its day in Shanghai (a report by ``reported_at``, a
resolution by ``resolved_at``, a rating by ``rated_at``, a patrol or visit by
``occurred_at``): ``period.contains(moment_or_day)`` says whether it does, and
``period.bounds()`` gives the UTC instants ``[start, end)`` a query filters on.

    >>> p = parse_period("2026-Q3")
    >>> p.kind, p.start_day, p.end_day, str(p)
    ('quarter', datetime.date(2026, 7, 1), datetime.date(2026, 9, 30), '2026-Q3')
    >>> [str(m) for m in p.months()]
    ['2026-07', '2026-08', '2026-09']
"""
import calendar
import datetime as dt
import re
from dataclasses import dataclass

from common.errors import InvalidInput
from common.shanghai import SHANGHAI, day_bounds

KINDS = ("month", "quarter", "year")
FIRST_YEAR, LAST_YEAR = 2000, 2099

_FORM = re.compile(r"([0-9]{4})(?:-Q([0-9])|-([0-9]{2}))?")
RULE = (f"must be a year (2026), a quarter (2026-Q3) or a month (2026-07) "
        f"from {FIRST_YEAR} to {LAST_YEAR}")


@dataclass(frozen=True)
class Period:
    """One period. ``number`` is the quarter (1-4) or the month (1-12); None for a year.
    ``start_day`` and ``end_day`` are Shanghai calendar days, both included."""
    year: int
    kind: str
    number: int | None = None

    def __post_init__(self):
        if self.kind not in KINDS or not FIRST_YEAR <= self.year <= LAST_YEAR:
            raise ValueError(f"no such period: {self.year} {self.kind} {self.number}")
        limit = {"year": None, "quarter": 4, "month": 12}[self.kind]
        if (limit is None) != (self.number is None) or (limit and not 1 <= self.number <= limit):
            raise ValueError(f"no such period: {self.year} {self.kind} {self.number}")

    def __str__(self):
        if self.kind == "year":
            return f"{self.year}"
        if self.kind == "quarter":
            return f"{self.year}-Q{self.number}"
        return f"{self.year}-{self.number:02d}"

    @property
    def text(self):
        return str(self)

    @property
    def start_day(self):
        first_month = {"year": 1, "quarter": 3 * (self.number or 1) - 2, "month": self.number}[self.kind]
        return dt.date(self.year, first_month, 1)

    @property
    def end_day(self):
        last_month = {"year": 12, "quarter": 3 * (self.number or 1), "month": self.number}[self.kind]
        return dt.date(self.year, last_month, calendar.monthrange(self.year, last_month)[1])

    def bounds(self):
        """The UTC instants ``[start, end)`` spanning the period's Shanghai days."""
        return day_bounds(self.start_day, self.end_day)

    def contains(self, when):
        """Whether ``when`` (a date, taken as a Shanghai day, or an aware datetime)
        falls in the period. A naive datetime is refused: whose clock would it be?"""
        if isinstance(when, dt.datetime):
            if when.tzinfo is None:
                raise ValueError("a naive datetime has no Shanghai day")
            when = when.astimezone(SHANGHAI).date()
        return self.start_day <= when <= self.end_day

    def months(self):
        """The months of the period, in order (a month: itself)."""
        first = self.start_day.month
        return [Period(self.year, "month", month) for month in range(first, self.end_day.month + 1)]

    def quarters(self):
        """The quarters of a year or a quarter (itself); a month has none."""
        if self.kind == "month":
            raise ValueError("a month has no quarters")
        first = (self.start_day.month + 2) // 3
        return [Period(self.year, "quarter", q) for q in range(first, self.end_day.month // 3 + 1)]

    def quarter(self):
        """The quarter a month or a quarter lies in."""
        if self.kind == "year":
            raise ValueError("a year lies in no quarter")
        return Period(self.year, "quarter", (self.start_day.month + 2) // 3)

    def year_period(self):
        return Period(self.year, "year")


def parse_period(text, *, field="period"):
    """The Period ``text`` names (a Period is given back as it is). Anything else is a
    400 VALIDATION_FAILED naming ``field``."""
    if isinstance(text, Period):
        return text
    match = _FORM.fullmatch(text) if isinstance(text, str) else None
    if match:
        year, quarter, month = match.groups()
        kind = "quarter" if quarter else "month" if month else "year"
        number = int(quarter or month) if (quarter or month) else None
        try:
            return Period(int(year), kind, number)
        except ValueError:
            pass
    shown = f" {text!r}" if isinstance(text, str) and len(text) <= 40 else ""
    raise InvalidInput(f"Invalid {field}{shown}: {RULE}.", code="VALIDATION_FAILED",
                       details={"fields": {field: [RULE]}})


def period_of(when, kind):
    """The period of ``kind`` ('month', 'quarter' or 'year') holding ``when`` (a date,
    or an aware datetime taken in Shanghai)."""
    if isinstance(when, dt.datetime):
        if when.tzinfo is None:
            raise ValueError("a naive datetime has no Shanghai day")
        when = when.astimezone(SHANGHAI).date()
    if kind == "year":
        return Period(when.year, "year")
    if kind == "quarter":
        return Period(when.year, "quarter", (when.month + 2) // 3)
    if kind == "month":
        return Period(when.year, "month", when.month)
    raise ValueError(f"no such period kind: {kind}")


# --- comparing a span of days with the one before and the same one a year earlier ---------
# A district's reports compare each figure with the previous period (环比) and with the
# same period last year (同比): "同比下降14%" in seed 002. A span here is any two days,
# both included, as the statistics take them (from, to).

def _shift_months(day, months):
    """``day`` moved by ``months`` calendar months, kept inside its month (31 Mar - 1
    month = 28 or 29 Feb; 29 Feb - 12 months = 28 Feb)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return dt.date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def _whole_months(start, end):
    """How many calendar months ``start``..``end`` spans exactly, or 0 when it does not
    begin on a first and end on a month's last day."""
    if start.day != 1 or end.day != calendar.monthrange(end.year, end.month)[1]:
        return 0
    return (end.year - start.year) * 12 + end.month - start.month + 1


def previous_span(start, end):
    """The span just before ``start``..``end`` (环比): as many whole months before when the
    span is whole months (a month's report compares with the month before, however
    many days each has), else as many days before."""
    months = _whole_months(start, end)
    if months:
        return _shift_months(start, -months), start - dt.timedelta(days=1)
    days = (end - start).days + 1
    return start - dt.timedelta(days=days), start - dt.timedelta(days=1)


def year_earlier_span(start, end):
    """The same span a year earlier (同比): the same days of the year before (29 February
    becomes the 28th), a whole-month span the same months (February 2025 against all
    29 days of February 2024)."""
    months = _whole_months(start, end)
    earlier_start = _shift_months(start, -12)
    if months:
        return earlier_start, _shift_months(start, months - 12) - dt.timedelta(days=1)
    return earlier_start, _shift_months(end, -12)


def change(current, base, digits=4):
    """How ``current`` moved from ``base``: ``{"absolute": current - base, "percent":
    the change in percent of base}``; ``percent`` is None when base is 0 (no rate of
    change from nothing), and both are None when either figure is (a rate over no
    tickets). ``digits``: the rounding of ``absolute`` (a count is exact anyway)."""
    if current is None or base is None:
        return {"absolute": None, "percent": None}
    absolute = current - base
    return {"absolute": round(absolute, digits) if isinstance(absolute, float) else absolute,
            "percent": round(100 * absolute / base, 2) if base else None}
