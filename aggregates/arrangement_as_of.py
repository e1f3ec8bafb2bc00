"""An arrangement as it stands on a date (η ρύθμιση κατά την ημερομηνία), V3.

A pure function of the arrangement's recorded state, its scheme, the
surcharge rules, the debtor and the date: the arrangement's timeline run to
that date, whenever its events were entered, and what the views and the
clearance read from it: the items it holds, its remaining balance, and
whether it is kept (ND11/C12).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from aggregates import facts
from aggregates.arrangement import Arrangement
from aggregates.course import Course
from aggregates.debtor import Debtor
from aggregates.money import ZERO
from aggregates.schemes.base import Scheme
from aggregates.status import RELEASED, Status
from aggregates.surcharges import SurchargeRules


@dataclass(frozen=True)
class ArrangementAsOf:
    """The arrangement on one date: its status then and its course to then
    (``None`` before its instalment plan exists, and for a rejected one)."""

    arrangement: Arrangement
    status: str
    course: Course | None

    @property
    def held_items(self) -> list[str]:
        """The debtor's items it holds; a released one (rejected, lapsed) holds none."""
        return [] if self.status in RELEASED else self.arrangement.item_ids

    @property
    def remaining_balance(self) -> Decimal:
        if self.course is None:
            return ZERO if self.status == Status.REJECTED else self.arrangement.capital
        return self.course.remaining_balance

    @property
    def arrears(self) -> Decimal:
        """What is past its deadline and unpaid, surcharges included (V1)."""
        return self.course.arrears if self.course is not None else ZERO

    @property
    def status_since(self) -> date:
        """The day it took its status (§1.7): its first payment (active), its
        lapse, loss or completion as the timeline dates them; else the day it
        was applied for (applied, rejected, suspended, and active from the start)."""
        course = self.course
        if course is not None:
            found = {Status.ACTIVE: course.activated_on, Status.LAPSED: course.lapsed_on,
                     Status.LOST: course.lost_on, Status.COMPLETED: course.completed_on}.get(Status(self.status))
            if found is not None:
                return found
        return self.arrangement.applied_on

    @property
    def kept(self) -> bool:
        """ND11/C12: kept while suspended, or active with nothing past due."""
        if self.status == Status.SUSPENDED:
            return True
        return self.status == Status.ACTIVE and self.course is not None and self.course.arrears == ZERO


def arrangement_as_of(
    arrangement: Arrangement, scheme: Scheme, rules: SurchargeRules, debtor: Debtor, as_of: date
) -> ArrangementAsOf:
    """V3: the arrangement's timeline run to ``as_of``, with the debtor's items
    outside it as they stood then (what the scheme's breaches watch, ND10 a)."""
    if arrangement.status == Status.REJECTED:
        return ArrangementAsOf(arrangement, Status.REJECTED.value, None)
    current = debtor.open_items(as_of, rules, set(arrangement.item_ids))
    course = facts.course_of(arrangement, scheme, as_of, rules, current)
    if course is None:
        waiting = Status.SUSPENDED if arrangement.suspended_until else Status.APPLIED
        return ArrangementAsOf(arrangement, waiting.value, None)
    return ArrangementAsOf(arrangement, course.status, course)
