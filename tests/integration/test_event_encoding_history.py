"""Every event a realistic ledger records is stored byte for byte as the library's own
encoder would have stored it (``Ledger._record`` writes them with ``EventStateEncoder``,
``orjson`` where that is provably the same): the demo's three years (all three schemes,
every kind of payment, closes of day, suspense) and a generated history, on both stores.
Decoding with the library and encoding again with the library gives the stored bytes,
the personal fields sealed as stored (F3: their nonces are random)."""

from __future__ import annotations

from collections import Counter
from datetime import date
from pathlib import Path

from typing import Any

import orjson

from bench.history import generate
from ledger.application import Ledger
from ledger.demo import run_demo
from ledger.store.personal_data import is_sealed, personal_fields


def with_stored_seals(topic: str, state: dict[str, Any], stored: bytes) -> dict[str, Any]:
    """The decoded ``state`` with each personal field it had sealed put back as stored."""
    raw = orjson.loads(stored)
    fields = personal_fields(topic, raw)
    for path in fields.paths if fields else ():
        held, found = state, raw
        for key in path[:-1]:
            held, found = held[key], found[key]
        if is_sealed(found.get(path[-1])):
            held[path[-1]] = found[path[-1]]
    return state


def assert_stored_as_the_library_would(ledger: Ledger) -> Counter[str]:
    transcoder = ledger.mapper.transcoder
    topics: Counter[str] = Counter()
    for notification in ledger.notifications():
        event = ledger.mapper.to_domain_event(notification)
        state = dict(vars(event))
        assert (state.pop("originator_id"), state.pop("originator_version")) == (
            notification.originator_id, notification.originator_version)
        state = with_stored_seals(notification.topic, state, notification.state)
        assert transcoder.encode(state) == notification.state, notification.topic
        topics[notification.topic] += 1
    return topics


def test_the_demo_s_events_are_stored_as_the_library_would_store_them(tmp_path: Path) -> None:
    ledger = Ledger(f"sqlite:///{tmp_path / 'demo.db'}")
    try:
        run_demo(ledger, lambda label, planned: None, until=date(2022, 6, 30))
        topics = assert_stored_as_the_library_would(ledger)
        encoder = ledger.mapper.encoder
        assert encoder is not None and encoder.fast > 0.99 * sum(topics.values())
    finally:
        ledger.close()
    assert len(topics) >= 20, sorted(topics)  # most kinds of event
    assert {"keao:BankPayment.Received", "keao:BankPayment.Suspended", "keao:Debtor.DebtPaid",
            "keao:Arrangement.Paid"} <= set(topics)


def test_a_generated_history_is_stored_as_the_library_would_store_it(db_url: str) -> None:
    ledger = Ledger(db_url)
    try:
        generate(ledger, seed=5, debtors=16, months=9)
        topics = assert_stored_as_the_library_would(ledger)
    finally:
        ledger.close()
    assert sum(topics.values()) > 300
