"""``keao.apd`` (interfaces §2.5): ΑΠΔ taken in from Kafka exactly once, a refused one
dead-lettered with the reason, on the real broker too."""

from __future__ import annotations

import asyncio
import json
import uuid

import pytest

from consumers.dlq import HEADER_ERROR
from consumers.ingest import APD, Ingestor
from consumers.service import ConsumeConfig, LedgerConsumers
from consumers.topics import dlq_topic
from ledger.application import Ledger
from ledger.handlers.debtors import register_debtor
from tests.integration.kafka.test_ingest import ListSink, Rec, consume_until
from tests.integration.kafka_helpers import produce, read_all, stored_offsets
from tests.integration.helpers import AFM, UNREGISTERED, d

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]


def apd_message(apd_id: str, employer: str = AFM, contributions: str = "440.60") -> bytes:
    return json.dumps({
        "apd_id": apd_id, "employer_afm": employer, "legal_form": "010", "public_like": False,
        "submitted_on": "2004-10-15",
        "records": [{"record": "1", "amka": "01016512343", "insured_since": "1985-03-01", "package": "101",
                     "earnings_type": "01", "wage_period": "2004-09", "from": "2004-09-01", "to": "2004-09-30",
                     "days": 25, "earnings": "1000.00", "contributions": contributions, "employer_subsidy": "0.00",
                     "employee_subsidy": "0.00"}]}).encode()


def test_declarations_from_the_topic_once_each_the_refused_dead_lettered(postgres_url):
    ledger = Ledger(postgres_url)
    try:
        register_debtor(ledger, AFM, "Άλφα ΑΕ", d("2004-10-01"))
        sink = ListSink()
        ingestor = Ingestor(ledger, APD, sink)
        records = [Rec(0, apd_message("A-1")), Rec(1, apd_message("A-1")),  # the same again (D4)
                   Rec(2, apd_message("A-1", contributions="0.00")),  # other content under the id (D4)
                   Rec(3, apd_message("A-2", employer=UNREGISTERED)),  # no such debtor
                   Rec(4, b'{"apd_id": "A-3"}'), Rec(5, apd_message("A-4", contributions="0.00"))]
        result = ingestor.apply(records)
        assert result.statuses == {"recorded": 2, "duplicate": 1, "dead-letter": 3}
        assert [letter.value for letter in sink.sent] == [records[2].value, records[3].value, records[4].value]
        errors = [letter.header(HEADER_ERROR) for letter in sink.sent]
        assert "(D4)" in errors[0] and "employer_afm: no debtor 100000052" in errors[1] and "records" in errors[2]
        assert ledger.declaration("A-4").codes == {"1": (70,)}
        events = ledger.recorder.max_notification_id()
        assert ingestor.apply(records).skipped == 6  # redelivered after a crash: nothing twice
        assert ledger.recorder.max_notification_id() == events
    finally:
        ledger.close()


def test_the_consumer_takes_the_topic_on_the_real_broker(kafka_bootstrap, kafka_topics, postgres_url):
    topics = {"apd": kafka_topics("apd", 1), "events": kafka_topics("ev", 1)}
    ledger = Ledger(postgres_url)
    try:
        register_debtor(ledger, AFM, "Άλφα ΑΕ", d("2004-10-01"))
        produce(kafka_bootstrap, topics["apd"], [(AFM.encode(), apd_message("A-1")), (AFM.encode(), b"{}")])
        config = ConsumeConfig(kafka_bootstrap, declarations_topic=topics["apd"], payments_topic=kafka_topics("p", 1),
                               transfers_topic=kafka_topics("t", 1), events_topic=topics["events"],
                               group_id=f"g-{uuid.uuid4().hex[:8]}", session_timeout_ms=6000,
                               heartbeat_interval_ms=1000)
        asyncio.run(consume_until(LedgerConsumers(ledger, config),
                                  lambda: sum(stored_offsets(postgres_url, topics["apd"], 1).values()) == 2))
        assert ledger.declaration("A-1").status == "ready"
        (letter,) = read_all(kafka_bootstrap, dlq_topic(topics["apd"]), 1)
        assert letter.value == b"{}"
    finally:
        ledger.close()
