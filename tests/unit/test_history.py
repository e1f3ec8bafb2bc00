"""O6: an arrangement whose older payments are packed (``aggregates.history``)
records, shows and answers what one that never packs, its reference, does:
property tests over random histories of payments (in order, backdated, valued
ahead), recalls (O3), closes of day and reloads from the events."""

from contextlib import contextmanager
from datetime import date, timedelta
from decimal import Decimal
from functools import reduce

from hypothesis import given, settings
from hypothesis import strategies as st

from aggregates import close_day_skip, facts, history, resume
from aggregates.credit import arrangement_credit
from aggregates.timeline import Receipt
from tests.unit.builders import COVID, RULES, STANDING, apply, item

START = date(2021, 12, 15)
PLAIN = 10**9  # a chunk never filled: nothing is ever packed
amounts = st.integers(min_value=100, max_value=40_000).map(lambda c: Decimal(c).scaleb(-2))
payment = st.tuples(st.just("pay"), st.sampled_from([0, 0, 0, 1, 5, 20, -1, -10]), amounts)
close = st.tuples(st.just("close"), st.integers(min_value=0, max_value=40), st.just(None))
recall = st.tuples(st.just("recall"), st.integers(min_value=0, max_value=100), st.just(None))
reload = st.tuples(st.just("reload"), st.just(0), st.just(None))
histories = st.lists(st.one_of(payment, payment, payment, close, recall, reload), min_size=1, max_size=40)


@contextmanager
def chunk(size):
    kept = history.CHUNK
    history.CHUNK = size
    try:
        yield
    finally:
        history.CHUNK = kept


def recorded(events):
    """The events' fields, in no particular order: a correction's reversals come in the
    order the facts are kept, the packed payments first."""
    return sorted(repr((type(e).__name__, {k: v for k, v in vars(e).items() if k != "timestamp"})) for e in events)


def answers(arrangement, scheme, day):
    """What the views, the skip test and the credit read of the whole history."""
    course = facts.course_of(arrangement, scheme, day, RULES)
    return (arrangement.status, history.facts(arrangement), list(history.receipts(arrangement).items()),
            resume.walk_of(arrangement)["accounts"],
            course and (course.status, course.remaining_balance, course.credit),
            close_day_skip.may_change(arrangement, scheme, day - timedelta(days=3), day),
            arrangement_credit(arrangement), history.latest_value_date(arrangement))


@settings(max_examples=150, deadline=None)
@given(history_=histories, scheme=st.sampled_from([COVID, STANDING]), size=st.sampled_from([1, 2, 3]))
def test_O6_a_packed_history_records_and_answers_what_the_plain_one_does(history_, scheme, size):
    sides = {}
    for name, chunk_size in (("packed", size), ("plain", PLAIN)):
        with chunk(chunk_size):
            arrangement = apply(scheme, "2021-12-15", [item("i1", "3000.00", "2020-06-30")], requested=12)
            sides[name] = [arrangement, arrangement.collect_events(), chunk_size]
    day, tx, paid = START, 0, []
    for kind, offset, amount in history_:
        if kind == "close":
            day += timedelta(days=offset)
        receipts, recalled = [], []
        if kind == "pay":
            tx += 1
            receipts.append(Receipt(f"t{tx}", day - timedelta(days=offset), amount))
        if kind == "recall":
            if not paid:
                continue
            recalled.append(paid.pop(offset % len(paid)))
        outcomes = []
        for side in sides.values():
            arrangement, events, chunk_size = side
            with chunk(chunk_size):
                if kind == "reload":
                    side[0] = reduce(lambda a, e: e.mutate(a), events, None)
                    outcomes.append([])
                    continue
                try:
                    arrangement.settle(scheme, day, RULES, new_receipts=receipts, recalled=recalled)
                except Exception as refused:  # the reference's own refusals: the same on both
                    outcomes.append(type(refused))
                    continue
                new = arrangement.collect_events()
                events += new
                outcomes.append(recorded(new))
        assert outcomes[0] == outcomes[1]
        if not isinstance(outcomes[0], list):
            return
        paid += [r.tx_id for r in receipts]
        assert answers(sides["packed"][0], scheme, day) == answers(sides["plain"][0], scheme, day)
        assert len(sides["packed"][0].receipts) <= size


def test_O6_the_oldest_payments_are_packed_by_the_events_and_read_back_whole():
    with chunk(2):
        arrangement = apply(COVID, "2021-12-15", [item("i1", "3000.00", "2020-06-30")], requested=12)
        for n in range(5):
            arrangement.settle(COVID, START, RULES, new_receipts=[Receipt(f"t{n}", START, Decimal("5.00"))])
        assert list(arrangement.receipts) == ["paid:t4"]
        assert [c["keys"] for c in arrangement.archive] == [["paid:t0", "paid:t1"], ["paid:t2", "paid:t3"]]
        assert list(history.receipts(arrangement)) == [f"paid:t{n}" for n in range(5)]
        assert history.has_receipt(arrangement, "paid:t1")
        assert arrangement.paid_receipt("t1")["amount"] == Decimal("5.00")
        replayed = reduce(lambda a, e: e.mutate(a), arrangement.collect_events(), None)
        assert vars(replayed) == vars(arrangement)
