"""SLA working days on the district's calendar: weekends, the State Council's holidays and
make-up working days (调休) as shipped, the settings that amend them, and the checks that
refuse a schedule nobody meant."""
import datetime as dt
import logging

import pytest

from tickets.calendar import (SCHEDULE_FILE, WorkCalendar, load_calendar, load_schedule, parse_dates, parse_schedule,
                              warn_missing_years)
from tickets.exceptions import HolidayScheduleInvalid

SH = dt.timezone(dt.timedelta(hours=8))
CAL = load_calendar()  # what tickets runs on by default: the shipped State Council schedule
WEEKENDS_ONLY = WorkCalendar()


def at(day, hour=10):
    return dt.datetime.fromisoformat(f"{day}T{hour:02d}:00:00").replace(tzinfo=SH)


def days(first, last):
    start, end = dt.date.fromisoformat(first), dt.date.fromisoformat(last)
    return [start + dt.timedelta(days=n) for n in range((end - start).days + 1)]


# --- the shipped schedule --------------------------------------------------------------------

def test_national_day_2026_is_a_holiday_and_its_make_up_days_are_worked():
    assert not any(CAL.is_working_day(day) for day in days("2026-10-01", "2026-10-07"))
    assert CAL.is_working_day(dt.date(2026, 10, 8)), "Thursday after the week off"
    assert CAL.is_working_day(dt.date(2026, 9, 20)), "make-up Sunday (国庆节调休上班)"
    assert CAL.is_working_day(dt.date(2026, 10, 10)), "make-up Saturday"
    assert not CAL.is_working_day(dt.date(2026, 10, 11)), "an ordinary Sunday"


def test_spring_festival_2026_is_nine_days_off_with_two_make_up_saturdays():
    assert not any(CAL.is_working_day(day) for day in days("2026-02-15", "2026-02-23"))
    assert CAL.is_working_day(dt.date(2026, 2, 14)) and CAL.is_working_day(dt.date(2026, 2, 28))
    assert CAL.is_working_day(dt.date(2026, 2, 24))


def test_the_2025_rule_change_new_years_eve_and_2_may_are_days_off_from_2025_on():
    assert not CAL.is_working_day(dt.date(2025, 1, 28)), "除夕 2025 (a Tuesday): off under the amended rules"
    assert not CAL.is_working_day(dt.date(2025, 5, 2))
    assert CAL.is_working_day(dt.date(2024, 2, 9)), "除夕 2024 (a Friday) was only encouraged, not given"
    assert CAL.is_working_day(dt.date(2025, 10, 9)) and not CAL.is_working_day(dt.date(2025, 10, 8)), \
        "National Day and Mid-Autumn 2025 together: eight days"


def test_the_shipped_file_covers_2024_to_2026_and_names_every_festival_of_each_year():
    schedule = load_schedule()
    assert sorted(schedule.years) == [2024, 2025, 2026], "2027 only once its notice can be checked"
    festivals = ("元旦", "春节", "清明节", "劳动节", "端午节", "中秋节", "国庆节")
    for year in schedule.years:
        names = " ".join(entry.name for entry in schedule.ranges if entry.kind == "holiday" and entry.first.year == year)
        assert [name for name in festivals if name not in names] == [], year
        assert "国办发明电" in schedule.years[year]


def test_a_deadline_of_working_days_spanning_national_day_lands_after_it():
    # 09-30 10:00 + 5: 10-08, 10-09, 10-10 (make-up Saturday), 10-12, 10-13
    assert CAL.add_working_days(at("2026-09-30"), 5) == at("2026-10-13")
    assert WEEKENDS_ONLY.add_working_days(at("2026-09-30"), 5) == at("2026-10-07"), "what it was before"
    assert CAL.add_working_days(at("2026-09-30"), 1) == at("2026-10-08")


# --- the working-time arithmetic, on the shipped calendar -----------------------------------

def test_working_days_skip_weekends_and_holidays_and_count_make_up_days():
    assert CAL.add_working_days(at("2026-11-06"), 3) == at("2026-11-11")  # Fri + 3: Mon, Tue, Wed
    assert CAL.add_working_days(at("2026-09-18"), 1) == at("2026-09-20")  # Fri + 1: the make-up Sunday
    assert CAL.add_working_days(at("2026-10-09"), 1) == at("2026-10-10")  # the make-up Saturday


def test_a_report_on_a_day_off_counts_from_the_next_working_day():
    friday = CAL.add_working_days(at("2026-11-06"), 3)
    saturday = CAL.add_working_days(at("2026-11-07"), 3)
    assert saturday == at("2026-11-12", 0), "three whole working days: Mon, Tue, Wed"
    assert saturday > friday
    assert CAL.add_working_days(at("2026-10-01"), 1) == at("2026-10-09", 0), "a holiday report: day 1 is 10-08"


def test_fractions_of_a_working_day_are_working_time_not_truncated():
    assert CAL.add_working_days(at("2026-11-06", 6), 0.5) == at("2026-11-06", 18)
    assert CAL.add_working_days(at("2026-11-06", 18), 0.5) == at("2026-11-09", 6), "the weekend does not count"


def test_a_pause_pushes_an_hours_clock_by_its_length_and_a_days_clock_by_the_working_time_lost():
    due = at("2026-11-11")  # Wednesday
    monday, friday = at("2026-11-09"), at("2026-11-13")
    assert CAL.working_seconds(monday, friday) == 4 * 86400
    assert CAL.extend(due, "d", monday, friday) == at("2026-11-17"), "four working days later: Tuesday"
    assert CAL.extend(due, "h", monday, friday) == due + dt.timedelta(days=4)
    over_holidays = CAL.working_seconds(at("2026-09-30"), at("2026-10-08"))
    assert over_holidays == 86400, "14 h of 09-30 and 10 h of 10-08: the week between was off"
    assert CAL.working_seconds(friday, monday) == 0


# --- TICKET_HOLIDAYS / TICKET_MAKEUP_DAYS / TICKET_HOLIDAY_FILE -----------------------------

def test_the_settings_win_over_the_file_both_ways_and_add_local_days():
    calendar = load_calendar(holidays="2026-10-10,2026-11-12", makeup_days="2026-10-07")
    assert calendar.is_working_day(dt.date(2026, 10, 7)), "TICKET_MAKEUP_DAYS over the file's holiday"
    assert not calendar.is_working_day(dt.date(2026, 10, 10)), "TICKET_HOLIDAYS over the file's make-up day"
    assert not calendar.is_working_day(dt.date(2026, 11, 12)), "a local holiday the file does not have"
    assert not calendar.is_working_day(dt.date(2026, 10, 6)), "the rest of the file stands"


def test_a_day_both_off_and_worked_in_the_settings_is_refused():
    with pytest.raises(HolidayScheduleInvalid) as caught:
        load_calendar(holidays="2026-11-12", makeup_days="2026-11-12")
    assert caught.value.details == {"field": "TICKET_MAKEUP_DAYS", "item": "2026-11-12"}


@pytest.mark.parametrize("text, item, problem", [
    ("2026-10-01..2026-10-08,2026-10-05", "2026-10-05", "listed already in '2026-10-01..2026-10-08'"),
    ("2026-10-08..2026-10-01", "2026-10-08..2026-10-01", "ends before it starts"),
    ("2026-10-01,2026-1O-02", "2026-1O-02", "cannot read"),
    ("2026-02-30", "2026-02-30", "cannot read"),
])
def test_a_setting_with_overlapping_reversed_or_unreadable_items_is_refused_naming_the_item(text, item, problem):
    with pytest.raises(HolidayScheduleInvalid) as caught:
        parse_dates(text, "TICKET_HOLIDAYS")
    assert caught.value.details == {"field": "TICKET_HOLIDAYS", "item": item}
    assert problem in caught.value.message and caught.value.message.startswith("TICKET_HOLIDAYS: ")


def test_a_holiday_file_of_its_own_replaces_the_shipped_one(tmp_path):
    own = tmp_path / "district.txt"
    own.write_text("year 2027  区政府通知 (test)\n2027-01-01  holiday  元旦 / New Year's Day\n", encoding="utf-8")
    calendar = load_calendar(own)
    assert not calendar.is_working_day(dt.date(2027, 1, 1))
    assert calendar.is_working_day(dt.date(2026, 10, 1)), "the shipped file is not read then"
    assert calendar.missing_years(dt.date(2026, 12, 6)) == [2026]


# --- a holiday file that cannot be right is refused, naming its line -------------------------

GOOD_HEAD = "# a comment\n\nyear 2026  国办发明电〔2025〕7号\n"  # lines 1-3


@pytest.mark.parametrize("lines, line, problem", [
    (["2026-10-01..2026-10-07  holiday  国庆节 / National Day",
      "2026-10-05..2026-10-06  holiday  重复 / Overlap"], 5, "2026-10-05 is listed already on line 4"),
    (["2026-10-07..2026-10-01  holiday  国庆节 / National Day"], 4, "ends before it starts"),
    (["2026-10-01..  holiday  国庆节 / National Day"], 4, "cannot read"),
    (["2026/10/01  holiday  国庆节 / National Day"], 4, "cannot read"),
    (["2026-10-01"], 4, "cannot read"),
    (["2026-10-01..2026-10-32  holiday  国庆节 / National Day"], 4, "'2026-10-32' is not a date"),
    (["2026-10-01  vacation  国庆节 / National Day"], 4, "kind 'vacation'"),
    (["2026-10-01  holiday  National Day"], 4, "is not '中文名 / English name'"),
    (["2026-10-03  holiday  国庆节 / National Day", "2026-10-03  makeup  国庆节调休上班 / make-up day"], 5,
     "listed already on line 4"),
    (["2026-10-09  makeup  国庆节调休上班 / National Day make-up working day"], 4, "2026-10-09 is a Friday"),
    (["2027-01-01  holiday  元旦 / New Year's Day"], 4, "2027, which no 'year 2027 <notice>' line declares"),
    (["year 2026  again"], 4, "year 2026 is declared again (first on line 3)"),
])
def test_a_bad_holiday_file_is_refused_naming_the_line(lines, line, problem):
    with pytest.raises(HolidayScheduleInvalid) as caught:
        parse_schedule(GOOD_HEAD + "\n".join(lines) + "\n", "district.txt")
    assert caught.value.details == {"field": "TICKET_HOLIDAY_FILE", "file": "district.txt", "line": line}
    assert caught.value.message.startswith(f"Holiday file district.txt, line {line}: ")
    assert problem in caught.value.message


def test_a_holiday_file_that_cannot_be_read_is_refused(tmp_path):
    with pytest.raises(HolidayScheduleInvalid) as caught:
        load_calendar(tmp_path / "missing.txt")
    assert caught.value.details["field"] == "TICKET_HOLIDAY_FILE"


def test_the_shipped_file_passes_its_own_checks():
    assert parse_schedule(SCHEDULE_FILE.read_text(encoding="utf-8"), "shipped").ranges


# --- the warning at start ---------------------------------------------------------------------

def test_a_warning_when_the_next_year_is_missing(caplog):
    with caplog.at_level(logging.WARNING, logger="tickets.calendar"):
        assert warn_missing_years(CAL, dt.date(2026, 12, 6)) == [2027]
    [record] = caplog.records
    assert record.levelno == logging.WARNING
    assert "no public-holiday schedule for 2027" in record.getMessage()
    assert "TICKET_HOLIDAY_FILE" in record.getMessage()


def test_a_warning_for_each_of_this_and_next_year_when_both_are_missing(caplog):
    with caplog.at_level(logging.WARNING, logger="tickets.calendar"):
        assert warn_missing_years(CAL, dt.date(2027, 3, 1)) == [2027, 2028]
    assert [r.getMessage().split(" (")[0][-4:] for r in caplog.records] == ["2027", "2028"]


def test_no_warning_when_this_and_next_year_are_known(caplog):
    with caplog.at_level(logging.WARNING, logger="tickets.calendar"):
        assert warn_missing_years(CAL, dt.date(2025, 6, 1)) == []
    assert caplog.records == []
