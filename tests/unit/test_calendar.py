"""M4: the Greek working-day calendar and "last working day of month m"."""

from datetime import date

import pytest

from aggregates.calendar import (
    add_months,
    first_of_month,
    is_working_day,
    last_working_day,
    month_end,
    months_between,
    previous_working_day,
)


@pytest.mark.parametrize(
    "holiday",
    [
        date(2021, 1, 1),  # New Year (Friday)
        date(2021, 1, 6),  # Epiphany (Wednesday)
        date(2021, 3, 15),  # Clean Monday (Orthodox Easter 2021-05-02 − 48 days)
        date(2021, 3, 25),  # Independence Day (Thursday)
        date(2021, 4, 30),  # Good Friday
        date(2021, 5, 3),  # Easter Monday
        date(2021, 5, 4),  # Labour Day moved (1/5 fell on Holy Saturday)
        date(2021, 6, 21),  # Whit Monday (Easter + 50 days)
        date(2021, 10, 28),  # Ohi Day (Thursday)
        date(2020, 4, 17),  # Good Friday 2020 (Orthodox Easter 2020-04-19)
        date(2020, 6, 8),  # Whit Monday 2020
        date(2022, 3, 7),  # Clean Monday 2022 (Orthodox Easter 2022-04-24)
        date(2022, 8, 15),  # Dormition (Monday)
        date(2022, 12, 26),  # Synaxis of the Theotokos (Monday)
    ],
)
def test_M4_greek_public_holidays_are_not_working_days(holiday):
    assert holiday.weekday() < 5  # a weekday: only the holiday makes it non-working
    assert not is_working_day(holiday)


@pytest.mark.parametrize(
    "day",
    [date(2021, 3, 16), date(2021, 4, 29), date(2021, 5, 5), date(2021, 12, 31), date(2021, 3, 12)],
)
def test_M4_ordinary_weekdays_are_working_days(day):
    assert is_working_day(day)


def test_M4_weekends_are_not_working_days():
    assert not is_working_day(date(2021, 5, 1))  # Saturday (also Labour Day)
    assert not is_working_day(date(2021, 5, 2))  # Sunday (Easter)
    assert not is_working_day(date(2021, 7, 31))  # Saturday


@pytest.mark.parametrize(
    ("year", "month", "expected"),
    [
        (2021, 4, date(2021, 4, 29)),  # 04-30 is Good Friday
        (2021, 12, date(2021, 12, 31)),  # a Friday
        (2021, 10, date(2021, 10, 29)),  # 10-31 Sunday, 10-30 Saturday
        (2021, 7, date(2021, 7, 30)),  # 07-31 Saturday
        (2022, 1, date(2022, 1, 31)),  # a Monday
        (2022, 2, date(2022, 2, 28)),  # a Monday
        (2022, 4, date(2022, 4, 29)),  # 04-30 Saturday
        (2020, 5, date(2020, 5, 29)),  # 05-31 Sunday, 05-30 Saturday
        (2020, 2, date(2020, 2, 28)),  # leap year: 02-29 is a Saturday
        (2022, 12, date(2022, 12, 30)),  # 12-31 Saturday
    ],
)
def test_M4_last_working_day_of_month(year, month, expected):
    assert last_working_day(year, month) == expected


def test_M4_previous_working_day_skips_weekend_and_good_friday():
    # Sat 2021-05-01 → Fri 04-30 is Good Friday → Thu 2021-04-29
    assert previous_working_day(date(2021, 5, 1)) == date(2021, 4, 29)
    # Tue 2021-05-04 (moved Labour Day) → Mon 05-03 Easter Monday → Sun, Sat, Good Friday → 04-29
    assert previous_working_day(date(2021, 5, 4)) == date(2021, 4, 29)
    # a working day is its own previous working day
    assert previous_working_day(date(2021, 5, 5)) == date(2021, 5, 5)


def test_add_months_clamps_to_shorter_months():
    assert add_months(date(2021, 1, 31), 1) == date(2021, 2, 28)
    assert add_months(date(2020, 1, 31), 1) == date(2020, 2, 29)
    assert add_months(date(2021, 11, 15), 2) == date(2022, 1, 15)
    assert add_months(date(2021, 3, 31), -1) == date(2021, 2, 28)
    assert add_months(date(2021, 1, 31), 0) == date(2021, 1, 31)


def test_month_helpers():
    assert month_end(2020, 2) == date(2020, 2, 29)
    assert month_end(2021, 4) == date(2021, 4, 30)
    assert first_of_month(date(2021, 12, 15)) == date(2021, 12, 1)
    assert months_between(date(2021, 12, 15), date(2022, 3, 1)) == 3
    assert months_between(date(2021, 12, 31), date(2021, 12, 1)) == 0
