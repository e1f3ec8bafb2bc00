"""The FastStream consumers on the real broker: duplicates, every kind of bad message,
the offset guard, and the publisher (interfaces §2, domain P5, D4)."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from decimal import Decimal

import pytest

from aggregates.references import debtor_identity_code
from consumers.dlq import (
    HEADER_ERROR,
    HEADER_SOURCE_OFFSET,
    HEADER_SOURCE_PARTITION,
    HEADER_SOURCE_TOPIC,
    dead_letter_info,
)
from consumers.ingest import PAYMENTS, TRANSFERS, Ingestor
from consumers.service import ConsumeConfig, LedgerConsumers
from consumers.topics import dlq_topic
from ledger import views
from ledger.application import Ledger
from ledger.handlers.close_day import close_day
from ledger.handlers.suspense import assign_payment
from tests.integration.kafka_helpers import (
    afms,
    encode,
    expected_sums,
    paid_in_ledger,
    payment,
    produce,
    produce_payments,
    read_all,
    seed_ledger,
    stored_offsets,
)

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]



def transfer_message(transfer_id: str, afm: str, amount: str) -> dict:
    return {"transfer_id": transfer_id, "fund": "OGA", "debtor": {"afm": afm, "name": "Νέος Οφειλέτης"},
            "items": [{"period": "2023-09", "kind": "contribution", "amount": amount, "due_date": "2023-10-31"}],
            "sent_at": "2024-01-10T09:00:00+02:00"}


def bad_check_digits(reference: str) -> str:
    digits = int(reference[2:4])
    return f"RF{(digits + 1) % 100:02d}{reference[4:]}"


async def consume_until(consumers: LedgerConsumers, done, timeout_s: float = 45.0) -> None:
    await consumers.start()
    publishing = asyncio.create_task(consumers.publish_loop())
    deadline = time.monotonic() + timeout_s
    try:
        while not await asyncio.to_thread(done):
            assert time.monotonic() < deadline, "consumers did not finish in time"
            await asyncio.sleep(0.2)
    finally:
        consumers.request_stop()
        await publishing
        await consumers.stop()


def test_duplicates_bad_messages_and_events(kafka_bootstrap, kafka_topics, postgres_url):
    topics = {"payments": kafka_topics("pay", 3), "transfers": kafka_topics("tr", 2), "events": kafka_topics("ev", 3)}
    debtors = afms(3)
    seed_ledger(postgres_url, debtors)
    good = [payment(f"G{i}", debtors[i % 3], f"{10 + i}.25") for i in range(12)]
    replayed = dict(good[0])  # the same bank transaction at a new offset (P5)
    bad_payments = {
        "schema": b'{"tx_id": "S1", "bank": "ETE", "currency": "EUR", "value_date": "2024-02-15", "reference": "x"}',
        "unreadable": b"\xff\xfe not json at all",
        "bad-rf": encode(payment("B1", debtors[0], "5.00", reference=bad_check_digits(debtor_identity_code(debtors[0])))),
        "unknown-ref": encode(payment("B2", debtors[0], "5.00", reference=debtor_identity_code("100000003"))),
        "non-eur": encode(payment("B3", debtors[0], "5.00", currency="USD")),
        "zero": encode(payment("B4", debtors[0], "0.00")),
        "negative": encode(payment("B5", debtors[0], "-3.00")),
        "conflicting-duplicate": encode(dict(good[1], amount="999.99")),
    }
    produce_payments(kafka_bootstrap, topics["payments"], good)
    produce(kafka_bootstrap, topics["payments"], [(b"k", value) for value in bad_payments.values()])
    produce_payments(kafka_bootstrap, topics["payments"], [replayed] + good[2:5])  # replays at new offsets

    new_afm = afms(4)[3]
    transfers = [
        (b"a", encode(transfer_message("T1", new_afm, "300.00"))),
        (b"a", encode(transfer_message("T1", new_afm, "300.00"))),  # the same transfer again (D4)
        (b"a", encode(transfer_message("T1", new_afm, "301.00"))),  # conflicts with it (D4)
        (b"a", b'{"transfer_id": "T2"}'),  # schema error
        (b"a", encode(transfer_message("T3", new_afm, "-1.00"))),  # amount <= 0
    ]
    produce(kafka_bootstrap, topics["transfers"], transfers)
    total_payments = len(good) + len(bad_payments) + 4

    def all_applied() -> bool:
        pays = sum(stored_offsets(postgres_url, topics["payments"], 3).values())
        trs = sum(stored_offsets(postgres_url, topics["transfers"], 2).values())
        return pays == total_payments and trs == len(transfers)

    ledger = Ledger(postgres_url)
    config = ConsumeConfig(kafka_bootstrap, payments_topic=topics["payments"], transfers_topic=topics["transfers"],
                           events_topic=topics["events"], group_id=f"g-{uuid.uuid4().hex[:8]}",
                           session_timeout_ms=6000, heartbeat_interval_ms=1000)
    try:
        asyncio.run(consume_until(LedgerConsumers(ledger, config), all_applied))
        events_after_first_run = ledger.recorder.max_notification_id()

        # Sums: every good payment once, the replays and the conflicting duplicate not at all.
        paid = paid_in_ledger(postgres_url)
        assert paid.sums == expected_sums(good)
        assert paid.receipts == paid.distinct_receipts == len(good)

        # Dead letters: original bytes, the error, the source offset.
        pay_dlq = read_all(kafka_bootstrap, dlq_topic(topics["payments"]), len(bad_payments))
        assert sorted(r.value for r in pay_dlq) == sorted(bad_payments.values())
        for record in pay_dlq:
            info = dead_letter_info(record.headers)
            assert info[HEADER_SOURCE_TOPIC] == topics["payments"]
            assert int(info[HEADER_SOURCE_PARTITION]) in range(3) and int(info[HEADER_SOURCE_OFFSET]) >= 0
            assert info[HEADER_ERROR]
        errors = {r.value: dead_letter_info(r.headers)[HEADER_ERROR] for r in pay_dlq}
        assert "amount: Field required" in errors[bad_payments["schema"]]
        assert "not valid JSON" in errors[bad_payments["unreadable"]]
        assert "RF reference" in errors[bad_payments["bad-rf"]]
        assert "names no debtor" in errors[bad_payments["unknown-ref"]]
        assert "not EUR" in errors[bad_payments["non-eur"]]
        assert "not more than zero" in errors[bad_payments["zero"]]

        # ... and every bad payment is in suspense (P5), the unreadable ones with their bytes.
        suspense = views.suspense(ledger)
        assert len(suspense) == len(bad_payments)
        assert {e["tx_id"] for e in suspense if e["tx_id"]} == {"B1", "B2", "B3", "B4", "B5", good[1]["tx_id"]}
        assert sum(1 for e in suspense if e["source"]) == 2  # schema error and unreadable bytes

        tr_dlq = read_all(kafka_bootstrap, dlq_topic(topics["transfers"]), 3)
        assert sorted(r.value for r in tr_dlq) == sorted([transfers[2][1], transfers[3][1], transfers[4][1]])
        assert any("D4" in dead_letter_info(r.headers)[HEADER_ERROR] for r in tr_dlq)
        assert ledger.debtor(new_afm).items and len(ledger.debtor(new_afm).items) == 1

        # Published events: all of them, in ledger order per key, event_id unique.
        events = read_all(kafka_bootstrap, topics["events"], events_after_first_run)
        bodies = [json.loads(r.value) for r in events]
        assert sorted(b["position"] for b in bodies) == list(range(1, events_after_first_run + 1))
        by_key: dict[str, list[dict]] = {}
        for record, body in zip(events, bodies):
            assert record.key.decode() == body["aggregate_id"]
            by_key.setdefault(body["aggregate_id"], []).append(body)
        for stream in by_key.values():
            assert [b["aggregate_version"] for b in stream] == list(range(1, len(stream) + 1))
            assert [b["position"] for b in stream] == sorted(b["position"] for b in stream)
        assert len({b["event_id"] for b in bodies}) == len(bodies)

        # A new group (its Kafka offsets at 0) resumes where the LEDGER stopped: the
        # assignment listener seeks to the stored offsets, nothing is applied twice.
        config.group_id = f"g-{uuid.uuid4().hex[:8]}"
        extra = payment("N1", debtors[0], "1.11")
        produce_payments(kafka_bootstrap, topics["payments"], [extra])
        consumers = LedgerConsumers(ledger, config)
        asyncio.run(consume_until(
            consumers, lambda: sum(stored_offsets(postgres_url, topics["payments"], 3).values()) == total_payments + 1))
        assert ledger.recorder.max_notification_id() == events_after_first_run + 2  # N1: Received (routed), DebtPaid
        assert paid_in_ledger(postgres_url).sums == expected_sums(good + [extra])
    finally:
        ledger.close()


class ListSink:
    def __init__(self) -> None:
        self.sent: list = []

    def send(self, letters) -> None:
        self.sent.extend(letters)


class Rec:
    def __init__(self, offset: int, value: bytes, topic: str = "t", partition: int = 0):
        self.topic, self.partition, self.offset, self.key, self.value, self.headers = topic, partition, offset, b"k", value, []


def test_same_records_redelivered_change_nothing(postgres_url):
    debtors = afms(2)
    seed_ledger(postgres_url, debtors)
    ledger = Ledger(postgres_url)
    try:
        sink = ListSink()
        ingestor = Ingestor(ledger, PAYMENTS, sink)
        records = [Rec(i, encode(payment(f"R{i}", debtors[i % 2], "12.34"))) for i in range(5)]
        first = ingestor.apply(records)
        assert first.statuses == {"applied": 5} and first.committed_offset == 5
        events = ledger.recorder.max_notification_id()
        again = ingestor.apply(records)  # the same batch after a crash before the Kafka commit
        assert again.skipped == 5 and again.statuses == {}
        overlapping = ingestor.apply(records[3:] + [Rec(5, encode(payment("R5", debtors[0], "1.00")))])
        assert overlapping.skipped == 2 and overlapping.statuses == {"applied": 1}
        assert ledger.recorder.max_notification_id() == events + 2  # Received (routed) and DebtPaid of R5 only
        assert paid_in_ledger(postgres_url).receipts == 6
        assert sink.sent == []
    finally:
        ledger.close()


def test_O2_P5_resends_on_the_topic_are_one_suspense_item_resolved_once(postgres_url):
    """A payment whose reference the bank corrects in two goes, then sends once more, in two
    batches: one item with three versions (each dead-lettered as in suspense once), and one
    assignment pays 96.00 once."""
    afm = afms(1)[0]
    seed_ledger(postgres_url, [afm])
    ledger = Ledger(postgres_url)
    try:
        sink = ListSink()
        ingestor = Ingestor(ledger, PAYMENTS, sink)
        code = debtor_identity_code(afm)
        sent = [payment("K1", afm, "96.00", reference=bad_check_digits(code)),
                payment("K1", afm, "96.00", reference=debtor_identity_code("100000003")), payment("K1", afm, "96.00")]
        first = ingestor.apply([Rec(i, encode(message)) for i, message in enumerate(sent)])
        again = ingestor.apply([Rec(3, encode(sent[2]))])
        assert (first.statuses, again.statuses) == ({"suspense": 3}, {"duplicate": 1})
        assert [letter.value for letter in sink.sent] == [encode(message) for message in sent]
        (item,) = views.suspense(ledger)
        assert (item["tx_id"], item["reference"], item["amount"], item["versions"]) == ("K1", code, Decimal("96.00"), 3)
        assert [v["reference"] for v in item["history"]] == [message["reference"] for message in sent]
        assign_payment(ledger, "K1", "ETE", code, "reference corrected by the bank")
        assert paid_in_ledger(postgres_url).sums == {afm: Decimal("96.00")}
        assert views.suspense(ledger) == [] and [r["versions"] for r in views.suspense(ledger, True)] == [3]
    finally:
        ledger.close()


def test_a_bad_message_never_poisons_its_batch(postgres_url):
    """A transfer the ledger refuses in the middle of a batch (after others touched the same
    debtor in the unit of work) is dead-lettered; the rest of the batch is applied intact."""
    afm = afms(1)[0]
    ledger = Ledger(postgres_url)
    try:
        close_day(ledger, __import__("datetime").date(2024, 1, 31))
        sink = ListSink()
        ingestor = Ingestor(ledger, TRANSFERS, sink)
        t = lambda tid, amount: encode(transfer_message(tid, afm, amount))
        records = [Rec(0, t("A", "100.00")), Rec(1, t("A", "150.00")), Rec(2, t("B", "50.00")), Rec(3, b"[]")]
        result = ingestor.apply(records)
        assert result.statuses == {"recorded": 2, "dead-letter": 2}
        assert [letter.value for letter in sink.sent] == [records[1].value, records[3].value]
        debtor = ledger.debtor(afm)
        assert sorted(i["amount"] for i in debtor.items.values()) == [Decimal("50.00"), Decimal("100.00")]
    finally:
        ledger.close()
