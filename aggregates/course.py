"""The course of an arrangement as of one date (πορεία της ρύθμισης): what the
timeline's walk (``timeline.run``) answers.

``Course`` holds an account per instalment (``InstalmentAccount``: its
surcharges and what was paid on each part, P3), the balance due at once after
a loss (``LostBalance``, C11), the arrangement's status and the dated facts
(``Fact``) the arrangement records as events (E1/E2). Views as of a past date
read the same answer (V3).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from aggregates.money import ZERO
from aggregates.status import FOLLOWING_SCHEDULE, Status

if TYPE_CHECKING:
    from aggregates.timeline import Instalment

# The statuses a course starts with and tests, as their plain values (as the
# walk keeps them: ``timeline._ACTIVE``).
_ACTIVE, _LAPSED = Status.ACTIVE.value, Status.LAPSED.value


@dataclass
class InstalmentAccount:
    instalment: Instalment
    surcharge: Decimal = ZERO
    paid_surcharge: Decimal = ZERO
    paid_interest: Decimal = ZERO
    paid_capital: Decimal = ZERO
    interest_waived: bool = False  # C7/C11: what was paid of its interest is all it owes
    missed_on: date | None = None
    settled_on: date | None = None

    @classmethod
    def fresh(cls, instalment: Instalment) -> InstalmentAccount:
        """``InstalmentAccount(instalment)``, nothing paid yet, without the
        dataclass's ``__init__`` (the timeline makes one per instalment of the
        plan, paid or not, at every settle: a third of a short run)."""
        account = object.__new__(cls)
        account.__dict__.update(instalment=instalment, surcharge=ZERO, paid_surcharge=ZERO, paid_interest=ZERO,
                                paid_capital=ZERO, interest_waived=False, missed_on=None, settled_on=None)
        return account

    @property
    def number(self) -> int:
        return self.instalment.number

    @property
    def interest(self) -> Decimal:
        return self.paid_interest if self.interest_waived else self.instalment.interest

    @property
    def unpaid_surcharge(self) -> Decimal:
        return self.surcharge - self.paid_surcharge

    @property
    def unpaid_interest(self) -> Decimal:
        return self.interest - self.paid_interest

    @property
    def unpaid_capital(self) -> Decimal:
        return self.instalment.capital - self.paid_capital

    # The two below are the sums of the three above, written out: the
    # timeline asks them for every account on every payment (profile, issue 5).
    @property
    def unpaid_principal(self) -> Decimal:
        """What the instalment itself still owes (capital and interest)."""
        instalment = self.instalment
        interest = self.paid_interest if self.interest_waived else instalment.interest
        return interest - self.paid_interest + instalment.capital - self.paid_capital

    @property
    def unpaid(self) -> Decimal:
        instalment = self.instalment
        interest = self.paid_interest if self.interest_waived else instalment.interest
        return (self.surcharge - self.paid_surcharge + interest - self.paid_interest
                + instalment.capital - self.paid_capital)

    @property
    def paid(self) -> Decimal:
        return self.paid_surcharge + self.paid_interest + self.paid_capital

    def status_on(self, day: date) -> str:
        """pending, due, paid or missed (interfaces §1.1)."""
        if self.unpaid == ZERO:
            return "paid"
        if day > self.instalment.due_date:
            return "missed"
        if day >= self.instalment.opens_on:
            return "due"
        return "pending"


@dataclass(frozen=True)
class Fact:
    """Something the timeline says happened on ``on``; ``kind`` names its event."""

    on: date
    kind: str
    key: tuple[Any, ...]
    data: dict[str, Any]


@dataclass
class LostBalance:
    """C11/ND10: after a loss the remaining balance is due at once."""

    on: date
    principal: Decimal
    surcharge: Decimal
    paid_principal: Decimal = ZERO
    paid_surcharge: Decimal = ZERO

    @property
    def unpaid_principal(self) -> Decimal:
        return self.principal - self.paid_principal

    @property
    def unpaid(self) -> Decimal:
        return self.unpaid_principal + self.surcharge - self.paid_surcharge


@dataclass
class Course:
    """The timeline's answer as of one date."""

    as_of: date
    accounts: list[InstalmentAccount]
    facts: list[Fact] = field(default_factory=list)
    status: str = _ACTIVE
    activated_on: date | None = None
    lapsed_on: date | None = None
    lost_on: date | None = None
    loss_reason: str | None = None
    lost_balance: LostBalance | None = None
    completed_on: date | None = None
    credit: Decimal = ZERO
    # The first day after ``as_of`` the walk would step (an instalment opens or is
    # missed, a month of delay starts, a payment is valued): nothing moves before it.
    next_step: date | None = None

    @property
    def arrears(self) -> Decimal:
        """What is past its deadline and unpaid, surcharges included; a lapsed
        application owes nothing (C6: its items are free again, V1)."""
        if self.lost_balance is not None:
            return self.lost_balance.unpaid
        if self.status == _LAPSED:
            return ZERO
        return sum(
            (a.unpaid for a in self.accounts if a.status_on(self.as_of) == "missed"), ZERO
        )

    @property
    def remaining_balance(self) -> Decimal:
        if self.lost_balance is not None:
            return self.lost_balance.unpaid
        if self.status == _LAPSED:
            return ZERO
        return sum((a.unpaid for a in self.accounts), ZERO)

    @property
    def next_due(self) -> InstalmentAccount | None:
        if self.status not in FOLLOWING_SCHEDULE:
            return None
        for account in self.accounts:
            if account.unpaid > ZERO and account.instalment.due_date >= self.as_of:
                return account
        return None
