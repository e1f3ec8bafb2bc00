"""COVID-19 arrangement, type 650 (ρύθμιση 72 δόσεων, ν.4821/2021 άρθ.67), seed 002."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from aggregates.money import ZERO
from aggregates.schemes.base import (
    ApplicationForm,
    Grant,
    OpenItem,
    Plan,
    Rejection,
    Scheme,
    TwoInstalmentsUnpaid,
    capitalise,
    monthly_plan_paid_first,
)
from aggregates.surcharges import SurchargeRules
from aggregates.wording import N_


@dataclass(frozen=True)
class Covid650Parameters:
    code: str
    application_deadline: date  # C2
    first_period: str  # C1
    last_period: str  # C1
    eligible_kinds: tuple[str, ...]  # C1
    max_instalments: int  # C3
    min_instalment: Decimal  # C3
    interest_free_up_to: int  # C5
    yearly_interest: Decimal  # C5


class Covid650(Scheme):
    name = "covid-650"
    suspends_criminal_proceedings = True  # N8
    lifts_on_joining = frozenset({"garnishment"})  # N9, N10: garnishments only
    limitation_years_after_end = 1  # N11

    def __init__(self, parameters: Covid650Parameters):
        self.parameters = parameters
        self.code = parameters.code

    def options(self, raw: dict[str, Any]) -> dict[str, Any]:
        """C1 [P]: the ledger keeps no register of affected businesses or closure
        orders; what the applicant asserts is recorded on the Applied event."""
        return {
            "affected_business": bool(raw.get("affected_business", False)),
            "closure_order": raw.get("closure_order") or None,
        }

    def grant(self, form: ApplicationForm, items: Sequence[OpenItem], surcharges: SurchargeRules) -> Grant:
        p = self.parameters
        if form.applied_on > p.application_deadline:
            raise Rejection(N_("applied after the deadline {deadline} (C2)").format(deadline=p.application_deadline))
        eligible = [
            item
            for item in items
            if item.kind in p.eligible_kinds
            and p.first_period <= item.period <= p.last_period
            and item.due_date < form.applied_on  # C2: suspended debts must first fall overdue
            and item.unpaid > ZERO
        ]
        if not eligible:
            raise Rejection(N_("no overdue debt of periods {first} to {last} to arrange (C1)").format(
                first=p.first_period, last=p.last_period))
        # C4: capitalised on the joining date, no surcharges after it.
        return Grant(form.applied_on, capitalise(eligible, form.applied_on, surcharges))

    def plan(self, form: ApplicationForm, grant: Grant, extra_principal: Decimal) -> Plan:
        p = self.parameters
        return monthly_plan_paid_first(
            form, grant.capital, p.max_instalments, p.min_instalment, p.yearly_interest, p.interest_free_up_to, "C3"
        )

    def loss_rule(self) -> TwoInstalmentsUnpaid:
        return TwoInstalmentsUnpaid("C8")
