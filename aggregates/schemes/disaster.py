"""Natural-disaster arrangement (ρύθμιση πληγέντων από φυσικές καταστροφές,
ν.2556/1997 άρθ.4 §2), seed 001: six months' suspension, then 12 to 24
instalments set by the damage."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from aggregates.calendar import add_months, first_of_month, last_working_day
from aggregates.money import ZERO, money
from aggregates.schemes.base import (
    ApplicationForm,
    Grant,
    InstalmentMonthsLate,
    OpenItem,
    Plan,
    Rejection,
    Scheme,
    capitalise,
    monthly_instalments,
)
from aggregates.surcharges import SurchargeRules
from aggregates.timeline import Breach, Instalment
from aggregates.wording import N_


def fold(name: str) -> str:
    """Area names match ignoring case and accents (interfaces §1)."""
    decomposed = unicodedata.normalize("NFD", name.strip().casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@dataclass(frozen=True)
class DelimitedArea:
    """A community (κοινότητα) or a whole municipal unit (δημοτική ενότητα)."""

    name: str
    kind: str
    municipal_unit: str
    regional_unit: str
    disaster_dates: tuple[date, ...]


@dataclass(frozen=True)
class Delimitation:
    """Οριοθέτηση: the areas a disaster struck and when (ND1); data, not code."""

    id: str
    title: str
    source: str
    areas: tuple[DelimitedArea, ...]

    def area(self, name: str) -> DelimitedArea | None:
        wanted = fold(name)
        return next((a for a in self.areas if fold(a.name) == wanted), None)


@dataclass(frozen=True)
class DisasterParameters:
    code: str
    suspension_months: int  # ND3
    min_instalments: int  # ND5
    max_instalments: int  # ND5
    months_late_for_loss: int  # ND10 b
    excluded_kinds: tuple[str, ...]  # ND8
    suspended_kinds: tuple[str, ...]  # ND3
    current_kinds: tuple[str, ...]  # ND10 a


class Disaster(Scheme):
    name = "disaster"
    exclusive = True  # ND8
    # N7: the whole debt (but insurance-time recognition) and criminal trials; N10: lifts nothing
    suspends_whole_debt = True
    suspends_criminal_proceedings = True

    def __init__(self, parameters: DisasterParameters, delimitations: dict[str, Delimitation]):
        self.parameters = parameters
        self.code = parameters.code
        self.delimitations = delimitations

    def options(self, raw: dict[str, Any]) -> dict[str, Any]:
        delimitation = raw.get("delimitation")
        if delimitation not in self.delimitations:
            known = ", ".join(sorted(self.delimitations))
            raise ValueError(f"--delimitation: unknown delimitation {delimitation!r} (known: {known})")
        for name in ("area", "disaster_date", "damage"):
            if raw.get(name) in (None, ""):
                raise ValueError(f"--{name.replace('_', '-')}: required for the disaster scheme (ND2)")
        try:
            damage = money(raw["damage"])
        except (ValueError, InvalidOperation, TypeError):
            raise ValueError(f"--damage: not an amount: {raw['damage']!r}") from None
        if damage <= ZERO:
            raise ValueError("--damage: must be more than zero (ND5)")
        disaster_date = raw["disaster_date"]
        if not isinstance(disaster_date, date):
            raise ValueError(f"--disaster-date: not a date: {disaster_date!r}")
        return {
            "delimitation": delimitation,
            "area": str(raw["area"]),
            "disaster_date": disaster_date,
            "damage": damage,
            "certificate": raw.get("certificate") or None,
        }

    def suspension(self, disaster_date: date) -> tuple[date, date]:
        """ND3: six months from the 1st of the disaster month."""
        starts = first_of_month(disaster_date)
        return starts, add_months(starts, self.parameters.suspension_months) - timedelta(days=1)

    def grant(self, form: ApplicationForm, items: Sequence[OpenItem], surcharges: SurchargeRules) -> Grant:
        p = self.parameters
        o = form.options
        delimitation = self.delimitations[o["delimitation"]]
        area = delimitation.area(o["area"])
        if area is None:
            raise Rejection(N_("area {area} is not in delimitation {delimitation} (ND1)").format(
                area=repr(o["area"]), delimitation=delimitation.id))
        if o["disaster_date"] not in area.disaster_dates:
            dates = ", ".join(d.isoformat() for d in area.disaster_dates)
            raise Rejection(N_("{date} is not a delimited disaster date of {area} ({dates}) (ND1)").format(
                date=o["disaster_date"], area=area.name, dates=dates))
        if not o["certificate"]:
            raise Rejection(N_("no certificate of damage from the Region or Chamber (ND2)"))
        starts, ends = self.suspension(o["disaster_date"])
        if form.applied_on > ends:
            late = [
                i for i in items
                if i.kind in p.current_kinds and ends < i.due_date < form.applied_on and i.unpaid > ZERO
            ]
            if late:
                periods = ", ".join(sorted(i.period for i in late))
                raise Rejection(N_("contributions due after the suspension are unpaid: {periods} (ND9)").format(periods=periods))
        capitalised_on = starts - timedelta(days=1)
        arrangeable = [i for i in items if i.kind not in p.excluded_kinds and i.unpaid > ZERO]
        overdue = [i for i in arrangeable if i.due_date <= capitalised_on]  # ND4
        suspended = [i for i in arrangeable if i.kind in p.suspended_kinds and starts <= i.due_date <= ends]
        if not overdue and not suspended:
            raise Rejection(N_("no overdue or current debt to arrange (ND4, ND3)"))
        return Grant(
            capitalised_on=capitalised_on,
            capital_lines=capitalise(overdue, capitalised_on, surcharges),
            suspended_item_ids=tuple(i.item_id for i in suspended),
            suspended_until=ends,
        )

    def suspends(self, grant: Grant, item: OpenItem) -> bool:
        """ND3: a current item falling due in the suspension joins the arrangement."""
        assert grant.suspended_until is not None
        starts = first_of_month(grant.capitalised_on + timedelta(days=1))
        return (
            item.kind in self.parameters.suspended_kinds
            and starts <= item.due_date <= grant.suspended_until
        )

    def instalment_count(self, damage: Decimal, total: Decimal) -> int:
        """ND5: damage ÷ (total ÷ 24), integer part, clamped to [12, 24]."""
        p = self.parameters
        if total <= ZERO:
            return p.min_instalments
        quotient = int(damage // (total / p.max_instalments))
        return max(p.min_instalments, min(p.max_instalments, quotient))

    def plan(self, form: ApplicationForm, grant: Grant, extra_principal: Decimal) -> Plan:
        assert grant.suspended_until is not None
        total = grant.capital + extra_principal
        count = self.instalment_count(form.options["damage"], total)
        first_month = grant.suspended_until + timedelta(days=1)  # ND6
        starts_on = max(first_month, form.applied_on)
        instalments = monthly_instalments(total, count, first_month, starts_on, ZERO, count)
        already_due = [i for i in instalments if i.due_date < form.applied_on]
        if already_due:
            # ND9: a late application runs once the instalments due before its filing
            # date are paid, by the end of the application month [P].
            deadline = last_working_day(form.applied_on.year, form.applied_on.month)
            instalments = tuple(
                Instalment(i.number, i.opens_on, max(i.due_date, deadline), i.capital, i.interest)
                for i in instalments
            )
        # ND12: with none due yet at filing, no first payment is needed (ND9).
        return Plan(instalments, starts_on, needs_first_payment=bool(already_due))

    def loss_rule(self) -> InstalmentMonthsLate:
        return InstalmentMonthsLate(self.parameters.months_late_for_loss, "ND10")

    def breaches(self, plan: Plan, current_items: Sequence[OpenItem]) -> list[Breach]:
        """ND10 a: a current contribution falling due during the arrangement and
        not paid by its due date loses it on the next day."""
        return [
            Breach(
                item.due_date + timedelta(days=1),
                N_("current contribution {period} due {due_date} not paid on time (ND10)").format(
                    period=item.period, due_date=item.due_date),
            )
            for item in current_items
            if item.kind in self.parameters.current_kinds
            and item.due_date >= plan.starts_on
            and (item.settled_on is None or item.settled_on > item.due_date)
        ]
