"""Clearance (ασφαλιστική ενημερότητα) of a debtor on a date, V2 as G16 amends it.

A pure function of the standing of each unit of the business (the debtor, its
head office, and its branch units: each one's overdue principal and whether its
arrangements keep their terms, from its arrangements as they stood on the date,
``aggregates.arrangement_as_of``) and the clearance policy: clear when the overdue
principal outside arrangements, summed over all the units, is at most the
threshold (G16 (α), [P] (i)) and every unit's arrangements are kept (ND11/C12,
G16 (β)); the certificate is valid for a number of months, its end moved back to
a working day.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Literal

from aggregates.arrangement_as_of import ArrangementAsOf
from aggregates.calendar import add_months, previous_working_day
from aggregates.debtor import Debtor
from aggregates.money import ZERO
from aggregates.status import ARRANGED, Status
from aggregates.surcharges import SurchargeRules
from aggregates.wording import N_

Basis = Literal["arrangement", "no_debt"]


@dataclass(frozen=True)
class ClearancePolicy:
    """V2 [P], configured in ``ledger/config/clearance.toml``."""

    overdue_threshold: Decimal  # 004 §3–4: overdue principal outside arrangements at most this
    months_valid_with_arrangement: int  # 001 §Ε, 002 §5
    months_valid_without_debt: int  # [P]


@dataclass(frozen=True)
class Clearance:
    """The answer on ``as_of``: clear or not, with the reasons why not, or the
    basis it is clear on and the last day its certificate is valid."""

    afm: str
    as_of: date
    clear: bool
    valid_until: date | None
    reasons: tuple[str, ...]
    basis: Basis | None
    overdue_outside_arrangements: Decimal  # G16: of the whole business, units summed
    units: tuple[UnitStanding, ...] = ()  # G16: the branch units it was cleared with


@dataclass(frozen=True)
class UnitStanding:
    """One unit of a business (its head office or a branch) on a day, as G16 sums them."""

    afm: str
    overdue: Decimal  # principal overdue outside arrangements (V2, C11)
    broken: tuple[str, ...]  # why its arrangements do not keep their terms (G16 (β))
    kept: bool  # it has an arrangement that keeps its terms


def unit_standing(
    debtor: Debtor, arrangements: Sequence[ArrangementAsOf], rules: SurchargeRules, as_of: date
) -> UnitStanding:
    """The debtor's overdue principal and its arrangements' terms on ``as_of``."""
    broken = tuple(
        N_("arrangement {payment_code} has {arrears} EUR past due (V2)").format(
            payment_code=s.arrangement.payment_code, arrears=s.arrears)
        for s in arrangements if s.status == Status.ACTIVE and not s.kept)
    return UnitStanding(debtor.afm, overdue_outside_arrangements(debtor, arrangements, rules, as_of), broken,
                        any(s.kept for s in arrangements))


def overdue_outside_arrangements(
    debtor: Debtor, arrangements: Sequence[ArrangementAsOf], rules: SurchargeRules, as_of: date
) -> Decimal:
    """V2: the principal (surcharges not counted) of the items overdue on ``as_of``
    outside arrangements, and of the balance due at once of a lost one (C11).

    An arrangement's items count as arranged once it runs; before its first
    payment they are debts outside it [P]; after a loss its balance is (C11)."""
    arranged = {item for s in arrangements if s.status in ARRANGED for item in s.held_items}
    overdue = sum(
        (b.unpaid_principal for b in debtor.balances(as_of, rules, arranged)
         if b.item["item_id"] not in arranged and b.item["due_date"] < as_of),
        ZERO,
    )
    overdue += sum((s.course.lost_balance.unpaid_principal for s in arrangements
                    if s.course and s.course.lost_balance), ZERO)
    return overdue


def clearance_of(
    head: UnitStanding,
    units: Sequence[UnitStanding],
    policy: ClearancePolicy,
    as_of: date,
) -> Clearance:
    """V2 on ``as_of`` of the business whose head office (or only unit) is ``head``,
    with its branch ``units`` (G16: the threshold applies to their overdue principal
    summed; each unit's arrangements must keep their terms)."""
    overdue = sum((u.overdue for u in units), head.overdue)
    reasons = []
    if overdue > policy.overdue_threshold:
        if units:
            reasons.append(N_("overdue debt outside arrangements of the head office and its units {overdue} EUR "
                              "exceeds {threshold} EUR (G16)").format(overdue=overdue,
                                                                      threshold=policy.overdue_threshold))
        else:
            reasons.append(N_("overdue debt outside arrangements {overdue} EUR exceeds {threshold} EUR (V2)").format(
                overdue=overdue, threshold=policy.overdue_threshold))
    reasons += head.broken
    reasons += [N_("unit {afm}: {reason} (G16)").format(afm=u.afm, reason=reason) for u in units for reason in u.broken]
    if reasons:
        return Clearance(head.afm, as_of, False, None, tuple(reasons), None, overdue, tuple(units))
    through_arrangement = any(u.kept for u in (head, *units))
    basis: Basis = "arrangement" if through_arrangement else "no_debt"
    months = policy.months_valid_with_arrangement if through_arrangement else policy.months_valid_without_debt
    return Clearance(head.afm, as_of, True, valid_until(as_of, months), (), basis, overdue, tuple(units))


def valid_until(as_of: date, months: int) -> date:
    """V2: a certificate issued on ``as_of`` is valid ``months`` months; an end on
    a non-working day moves back to the previous working day (M4)."""
    return previous_working_day(add_months(as_of, months))
