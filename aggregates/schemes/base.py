"""What every arrangement scheme shares (A1–A3).

A scheme (τύπος ρύθμισης) is parameters plus rule hooks: which debts it takes,
whether the applicant is eligible, how many instalments, the schedule and its
interest, and the loss test. Adding a scheme is a new module plus its
parameters in configuration; the arrangement aggregate never names a scheme.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from aggregates.calendar import add_months, first_of_month, last_working_day
from aggregates.course import InstalmentAccount
from aggregates.money import ZERO, money, split_equal
from aggregates.surcharges import SurchargeRules
from aggregates.timeline import Breach, Instalment, LossRule
from aggregates.wording import N_

TWELVE = Decimal(12)


class Rejection(Exception):
    """The application is well formed but the scheme refuses it (recorded, A1)."""


@dataclass(frozen=True)
class OpenItem:
    """A debt item of the applicant outside any arrangement, as of the application."""

    item_id: str
    fund: str
    period: str
    kind: str
    amount: Decimal
    due_date: date
    unpaid: Decimal
    settled_on: date | None


@dataclass(frozen=True)
class LiveArrangement:
    arrangement_id: str
    scheme: str
    exclusive: bool


@dataclass(frozen=True)
class ApplicationForm:
    """Αίτηση υπαγωγής: what the applicant asks for (scheme options included)."""

    afm: str
    applied_on: date
    requested_instalments: int | None = None
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class CapitalLine:
    """C4/ND4: one debt item frozen into the capital with its surcharges."""

    item_id: str
    principal: Decimal
    surcharge: Decimal

    def as_dict(self) -> dict[str, Any]:
        return {"item_id": self.item_id, "principal": self.principal, "surcharge": self.surcharge}


@dataclass(frozen=True)
class Grant:
    """The scheme's answer to an eligible application."""

    capitalised_on: date
    capital_lines: tuple[CapitalLine, ...]
    suspended_item_ids: tuple[str, ...] = ()
    suspended_until: date | None = None

    @property
    def capital(self) -> Decimal:
        return sum((line.principal + line.surcharge for line in self.capital_lines), ZERO)


@dataclass(frozen=True)
class Plan:
    instalments: tuple[Instalment, ...]
    starts_on: date
    needs_first_payment: bool


@dataclass(frozen=True)
class TwoInstalmentsUnpaid:
    """C8/S1: lost when the unpaid amount of instalments past their deadline
    reaches the sum of the two most recent instalments that have fallen due."""

    rule: str

    def checkpoints(self, instalment: Instalment) -> Iterable[date]:
        return (instalment.due_date + timedelta(days=1),)

    def reason(self, accounts: Sequence[InstalmentAccount], on: date) -> str | None:
        fallen = [a for a in accounts if a.instalment.due_date < on]
        if len(fallen) < 2:
            return None
        unpaid = sum((a.unpaid_principal for a in fallen), ZERO)
        two = fallen[-1].instalment.amount + fallen[-2].instalment.amount
        if unpaid > ZERO and unpaid >= two:
            return N_("unpaid instalments {unpaid} reach two instalments {two} ({rule})").format(
                unpaid=unpaid, two=two, rule=self.rule)
        return None


@dataclass(frozen=True)
class InstalmentMonthsLate:
    """ND10 b: lost when an instalment is more than ``months`` months late."""

    months: int
    rule: str

    def checkpoints(self, instalment: Instalment) -> Iterable[date]:
        return (add_months(instalment.due_date, self.months) + timedelta(days=1),)

    def reason(self, accounts: Sequence[InstalmentAccount], on: date) -> str | None:
        for account in accounts:
            late_since = add_months(account.instalment.due_date, self.months)
            if late_since < on and account.unpaid_principal > ZERO:
                return N_("instalment {number} due {due_date} more than {months} months late ({rule})").format(
                    number=account.number, due_date=account.instalment.due_date, months=self.months, rule=self.rule)
        return None


class Scheme:
    """Base of the schemes; subclasses fill in the hooks their circular needs."""

    name: str
    code: str
    exclusive: bool = False
    # What a kept arrangement does to enforcement (N7–N11): it suspends measures on
    # its own items, or on all the debtor's debt; it suspends criminal proceedings;
    # it lifts these measures on joining; the limitation ends no sooner than this
    # many years after it ends.
    suspends_whole_debt: bool = False
    suspends_criminal_proceedings: bool = False
    lifts_on_joining: frozenset[str] = frozenset()
    limitation_years_after_end: int = 0

    def grant(
        self,
        form: ApplicationForm,
        items: Sequence[OpenItem],
        surcharges: SurchargeRules,
    ) -> Grant:
        """Decide eligibility and capitalise, or raise ``Rejection``."""
        raise NotImplementedError

    def plan(self, form: ApplicationForm, grant: Grant, extra_principal: Decimal) -> Plan:
        """The instalments; for a suspended arrangement, once the suspension ends."""
        raise NotImplementedError

    def loss_rule(self) -> LossRule:
        raise NotImplementedError

    def suspends(self, grant: Grant, item: OpenItem) -> bool:
        """Whether a newly transferred item joins a suspended arrangement (ND3)."""
        return False

    def breaches(self, plan: Plan, current_items: Sequence[OpenItem]) -> list[Breach]:
        """Conditions outside the schedule that lose the arrangement (none by default)."""
        return []

    @property
    def watches_current_items(self) -> bool:
        """Whether the debtor's other items can change the course (a scheme with breaches)."""
        return type(self).breaches is not Scheme.breaches

    def options(self, raw: dict[str, Any]) -> dict[str, Any]:
        """Scheme options checked for form (bad input raises ValueError naming the field)."""
        return {}


def check_exclusivity(scheme: Scheme, live: Sequence[LiveArrangement]) -> None:
    """ND8: a debtor in an exclusive arrangement may hold no other one."""
    for other in live:
        if other.exclusive:
            raise Rejection(N_("debtor already in arrangement {arrangement} ({scheme}), which excludes any other (ND8)")
                            .format(arrangement=other.arrangement_id, scheme=other.scheme))
        if scheme.exclusive:
            raise Rejection(N_("debtor already in arrangement {arrangement} ({scheme}); {own} excludes any other (ND8)")
                            .format(arrangement=other.arrangement_id, scheme=other.scheme, own=scheme.name))


def capitalise(
    items: Sequence[OpenItem], on: date, surcharges: SurchargeRules
) -> tuple[CapitalLine, ...]:
    """C4/ND4: outstanding principal plus the surcharges accrued up to ``on``."""
    return tuple(
        CapitalLine(item.item_id, item.unpaid, surcharges.surcharge(item.unpaid, item.due_date, on))
        for item in sorted(items, key=lambda item: (item.due_date, item.item_id))
    )


def monthly_instalments(
    capital: Decimal,
    count: int,
    first_month: date,
    opens_on: date,
    yearly_rate: Decimal,
    interest_free_up_to: int,
) -> tuple[Instalment, ...]:
    """M2 capital parts, due the last working day of each month from
    ``first_month`` (C6, ND6), with C5 simple interest when ``count`` is above
    ``interest_free_up_to``: instalment k pays capital_k × rate/12 × (k − 1)."""
    charged = count > interest_free_up_to
    instalments = []
    for index, part in enumerate(split_equal(capital, count)):
        month = add_months(first_of_month(first_month), index)
        # Divided last: the exact product (100 × 0.025 × 3 / 12 = 0.625) rounds half up
        # to 0.63, where dividing first (0.2083… × 3 = 0.62499…) would give 0.62.
        interest = money(part * yearly_rate * index / TWELVE) if charged else ZERO
        instalments.append(
            Instalment(
                number=index + 1,
                opens_on=max(month, opens_on),
                due_date=last_working_day(month.year, month.month),
                capital=part,
                interest=interest,
            )
        )
    return tuple(instalments)


def monthly_plan_paid_first(
    form: ApplicationForm,
    capital: Decimal,
    ceiling: int,
    min_instalment: Decimal,
    yearly_rate: Decimal,
    interest_free_up_to: int,
    rule: str,
) -> Plan:
    """C3/C5/C6 and S1: at most ``ceiling`` monthly instalments of at least
    ``min_instalment``, from the application month; active only once the first
    is paid by the end of that month. Without a request, the most the scheme
    allows is granted (a [P] choice); more than that is a recorded rejection."""
    most = min(ceiling, int(capital // min_instalment))
    if most < 1:
        raise Rejection(N_("debt too small for one instalment of the minimum ({rule})").format(rule=rule))
    requested = form.requested_instalments
    if requested is not None and requested > most:
        raise Rejection(N_("{requested} instalments requested, at most {most} allowed ({rule})").format(
            requested=requested, most=most, rule=rule))
    count = most if requested is None else requested
    instalments = monthly_instalments(capital, count, form.applied_on, form.applied_on, yearly_rate, interest_free_up_to)
    return Plan(instalments, form.applied_on, needs_first_payment=True)
