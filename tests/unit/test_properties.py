"""Property tests (hypothesis): M2 sums, allocation conservation (P3), replay (E2/V3)."""

from datetime import date, timedelta
from decimal import Decimal
from functools import reduce

from hypothesis import given, settings
from hypothesis import strategies as st

from aggregates.money import money, split_equal
from aggregates.schemes.base import TwoInstalmentsUnpaid, monthly_instalments
from aggregates.timeline import Receipt, Terms, run
from tests.unit.builders import COVID, RULES, apply, item

FAST = settings(max_examples=80, deadline=None)

cents = st.integers(min_value=1, max_value=10_000_000).map(lambda c: Decimal(c).scaleb(-2))
amounts = st.integers(min_value=1, max_value=200_000).map(lambda c: Decimal(c).scaleb(-2))


@FAST
@given(total=cents, count=st.integers(min_value=1, max_value=72))
def test_M2_instalments_sum_to_the_capital_exactly(total, count):
    parts = split_equal(total, count)
    assert len(parts) == count
    assert sum(parts) == total
    assert all(p == money(p) for p in parts)
    # the first n − 1 are round(T/n, 2); the last differs from them by less than n cents
    assert all(p == money(total / count) for p in parts[:-1])
    assert abs(parts[-1] - parts[0]) <= Decimal(count) / 100


@FAST
@given(total=cents, count=st.integers(min_value=1, max_value=72),
       rate=st.sampled_from([Decimal(0), Decimal("0.025"), Decimal("0.055")]))
def test_C5_schedule_capital_parts_sum_to_the_capital(total, count, rate):
    instalments = monthly_instalments(total, count, date(2021, 12, 15), date(2021, 12, 15), rate, 36)
    assert sum(i.capital for i in instalments) == total
    assert instalments[0].interest == 0
    assert all(i.due_date.month == (12 + k - 2) % 12 + 1 for k, i in enumerate(instalments, start=1))


payment_days = st.integers(min_value=0, max_value=500).map(lambda n: date(2021, 12, 15) + timedelta(days=n))
receipt_lists = st.lists(st.tuples(payment_days, amounts), min_size=1, max_size=8)


@FAST
@given(receipts=receipt_lists, count=st.integers(min_value=2, max_value=48), horizon=st.integers(0, 700))
def test_P3_every_payment_is_allocated_exactly_or_kept_as_credit(receipts, count, horizon):
    instalments = monthly_instalments(Decimal("3360.00"), count, date(2021, 12, 15), date(2021, 12, 15),
                                      Decimal("0.025"), 36)
    terms = Terms(instalments, date(2021, 12, 15), True, TwoInstalmentsUnpaid("C8"))
    bank = [Receipt(f"t{i}", day, amount) for i, (day, amount) in enumerate(receipts)]
    course = run(terms, bank, date(2021, 12, 15) + timedelta(days=horizon + 500), RULES)
    paid = [f for f in course.facts if f.kind == "Paid"]
    assert len(paid) == len(bank)
    for fact in paid:
        allocated = sum((part["amount"] for part in fact.data["allocation"]), Decimal(0))
        assert allocated + fact.data["credit"] == fact.data["amount"]
        assert all(part["amount"] > 0 for part in fact.data["allocation"])
    # what the instalments received is what the payments allocated to them
    on_accounts = sum((a.paid for a in course.accounts), Decimal(0))
    on_balance = Decimal(0)
    if course.lost_balance is not None:
        on_balance = course.lost_balance.paid_principal + course.lost_balance.paid_surcharge
    assert on_accounts + on_balance + course.credit == sum((r.amount for r in bank), Decimal(0))
    assert course.remaining_balance >= 0


settle_days = st.lists(st.integers(min_value=0, max_value=450), min_size=1, max_size=5)


@FAST
@given(receipts=st.lists(st.tuples(payment_days, amounts), max_size=6), days=settle_days)
def test_E2_replaying_an_arrangement_twice_gives_the_same_state(receipts, days):
    arrangement = apply(COVID, "2021-12-15", [item("i1", "3000.00", "2020-06-30")], requested=12)
    bank = [Receipt(f"t{i}", day, amount) for i, (day, amount) in enumerate(receipts)]
    start = date(2021, 12, 15)
    for index, offset in enumerate(sorted(days)):
        arrangement.settle(COVID, start + timedelta(days=offset), RULES, new_receipts=bank[index::len(days)])
    events = arrangement.collect_events()
    first = reduce(lambda a, e: e.mutate(a), events, None)
    second = reduce(lambda a, e: e.mutate(a), events, None)

    def public(a):
        return {k: v for k, v in vars(a).items() if not k.startswith("_")}

    assert public(first) == public(second) == public(arrangement)
    # and settling again at the last date records nothing new (E2)
    arrangement.settle(COVID, start + timedelta(days=max(days)), RULES)
    assert arrangement.collect_events() == []


@FAST
@given(receipts=st.lists(st.tuples(payment_days, amounts), max_size=8), count=st.integers(min_value=1, max_value=72),
       as_of=st.integers(0, 700), later=st.integers(1, 900), months_late=st.sampled_from([None, 0, 3, 6]))
def test_E1_the_course_to_a_date_is_the_start_of_any_later_course(receipts, count, as_of, later, months_late):
    """What the timeline gives up to a date does not depend on what comes after
    it (the timeline queues nothing past ``as_of``, and no loss checkpoint of an
    instalment whose deadline is still ahead): the facts of a run to ``as_of``
    are those of a run to a later date, up to ``as_of``."""
    from aggregates.schemes.base import InstalmentMonthsLate

    start = date(2021, 12, 15)
    rule = TwoInstalmentsUnpaid("C8") if months_late is None else InstalmentMonthsLate(months_late, "ND10")
    instalments = monthly_instalments(Decimal("3360.00"), count, start, start, Decimal("0.025"), 36)
    terms = Terms(instalments, start, True, rule)
    until = start + timedelta(days=as_of)
    bank = [Receipt(f"t{i}", day, amount) for i, (day, amount) in enumerate(receipts) if day <= until]
    short = run(terms, bank, until, RULES)
    long = run(terms, bank, until + timedelta(days=later), RULES)
    assert short.facts == [f for f in long.facts if f.on <= until]
