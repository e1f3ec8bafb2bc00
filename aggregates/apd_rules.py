"""The dated data IKA's ΑΠΔ checks read (στοιχεία ελέγχων ΑΠΔ), seed 003, domain §12.

Rates of the coverage packages (ποσοστά πακέτων κάλυψης) by wage period (K3), the
packages' branches (K11, K13), the earnings ceilings of old and new insured persons
(πλαφόν, ανώτατο όριο αποδοχών: K5), the unskilled worker's daily wage
(ημερομίσθιο ανειδίκευτου εργάτη: K13), the earnings types that carry no insurance
days (K9), the pluggable triggers of codes 94 and 52 (K9, K10) and the correction
cycles (κύκλοι διαχείρισης λαθών: K16, K17). Configured in ``ledger/config/apd.toml``;
where the seed gives no value none is shipped, and a check that needs one refuses
with the reason (``RuleDataMissing``).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Generic, TypeVar

from aggregates.errors import BadInput
from aggregates.wording import N_

if TYPE_CHECKING:
    from aggregates.apd_checks import Employer, Record

V = TypeVar("V")

# A trigger of a code whose condition the seed does not state (K9: 94, K10: 52).
# 52's is told whether fields 34 and 35 may hold dates after 2000-01-01 (K10).
Trigger94 = Callable[["Record", "Employer"], bool]
Trigger52 = Callable[["Record", "Employer", bool], bool]


class RuleDataMissing(BadInput):
    """A check needs a value the configuration does not hold (K3, K13): the
    record is refused with the reason, never checked against a guess."""


@dataclass(frozen=True)
class Dated(Generic[V]):
    """A value in force from a wage period (``YYYY-MM``) on, until the next one's
    start; the first may have no start (in force for every earlier period)."""

    starts: Sequence[str]  # "" for a first value without a start: before every period
    values: Sequence[V]

    @classmethod
    def of(cls, pairs: Sequence[tuple[str | None, V]]) -> Dated[V]:
        ordered = sorted(pairs, key=lambda p: p[0] or "")
        if any(start is None for start, _ in ordered[1:]):
            raise ValueError("only the first dated value may have no start")
        return cls(tuple(start or "" for start, _ in ordered), tuple(value for _, value in ordered))

    def at(self, period: str) -> V | None:
        """K3: the value in force for the wage period, not on any other date."""
        index = bisect_right(self.starts, period) - 1
        return self.values[index] if index >= 0 else None


NONE: Dated = Dated((), ())


@dataclass(frozen=True)
class Package:
    """A coverage package (πακέτο κάλυψης): its rates by wage period (K3) and whether it
    has a main-pension branch (κλάδος κύριας σύνταξης), and IKA's (K11 a, K13 a)."""

    code: str
    rates: Dated[Decimal]
    main_pension: bool
    ika_main_pension: bool


@dataclass(frozen=True)
class Cycle:
    """An error-correction cycle (κύκλος διαχείρισης λαθών, K16, K17): the wage periods it
    covers, its deadline, and the most wrong records an ΑΠΔ may have for its employer
    to take part, before and from ``limit_changes``."""

    name: str
    first_period: str
    last_period: str
    deadline: date
    wrong_limit_before: int
    wrong_limit_from: int
    limit_changes: str

    def covers(self, period: str) -> bool:
        return self.first_period <= period <= self.last_period

    def wrong_limit(self, period: str) -> int:
        return self.wrong_limit_before if period < self.limit_changes else self.wrong_limit_from

    def takes_part(self, certified: bool, wrong_by_declaration: Iterable[tuple[str, int]]) -> bool:
        """K16: an employer takes part when it is a certified user of the e-submission
        system and none of its ΑΠΔ (by period, with how many records are marked wrong)
        from the cycle's first period on has more wrong records than the limit."""
        return certified and all(wrong <= self.wrong_limit(period) for period, wrong in wrong_by_declaration
                                 if period >= self.first_period)

    def open_on(self, day: date) -> bool:
        """K17: corrections are taken up to the deadline, which is not moved."""
        return day <= self.deadline


@dataclass(frozen=True)
class ApdRules:
    """Everything the checks read besides the records themselves."""

    packages: Mapping[str, Package]
    old_ceiling: Dated[Decimal] = NONE  # K5: the old insured's πλαφόν
    new_ceiling: Dated[Decimal] = NONE  # K5: the ceiling of n.3232/2004
    daily_wage: Dated[Decimal] = NONE  # K13: W
    types_without_days: frozenset[str] = frozenset()  # K9
    trigger_94: Trigger94 | None = None  # K9: no default
    trigger_52: Trigger52 | None = None  # K10: no default
    cycles: Sequence[Cycle] = field(default=())

    def package(self, code: str, field_name: str) -> Package:
        try:
            return self.packages[code]
        except KeyError:
            raise RuleDataMissing(field_name, N_("package {package} is not configured (K3)").format(
                package=code)) from None

    def rate(self, code: str, period: str, field_name: str) -> Decimal:
        """K3: the package's rate for the wage period of field 33."""
        rate = self.package(code, field_name).rates.at(period)
        if rate is None:
            raise RuleDataMissing(field_name, N_("package {package} has no rate configured for wage period "
                                                 "{period} (K3)").format(package=code, period=period))
        return rate
