"""Standing arrangement (πάγια ρύθμιση, ν.4152/2013 υποπαρ. ΙΑ.1), S1."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
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
class StandingParameters:
    code: str
    max_instalments: int
    max_instalments_after_audit: int
    min_instalment: Decimal
    interest_free_up_to: int
    yearly_interest: Decimal


class Standing(Scheme):
    name = "standing"

    def __init__(self, parameters: StandingParameters):
        self.parameters = parameters
        self.code = parameters.code

    def options(self, raw: dict[str, Any]) -> dict[str, Any]:
        return {"after_audit": bool(raw.get("after_audit", False))}

    def grant(self, form: ApplicationForm, items: Sequence[OpenItem], surcharges: SurchargeRules) -> Grant:
        overdue = [i for i in items if i.due_date < form.applied_on and i.unpaid > ZERO]
        if not overdue:
            raise Rejection(N_("no overdue debt to arrange (S1)"))
        return Grant(form.applied_on, capitalise(overdue, form.applied_on, surcharges))

    def plan(self, form: ApplicationForm, grant: Grant, extra_principal: Decimal) -> Plan:
        p = self.parameters
        ceiling = p.max_instalments_after_audit if form.options.get("after_audit") else p.max_instalments
        return monthly_plan_paid_first(
            form, grant.capital, ceiling, p.min_instalment, p.yearly_interest, p.interest_free_up_to, "S1"
        )

    def loss_rule(self) -> TwoInstalmentsUnpaid:
        return TwoInstalmentsUnpaid("S1")
