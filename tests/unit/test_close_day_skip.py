"""E1/E2 with the close-of-day shortcut (issue 5): an arrangement that
``Arrangement.may_change`` says nothing can happen to between two closes
records nothing when settled anyway."""

from __future__ import annotations

from datetime import date, timedelta

from aggregates.arrangement import Arrangement
from aggregates.debtor import Debtor
from bench.workload import Workload, feed
from ledger.app import Ledger, _held_items


def test_skipped_arrangements_would_have_recorded_nothing(tmp_path):
    ledger = Ledger(f"sqlite:///{tmp_path / 'ledger.db'}")
    ledger.close_day(date(2019, 1, 1))
    feed(ledger, Workload(30, seed=9).commands(until=date(2022, 6, 10)))
    previous = date(2022, 5, 27)
    ledger.close_day(previous)
    ids = list(ledger.arrangement_ids())
    skipped = settled = 0
    day = previous
    while day < date(2022, 6, 10):
        day += timedelta(days=1)
        for arrangement_id in ids:
            arrangement: Arrangement = ledger.repository.get(arrangement_id)
            if arrangement.status in ("rejected", "completed", "lapsed"):
                continue
            if arrangement.may_change(ledger.settings.scheme(arrangement.scheme), previous, day):
                settled += 1
                continue
            skipped += 1
            debtor: Debtor = ledger.repository.get(Debtor.create_id(arrangement.debtor_afm))
            ledger._settle(arrangement, debtor, day, _held_items(ledger.arrangements_of(debtor)))
            assert not arrangement.collect_events(), (arrangement.payment_code, previous, day)
        ledger.close_day(day)
        previous = day
    assert skipped > settled > 0
    ledger.close()
