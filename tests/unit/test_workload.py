"""The benchmark workload (issue 5): seeded, deterministic, streaming."""

from __future__ import annotations

import hashlib
import tracemalloc
from collections import Counter
from datetime import date

from bench.workload import Apply, Workload
from ledger.commands import PaymentInput, TransferInput

UNTIL = date(2023, 12, 31)


def digest(commands) -> str:
    return hashlib.sha256("\n".join(repr(c) for c in commands).encode()).hexdigest()


def test_the_same_seed_gives_the_same_stream_and_another_seed_another():
    assert digest(Workload(60, seed=7).commands(until=UNTIL)) == digest(Workload(60, seed=7).commands(until=UNTIL))
    assert digest(Workload(60, seed=7).commands(until=UNTIL)) != digest(Workload(60, seed=8).commands(until=UNTIL))


def test_a_debtor_does_not_depend_on_the_size_and_partitions_make_the_whole():
    small, large = Workload(50, seed=3), Workload(5_000, seed=3)
    assert digest(small.debtor_commands(small.story(42))) == digest(large.debtor_commands(large.story(42)))
    whole = Workload(90, seed=3)
    parts = [list(whole.commands(part, 3, UNTIL)) for part in range(3)]
    assert sorted(map(repr, (c for p in parts for c in p))) == sorted(map(repr, whole.commands(until=UNTIL)))


def test_funds_schemes_and_payment_kinds_are_all_there_in_proportion():
    stories = list(Workload(2_000, seed=11).stories())
    schemes = Counter(s.application.scheme if s.application else None for s in stories)
    arranged = sum(n for scheme, n in schemes.items() if scheme)
    assert 0.55 < schemes["covid-650"] / arranged < 0.65
    assert 0.25 < schemes["standing"] / arranged < 0.35
    assert 0.07 < schemes["disaster"] / arranged < 0.13
    assert set(Counter(s.fund for s in stories)) == {"IKA", "OAEE", "OGA", "ETAA"}
    applications = [s.application for s in stories if s.application]
    covid = [a for a in applications if a.scheme == "covid-650"]
    assert all(date(2021, 12, 1) <= a.applied_on <= date(2022, 1, 31) for a in covid)  # C2
    assert all(s.application.applied_on >= max(t.business_date for t in s.transfers) for s in stories if s.application)
    commands = list(Workload(150, seed=11).commands(until=UNTIL))
    kinds = Counter(type(c).__name__ for c in commands)
    assert kinds["TransferInput"] and kinds["Apply"] and kinds["PaymentInput"] > 10 * kinds["Apply"]
    payments = [c for c in commands if isinstance(c, PaymentInput)]
    assert len({(p.bank, p.tx_id) for p in payments}) < len(payments)  # duplicates (P5)
    assert any(p.reference.startswith("RF00") for p in payments)  # bad check digits: unroutable (P5)
    assert all(isinstance(c, (TransferInput, Apply, PaymentInput)) for c in commands)


def peak_while_streaming(debtors: int) -> int:
    tracemalloc.start()
    try:
        count = sum(1 for _ in Workload(debtors, seed=5).commands(until=UNTIL))
        assert count > debtors * 5
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_memory_stays_flat_as_the_stream_grows():
    Workload(5, seed=5)  # settings and holiday tables loaded before measuring
    list(Workload(20, seed=5).commands(until=UNTIL))
    small, large = peak_while_streaming(40), peak_while_streaming(240)
    assert large < small * 1.5 + 256 * 1024, (small, large)
