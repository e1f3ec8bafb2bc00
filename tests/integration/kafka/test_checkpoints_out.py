"""F2: the signed checkpoints out to the auditors on the real broker (§2.6): every
``Checkpoint.Checkpointed`` on ``keao.checkpoints``, keyed by the ledger, the document
``ledger checkpoint`` printed, and nothing sent twice by a publisher that resumes."""

from __future__ import annotations

import json

import pytest

from consumers.checkpoints import checkpoint_message
from consumers.kafka_io import make_producer
from consumers.publisher import EventPublisher
from ledger import signing
from ledger.application import Ledger
from ledger.handlers.integrity import CHECKPOINT_EVENTS, make_checkpoint
from tests.integration import tampering
from tests.integration.kafka_helpers import read_all
from tests.integration.signing_keys import key_files

pytestmark = [pytest.mark.kafka, pytest.mark.postgres]


def test_f2_every_checkpoint_is_published_once_keyed_by_the_ledger(kafka_bootstrap, kafka_topics, postgres_url,
                                                                   tmp_path):
    topic = kafka_topics("checkpoints")
    ledger = Ledger(postgres_url)
    producer = make_producer(kafka_bootstrap)
    try:
        tampering.write_some(ledger)
        key = signing.private_key(str(key_files(tmp_path, "signing")[0]))
        documents = [make_checkpoint(ledger, key), make_checkpoint(ledger, key)]
        publisher = EventPublisher(ledger, producer, topic, event_topics=CHECKPOINT_EVENTS, message=checkpoint_message)
        assert publisher.catch_up() == 2
        records = read_all(kafka_bootstrap, topic, 2)
        assert [json.loads(r.value) for r in records] == documents
        assert [r.key for r in records] == [documents[0]["ledger"].encode()] * 2
        assert documents[1]["position"] == documents[0]["position"] + 1  # the first checkpoint's event, signed
        publisher.close()
        resumed = EventPublisher(ledger, producer, topic, event_topics=CHECKPOINT_EVENTS, message=checkpoint_message)
        assert resumed.catch_up() == 0
        resumed.close()
    finally:
        producer.close()
        ledger.close()
