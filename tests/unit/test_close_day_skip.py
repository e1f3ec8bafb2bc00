"""E1/E2 with the close-of-day shortcut (issue 5): an arrangement that
``Arrangement.may_change`` says nothing can happen to between two closes
records nothing when settled anyway."""

from __future__ import annotations

from datetime import date, timedelta

from aggregates import close_day_skip, history
from aggregates.arrangement import Arrangement
from aggregates.debtor import Debtor
from aggregates.routing import held_items
from bench.workload import Workload, feed
from ledger.application import Ledger
from ledger.handlers.close_day import close_day
from ledger.handlers.common import settle
from ledger.unit_of_work import UnitOfWork


def test_skipped_arrangements_would_have_recorded_nothing(tmp_path):
    ledger = Ledger(f"sqlite:///{tmp_path / 'ledger.db'}")
    close_day(ledger, date(2019, 1, 1))
    feed(ledger, Workload(30, seed=9).commands(until=date(2022, 6, 10)))
    previous = date(2022, 5, 27)
    close_day(ledger, previous)
    ids = list(ledger.arrangement_ids())
    skipped = settled = 0
    day = previous
    while day < date(2022, 6, 10):
        day += timedelta(days=1)
        for arrangement_id in ids:
            arrangement: Arrangement = ledger.repository.get(arrangement_id)
            if arrangement.status in ("rejected", "completed", "lapsed"):
                continue
            if close_day_skip.may_change(arrangement, ledger.settings.scheme(arrangement.scheme), previous, day):
                settled += 1
                continue
            skipped += 1
            debtor: Debtor = ledger.repository.get(Debtor.create_id(arrangement.debtor_afm))
            settle(UnitOfWork(ledger), arrangement, debtor, day, held_items(ledger.arrangements_of(debtor)))
            assert not arrangement.collect_events(), (arrangement.payment_code, previous, day)
        close_day(ledger, day)
        previous = day
    assert skipped > settled > 0
    ledger.close()


def _may_change_reference(arrangement: Arrangement, scheme, settled_on: date, day: date) -> bool:
    """``Arrangement.may_change`` as first written (issue 5), over ``plan()``:
    the faster one must answer the same."""
    from aggregates.close_day_skip import _month_start_within
    from aggregates.money import ZERO
    from aggregates.timeline import ONE_DAY

    if arrangement.status in ("rejected", "completed", "lapsed"):
        return False
    plan = arrangement.plan()
    if plan is None or arrangement.status == "suspended" or scheme.watches_current_items:
        return True
    loss_rule = scheme.loss_rule()

    def within(on: date) -> bool:
        return settled_on < on <= day

    if within(plan.starts_on):
        return True
    paid = close_day_skip.paid_by_instalment(history.facts(arrangement))

    def all_paid_before(on: date) -> bool:
        return all(
            sum((amount for value_date, amount in paid.get(i.number, ()) if value_date < on), ZERO) >= i.amount
            for i in plan.instalments
            if i.due_date < on
        )

    for instalment in plan.instalments:
        if within(max(instalment.opens_on, plan.starts_on)):
            return True
        for on in (instalment.due_date + ONE_DAY, *loss_rule.checkpoints(instalment)):
            if within(on) and not all_paid_before(on):
                return True
    if any(within(receipt["value_date"]) for receipt in history.receipts(arrangement).values()):
        return True
    by_number = {i.number: i for i in plan.instalments}
    for fact in history.facts(arrangement).values():
        if fact["kind"] == "InstalmentMissed":
            first = by_number[fact["number"]].due_date + ONE_DAY
        elif fact["kind"] == "Lost":
            first = fact["business_date"] + ONE_DAY
        else:
            continue
        if _month_start_within(first, settled_on, day):
            return True
    return False


def test_may_change_answers_as_the_reference_over_plan(tmp_path):
    ledger = Ledger(f"sqlite:///{tmp_path / 'ledger.db'}")
    close_day(ledger, date(2019, 1, 1))
    feed(ledger, Workload(40, seed=11).commands(until=date(2022, 8, 10)))
    close_day(ledger, date(2022, 7, 29))
    arrangements = [ledger.repository.get(i) for i in ledger.arrangement_ids()]
    answers = set()
    days = [date(2022, 7, 29) + timedelta(days=n) for n in range(0, 75, 3)]
    for arrangement in arrangements:
        scheme = ledger.settings.scheme(arrangement.scheme)
        for settled_on in days[:8]:
            for day in days:
                if day < settled_on:
                    continue
                expected = _may_change_reference(arrangement, scheme, settled_on, day)
                assert close_day_skip.may_change(arrangement, scheme, settled_on, day) == expected, (arrangement.payment_code, settled_on, day)
                answers.add(expected)
    assert answers == {True, False}
    ledger.close()


def test_loss_checkpoints_come_after_the_deadline():
    """``LossRule``: what ``may_change`` relies on to skip future instalments."""
    from decimal import Decimal

    from aggregates.schemes.base import InstalmentMonthsLate, TwoInstalmentsUnpaid
    from aggregates.timeline import Instalment

    for rule in (TwoInstalmentsUnpaid("C8"), InstalmentMonthsLate(0, "x"), InstalmentMonthsLate(6, "ND10")):
        for due in (date(2022, 1, 31), date(2022, 2, 28), date(2024, 2, 29), date(2022, 12, 30)):
            instalment = Instalment(1, due.replace(day=1), due, Decimal("10.00"), Decimal("0.00"))
            assert all(on > due for on in rule.checkpoints(instalment))


def test_next_change_day_is_the_first_day_may_change_is_true(tmp_path):
    """``next_change_day`` (issue 19's close index) against ``may_change`` itself, day by
    day: false on every day before it, true on it and every day after (``may_change`` is
    monotone in the day), over arrangements paid on time, late, partly, lost, suspended."""
    ledger = Ledger(f"sqlite:///{tmp_path / 'ledger.db'}")
    close_day(ledger, date(2019, 1, 1))
    feed(ledger, Workload(50, seed=7).commands(until=date(2022, 8, 10)))
    close_day(ledger, date(2022, 7, 29))
    arrangements = [ledger.repository.get(i) for i in ledger.arrangement_ids()]
    offsets, statuses = set(), set()
    for arrangement in arrangements:
        scheme = ledger.settings.scheme(arrangement.scheme)
        for settled_on in (date(2022, 7, 29) + timedelta(days=n) for n in range(0, 40, 4)):
            first = close_day_skip.next_change_day(arrangement, scheme, settled_on)
            for day in (settled_on + timedelta(days=n) for n in range(1, 100)):
                expected = close_day_skip.may_change(arrangement, scheme, settled_on, day)
                assert expected == (first is not None and day >= first), (arrangement.payment_code, settled_on, day, first)
            offsets.add(None if first is None else min((first - settled_on).days, 100))
            statuses.add(arrangement.status)
    assert {1, 100} < offsets and len(offsets) > 5, offsets  # tomorrow, beyond the days tried, and between
    assert {"active", "lost", "completed"} <= statuses, statuses
    ledger.close()
