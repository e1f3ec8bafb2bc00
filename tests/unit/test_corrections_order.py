"""Issue 13's properties of the corrections (E2, O2, O3), on the arrangement alone:

* payments, recalls and late assignments (a payment that reaches the arrangement
  after its value date) applied in any order give the same final state as the same
  final facts, only the payments not recalled, recorded in value-date order;
* a recall then the same payment again (the bank sends it anew) gives the original state;
* replaying the events twice gives the same state.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from eventsourcing.domain import Aggregate
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aggregates import facts
from aggregates.arrangement import Arrangement
from aggregates.timeline import Receipt
from tests.unit.builders import COVID, RULES, apply, d, item

START = d("2021-12-15")  # instalments of 280.00 due the last working day of each month from December
END = d("2022-09-30")
DEBT = [item("i1", "3000.00", "2020-06-30")]
amounts = st.sampled_from(["280.00", "140.00", "560.00", "10.00", "3500.00"]).map(Decimal)
# The first payment mostly in time for instalment 1 (due 2021-12-31, C6), so that most
# histories are activated, then lapse, miss, are lost or completed as recalls take payments back.
payments = st.tuples(
    st.tuples(st.integers(min_value=0, max_value=20), amounts),
    st.lists(st.tuples(st.integers(min_value=0, max_value=240), amounts), max_size=5),
).map(lambda first_and_rest: [first_and_rest[0], *first_and_rest[1]])


def fresh() -> Arrangement:
    return apply(COVID, "2021-12-15", DEBT, 12)


def outcome(arrangement: Arrangement) -> tuple:
    """What the arrangement owes and was paid, as of END (V3), whatever the events that say it."""
    course = facts.course_of(arrangement, COVID, END, RULES)
    assert course is not None
    accounts = [(a.number, a.surcharge, a.paid_surcharge, a.paid_interest, a.paid_capital) for a in course.accounts]
    balance = course.lost_balance and (course.lost_balance.principal, course.lost_balance.paid_principal)
    return arrangement.status, course.status, course.credit, accounts, balance


def in_value_date_order(kept: list[Receipt]) -> Arrangement:
    arrangement = fresh()
    for receipt in sorted(kept, key=lambda r: (r.value_date, r.tx_id)):
        arrangement.settle(COVID, receipt.value_date, RULES, new_receipts=[receipt])
    arrangement.settle(COVID, END, RULES)
    return arrangement


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(payments, st.data())
def test_payments_recalls_and_assignments_in_any_order_give_the_value_date_order_state(paid, data):
    receipts = [Receipt(f"t{n}", START + timedelta(days=day), amount) for n, (day, amount) in enumerate(paid)]
    recalled = set(data.draw(st.lists(st.sampled_from([r.tx_id for r in receipts]), unique=True), "recalled"))
    # Each payment reaches the arrangement some days after its value date (a late
    # assignment from suspense, O2: up to four months); a recall comes after it.
    delays = data.draw(st.lists(st.integers(min_value=0, max_value=120), min_size=len(receipts),
                                max_size=len(receipts)), "delays")
    steps = [(r.value_date + timedelta(days=delay), 0, r) for r, delay in zip(receipts, delays)]
    steps += [(on + timedelta(days=data.draw(st.integers(0, 60), "recall")), 1, r)
              for on, _, r in list(steps) if r.tx_id in recalled]
    arrangement, today = fresh(), START
    for on, is_recall, receipt in sorted(steps, key=lambda s: (s[0], s[1], s[2].tx_id)):
        today = max(today, on)
        if is_recall:
            arrangement.settle(COVID, today, RULES, recalled=[receipt.tx_id])
        else:
            arrangement.settle(COVID, today, RULES, new_receipts=[receipt])
    arrangement.settle(COVID, max(today, END), RULES)
    expected = in_value_date_order([r for r in receipts if r.tx_id not in recalled])
    assert outcome(arrangement) == outcome(expected)
    # replaying its events (twice) gives the same state
    events = arrangement.collect_events()
    assert _state(_replayed(events)) == _state(_replayed(events)) == _state(arrangement)


@settings(max_examples=40, deadline=None)
@given(payments)
def test_a_recall_then_the_same_payment_again_gives_the_original_state(paid):
    receipts = [Receipt(f"t{n}", START + timedelta(days=day), amount) for n, (day, amount) in enumerate(paid)]
    original = in_value_date_order(receipts)
    again = in_value_date_order(receipts)
    first = receipts[0]
    again.settle(COVID, END, RULES, recalled=[first.tx_id])
    again.settle(COVID, END, RULES, new_receipts=[Receipt("sent-again", first.value_date, first.amount)])
    assert outcome(again) == outcome(original)


def _replayed(events: list) -> Aggregate:
    aggregate = None
    for event in events:
        aggregate = event.mutate(aggregate)
    return aggregate


def _state(arrangement: Aggregate) -> dict:
    return {k: v for k, v in vars(arrangement).items() if k not in ("_modified_on", "_created_on")}


def test_the_property_test_can_fail_a_recall_that_is_ignored_changes_the_outcome():
    kept = in_value_date_order([Receipt("t0", date(2021, 12, 20), Decimal("280.00"))])
    recalled = in_value_date_order([Receipt("t0", date(2021, 12, 20), Decimal("280.00"))])
    recalled.settle(COVID, END, RULES, recalled=["t0"])
    assert outcome(kept) != outcome(recalled)
    assert outcome(recalled)[:2] == ("lapsed", "lapsed")
