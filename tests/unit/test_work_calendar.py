"""SLA working days on the district's calendar: weekends, holidays, make-up days (调休)."""
import datetime as dt

from tickets.calendar import WorkCalendar, parse_dates

SH = dt.timezone(dt.timedelta(hours=8))
HOLIDAYS = parse_dates("2026-10-01..2026-10-08")
MAKEUP = parse_dates("2026-09-27,2026-10-10")  # a Sunday and a Saturday worked instead
CAL = WorkCalendar(HOLIDAYS, MAKEUP)


def at(day, hour=10):
    return dt.datetime.fromisoformat(f"{day}T{hour:02d}:00:00").replace(tzinfo=SH)


def test_working_days_skip_weekends_and_holidays_and_count_make_up_days():
    assert CAL.add_working_days(at("2026-11-06"), 3) == at("2026-11-11")  # Fri + 3: Mon, Tue, Wed
    assert CAL.add_working_days(at("2026-09-30"), 1) == at("2026-10-09")  # over the National Day week
    assert CAL.add_working_days(at("2026-09-25"), 1) == at("2026-09-27")  # Fri + 1: the make-up Sunday
    assert CAL.add_working_days(at("2026-10-09"), 1) == at("2026-10-10")  # the make-up Saturday


def test_a_report_on_a_day_off_counts_from_the_next_working_day():
    friday = CAL.add_working_days(at("2026-11-06"), 3)
    saturday = CAL.add_working_days(at("2026-11-07"), 3)
    assert saturday == at("2026-11-12", 0), "three whole working days: Mon, Tue, Wed"
    assert saturday > friday
    assert CAL.add_working_days(at("2026-10-01"), 1) == at("2026-10-10", 0), "a holiday report: day 1 is 10-09"


def test_fractions_of_a_working_day_are_working_time_not_truncated():
    assert CAL.add_working_days(at("2026-11-06", 6), 0.5) == at("2026-11-06", 18)
    assert CAL.add_working_days(at("2026-11-06", 18), 0.5) == at("2026-11-09", 6), "the weekend does not count"


def test_a_pause_pushes_an_hours_clock_by_its_length_and_a_days_clock_by_the_working_time_lost():
    due = at("2026-11-11")  # Wednesday
    monday, friday = at("2026-11-09"), at("2026-11-13")
    assert CAL.working_seconds(monday, friday) == 4 * 86400
    assert CAL.extend(due, "d", monday, friday) == at("2026-11-17"), "four working days later: Tuesday"
    assert CAL.extend(due, "h", monday, friday) == due + dt.timedelta(days=4)
    over_holidays = CAL.working_seconds(at("2026-09-30"), at("2026-10-09"))
    assert over_holidays == 86400, "only 09-30 was a working day"
    assert CAL.working_seconds(friday, monday) == 0
