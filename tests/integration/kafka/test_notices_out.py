"""Issued notices out to the print and e-mail services on the real broker (§2.6):
every ``Notice.Issued`` on ``keao.notices``, keyed by the ΑΦΜ, its ``notice_id``
the same when sent again, and nothing sent twice by a publisher that resumes."""

from __future__ import annotations

import json

import pytest

from consumers.kafka_io import make_producer
from consumers.notices import NOTICE_EVENTS, notice_message
from consumers.publisher import EventPublisher
from ledger.application import Ledger
from ledger.handlers.close_day import close_day
from tests.integration.helpers import AFM, d, debtor, transfer
from tests.integration.kafka_helpers import read_all

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]


def test_every_issued_notice_is_published_once_with_its_id(kafka_bootstrap, kafka_topics, postgres_url):
    topic = kafka_topics("notices")
    ledger = Ledger(postgres_url)
    producer = make_producer(kafka_bootstrap)
    try:
        debtor(ledger, AFM, business_date=d("2023-01-20"), service="Περιφερειακή Υπηρεσία Κ.Ε.Α.Ο. Πειραιά")
        transfer(ledger, AFM, "1000.00", "2023-01-31", "2022-12", "T-1", on="2023-01-20")  # N6
        close_day(ledger, d("2023-02-01"))  # N2: the invitation
        publisher = EventPublisher(ledger, producer, topic, event_topics=NOTICE_EVENTS, message=notice_message)
        assert publisher.catch_up() == 2
        records = read_all(kafka_bootstrap, topic, 2)
        bodies = [json.loads(r.value) for r in records]
        assert [(b["notice_id"], b["kind"], b["total"]) for b in bodies] == [
            ("INF-100000003-OAEE", "information", "0.00"), ("INV-100000003-20230201", "invitation", "1007.08")]
        assert [r.key for r in records] == [AFM.encode(), AFM.encode()]
        invitation = bodies[1]
        assert invitation["items"] == [{"item_id": "OAEE:T-1:1", "fund": "OAEE", "period": "2022-12",
                                        "kind": "contribution", "due_date": "2023-01-31", "amount": "1000.00",
                                        "surcharges": "7.08", "paid": "0.00", "outstanding": "1007.08"}]
        assert invitation["service"] == "Περιφερειακή Υπηρεσία Κ.Ε.Α.Ο. Πειραιά"
        assert invitation["identity_code"].startswith("RF") and invitation["period_days"] == 30
        assert invitation["actor"] == "system:close-day"
        publisher.close()
        # A publisher that resumes sends nothing it sent already; a re-send keeps the id.
        resumed = EventPublisher(ledger, producer, topic, event_topics=NOTICE_EVENTS, message=notice_message)
        assert resumed.catch_up() == 0
        resumed.close()
        again = notice_message(ledger, next(iter(ledger.notifications(NOTICE_EVENTS))))
        assert again.notice_id == "INF-100000003-OAEE"
    finally:
        producer.close()
        ledger.close()
