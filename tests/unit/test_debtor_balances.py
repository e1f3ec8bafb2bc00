"""The debtor's balances and payments (D3, L1, P2) give exactly what the original,
straightforward computation gave, to the last digit: the faster ``Debtor.balance``,
``balances``, ``owed_balances`` and ``pay`` (payments grouped by item once, the surcharge
remembered per item amount, due date, date and principal paid) against a copy of the
code they replaced, on random debts and payments (surcharges under both the dated table
and the older scheme, partial and full principal, held items, many payments)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from aggregates.debtor import Debtor
from aggregates.item_balance import ItemBalance
from aggregates.money import ZERO, money
from tests.unit.builders import AFM, RULES

# -- the original computation (before the ingestion work), kept as the oracle -------------

def original_balance(debtor: Debtor, item, as_of, rules, frozen=False) -> ItemBalance:
    payments = [p for p in debtor.item_payments if p["item_id"] == item["item_id"] and p["value_date"] <= as_of]
    paid_principal = sum((p["amount"] for p in payments if p["part"] == "principal"), ZERO)
    paid_surcharge = sum((p["amount"] for p in payments if p["part"] == "surcharge"), ZERO)
    surcharge = ZERO
    if not frozen:
        fraction_sum = ZERO
        for start, fraction in rules.fractions(item["due_date"], as_of):
            unpaid = item["amount"] - sum(
                (p["amount"] for p in payments if p["part"] == "principal" and p["value_date"] < start), ZERO
            )
            fraction_sum += unpaid * fraction
        surcharge = money(fraction_sum)
    surcharge = max(surcharge, paid_surcharge)
    settled_on = None
    if paid_principal >= item["amount"] and payments:
        settled_on = max(p["value_date"] for p in payments if p["part"] == "principal")
    return ItemBalance(item, surcharge, paid_surcharge, paid_principal, settled_on)


def original_balances(debtor: Debtor, as_of, rules, held=()) -> list[ItemBalance]:
    return [
        original_balance(debtor, item, as_of, rules, frozen=item["item_id"] in held)
        for item in sorted(debtor.items.values(), key=lambda i: (i["due_date"], i["item_id"]))
        if item["received_on"] <= as_of
    ]


def original_allocation(debtor: Debtor, value_date, amount, rules, held):
    remaining = amount
    allocation = []
    for balance in original_balances(debtor, value_date, rules, held):
        if balance.item["item_id"] in held:
            continue
        for part, owed in (("surcharge", balance.unpaid_surcharge), ("principal", balance.unpaid_principal)):
            paid = min(owed, remaining)
            if paid > ZERO:
                allocation.append({"item_id": balance.item["item_id"], "part": part, "amount": paid})
                remaining -= paid
    return allocation, remaining


def original_owes(debtor: Debtor, as_of, rules, held) -> bool:
    principal = any(
        original_balance(debtor, item, as_of, rules, frozen=True).unpaid_principal > ZERO
        for item in debtor.items.values() if item["received_on"] <= as_of and item["item_id"] not in held
    )
    return principal or any(b.outstanding > ZERO for b in original_balances(debtor, as_of, rules, held)
                            if b.item["item_id"] not in held)


def digits(balances: list[ItemBalance]) -> list[tuple]:
    """Each balance as the digits of its Decimals (``==`` on Decimals ignores trailing zeros)."""
    return [(b.item["item_id"], str(b.surcharge), str(b.paid_surcharge), str(b.paid_principal),
             str(b.outstanding), b.settled_on) for b in balances]


# -- random debtors ---------------------------------------------------------------------------

START = date(2010, 1, 1)  # before the dated table: the older scheme's months too (L2)
days = st.integers(min_value=0, max_value=5000).map(lambda n: START + timedelta(days=n))
amounts = st.integers(min_value=1, max_value=5_000_000).map(lambda cents: Decimal(cents) / 100)
items = st.lists(st.tuples(amounts, days), min_size=1, max_size=5)
payments = st.lists(st.tuples(amounts, days), min_size=1, max_size=12)


def owing(debts: list[tuple[Decimal, date]]) -> Debtor:
    """A debtor owing a contribution of each (amount, due day) of ``debts``."""
    debtor = Debtor.register(AFM, "Οφειλέτης", START)
    debtor.transfer("OAEE", "T", [
        {"period": f"{due.year}-{due.month:02d}", "kind": "contribution", "amount": money(amount), "due_date": due}
        for amount, due in debts
    ], START)
    return debtor


@settings(max_examples=150, deadline=None)
@given(items, payments, st.data())
def test_balances_and_payments_are_the_original_computation(debts, paid, data):
    debtor = owing(debts)
    ids = sorted(debtor.items)
    held = set(data.draw(st.lists(st.sampled_from(ids), max_size=len(ids) - 1, unique=True)))
    for amount, value_date in sorted(paid, key=lambda p: p[1]):
        for as_of in (value_date, value_date + timedelta(days=45)):
            assert digits(debtor.balances(as_of, RULES, held)) == digits(
                original_balances(debtor, as_of, RULES, held))
            for item in debtor.items.values():
                for frozen in (False, True):
                    assert digits([debtor.balance(item, as_of, RULES, frozen)]) == digits(
                        [original_balance(debtor, item, as_of, RULES, frozen)])
        owed = debtor.owed_balances(value_date, RULES, held)
        assert digits(list(debtor.owed_in_due_order(value_date, RULES, held))) == digits(owed)  # O6: its fast path
        assert digits(owed) == digits([b for b in original_balances(debtor, value_date, RULES, held)
                                       if b.item["item_id"] not in held])
        # ``_route``'s test (P2) in one pass: the same as "principal owed, or else any surcharge".
        assert any(b.outstanding > ZERO for b in owed) == original_owes(debtor, value_date, RULES, held)
        expected, credit = original_allocation(debtor, value_date, money(amount), RULES, held)
        debtor.pay(f"B/{value_date}", value_date, money(amount), RULES, held, owed if amount > 100 else None)
        (event,) = debtor.collect_events()[-1:]
        assert event.allocation == expected and event.credit == credit
        for mine, theirs in zip(event.allocation, expected):  # the same Decimals, digits and all
            assert str(mine["amount"]) == str(theirs["amount"])
