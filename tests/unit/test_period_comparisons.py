"""The periods a report compares with (环比: the one before; 同比: the same one a year
earlier) and the arithmetic of a change."""
import datetime as dt

import pytest

from common.periods import change, previous_span, year_earlier_span

D = dt.date


@pytest.mark.parametrize("span, before", [
    ((D(2026, 11, 1), D(2026, 11, 30)), (D(2026, 10, 1), D(2026, 10, 31))),     # a month: the month before
    ((D(2026, 3, 1), D(2026, 3, 31)), (D(2026, 2, 1), D(2026, 2, 28))),         # ... however long it is
    ((D(2026, 1, 1), D(2026, 1, 31)), (D(2025, 12, 1), D(2025, 12, 31))),       # ... across a year's end
    ((D(2026, 7, 1), D(2026, 9, 30)), (D(2026, 4, 1), D(2026, 6, 30))),         # a quarter
    ((D(2026, 1, 1), D(2026, 12, 31)), (D(2025, 1, 1), D(2025, 12, 31))),       # a year
    ((D(2026, 12, 5), D(2026, 12, 5)), (D(2026, 12, 4), D(2026, 12, 4))),       # a day: the day before
    ((D(2026, 11, 7), D(2026, 12, 6)), (D(2026, 10, 8), D(2026, 11, 6))),       # 30 days: the 30 before
    ((D(2026, 3, 15), D(2026, 4, 14)), (D(2026, 2, 12), D(2026, 3, 14))),       # not whole months: days
])
def test_the_previous_period(span, before):
    assert previous_span(*span) == before


@pytest.mark.parametrize("span, earlier", [
    ((D(2026, 11, 1), D(2026, 11, 30)), (D(2025, 11, 1), D(2025, 11, 30))),
    ((D(2025, 2, 1), D(2025, 2, 28)), (D(2024, 2, 1), D(2024, 2, 29))),         # February: all of it
    ((D(2024, 2, 29), D(2024, 2, 29)), (D(2023, 2, 28), D(2023, 2, 28))),       # a leap day: the 28th
    ((D(2026, 12, 6), D(2026, 12, 6)), (D(2025, 12, 6), D(2025, 12, 6))),
    ((D(2026, 1, 1), D(2026, 12, 31)), (D(2025, 1, 1), D(2025, 12, 31))),
    ((D(2026, 11, 7), D(2026, 12, 6)), (D(2025, 11, 7), D(2025, 12, 6))),
])
def test_the_same_period_last_year(span, earlier):
    assert year_earlier_span(*span) == earlier


def test_a_change_in_absolute_figures_and_percent():
    # seed 002: 同比下降14%
    assert change(86, 100) == {"absolute": -14, "percent": -14.0}
    assert change(120, 100) == {"absolute": 20, "percent": 20.0}
    assert change(2, 3) == {"absolute": -1, "percent": -33.33}
    assert change(0.92, 0.8) == {"absolute": 0.12, "percent": 15.0}, "a rate moves by rate points"
    assert change(5, 0) == {"absolute": 5, "percent": None}, "no percent of nothing"
    assert change(0, 0) == {"absolute": 0, "percent": None}
    assert change(None, 0.5) == {"absolute": None, "percent": None}, "a rate over no tickets"
    assert change(0.5, None) == {"absolute": None, "percent": None}
