"""Assessment periods: a year, a quarter or a month from 2000 to 2099, in Shanghai days;
anything else a 400 naming `period`."""
import datetime as dt

import pytest

from common.errors import InvalidInput, http_status
from scoring.periods import Period, parse_period, period_of

D = dt.date


@pytest.mark.parametrize("text, kind, start, end", [
    ("2026", "year", D(2026, 1, 1), D(2026, 12, 31)),
    ("2026-Q1", "quarter", D(2026, 1, 1), D(2026, 3, 31)),
    ("2026-Q3", "quarter", D(2026, 7, 1), D(2026, 9, 30)),
    ("2026-Q4", "quarter", D(2026, 10, 1), D(2026, 12, 31)),
    ("2026-07", "month", D(2026, 7, 1), D(2026, 7, 31)),
    ("2028-02", "month", D(2028, 2, 1), D(2028, 2, 29)),   # a leap year's February
    ("2027-02", "month", D(2027, 2, 1), D(2027, 2, 28)),
    ("2000", "year", D(2000, 1, 1), D(2000, 12, 31)),
    ("2099-12", "month", D(2099, 12, 1), D(2099, 12, 31)),
])
def test_a_period_names_its_shanghai_days(text, kind, start, end):
    period = parse_period(text)
    assert (period.kind, period.start_day, period.end_day, str(period)) == (kind, start, end, text)


@pytest.mark.parametrize("text", [
    "1999", "2100", "2026-Q0", "2026-Q5", "2026-q3", "2026-00", "2026-13", "2026-7", "26-07", "2026-07-01",
    "2026-W30", " 2026", "2026 ", "", "２０２６", "2026-Q3\n", None, 2026, ["2026"], {"year": 2026}, "x" * 10_000,
])
def test_a_bad_period_is_a_400_naming_period(text):
    with pytest.raises(InvalidInput) as caught:
        parse_period(text)
    error = caught.value
    assert http_status(error) == 400 and error.code == "VALIDATION_FAILED"
    assert list(error.details["fields"]) == ["period"]
    assert len(error.to_dict()["message"]) < 200      # a huge input is not echoed


def test_the_error_names_the_field_the_caller_names():
    with pytest.raises(InvalidInput) as caught:
        parse_period("2026-Q9", field="year")
    assert list(caught.value.details["fields"]) == ["year"]


def test_months_and_quarters():
    assert [str(m) for m in parse_period("2026-Q3").months()] == ["2026-07", "2026-08", "2026-09"]
    assert [str(m) for m in parse_period("2026").months()][::11] == ["2026-01", "2026-12"]
    assert [str(q) for q in parse_period("2026").quarters()] == ["2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4"]
    assert [str(q) for q in parse_period("2026-Q2").quarters()] == ["2026-Q2"]
    assert str(parse_period("2026-08").quarter()) == "2026-Q3"
    assert str(parse_period("2026-08").year_period()) == "2026"
    with pytest.raises(ValueError):
        parse_period("2026-08").quarters()


def test_contains_counts_in_shanghai():
    q3 = parse_period("2026-Q3")
    assert q3.contains(D(2026, 7, 1)) and q3.contains(D(2026, 9, 30))
    assert not q3.contains(D(2026, 6, 30)) and not q3.contains(D(2026, 10, 1))
    # 2026-06-30 16:30 UTC is already 1 July in Shanghai; 2026-09-30 16:30 UTC is 1 October.
    assert q3.contains(dt.datetime(2026, 6, 30, 16, 30, tzinfo=dt.timezone.utc))
    assert not q3.contains(dt.datetime(2026, 9, 30, 16, 30, tzinfo=dt.timezone.utc))
    with pytest.raises(ValueError):
        q3.contains(dt.datetime(2026, 7, 1, 12))


def test_bounds_are_the_utc_instants_of_shanghai_midnights():
    start, end = parse_period("2026-07").bounds()
    assert start == dt.datetime(2026, 6, 30, 16, tzinfo=dt.timezone.utc)
    assert end == dt.datetime(2026, 7, 31, 16, tzinfo=dt.timezone.utc)


def test_period_of_a_moment():
    late = dt.datetime(2026, 3, 31, 16, 1, tzinfo=dt.timezone.utc)   # 1 April 00:01 in Shanghai
    assert (str(period_of(late, "month")), str(period_of(late, "quarter")), str(period_of(late, "year"))) == \
        ("2026-04", "2026-Q2", "2026")
    assert period_of(D(2026, 12, 31), "quarter") == Period(2026, "quarter", 4)
    assert parse_period(Period(2026, "month", 7)) == parse_period("2026-07")
