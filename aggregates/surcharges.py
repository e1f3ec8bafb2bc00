"""Legal surcharges on late amounts (προσαυξήσεις εκπρόθεσμης καταβολής), §8.

The rates are data (L3): the ledger's configuration builds a ``SurchargeRules``
from its dated table and passes it in; nothing here knows a rate.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from aggregates.calendar import add_months
from aggregates.money import ZERO, money

TWELVE = Decimal(12)


@dataclass(frozen=True)
class RatePeriod:
    starts_on: date
    yearly_rate: Decimal


@dataclass(frozen=True)
class SurchargeRules:
    """L1 (dated yearly rates, from ``table_starts_on``) and L2 (the older scheme)."""

    rates: tuple[RatePeriod, ...]
    table_starts_on: date
    legacy_first_month: Decimal
    legacy_later_months: Decimal
    legacy_cap: Decimal

    def __post_init__(self) -> None:
        if list(self.rates) != sorted(self.rates, key=lambda period: period.starts_on):
            raise ValueError("surcharge rates must be listed oldest first")

    def yearly_rate_on(self, day: date) -> Decimal:
        """L1: the rate in force on ``day`` (a month of delay takes its first day's)."""
        current = None
        for period in self.rates:
            if period.starts_on > day:
                break
            current = period.yearly_rate
        if current is None:
            raise ValueError(f"no surcharge rate configured for {day}")
        return current

    def month_fraction(self, month_start: date, months_before: int) -> Decimal:
        """The share of the principal charged for one started month of delay.

        ``months_before`` counts the months of delay that started before this
        one; L2 needs it for its "3% first, 1% later, at most 100%" rule.
        """
        if month_start >= self.table_starts_on:
            return self.yearly_rate_on(month_start) / TWELVE
        if months_before == 0:
            return self.legacy_first_month
        charged = self.legacy_first_month + self.legacy_later_months * (months_before - 1)
        return max(ZERO, min(self.legacy_later_months, self.legacy_cap - charged))

    def fractions(self, due_date: date, as_of: date) -> Iterator[tuple[date, Decimal]]:
        """Each started month of delay up to ``as_of`` with its fraction (L1)."""
        for index, start in enumerate(delay_month_starts(due_date, as_of)):
            yield start, self.month_fraction(start, index)

    def surcharge(self, principal: Decimal, due_date: date, as_of: date) -> Decimal:
        """L1/L2: the surcharge on ``principal`` unpaid since ``due_date``.

        Rounded to cents once, for this debt item on its own.
        """
        total = sum((fraction for _, fraction in self.fractions(due_date, as_of)), ZERO)
        return money(principal * total)


def delay_month_starts(due_date: date, as_of: date) -> Iterator[date]:
    """L1: a month of delay starts the day after the due date and on the same day
    of each later month; yields those on or before ``as_of``."""
    first = due_date + timedelta(days=1)
    index = 0
    while (start := add_months(first, index)) <= as_of:
        yield start
        index += 1


def next_delay_month_start(due_date: date, as_of: date) -> date:
    """L1: the first month of delay of a debt due on ``due_date`` that starts after ``as_of``."""
    started = sum(1 for _ in delay_month_starts(due_date, as_of))
    return add_months(due_date + timedelta(days=1), started)
