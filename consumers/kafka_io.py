"""kafka-python producers: dead letters, ledger events, bank-file replay.

kafka-python, not FastStream's aiokafka producer: aiokafka's idempotent producer fails
against some Kafka-protocol brokers (tansu), kafka-python's works, and idempotence keeps
the order of a key's records through retries (max 5 requests in flight).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from pathlib import Path

from kafka import KafkaProducer

from consumers.dlq import DeadLetter
from consumers.files import read_lines
from consumers.messages import BANK_PAYMENTS_TOPIC

DEFAULT_BOOTSTRAP = "localhost:9092"
SEND_TIMEOUT_S = 30.0


def bootstrap_servers(explicit: str | None = None) -> str:
    return explicit or os.environ.get("LEDGER_KAFKA_BOOTSTRAP") or DEFAULT_BOOTSTRAP


def make_producer(bootstrap: str, client_id: str = "keao-ledger") -> KafkaProducer:
    return KafkaProducer(
        bootstrap_servers=bootstrap,
        client_id=client_id,
        acks="all",
        enable_idempotence=True,
        linger_ms=5,
        request_timeout_ms=15_000,
    )


def send_all(producer: KafkaProducer, records: Iterable[tuple[str, bytes | None, bytes | None, list]]) -> int:
    """Send ``(topic, key, value, headers)`` records; return only once the broker has acked all."""
    futures = [producer.send(topic, key=key, value=value, headers=headers or None)
               for topic, key, value, headers in records]
    producer.flush(timeout=SEND_TIMEOUT_S)
    for future in futures:
        future.get(timeout=SEND_TIMEOUT_S)  # raises the send's error, if any
    return len(futures)


class KafkaDeadLetters:
    """The consumers' dead-letter sink: ``send`` returns when the broker has them all."""

    def __init__(self, producer: KafkaProducer):
        self.producer = producer

    def send(self, letters: Sequence[DeadLetter]) -> None:
        send_all(self.producer, ((dl.topic, dl.key, dl.value, dl.headers) for dl in letters))


def read_payment_file(path: Path) -> list[tuple[bytes, bytes]]:
    """``(key, value)`` of each line of a bank file (JSON Lines, interfaces §2.1).

    Checked whole first, like ``ledger payment import`` (``consumers.files.read_lines``:
    a leading BOM dropped): a malformed line raises :class:`MessageFormatError` naming
    it, and nothing is sent. The value is the line's bytes as the bank wrote them; the
    key is the reference (§2.1), a recall's (O3) its tx id (it carries no reference).
    """
    return [(message.kafka_key(), line) for _, line, message in read_lines(path, BANK_PAYMENTS_TOPIC)]


def replay_payments(records: Sequence[tuple[bytes, bytes]], bootstrap: str, topic: str) -> int:
    producer = make_producer(bootstrap, client_id="keao-ledger-import")
    try:
        return send_all(producer, ((topic, key, value, None) for key, value in records))
    finally:
        producer.close(timeout=SEND_TIMEOUT_S)
