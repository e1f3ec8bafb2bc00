"""L1's surcharge on a debt item by a running sum of its principal paid
(``item_balance.surcharge_by_running_sum``, the fast path) is the month-by-month
computation (``surcharge_by_month``, its reference) to the last digit: on random items
(due under the older scheme, L2, and the dated table), parts paid on any day in any
order, fund corrections that raise or lower the principal (O4, negative parts), and
dates before, on and after each month of delay starts."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from aggregates import item_balance
from aggregates.debtor import Debtor
from aggregates.item_balance import surcharge_by_month, surcharge_by_running_sum
from aggregates.money import money
from tests.unit.builders import AFM, RULES

START = date(2010, 1, 1)  # the older scheme's months (L2) as well as the dated table's
days = st.integers(min_value=0, max_value=5000).map(lambda n: START + timedelta(days=n))
cents = st.integers(min_value=-500_000, max_value=5_000_000).map(lambda c: Decimal(c) / 100)
parts = st.lists(st.tuples(days, cents), max_size=40)


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=1, max_value=10_000_000).map(lambda c: Decimal(c) / 100), days, days, parts)
def test_the_running_sum_is_the_month_by_month_surcharge(amount, due_date, as_of, paid):
    fractions = tuple(RULES.fractions(due_date, as_of))
    principal = tuple(paid)
    fast = surcharge_by_running_sum(amount, fractions, principal)
    assert str(fast) == str(surcharge_by_month(amount, fractions, principal))  # digits and exponent


def test_a_debtor_paid_many_times_gets_the_same_balances_either_way(monkeypatch):
    """Through ``Debtor.balances``, with the remembered surcharges left behind between the two."""
    debtor = Debtor.register(AFM, "Οφειλέτης", START)
    debtor.transfer("OAEE", "T", [
        {"period": "2019-05", "kind": "contribution", "amount": Decimal("5000.00"), "due_date": date(2019, 6, 30)},
        {"period": "2012-05", "kind": "contribution", "amount": Decimal("800.00"), "due_date": date(2012, 6, 30)},
    ], START)
    day = date(2019, 8, 1)
    for n in range(60):  # a payment a month, each part of it before some months' starts and after others
        debtor.pay(f"B/{n}", day, money(Decimal("97.31")), RULES, ())
        day += timedelta(days=31)

    def balances(running: bool) -> list[tuple[str, str, str]]:
        monkeypatch.setattr(item_balance, "RUNNING_SUM", running)
        item_balance._REMEMBERED.clear()
        return [(b.item["item_id"], str(b.surcharge), str(b.outstanding))
                for as_of in (date(2020, 1, 15), day) for b in debtor.balances(as_of, RULES)]

    fast = balances(True)
    assert fast == balances(False)
    assert any(s != "0.00" for _, s, _ in fast)  # surcharges ran: the comparison means something
