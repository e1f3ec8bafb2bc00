"""Recalls (O3), fund corrections (O4) and refund orders (O2, O5) on the real broker:
the new message kinds go through the same exactly-once guard as payments and
transfers (the ledger's offset in the same transaction, business-key dedup), a
malformed one goes to the dead-letter topic, and every refund order is published
on the refunds topic with its id."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import date
from decimal import Decimal

import pytest

from consumers.dlq import HEADER_ERROR, dead_letter_info
from consumers.refunds import REFUND_EVENTS
from consumers.service import ConsumeConfig, LedgerConsumers
from consumers.topics import dlq_topic
from ledger import views
from ledger.application import Ledger
from ledger.handlers.credit import refund_credit
from ledger.handlers.suspense import refund_payment
from tests.integration.kafka.test_ingest import consume_until
from tests.integration.kafka_helpers import (
    VALUE_DATE,
    afms,
    encode,
    payment,
    produce,
    read_all,
    seed_ledger,
    stored_offsets,
)

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]
IBAN = "GR1601101250000000012300695"


def recall(tx_id: str, reason: str = "returned transfer") -> dict:
    return {"type": "reversal", "tx_id": tx_id, "bank": "ETE", "reason": reason, "value_date": VALUE_DATE}


def correction(cid: str, afm: str, amount: str | None) -> dict:
    item = {"period": "2023-05", "kind": "contribution", **({"amount": amount} if amount else {})}
    return {"action": "amend" if amount else "cancel", "correction_id": cid, "transfer_id": f"SEED-{afm}",
            "fund": "OAEE", "debtor": {"afm": afm}, "items": [item], "sent_at": "2024-02-16T09:00:00+02:00"}


def test_recalls_corrections_and_refund_orders_on_the_broker(kafka_bootstrap, kafka_topics, postgres_url):
    topics = {k: kafka_topics(k, 1) for k in ("pay", "tr", "ev", "ref")}
    one, two = afms(2)
    seed_ledger(postgres_url, [one, two])  # each owes 1,000,000.00, due 2023-06-30
    payments = [
        (b"a", encode(payment("P1", one, "100.00"))),
        (b"a", encode(payment("P2", one, "40.00"))),
        (b"b", encode(payment("P3", two, "700000.00"))),
        (b"a", encode(recall("P1"))),
        (b"a", encode(recall("P1"))),  # recalled already: kept in suspense with the reason
        (b"a", b'{"type": "reversal", "tx_id": "P2", "bank": "ETE"}'),  # no reason, no date: malformed
        (b"c", encode(payment("P9", one, "5.00", reference="RF00X"))),  # suspense: refunded below
    ]
    transfers = [
        (b"b", encode(correction("C1", two, "600000.00"))),
        (b"b", encode(correction("C1", two, "600000.00"))),  # the same correction again (O4)
        (b"b", encode(correction("C1", two, "500000.00"))),  # other content under its id: refused
        (b"b", b'{"action": "amend", "correction_id": "C2"}'),  # malformed
    ]
    ledger = Ledger(postgres_url)
    config = ConsumeConfig(kafka_bootstrap, payments_topic=topics["pay"], transfers_topic=topics["tr"],
                           events_topic=topics["ev"], refunds_topic=topics["ref"],
                           group_id=f"g-{uuid.uuid4().hex[:8]}", session_timeout_ms=6000, heartbeat_interval_ms=1000)

    def applied(topic: str, count: int):
        return lambda: stored_offsets(postgres_url, topic, 1)[0] == count

    try:
        produce(kafka_bootstrap, topics["pay"], payments)
        asyncio.run(consume_until(LedgerConsumers(ledger, config), applied(topics["pay"], len(payments))))
        produce(kafka_bootstrap, topics["tr"], transfers)  # after the payment of `two` it corrects
        asyncio.run(consume_until(LedgerConsumers(ledger, config), applied(topics["tr"], len(transfers))))

        # O3: P1 undone, P2 kept (40.00 of the surcharges first, P2)
        assert views.debt_table(ledger, one, date(2024, 2, 15))["items"][0]["paid"] == Decimal("40.00")
        # O4: C1 once. P3's 700,000.00 paid 8 started months (2023-07-01 .. 2024-02-01) at
        # 8.5%/12 on 1,000,000.00 = 56,666.67 of surcharges, then 643,333.33 of principal:
        # amended to 600,000.00, 43,333.33 was paid beyond it and is the debtor's credit.
        corrected = views.debt_table(ledger, two, date(2024, 2, 16))
        assert (corrected["items"][0]["amount"], corrected["items"][0]["surcharges"], corrected["credit"]) == (
            Decimal("600000.00"), Decimal("56666.67"), Decimal("43333.33"))
        # the recall of P1 again, the malformed recall (unreadable: kept with its bytes, §2.4), P9
        assert [e["tx_id"] for e in views.suspense(ledger)] == ["P1", None, "P9"]
        pay_dlq = read_all(kafka_bootstrap, dlq_topic(topics["pay"]), 3)
        errors = {r.value: dead_letter_info(r.headers)[HEADER_ERROR] for r in pay_dlq}
        assert "reason: Field required" in errors[payments[5][1]]
        assert "suspense: recall of payment P1 from bank ETE: already recalled (O3)" in errors[payments[4][1]]
        tr_errors = " | ".join(dead_letter_info(r.headers)[HEADER_ERROR]
                               for r in read_all(kafka_bootstrap, dlq_topic(topics["tr"]), 2))
        assert "correction C1 was already recorded with other content (O4)" in tr_errors
        assert "transfer_id: Field required" in tr_errors

        # O2, O5: two refund orders, each published with its id, keyed by the ΑΦΜ or the tx id
        refund_payment(ledger, "P9", "ETE", IBAN, "no such debtor")
        refund_credit(ledger, two, "43333.33", IBAN, "overpaid after the fund's correction")
        last = max(n.id for n in ledger.notifications(REFUND_EVENTS))
        consumers = LedgerConsumers(ledger, config)
        asyncio.run(consume_until(consumers, lambda: consumers.publishers[1].position() >= last))
        orders = read_all(kafka_bootstrap, topics["ref"], 2)
        bodies = [json.loads(r.value) for r in orders]
        assert [(b["refund_id"], b["source"], b["amount"], b["iban"]) for b in bodies] == [
            ("refund:ETE/P9", "suspense", "5.00", IBAN), (f"refund:{two}:6", "credit", "43333.33", IBAN)]
        assert [r.key for r in orders] == [b"P9", two.encode()]
        assert all(b["actor"] for b in bodies)
    finally:
        ledger.close()
