"""A batch applied with its aggregates prefetched (``Ledger.prefetch_payments``,
``UnitOfWork.prefetch``: what the Kafka consumer does) records exactly what the
same batch records loading each aggregate when first touched: the same
outcomes, the same events in the same order."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from aggregates.debtor import Debtor
from aggregates.payment import BankPayment
from aggregates.references import creditor_reference, debtor_identity_code
from ledger.application import Ledger
from ledger.commands import PaymentInput
from ledger.handlers.payments import payment_into, prefetch_payments
from ledger.unit_of_work import UnitOfWork
from tests.integration.helpers import (
    AFM,
    AFM2,
    UNREGISTERED,
    covid_case,
    d,
    debtor,
    m,
    pay,
    transfer,
)


def bad_check_digits(reference: str) -> str:
    return f"RF{(int(reference[2:4]) + 1) % 100:02d}{reference[4:]}"


def scenario(ledger: Ledger, prefetch: bool) -> tuple[list[Any], list[tuple[Any, ...]]]:
    arrangement = covid_case(ledger)
    debtor(ledger, AFM2)
    transfer(ledger, AFM2, "500.00", "2021-06-30", "2021-05", "OAEE-2")
    pay(ledger, arrangement.payment_code, "10.00", "2021-12-10", "EARLIER")
    head = ledger.recorder.max_notification_id()
    code, identity = arrangement.payment_code, debtor_identity_code(AFM2)
    batch = [
        PaymentInput("B1", m("113.33"), d("2021-12-20"), code, "ETE"),
        PaymentInput("B2", m("50.00"), d("2021-12-21"), identity, "ETE"),
        PaymentInput("B3", m("113.33"), d("2021-12-22"), code, "ETE"),  # the same arrangement again
        PaymentInput("B1", m("113.33"), d("2021-12-20"), code, "ETE"),  # a duplicate within the batch
        PaymentInput("EARLIER", m("10.00"), d("2021-12-10"), code, "ETE"),  # one already recorded
        PaymentInput("EARLIER", m("99.00"), d("2021-12-10"), code, "ETE"),  # ... with other content
        PaymentInput("B4", m("20.00"), d("2021-12-23"), debtor_identity_code(UNREGISTERED), "ETE"),
        PaymentInput("B5", m("20.00"), d("2021-12-23"), bad_check_digits(code), "ETE"),
        PaymentInput("B6", m("20.00"), d("2021-12-23"), code.lower(), "ETE", currency="USD"),
        PaymentInput("B7", m("20.00"), d("2021-12-23"), creditor_reference("X123"), "NBG"),
        PaymentInput("B8", m("70.00"), d("2021-12-24"), identity, "NBG"),
    ]
    work = UnitOfWork(ledger)
    if prefetch:
        prefetch_payments(work, batch)
    outcomes = [payment_into(work, p) for p in batch]
    work.commit()
    recorded = [
        (n.originator_id, n.originator_version, n.topic, _without_timestamp(n.state))
        for n in ledger.notifications(start=(head or 0) + 1)
    ]
    return outcomes, recorded


def _without_timestamp(state: bytes) -> dict[str, Any]:
    payload = json.loads(state)
    payload.pop("timestamp", None)
    return payload


def test_a_prefetched_batch_records_the_same_as_one_loaded_on_demand(db_url: str, tmp_path: Path) -> None:
    with_prefetch = Ledger(db_url)
    on_demand = Ledger(f"sqlite:///{tmp_path / 'on-demand.db'}")
    try:
        outcomes, recorded = scenario(with_prefetch, prefetch=True)
        expected_outcomes, expected = scenario(on_demand, prefetch=False)
    finally:
        with_prefetch.close()
        on_demand.close()
    assert outcomes == expected_outcomes
    assert {o.status for o in outcomes} == {"applied", "duplicate", "suspense"}
    assert recorded == expected


def test_prefetch_knows_the_absent_and_keeps_the_order_of_first_touch(db_url: str) -> None:
    ledger = Ledger(db_url)
    try:
        arrangement = covid_case(ledger)
        work = UnitOfWork(ledger)
        prefetch_payments(work, [PaymentInput("NEW", m("1.00"), d("2021-12-20"), arrangement.payment_code)])
        assert arrangement.id in work.prefetched and not work.loaded
        assert Debtor.create_id(AFM) in work.prefetched  # the arrangement's debtor, in the second round
        assert len(work.absent) == 1  # the bank payment UNKNOWN/NEW
        queries: list[Any] = []
        original = ledger.repository.get
        ledger.repository.get = lambda *a, **k: queries.append(a) or original(*a, **k)  # type: ignore[method-assign]
        assert work.get(BankPayment, BankPayment.create_id("UNKNOWN", "NEW")) is None
        assert work.get(type(arrangement), arrangement.id) is not None
        assert queries == []
        assert list(work.loaded) == [arrangement.id]
    finally:
        ledger.close()
