"""Clearance (ασφαλιστική ενημερότητα) of a debtor on a date, V2.

A pure function of the debtor, its arrangements as they stood on the date
(``aggregates.arrangement_as_of``), its units' clearances and the clearance
policy: clear when the overdue principal outside arrangements is at most the
threshold and every arrangement is kept (ND11/C12), and every unit is clear
(004 §4); the certificate is valid for a number of months, its end moved back
to a working day.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
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
    overdue_outside_arrangements: Decimal


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
    debtor: Debtor,
    arrangements: Sequence[ArrangementAsOf],
    units: Mapping[str, Clearance],
    policy: ClearancePolicy,
    rules: SurchargeRules,
    as_of: date,
) -> Clearance:
    """V2 on ``as_of``, given the debtor's arrangements as of that date and the
    clearance of each of its units, by the ΑΦΜ the debtor lists it under (004 §4)."""
    overdue = overdue_outside_arrangements(debtor, arrangements, rules, as_of)
    reasons = []
    if overdue > policy.overdue_threshold:
        reasons.append(N_("overdue debt outside arrangements {overdue} EUR exceeds {threshold} EUR (V2)").format(
            overdue=overdue, threshold=policy.overdue_threshold))
    for s in arrangements:
        if s.status == Status.ACTIVE and not s.kept:
            reasons.append(N_("arrangement {payment_code} has {arrears} EUR past due (V2)").format(
                payment_code=s.arrangement.payment_code, arrears=s.arrears))
    for unit_afm, unit in units.items():
        if not unit.clear:
            reasons.append(N_("unit {afm} is not clear: {reasons} (004 §4)").format(afm=unit_afm, reasons="; ".join(unit.reasons)))
    if reasons:
        return Clearance(debtor.afm, as_of, False, None, tuple(reasons), None, overdue)
    through_arrangement = any(s.kept for s in arrangements)
    basis: Basis = "arrangement" if through_arrangement else "no_debt"
    months = policy.months_valid_with_arrangement if through_arrangement else policy.months_valid_without_debt
    return Clearance(debtor.afm, as_of, True, valid_until(as_of, months), (), basis, overdue)


def valid_until(as_of: date, months: int) -> date:
    """V2: a certificate issued on ``as_of`` is valid ``months`` months; an end on
    a non-working day moves back to the previous working day (M4)."""
    return previous_working_day(add_months(as_of, months))
