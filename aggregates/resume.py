"""The incremental settle (O6): the timeline resumed from what is recorded.

``Arrangement.settle``'s reference is the full replay (``facts.course_of``:
``timeline.run`` from the start over every receipt, then ``facts.record_course``
over every recorded fact), whose cost grows with the arrangement's history.
When new payments can change nothing before the latest day the arrangement's
facts reach, the walk is resumed there instead, from the accounts its events
keep (``Arrangement.walk``, kept by their ``apply``), and only its new facts are
recorded. Whenever that cannot be shown from dates alone, ``resumed_facts``
answers None and the caller runs the reference: tests/unit/test_resume.py
holds the two to the same events.

``walk`` keeps, per instalment, the surcharges accrued and what was paid on
each part (P3), and two dates: ``calendar_to``, the latest day a fact of the
calendar (an instalment due or missed, a month of delay) or a correction was
recorded on, so that every fact up to it is recorded (E1); ``paid_to``, the
latest value date of a recorded payment.
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

from aggregates import facts, history
from aggregates.calendar import add_months
from aggregates.course import Course, Fact, InstalmentAccount
from aggregates.money import ZERO
from aggregates.status import Status
from aggregates.timeline import _MISS, _OPEN, _PAYMENT, _SURCHARGE, ONE_DAY, _LOSS, Receipt, Terms, _Walk

if TYPE_CHECKING:
    from aggregates.arrangement import Arrangement
    from aggregates.schemes.base import Scheme
    from aggregates.surcharges import SurchargeRules

# Off, every settle runs the full replay, the reference (tests, ``bench.growth``).
INCREMENTAL = True
CALENDAR_KINDS = frozenset({"InstalmentDue", "InstalmentMissed", "SurchargeAccrued"})
_PARTS = {"surcharge": 1, "interest": 2, "capital": 3}  # an account's list: surcharge, then what was paid of each
_RESUMABLE = (Status.APPLIED.value, Status.ACTIVE.value)


def fresh() -> dict[str, Any]:
    return {"accounts": {}, "calendar_to": None, "paid_to": None}


def walk_of(arrangement: Arrangement) -> dict[str, Any]:
    """The arrangement's ``walk``, made by its first fact; rebuilt from its facts
    when a snapshot taken before it was kept has none (its corrections' dates are
    lost: an earlier ``calendar_to``, which only makes ``resumed_facts`` more cautious)."""
    walk = arrangement.__dict__.get("walk")
    if walk is None:
        walk = arrangement.__dict__["walk"] = fresh()
        for fact in history.facts(arrangement).values():
            count_fact(walk, fact, 1)
    return walk


def count_fact(walk: dict[str, Any], fact: dict[str, Any], sign: int) -> None:
    """A recorded fact's content added to (``sign`` 1) or taken from (-1) the accounts."""
    kind = fact["kind"]
    if kind == "Paid":
        for part in fact["allocation"]:
            if part["number"] is not None:
                _add(walk, part["number"], _PARTS[part["part"]], sign * part["amount"])
        walk["paid_to"] = _later(walk["paid_to"], fact["value_date"])
        return
    if kind == "SurchargeAccrued" and fact["number"] is not None:
        _add(walk, fact["number"], 0, sign * fact["amount"])
    if kind in CALENDAR_KINDS and sign > 0:
        walk["calendar_to"] = _later(walk["calendar_to"], fact["business_date"])


def record_fact(arrangement: Arrangement, key: str, content: dict[str, Any], reallocated: bool = False) -> None:
    """``FactEvent.apply``: the fact recorded, the accounts following it. A payment
    recorded again is ``reallocated`` (E2): its earlier allocation is taken off, and a
    settle that reallocates recorded every fact up to its date."""
    walk = walk_of(arrangement)  # before the fact is in: it may be rebuilt from the facts
    if reallocated:
        earlier = history.amend_fact(arrangement, key, content)
    else:
        earlier = arrangement.facts.get(key)
        arrangement.facts[key] = content
    if earlier is not None:
        count_fact(walk, earlier, -1)
        if content["kind"] == "Paid":
            walk["calendar_to"] = _later(walk["calendar_to"], content["business_date"])
    count_fact(walk, content, 1)


def take_back(arrangement: Arrangement, key: str, business_date: date) -> None:
    """``Correction.apply``: the fact taken back (E2), recorded by a settle that
    recorded every fact up to its date. A payment taken back changes every later
    allocation: the full replay decides from then on (``stale``)."""
    walk = walk_of(arrangement)
    removed = history.pop_fact(arrangement, key)
    if removed is not None:
        count_fact(walk, removed, -1)
        if removed["kind"] == "Paid":
            walk["stale"] = True
    walk["calendar_to"] = _later(walk["calendar_to"], business_date)


def settled(arrangement: Arrangement, scheme: Scheme, as_of: date, surcharges: SurchargeRules,
            receipts: Sequence[Receipt]) -> bool:
    """``Arrangement.settle`` by the resumed walk: False, nothing recorded, when the
    full replay must decide (``resumed_facts``)."""
    new = resumed_facts(arrangement, scheme, as_of, surcharges, receipts) if INCREMENTAL else None
    if new is None:
        return False
    facts.record_new(arrangement, new)
    return True


def _add(walk: dict[str, Any], number: int, index: int, amount: Any) -> None:
    account = walk["accounts"].setdefault(str(number), [ZERO, ZERO, ZERO, ZERO])  # str: JSON keys (snapshots)
    account[index] += amount


def _later(day: date | None, other: date) -> date:
    return other if day is None or other > day else day


def resumed_facts(
    arrangement: Arrangement, scheme: Scheme, as_of: date, surcharges: SurchargeRules, receipts: Sequence[Receipt]
) -> list[Fact] | None:
    """The new facts of the settle's course (in the walk's order, as the reference records them),
    the walk resumed after the latest recorded day; None when the full replay
    must decide (the arrangement not following its plan, a scheme watching the
    debtor's other items, a payment valued before that day, or a day of the
    calendar since the facts last known complete)."""
    if arrangement.status not in _RESUMABLE or not arrangement.instalments or scheme.watches_current_items:
        return None
    walk = walk_of(arrangement)
    if walk.get("stale"):
        return None
    starts_on = arrangement.starts_on
    assert starts_on is not None
    # Nothing happens before the start: with no fact of the calendar yet, the facts
    # are known complete up to the day before it only.
    settled = walk["calendar_to"] or starts_on - ONE_DAY
    resume = max(settled, walk["paid_to"] or settled)
    if as_of < resume or starts_on > resume or any(r.value_date < resume for r in receipts):
        return None  # settle_dates would move as_of, or the payments reach back: the reference
    terms = Terms(arrangement.plan().instalments, starts_on, arrangement.needs_first_payment, scheme.loss_rule())
    missed = {i.number: arrangement.facts.get(f"missed:{i.number}") for i in terms.instalments}
    if settled < starts_on or _calendar_within(terms, missed, settled, resume):
        return None
    horizon = max([as_of, *(r.value_date for r in receipts)])
    course = _Resumed(terms, surcharges).resume(arrangement.status, walk, missed, resume, receipts, horizon)
    if course is None:
        return None
    return [f for f in course.facts if f.on <= as_of or f.kind == "Paid"]


def _calendar_within(terms: Terms, missed: dict[int, Any], after: date, until: date) -> bool:
    """Whether a day of the calendar (an instalment opening, a deadline passing,
    a loss checkpoint, a month of delay of a missed one) falls in (after, until]:
    the recorded facts are known complete up to ``after`` only."""
    if after == until:
        return False
    if after < terms.starts_on <= until:
        return True
    for instalment in terms.instalments:
        days = [max(instalment.opens_on, terms.starts_on), instalment.due_date + ONE_DAY,
                *terms.loss_rule.checkpoints(instalment)]
        if any(after < day <= until for day in days):
            return True
        if missed[instalment.number] is not None and _next_month(instalment.due_date + ONE_DAY, after) <= until:
            return True
    return False


def _next_month(first: date, after: date) -> date:
    """The first month of delay counted from ``first`` (L1) starting after ``after``."""
    months = max(0, (after.year - first.year) * 12 + after.month - first.month - 1)
    while (start := add_months(first, months)) <= after:
        months += 1
    return start


class _Resumed(_Walk):
    """The timeline's walk from the end of day ``resume`` on, its accounts as recorded."""

    def resume(self, status: str, walk: dict[str, Any], missed: dict[int, Any], resume: date,
               receipts: Sequence[Receipt], horizon: date) -> Course | None:
        terms = self.terms
        accounts = []
        for instalment in terms.instalments:
            account = InstalmentAccount.fresh(instalment)
            kept = walk["accounts"].get(str(instalment.number))
            if kept is not None:
                account.surcharge, account.paid_surcharge, account.paid_interest, account.paid_capital = kept
            accounts.append(account)
        self.course = course = Course(as_of=horizon, accounts=accounts, status=status)
        self.by_number = {a.number: a for a in accounts}
        self.first_deadline = min(i.due_date for i in terms.instalments)
        # A payment valued after the settle that recorded it leaves its activation or
        # the completion (facts of its day) unrecorded: then the accounts say so.
        if all(a.unpaid == ZERO for a in accounts) or (status == Status.APPLIED.value and all(
                a.unpaid_principal == ZERO for a in accounts if a.instalment.due_date <= self.first_deadline)):
            return None
        self.queue: list[tuple[date, int, int, Any]] = []
        self.sequence = 0
        self.as_of = horizon
        # What the full walk has queued after ``resume``, in the order it queued it:
        # each instalment's opening and deadline, then the loss checkpoints, the next
        # months of delay of the missed ones (in the order they were missed), the payments.
        checkpoints = terms.loss_rule.checkpoints
        for instalment in terms.instalments:
            for day, phase in ((max(instalment.opens_on, terms.starts_on), _OPEN), (instalment.due_date + ONE_DAY, _MISS)):
                if day > resume:
                    self.push(day, phase, instalment.number)
            if instalment.due_date + ONE_DAY <= horizon:
                for checkpoint in checkpoints(instalment):
                    if checkpoint > resume:
                        self.push(checkpoint, _LOSS, None)
        late = sorted((fact["business_date"], number) for number, fact in missed.items() if fact is not None)
        for _, number in late:
            self.push(_next_month(self.by_number[number].instalment.due_date + ONE_DAY, resume), _SURCHARGE, number)
        for receipt in receipts:
            self.push(max(receipt.value_date, terms.starts_on), _PAYMENT, receipt)
        while self.queue and self.queue[0][0] <= horizon:
            day, phase, _, subject = heapq.heappop(self.queue)
            self.step(day, phase, subject)
        return course
