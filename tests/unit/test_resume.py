"""O6: the incremental settle (``aggregates.resume``) records exactly what the
full replay, its reference, records: property tests over random histories of
payments (in order, on the same day, backdated and valued ahead), closes of day,
reloads from the events and from a snapshot taken before ``walk`` was kept; with
the older payments packed (``aggregates.history``, a chunk of 2) or not."""

import copy
from unittest import mock
from contextlib import contextmanager
from datetime import date, timedelta
from decimal import Decimal
from functools import reduce

from hypothesis import given, settings
from hypothesis import strategies as st

from aggregates import history as packing
from aggregates import resume
from aggregates.timeline import Receipt
from tests.unit.builders import COVID, RULES, STANDING, apply, d, item, m

START = date(2021, 12, 15)
amounts = st.integers(min_value=100, max_value=40_000).map(lambda c: Decimal(c).scaleb(-2))
payment = st.tuples(st.just("pay"), st.sampled_from([0, 0, 0, 1, 5, 20, 45, -1, -10]), amounts, st.booleans())
close = st.tuples(st.just("close"), st.integers(min_value=0, max_value=40), st.just(None), st.just(False))
reload = st.tuples(st.sampled_from(["reload", "old snapshot"]), st.just(0), st.just(None), st.just(False))
histories = st.lists(st.one_of(payment, payment, close, reload), min_size=1, max_size=30)


@contextmanager
def full_replay():
    resume.INCREMENTAL = False
    try:
        yield
    finally:
        resume.INCREMENTAL = True


def recorded(events):
    return [(type(e).__name__, {k: v for k, v in vars(e).items() if k != "timestamp"}) for e in events]


def state(arrangement):
    return {k: v for k, v in vars(arrangement).items() if not k.startswith("_") and k != "walk"}


def settle_both(fast, reference, scheme, day, receipts):
    """The same settle on each: the same events recorded (the fast one's returned),
    or the same refusal (None)."""
    outcomes, fast_events = [], None
    for arrangement, replay in ((fast, False), (reference, True)):
        try:
            if replay:
                with full_replay():
                    arrangement.settle(scheme, day, RULES, new_receipts=receipts)
            else:
                arrangement.settle(scheme, day, RULES, new_receipts=receipts)
            new = arrangement.collect_events()
            fast_events = new if fast_events is None else fast_events
            outcomes.append(recorded(new))
        except Exception as refused:  # the reference's own refusals (FactNotReversible): the same on both
            outcomes.append(type(refused))
    assert outcomes[0] == outcomes[1]
    return fast_events if isinstance(outcomes[0], list) else None


@settings(max_examples=150, deadline=None)
@given(history=histories, scheme=st.sampled_from([COVID, STANDING]), requested=st.sampled_from([6, 12, 24]),
       chunk=st.sampled_from([2, packing.CHUNK]))
def test_O6_the_incremental_settle_records_what_the_full_replay_records(history, scheme, requested, chunk):
    with mock.patch.object(packing, "CHUNK", chunk):
        _the_same_events(history, scheme, requested)


def _the_same_events(history, scheme, requested):
    fast = apply(scheme, "2021-12-15", [item("i1", "3000.00", "2020-06-30")], requested=requested)
    events = fast.collect_events()
    reference = reduce(lambda a, e: e.mutate(a), events, None)
    day, tx = START, 0
    for kind, offset, amount, twice in history:
        if kind == "reload":
            fast = reduce(lambda a, e: e.mutate(a), events, None)
            continue
        if kind == "old snapshot":
            fast = copy.deepcopy(fast)
            fast.__dict__.pop("walk", None)
            continue
        receipts = []
        if kind == "close":
            day += timedelta(days=offset)
        else:
            for _ in range(2 if twice else 1):
                tx += 1
                receipts.append(Receipt(f"t{tx}", day - timedelta(days=offset), amount))
        new = settle_both(fast, reference, scheme, day, receipts)
        if new is None:
            return
        events += new
        assert state(fast) == state(reference)
        assert resume.walk_of(fast)["accounts"] == resume.walk_of(reference)["accounts"]


def test_O6_a_payment_on_the_day_resumes_the_walk_and_records_the_same_facts():
    arrangement = apply(COVID, "2021-12-15", [item("i1", "3000.00", "2020-06-30")], requested=12)
    arrangement.settle(COVID, d("2021-12-20"), RULES, new_receipts=[Receipt("t1", d("2021-12-20"), m("250.00"))])
    arrangement.collect_events()
    assert resume.resumed_facts(arrangement, COVID, d("2021-12-21"), RULES,
                                [Receipt("t2", d("2021-12-21"), m("5.00"))]) is not None
    # a payment valued before the latest recorded one: the full replay decides
    assert resume.resumed_facts(arrangement, COVID, d("2021-12-21"), RULES,
                                [Receipt("t2", d("2021-12-19"), m("5.00"))]) is None
