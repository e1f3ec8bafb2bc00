"""When a debtor's figures next move by the calendar alone (επόμενη μεταβολή), §1.7.

A debtor's debt table and clearance on a day (V1, V2) change with a new event,
or with the date alone: a debt falls due and is overdue the day after (V2), a
month of delay starts and adds a surcharge (L1), an item or a payment takes
effect on its received or value date, and a running arrangement's timeline
steps through its instalments' deadlines (C6, C8). ``next_change`` is the
first day after ``as_of`` on which any of these can happen: until then, with
no new event, the figures of ``as_of`` stand. It errs early, never late: a
running arrangement moves on its timeline's next step (``Course.next_step``:
an instalment opens or is missed, a month of delay starts, a payment is
valued, C6, C8, L1), one not yet planned (ND3) on any day.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, timedelta

from aggregates import history
from aggregates.arrangement_as_of import ArrangementAsOf
from aggregates.debtor import Debtor
from aggregates.money import ZERO
from aggregates.status import LIVE, Status
from aggregates.surcharges import SurchargeRules, next_delay_month_start

ONE_DAY = timedelta(days=1)


def next_change(debtor: Debtor, arrangements: Sequence[ArrangementAsOf], rules: SurchargeRules,
                as_of: date) -> date | None:
    """The first day after ``as_of`` on which the debtor's own figures may move with
    no new event; ``None`` if they never will (nothing owed, nothing pending)."""
    return _first(_debtor_days(debtor, arrangements, rules, as_of), *(_arrangement_days(s, as_of) for s in arrangements))


def _debtor_days(debtor: Debtor, arrangements: Sequence[ArrangementAsOf], rules: SurchargeRules,
                 as_of: date) -> Iterable[date]:
    held = {item for s in arrangements for item in s.held_items}
    for item in debtor.items.values():
        if item["received_on"] > as_of:  # D2: known from the day it was received
            yield item["received_on"]
    for payment in debtor.item_payments:
        if payment["value_date"] > as_of:  # P2: counted from its value date
            yield payment["value_date"]
    for balance in debtor.balances(as_of, rules, held):
        if balance.item["item_id"] in held or balance.outstanding == ZERO:
            continue
        # V2: overdue the day after its due date; L1: each month of delay from then on
        yield next_delay_month_start(balance.item["due_date"], as_of)


def _arrangement_days(state: ArrangementAsOf, as_of: date) -> Iterable[date]:
    for receipt in history.valued_after(state.arrangement, as_of):  # P3: it counts from its value date
        yield receipt["value_date"]
    course = state.course
    if state.status in LIVE:
        # C6, C8: its timeline's next step; ND3: not yet planned, any day
        next_step = course.next_step if course is not None else as_of + ONE_DAY
        if next_step is not None:
            yield next_step
        return
    balance = course.lost_balance if course is not None else None
    if state.status == Status.LOST and balance is not None and balance.unpaid_principal > ZERO:
        yield next_delay_month_start(balance.on, as_of)  # C11, L1: the balance due at once accrues monthly


def _first(*days: Iterable[date]) -> date | None:
    return min((d for group in days for d in group), default=None)
