"""The Greek working-day calendar (εργάσιμες ημέρες), M4.

Public holidays come from the maintained ``holidays`` package (fixed days, the
movable feasts of Orthodox Easter and a moved Labour Day), never a hand table.
"""

from __future__ import annotations

import calendar as _gregorian
from datetime import date, timedelta
from functools import lru_cache

import holidays


@lru_cache(maxsize=None)
def _greek_holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("GR", years=year).keys())


def is_working_day(day: date) -> bool:
    """M4: a weekday that is not a Greek public holiday."""
    return day.weekday() < 5 and day not in _greek_holidays(day.year)


def previous_working_day(day: date) -> date:
    """The day itself when it is a working day, else the latest one before it."""
    while not is_working_day(day):
        day -= timedelta(days=1)
    return day


def next_working_day(day: date) -> date:
    """The day itself when it is a working day, else the first one after it (N4)."""
    while not is_working_day(day):
        day += timedelta(days=1)
    return day


def month_end(year: int, month: int) -> date:
    return date(year, month, _gregorian.monthrange(year, month)[1])


@lru_cache(maxsize=4096)
def last_working_day(year: int, month: int) -> date:
    """M4: "last working day of month m", the deadline of an instalment (C6, ND6)."""
    return previous_working_day(month_end(year, month))


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later, or that month's last day when it is shorter."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(day.day, _gregorian.monthrange(year, month)[1]))


def first_of_month(day: date) -> date:
    return day.replace(day=1)


def months_between(start: date, end: date) -> int:
    """Whole calendar months from ``start``'s month to ``end``'s month."""
    return (end.year - start.year) * 12 + end.month - start.month
