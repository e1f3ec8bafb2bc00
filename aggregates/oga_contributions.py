"""OGA monthly contributions (μηνιαίες εισφορές ΟΓΑ) of wage-earners and unskilled
workers (μισθωτοί – ανειδίκευτοι εργάτες) and of invited foreigners (μετακλητοί
αλλοδαποί), domain §13, seed 004 §II.6.

The table is data keyed by (year, insurance category) (ασφαλιστική κατηγορία), G1:
the category amount (ποσό κατηγορίας), the insured person's contribution for
pension (σύνταξη), sickness (ασθένεια) and ΛΑΕ, its total, the employer's
contribution and the monthly total (σύνολο μηνιαίας εισφοράς). The amounts are
used as printed, never recomputed. The employer owes the whole monthly total (G2).
A run of months is priced at each month's own year's figures (G6).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from itertools import groupby

from aggregates.calendar import add_months
from aggregates.errors import BadInput, NotAllowed
from aggregates.money import ZERO
from aggregates.wording import N_


@dataclass(frozen=True)
class MonthlyContribution:
    """One row of the table, G1: what one month of ``category`` costs in ``year``."""

    year: int
    category: int
    category_amount: Decimal
    pension: Decimal  # insured: για σύνταξη
    sickness: Decimal  # insured: για ασθένεια
    lae: Decimal  # insured: για ΛΑΕ (Λογαριασμός Αγροτικής Εστίας), flat
    insured: Decimal  # σύνολο ασφαλισμένου
    employer: Decimal  # εισφορά εργοδότη
    total: Decimal  # σύνολο μηνιαίας εισφοράς

    @property
    def owed_by_employer(self) -> Decimal:
        """G2: the employer owes the whole monthly total, the insured share included."""
        return self.total


@dataclass(frozen=True)
class PricedMonth:
    month: date  # its first day
    contribution: MonthlyContribution


@dataclass(frozen=True)
class YearLine:
    """One line of the form's «ανάλυση εισφορών»: ``months`` × the year's monthly
    total (form 649 Οδηγίες 3, G6)."""

    year: int
    months: int
    monthly: Decimal
    amount: Decimal


@dataclass(frozen=True)
class Pricing:
    """A run of consecutive months of one category, priced per month's year (G6)."""

    category: int
    months: tuple[PricedMonth, ...]

    @property
    def insured(self) -> Decimal:
        return sum((m.contribution.insured for m in self.months), ZERO)

    @property
    def employer(self) -> Decimal:
        return sum((m.contribution.employer for m in self.months), ZERO)

    @property
    def total(self) -> Decimal:
        """What the employer owes for the run (G2)."""
        return sum((m.contribution.total for m in self.months), ZERO)

    @property
    def lines(self) -> tuple[YearLine, ...]:
        """One line per calendar year of the run, in order (G6)."""
        lines = []
        for year, priced in groupby(self.months, key=lambda m: m.month.year):
            monthly = next(priced).contribution.total
            count = 1 + sum(1 for _ in priced)
            lines.append(YearLine(year, count, monthly, monthly * count))
        return tuple(lines)


@dataclass(frozen=True)
class ContributionTable:
    """G1: the configured rows, by (year, category)."""

    rows: Mapping[tuple[int, int], MonthlyContribution]

    @classmethod
    def of(cls, rows: Iterable[MonthlyContribution]) -> ContributionTable:
        table: dict[tuple[int, int], MonthlyContribution] = {}
        for row in rows:
            if (row.year, row.category) in table:
                raise ValueError(f"two contribution rows for {row.year}, category {row.category}")
            table[row.year, row.category] = row
        return cls(table)

    def years(self) -> frozenset[int]:
        return frozenset(year for year, _ in self.rows)

    def price(self, category: int, first_month: date, months: int) -> Pricing:
        """G6: ``months`` consecutive months from ``first_month``, each at its own
        year's figure. A month whose year has no table is refused, naming ``--from``
        when it is the first month and ``--months`` when the run reaches it; it is
        never priced at another year's figure. A year with a table but no row for
        ``category`` refuses ``--category``."""
        if months < 1:
            raise BadInput("--months", f"must be at least 1, not {months}")
        return Pricing(category, tuple(self._priced(category, first_month, months)))

    def _priced(self, category: int, first_month: date, months: int) -> Iterator[PricedMonth]:
        # Month by month, so that a long run stops at the first year with no table.
        years = self.years()
        for index in range(months):
            month = add_months(first_month.replace(day=1), index)
            if month.year not in years:
                raise NotAllowed("--from" if index == 0 else "--months", N_(
                    "{month}: no OGA contribution table for {year}; a month is priced only at its own "
                    "year's figures (G6)").format(month=f"{month:%Y-%m}", year=month.year))
            row = self.rows.get((month.year, category))
            if row is None:
                raise NotAllowed("--category", N_("no category {category} in the OGA contribution table for {year} "
                                                  "(G1)").format(category=category, year=month.year))
            yield PricedMonth(month, row)
