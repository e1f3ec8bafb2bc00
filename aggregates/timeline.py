"""The course of an arrangement over time (πορεία της ρύθμισης).

A pure function of the agreed instalments, the payments received and a date:
it walks the calendar from the start of the arrangement and says what fell
due, what was missed, what surcharges accrued, how each payment was allocated
and whether the arrangement was activated, lapsed, lost or completed. Its
answer, the ``Course`` as of that date, is in ``aggregates.course``.

The arrangement aggregate records these *facts* as events and, when a later
input changes them (a backdated payment), records corrections (E2). Views as
of a past date run the same function with that date (V3), so the recorded
events and the computed truth cannot drift apart.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, Protocol

from aggregates.calendar import add_months
from aggregates.course import Course, Fact, InstalmentAccount, LostBalance
from aggregates.money import ZERO, money
from aggregates.status import FOLLOWING_SCHEDULE, Status
from aggregates.surcharges import SurchargeRules

ONE_DAY = timedelta(days=1)

# The statuses the walk sets and tests at every step, as their plain values: a
# member's lookup (``Status.LOST``) costs several times a module global's.
_APPLIED, _ACTIVE, _LAPSED, _LOST, _COMPLETED = (
    Status.APPLIED.value, Status.ACTIVE.value, Status.LAPSED.value, Status.LOST.value, Status.COMPLETED.value
)


@dataclass(frozen=True)
class Instalment:
    """Δόση: ``opens_on`` it becomes payable, ``due_date`` is its deadline."""

    number: int
    opens_on: date
    due_date: date
    capital: Decimal
    interest: Decimal

    @property
    def amount(self) -> Decimal:
        return self.capital + self.interest

    def as_dict(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "opens_on": self.opens_on,
            "due_date": self.due_date,
            "capital": self.capital,
            "interest": self.interest,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Instalment:
        if data.keys() != _INSTALMENT_FIELDS:
            return cls(**data)  # refuses a missing or unknown field
        # The frozen dataclass's __init__ sets each field through object.__setattr__:
        # half the cost of an arrangement's plan, which every settle and close asks for.
        instalment = object.__new__(cls)
        object.__setattr__(instalment, "__dict__", dict(data))
        return instalment


_INSTALMENT_FIELDS = {"number", "opens_on", "due_date", "capital", "interest"}


@dataclass(frozen=True)
class Receipt:
    """A bank payment routed to the arrangement."""

    tx_id: str
    value_date: date
    amount: Decimal


@dataclass(frozen=True)
class Breach:
    """A condition outside the schedule that loses the arrangement (ND10 a)."""

    on: date
    reason: str


class LossRule(Protocol):
    """A scheme's loss test (A3): when to look, and what it finds. Every
    checkpoint of an instalment falls after its deadline (a loss is about
    instalments unpaid past it): the close of day's skip test relies on it
    (``close_day_skip.may_change``)."""

    def checkpoints(self, instalment: Instalment) -> Iterable[date]: ...

    def reason(self, accounts: Sequence[InstalmentAccount], on: date) -> str | None: ...


@dataclass(frozen=True)
class Terms:
    """What the arrangement agreed, as the timeline needs it."""

    instalments: tuple[Instalment, ...]
    starts_on: date
    needs_first_payment: bool
    loss_rule: LossRule


# Within one day: what falls due, then the deadline of the day before, then the
# months of delay that start, then loss tests, then the payments of the day
# (a payment on the day after a deadline is already a month late, L1 and P4).
_OPEN, _MISS, _SURCHARGE, _LOSS, _PAYMENT = 0, 1, 2, 3, 4
_BALANCE = 0


def run(
    terms: Terms,
    receipts: Sequence[Receipt],
    as_of: date,
    surcharges: SurchargeRules,
    breaches: Sequence[Breach] = (),
) -> Course:
    """Walk the arrangement's calendar up to and including ``as_of``."""
    return _Walk(terms, surcharges).run(receipts, as_of, breaches)


class _Walk:
    def __init__(self, terms: Terms, surcharges: SurchargeRules):
        self.terms = terms
        self.surcharges = surcharges

    def run(self, receipts: Sequence[Receipt], as_of: date, breaches: Sequence[Breach]) -> Course:
        terms = self.terms
        self.course = course = Course(
            as_of=as_of,
            accounts=[InstalmentAccount.fresh(i) for i in terms.instalments],
            status=_APPLIED if terms.needs_first_payment else _ACTIVE,
        )
        self.by_number = {a.number: a for a in course.accounts}
        self.first_deadline = min((i.due_date for i in terms.instalments), default=terms.starts_on)
        self.queue: list[tuple[date, int, int, Any]] = []
        self.sequence = 0
        self.as_of = as_of
        if not terms.needs_first_payment:
            course.activated_on = terms.starts_on
            self.record(terms.starts_on, "Activated", ("activated",), {})
        starts_on, checkpoints = terms.starts_on, terms.loss_rule.checkpoints
        for instalment in terms.instalments:
            self.push(max(instalment.opens_on, starts_on), _OPEN, instalment.number)
            missed_on = instalment.due_date + ONE_DAY
            self.push(missed_on, _MISS, instalment.number)
            if missed_on <= as_of:  # else its checkpoints, after its deadline (``LossRule``), are too
                for checkpoint in checkpoints(instalment):
                    self.push(checkpoint, _LOSS, None)
        for breach in breaches:
            self.push(breach.on, _LOSS, breach)
        for receipt in receipts:
            self.push(max(receipt.value_date, terms.starts_on), _PAYMENT, receipt)
        while self.queue and self.queue[0][0] <= as_of:
            day, phase, _, subject = heapq.heappop(self.queue)
            self.step(day, phase, subject)
        return course

    def push(self, day: date, phase: int, subject: Any) -> None:
        self.sequence += 1
        if day <= self.as_of:  # what comes after ``as_of`` is never stepped: not queued at all
            heapq.heappush(self.queue, (day, phase, self.sequence, subject))
        elif self.course.next_step is None or day < self.course.next_step:
            self.course.next_step = day

    def record(self, day: date, kind: str, key: tuple[Any, ...], data: dict[str, Any]) -> None:
        self.course.facts.append(Fact(day, kind, key, data))

    @property
    def running(self) -> bool:
        return self.course.status in FOLLOWING_SCHEDULE

    def step(self, day: date, phase: int, subject: Any) -> None:
        if phase == _PAYMENT:
            self.pay(day, subject)
        elif not self.running:
            if phase == _SURCHARGE and self.course.status == _LOST and subject == _BALANCE:
                self.accrue_on_balance(day)
        elif phase == _OPEN:
            self.record(day, "InstalmentDue", ("due", subject), {"number": subject})
        elif phase == _MISS:
            self.miss(day, self.by_number[subject])
        elif phase == _SURCHARGE:
            self.accrue(day, self.by_number[subject])
        elif isinstance(subject, Breach):
            self.lose(day, subject.reason)
        elif self.course.status == _ACTIVE:
            reason = self.terms.loss_rule.reason(self.course.accounts, day)
            if reason:
                self.lose(day, reason)

    def miss(self, day: date, account: InstalmentAccount) -> None:
        if account.unpaid_principal == ZERO:
            return
        if self.course.status == _APPLIED and account.instalment.due_date <= self.first_deadline:
            # C6/S1/ND9: the first payment never came, so the application lapses.
            self.course.status = _LAPSED
            self.course.lapsed_on = day
            self.record(day, "Lapsed", ("lapsed",), {"unpaid_instalment": account.number})
            return
        account.missed_on = day
        self.record(day, "InstalmentMissed", ("missed", account.number), {"number": account.number})
        self.push(day, _SURCHARGE, account.number)

    def accrue(self, day: date, account: InstalmentAccount) -> None:
        if account.unpaid_principal > ZERO:
            account.surcharge += self.charge_month(
                day, account.unpaid_principal, account.instalment.due_date, account.number, account.number
            )

    def accrue_on_balance(self, day: date) -> None:
        balance = self.course.lost_balance
        assert balance is not None
        if balance.unpaid_principal > ZERO:
            balance.surcharge += self.charge_month(day, balance.unpaid_principal, balance.on, None, _BALANCE)

    def charge_month(self, day: date, principal: Decimal, due_date: date, number: int | None, subject: Any) -> Decimal:
        """ND7/L1: a month of delay starting on ``day`` charges the unpaid
        principal (rounded to cents, a [P] choice); the next month is queued."""
        first = due_date + ONE_DAY
        months_before = _months_started_before(first, day)
        amount = money(principal * self.surcharges.month_fraction(day, months_before))
        self.record(
            day,
            "SurchargeAccrued",
            ("surcharge", number, day),
            {"number": number, "month_starts_on": day, "amount": amount},
        )
        self.push(add_months(first, months_before + 1), _SURCHARGE, subject)
        return amount

    def lose(self, day: date, reason: str) -> None:
        """C11/ND10: the remaining capital, the interest and surcharges already
        fallen due become due at once; interest of future instalments is not owed."""
        course = self.course
        principal = ZERO
        surcharge = ZERO
        for account in course.accounts:
            if account.instalment.due_date >= day:
                account.interest_waived = account.paid_interest == ZERO
            principal += account.unpaid_principal
            surcharge += account.unpaid_surcharge
        course.status = _LOST
        course.lost_on = day
        course.loss_reason = reason
        course.lost_balance = LostBalance(day, principal, surcharge)
        self.record(day, "Lost", ("lost",), {"reason": reason, "balance": principal + surcharge})
        self.push(day + ONE_DAY, _SURCHARGE, _BALANCE)

    def pay(self, day: date, receipt: Receipt) -> None:
        course = self.course
        remaining = receipt.amount
        allocation: list[dict[str, Any]] = []
        if course.status == _LOST:
            remaining = self.pay_balance(remaining, allocation)
        elif self.running:
            remaining = self.allocate(day, remaining, allocation)
        course.credit += remaining
        self.record(
            receipt.value_date,
            "Paid",
            ("paid", receipt.tx_id),
            {
                "tx_id": receipt.tx_id,
                "value_date": receipt.value_date,
                "amount": receipt.amount,
                "allocation": allocation,
                "credit": remaining,
            },
        )
        if course.status == _APPLIED and self.first_payment_made(day):
            course.status = _ACTIVE
            course.activated_on = day
            self.record(day, "Activated", ("activated",), {})
        if self.running and all(a.unpaid == ZERO for a in course.accounts):
            course.status = _COMPLETED
            course.completed_on = day
            self.record(day, "Completed", ("completed",), {})

    def first_payment_made(self, day: date) -> bool:
        return day <= self.first_deadline and all(
            a.unpaid_principal == ZERO
            for a in self.course.accounts
            if a.instalment.due_date <= self.first_deadline
        )

    def allocate(self, day: date, amount: Decimal, allocation: list[dict[str, Any]]) -> Decimal:
        """P3: past-due instalments oldest first (surcharge before interest before
        capital), then the instalment now due, then the last instalments backwards;
        or, when the payment covers it, the early payoff (C7)."""
        accounts = self.course.accounts
        unpaid = [a for a in accounts if a.unpaid > ZERO]
        if unpaid and amount >= _payoff(unpaid, day) and unpaid[-1].instalment.due_date >= day:
            return self.pay_off(day, amount, unpaid, allocation)
        # Only the accounts open by ``day`` are looked at unless money is left
        # for the future ones (the same result, without walking a long plan).
        payable = [a for a in unpaid if a.instalment.opens_on <= day]
        for account in payable:
            amount = _pay_account(account, amount, allocation)
        touched = payable
        if amount > ZERO:
            future = [a for a in unpaid if a.instalment.opens_on > day]
            for account in reversed(future):
                amount = _pay_account(account, amount, allocation)
            touched = payable + future
        self.mark_settled(day, touched)
        return amount

    def pay_off(self, day: date, amount: Decimal, unpaid: list[InstalmentAccount],
                allocation: list[dict[str, Any]]) -> Decimal:
        """C7: the remaining capital, with the interest and surcharges of the
        instalments already past their due date; the interest of every instalment
        due on ``day`` or later (the one open this month included) is not owed."""
        payoff = _payoff(unpaid, day)
        for account in unpaid:
            if account.instalment.due_date >= day:
                account.interest_waived = True
            amount = _pay_account(account, amount, allocation)
        self.record(day, "PaidOff", ("paid_off",), {"amount": payoff})
        self.mark_settled(day, unpaid)
        return amount

    @staticmethod
    def mark_settled(day: date, accounts: Sequence[InstalmentAccount]) -> None:
        for account in accounts:
            if account.settled_on is None and account.unpaid == ZERO:
                account.settled_on = day

    def pay_balance(self, amount: Decimal, allocation: list[dict[str, Any]]) -> Decimal:
        balance = self.course.lost_balance
        assert balance is not None
        surcharge = min(amount, balance.surcharge - balance.paid_surcharge)
        principal = min(amount - surcharge, balance.unpaid_principal)
        balance.paid_surcharge += surcharge
        balance.paid_principal += principal
        for part, paid in (("surcharge", surcharge), ("balance", principal)):
            if paid:
                allocation.append({"number": None, "part": part, "amount": paid})
        return amount - surcharge - principal


def _pay_account(account: InstalmentAccount, amount: Decimal, allocation: list[dict[str, Any]]) -> Decimal:
    """P3 within one instalment: its surcharge, then its interest, then its capital."""
    if amount <= ZERO:
        return amount  # nothing left to allocate (most accounts of a long plan)
    # The three parts written out (not through getattr of "unpaid_" + part): the
    # timeline runs this for every account a payment reaches (profile, issue 5).
    owed = account.surcharge - account.paid_surcharge
    if owed > ZERO:
        paid = min(amount, owed)
        account.paid_surcharge += paid
        allocation.append({"number": account.instalment.number, "part": "surcharge", "amount": paid})
        amount -= paid
    owed = account.interest - account.paid_interest
    if owed > ZERO and amount > ZERO:
        paid = min(amount, owed)
        account.paid_interest += paid
        allocation.append({"number": account.instalment.number, "part": "interest", "amount": paid})
        amount -= paid
    owed = account.instalment.capital - account.paid_capital
    if owed > ZERO and amount > ZERO:
        paid = min(amount, owed)
        account.paid_capital += paid
        allocation.append({"number": account.instalment.number, "part": "capital", "amount": paid})
        amount -= paid
    return amount


def _payoff(unpaid: Sequence[InstalmentAccount], day: date) -> Decimal:
    """C7: what pays the arrangement off on ``day``: the capital of every unpaid
    instalment, and the interest and surcharges of those due before ``day``."""
    return sum(
        (a.unpaid if a.instalment.due_date < day else a.unpaid_capital + a.unpaid_surcharge for a in unpaid), ZERO
    )


def _months_started_before(first: date, day: date) -> int:
    months = (day.year - first.year) * 12 + day.month - first.month
    return months if add_months(first, months) <= day else months - 1
