"""The consumer's aggregate cache (``consumers/cache.py``): batches applied with the
debtors and arrangements of earlier batches kept record exactly what they record when
every batch loads them; one changed meanwhile by another writer is read again; a batch
that fails leaves nothing it changed in the cache. On both stores."""

from __future__ import annotations

import json
from typing import Any

from eventsourcing.persistence import IntegrityError

from aggregates.references import debtor_identity_code
from consumers.ingest import PAYMENTS, Ingestor
from ledger.application import Ledger
from ledger.commands import PaymentInput
from ledger.handlers.payments import record_payment
from tests.integration.helpers import (
    AFM2,
    Rec,
    Sink,
    covid_case,
    d,
    debtor,
    m,
    transfer,
)


def message(tx_id: str, reference: str, amount: str, value_date: str) -> dict[str, Any]:
    return {"tx_id": tx_id, "bank": "ETE", "amount": amount, "currency": "EUR", "value_date": value_date,
            "reference": reference}


def setup(ledger: Ledger) -> tuple[str, str]:
    arrangement = covid_case(ledger)  # AFM, an arrangement of 12 instalments of 113.33
    debtor(ledger, AFM2)
    transfer(ledger, AFM2, "5000.00", "2021-06-30", "2021-05", "OAEE-2")
    return arrangement.payment_code, debtor_identity_code(AFM2)


def batches(code: str, identity: str) -> list[list[Rec]]:
    offset = iter(range(10_000))
    out = []
    for k in range(6):
        day = f"2021-12-{10 + k:02d}"
        out.append([Rec(next(offset), m_) for m_ in (
            message(f"A{k}", code, "113.33", day),
            message(f"D{k}", identity, f"{50 + k}.10", day),
            message(f"D{k}b", identity, "0.90", day),
            message(f"A{k}", code, "113.33", day),  # the same payment again (P5)
            b"not json",  # dead letter, and in suspense
        )])
    return out


def recorded(ledger: Ledger, after: int) -> list[tuple[Any, ...]]:
    rows = []
    for n in ledger.notifications(start=after + 1):
        state = json.loads(n.state)
        state.pop("timestamp", None)
        rows.append((n.originator_id, n.originator_version, n.topic, state))
    return rows


def run(db_url: str, cache_size: int) -> tuple[list[Any], list[Any], Ingestor]:
    ledger = Ledger(db_url)
    try:
        code, identity = setup(ledger)
        head = ledger.recorder.max_notification_id() or 0
        ingestor = Ingestor(ledger, PAYMENTS, Sink(), cache_size=cache_size)
        results = [ingestor.apply(b).statuses for b in batches(code, identity)]
        return results, recorded(ledger, head), ingestor
    finally:
        ledger.close()


def test_batches_with_the_cache_record_what_they_record_without(db_url: str, tmp_path) -> None:
    with_cache, events, ingestor = run(db_url, 50_000)
    without, expected, _ = run(f"sqlite:///{tmp_path / 'no-cache.db'}", 0)
    assert with_cache == without
    assert with_cache[-1] == {"applied": 3, "duplicate": 1, "dead-letter": 1}
    assert events == expected
    assert ingestor.cache is not None and ingestor.cache.hits >= 10 and ingestor.cache.stale == 0


def test_an_aggregate_another_writer_changed_is_read_again(db_url: str) -> None:
    ledger, other = Ledger(db_url), None
    try:
        _code, identity = setup(ledger)
        ingestor = Ingestor(ledger, PAYMENTS, Sink())
        ingestor.apply([Rec(0, message("K1", identity, "100.00", "2021-12-10"))])
        other = Ledger(db_url)  # e.g. the CLI, or the other consumer of a rebalance
        record_payment(other, PaymentInput("CLI1", m("200.00"), d("2021-12-11"), identity, "ETE"))
        result = ingestor.apply([Rec(1, message("K2", identity, "300.00", "2021-12-12"))])
        assert result.statuses == {"applied": 1} and result.attempts == 1
        assert ingestor.cache is not None and ingestor.cache.stale == 1
        fresh = other.debtor(AFM2)  # read from the store
        assert sum(p["amount"] for p in fresh.item_payments) == m("600.00")
        # registered, transferred, told of the transfer (N6), three payments: no version lost or doubled
        assert fresh.version == 6
    finally:
        ledger.close()
        if other is not None:
            other.close()


def test_a_failed_batch_leaves_nothing_it_changed_in_the_cache(db_url: str) -> None:
    ledger = Ledger(db_url)
    try:
        code, identity = setup(ledger)
        ingestor = Ingestor(ledger, PAYMENTS, Sink(), sleep=lambda s: None)
        ingestor.apply([Rec(0, message("F1", identity, "10.00", "2021-12-10"))])
        commit, failures = ledger.commit, []

        def failing_once(aggregates, tracking=None, actor=None):
            if not failures:
                failures.append(1)
                raise IntegrityError("as if another writer got there first")
            return commit(aggregates, tracking, actor)

        ledger.commit = failing_once  # type: ignore[method-assign]
        result = ingestor.apply([Rec(1, message("F2", identity, "20.00", "2021-12-11")),
                                 Rec(2, message("F3", code, "113.33", "2021-12-11"))])
        assert result.attempts == 2 and result.statuses == {"applied": 2}
        del ledger.commit
        ingestor.apply([Rec(3, message("F4", identity, "30.00", "2021-12-12"))])
        debtor2 = ledger.debtor(AFM2)  # read from the store
        assert sum(p["amount"] for p in debtor2.item_payments) == m("60.00")
        assert debtor2.version == 6
        assert list(ledger.arrangement(code).receipts) == ["paid:ETE/F3"]
    finally:
        ledger.close()
