"""A debtor's balances from its parts folded per item and kept (``item_balance.FOLDED_PARTS``,
the fast path) are those folded again from all its parts for each balance (its reference),
to the last digit: on random debts paid in any order of value dates (backdated ones take
the plain way for the items paid later), recalled (O3), corrected by their fund (O4),
held by an arrangement (frozen), as of days before, between and after the payments."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from aggregates import item_balance
from aggregates.debtor import Debtor
from aggregates.money import money
from tests.unit.builders import AFM, RULES
from tests.unit.test_debtor_balances import START, owing

days = st.integers(min_value=0, max_value=5000).map(lambda n: START + timedelta(days=n))
amounts = st.integers(min_value=1, max_value=2_000_000).map(lambda cents: Decimal(cents) / 100)
steps = st.lists(st.tuples(st.sampled_from(["pay", "pay", "pay", "recall", "correct"]), amounts, days),
                 min_size=1, max_size=25)


def digits(debtor: Debtor, as_of: date, held: set[str]) -> list[tuple]:
    shown = [(b.item["item_id"], str(b.surcharge), str(b.paid_surcharge), str(b.paid_principal), str(b.change),
              str(b.outstanding), b.settled_on) for b in debtor.balances(as_of, RULES, held)]
    shown += [(b.item["item_id"], str(b.outstanding)) for b in debtor.owed_balances(as_of, RULES, held)]
    return shown + [(b.item["item_id"], str(b.outstanding)) for b in debtor.owed_in_due_order(as_of, RULES, held)]


@contextmanager
def folded(on: bool) -> Iterator[None]:
    item_balance.FOLDED_PARTS = on
    try:
        yield
    finally:
        item_balance.FOLDED_PARTS = True


def both_ways(debtor: Debtor, as_of: date, held: set[str]) -> tuple[list[tuple], list[tuple]]:
    fast = digits(debtor, as_of, held)
    with folded(False):
        return fast, digits(debtor, as_of, held)


@settings(max_examples=120, deadline=None)
@given(st.lists(st.tuples(amounts, days), min_size=1, max_size=4), steps, st.data())
def test_the_folded_balances_are_the_plain_ones(debts, history, data):
    debtor = owing(debts)
    ids = sorted(debtor.items)
    held = set(data.draw(st.lists(st.sampled_from(ids), max_size=len(ids) - 1, unique=True)))
    paid: list[tuple[str, date, Decimal]] = []
    for n, (step, amount, day) in enumerate(history):
        if step == "pay":
            with folded(n % 2 == 0):  # the events recorded either way
                debtor.pay(f"B/{n}", day, money(amount), RULES, held)
            paid.append((f"B/{n}", day, money(amount)))
        elif step == "recall" and paid:
            debtor.recall_payment(*paid.pop(0), day)
        elif step == "correct":
            item = debtor.items[ids[n % len(ids)]]
            debtor.correct_item(f"C{n}", {"action": "amend"}, item, money(amount), day)
        for as_of in (day - timedelta(days=40), day, day + timedelta(days=400)):
            fast, plain = both_ways(debtor, as_of, held)
            assert fast == plain


def test_a_backdated_payment_is_balanced_without_the_parts_paid_after_it():
    """The case where a fold of every part is not the answer: parts valued after the day."""
    debtor = Debtor.register(AFM, "Οφειλέτης", START)
    debtor.transfer("OAEE", "T", [{"period": "2019-05", "kind": "contribution", "amount": Decimal("1000.00"),
                                   "due_date": date(2019, 6, 30)}], START)
    debtor.pay("B/1", date(2020, 3, 10), Decimal("400.00"), RULES, ())
    debtor.pay("B/2", date(2020, 1, 10), Decimal("50.00"), RULES, ())  # valued before B/1
    fast, plain = both_ways(debtor, date(2020, 2, 1), set())
    assert fast == plain
    assert fast[0][3] == "3.33"  # B/2's principal, after its surcharges; nothing of B/1's 400.00 yet
