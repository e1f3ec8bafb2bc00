"""Invited third-country workers (μετακλητοί πολίτες τρίτων χωρών): the prepayment of
their OGA contributions (προκαταβολή εισφορών) and the later payments, domain §13
G3–G10, seed 004 §I and form ΚΜΠ 649.

Three kinds (G3): seasonal (εποχικοί, n.4018/2011, invited for up to 6 months),
fishermen (αλιεργάτες, up to 10 months) and the others (λοιποί μετακλητοί,
n.3232/2004). Under n.4018/2011 a seasonal worker prepays 2 months on form 649 and
the rest per two-month period (ανά δίμηνο) on 649; a fisherman prepays 6 months on
649; an other prepays a quarter on form 608 within 10 days of entry. The fishermen's
and the others' remaining months are paid after registration with OGA's special
notice (ειδικό ειδοποιητήριο), form 640. Before n.4018/2011 arts 5–6 took effect,
every kind prepaid as the others do.

Also the 10-day term for notifying OGA of an employee's departure (G20), counted as
the 10 days from entry (G9).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from aggregates.calendar import add_months, next_working_day
from aggregates.errors import BadInput, NotAllowed
from aggregates.oga_contributions import ContributionTable, Pricing
from aggregates.payment_forms import EMPLOYER_CONTRIBUTIONS, INVITED_OTHERS, INVITED_SEASONAL_OR_FISHERMEN
from aggregates.wording import N_

SEASONAL, FISHERMAN, OTHER = "seasonal", "fisherman", "other"
KINDS = (SEASONAL, FISHERMAN, OTHER)
MOST_MONTHS = {SEASONAL: 6, FISHERMAN: 10}  # G3; an other's invitation has no limit
LEAST_CATEGORY = 5  # G4, for every kind [P]
PREPAID_MONTHS = {SEASONAL: 2, FISHERMAN: 6, OTHER: 3}  # G5, under n.4018/2011
PREPAYMENT_FORMS = {SEASONAL: INVITED_SEASONAL_OR_FISHERMEN, FISHERMAN: INVITED_SEASONAL_OR_FISHERMEN,
                    OTHER: INVITED_OTHERS}  # G10
SEASONAL_PERIOD_MONTHS = 2  # G7: ανά δίμηνο
SPECIAL_NOTICE_FORM = EMPLOYER_CONTRIBUTIONS  # G10: the fishermen's and others' remaining months
DAYS_FROM_ENTRY = 10  # G9 (004 §I.2)
DAYS_TO_NOTIFY_DEPARTURE = 10  # G20 (004 §II.7)


@dataclass(frozen=True)
class OgaRules:
    """The configured OGA data (``ledger/config/oga.toml``)."""

    contributions: ContributionTable  # G1
    form_fees: Mapping[str, Decimal]  # G8: the bank's charge on a form, by form code (649: 5.00)
    n4018_from: date | None  # G5 [P]: when n.4018/2011 arts 5–6 took effect; None: always in force


@dataclass(frozen=True)
class Invitation:
    """An invitation (μετάκληση): ``months`` whole months from ``first_month``, of a
    worker of ``kind`` insured in ``category``, who entered the country on ``entry``."""

    kind: str
    category: int
    first_month: date
    months: int
    entry: date | None = None

    def __post_init__(self) -> None:
        if self.first_month.day != 1:
            raise ValueError(f"an invitation starts on a month's first day, not {self.first_month}")


@dataclass(frozen=True)
class Payment:
    """One payment of an invitation's contributions: its months priced (G6), the
    form it is paid with (G10), the bank's charge on that form apart (G8, None
    when none is configured) and when it is due (None when the ledger cannot know)."""

    pricing: Pricing
    form: str
    fee: Decimal | None
    due_date: date | None

    @property
    def first_month(self) -> date:
        return self.pricing.months[0].month

    @property
    def months(self) -> int:
        return len(self.pricing.months)

    @property
    def amount(self) -> Decimal:
        """The contributions only: the fee is neither owed as debt nor credited (G8)."""
        return self.pricing.total


@dataclass(frozen=True)
class Prepayment:
    invitation: Invitation
    prepaid: Payment  # its due_date is the deadline (G9)
    rest: tuple[Payment, ...]


def days_after(day: date, days: int) -> date:
    """The ``days``-th calendar day counted from the day after ``day``, moved to the
    next working day when it is not one (M4)."""
    return next_working_day(day + timedelta(days=days))


def entry_deadline(entry: date) -> date:
    """G9 [P]: the last day for an other invited worker's prepayment, 10 days from entry."""
    return days_after(entry, DAYS_FROM_ENTRY)


def departure_notice_due(left_on: date) -> date:
    """G20: the last day to tell OGA of an employee's departure or dismissal on
    ``left_on``, its 10 days counted as G9's."""
    return days_after(left_on, DAYS_TO_NOTIFY_DEPARTURE)


def under_n4018(invitation: Invitation, rules: OgaRules) -> bool:
    """G5 [P]: whether n.4018/2011's prepayment applies, by the invitation's first
    month; with no configured start it always does (the rule 004 states in force)."""
    return rules.n4018_from is None or invitation.first_month >= rules.n4018_from


def check(invitation: Invitation) -> None:
    """G3, G4: refuse what no kind's rule covers, naming the option and the rule."""
    kind, months = invitation.kind, invitation.months
    if kind not in KINDS:
        raise BadInput("--kind", f"{kind!r} is not one of {', '.join(KINDS)}")
    if kind == SEASONAL and months > MOST_MONTHS[SEASONAL]:
        raise NotAllowed("--kind", N_("a seasonal invitation is at most {most} months, not {months}: a worker "
                                      "other than a fisherman invited for longer is an other invited worker (G3)").format(
            most=MOST_MONTHS[SEASONAL], months=months))
    if kind == FISHERMAN and months > MOST_MONTHS[FISHERMAN]:
        raise NotAllowed("--months", N_("a fisherman is invited for at most {most} months, not {months} (G3)").format(
            most=MOST_MONTHS[FISHERMAN], months=months))
    if invitation.category < LEAST_CATEGORY:
        raise NotAllowed("--category", N_("an invited worker's insurance category is at least the {least}th, not "
                                          "{category} (G4)").format(least=LEAST_CATEGORY,
                                                                    category=invitation.category))


def prepayment(invitation: Invitation, rules: OgaRules) -> Prepayment:
    """G5–G10: the prepaid first months of the invitation, and the later payments."""
    check(invitation)
    table = rules.contributions
    kind = invitation.kind if under_n4018(invitation, rules) else OTHER  # G5: before 4018, all as others
    prepaid_months = min(PREPAID_MONTHS[kind], invitation.months)  # G5: a month counts whole

    def payment(offset: int, months: int, form: str, due_date: date | None) -> Payment:
        first = add_months(invitation.first_month, offset)
        return Payment(table.price(invitation.category, first, months), form, rules.form_fees.get(form), due_date)

    deadline = entry_deadline(invitation.entry) if kind == OTHER and invitation.entry else None  # G9
    prepaid = payment(0, prepaid_months, PREPAYMENT_FORMS[kind], deadline)
    left = invitation.months - prepaid_months
    if not left:
        return Prepayment(invitation, prepaid, ())
    if kind == SEASONAL:  # G7: per two-month period, each due by its first day; an odd last one is one month
        offsets = range(prepaid_months, invitation.months, SEASONAL_PERIOD_MONTHS)
        rest = tuple(
            payment(offset, min(SEASONAL_PERIOD_MONTHS, invitation.months - offset), PREPAYMENT_FORMS[SEASONAL],
                    next_working_day(add_months(invitation.first_month, offset)))
            for offset in offsets)
    else:  # G10: after registration, with the special notice OGA sends; its date is OGA's, not known here
        rest = (payment(prepaid_months, left, SPECIAL_NOTICE_FORM, None),)
    return Prepayment(invitation, prepaid, rest)
