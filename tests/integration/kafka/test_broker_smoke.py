"""Smoke tests: the client features the ledger relies on work against a real broker."""

from __future__ import annotations

import asyncio
import time

import pytest
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.partitioner import murmur2
from kafka.structs import OffsetAndMetadata

from consumers.dlq import (
    HEADER_ERROR,
    HEADER_SOURCE_OFFSET,
    HEADER_SOURCE_PARTITION,
    HEADER_SOURCE_TOPIC,
    dead_letter_from_record,
    dead_letter_info,
)
from consumers.topics import dlq_topic, ensure_topics

pytestmark = pytest.mark.kafka

POLL_DEADLINE_S = 30.0


def _producer(bootstrap: str) -> KafkaProducer:
    return KafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=True, acks="all")


def _consumer(bootstrap: str, *topics: str, group_id: str | None = None) -> KafkaConsumer:
    return KafkaConsumer(
        *topics,
        bootstrap_servers=bootstrap,
        group_id=group_id,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        session_timeout_ms=6000,
        heartbeat_interval_ms=1000,
    )


def _poll_exactly(consumer: KafkaConsumer, count: int) -> list:
    """Poll until ``count`` records arrived, then keep polling briefly to catch extras."""
    records: list = []
    deadline = time.monotonic() + POLL_DEADLINE_S
    while len(records) < count and time.monotonic() < deadline:
        for batch in consumer.poll(timeout_ms=500, max_records=count - len(records)).values():
            records.extend(batch)
    return records


def _committed_offsets(bootstrap: str, group_id: str) -> dict[tuple[str, int], int]:
    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    try:
        offsets = admin.list_group_offsets(group_id)[group_id]
    finally:
        admin.close()
    return {(tp.topic, tp.partition): meta.offset for tp, meta in offsets.items()}


def test_idempotent_producer_round_trip(kafka_bootstrap, kafka_topics):
    topic = kafka_topics("roundtrip")
    producer = _producer(kafka_bootstrap)
    sent = [producer.send(topic, key=b"RF1", value=f"m{i}".encode()).get(timeout=10) for i in range(3)]
    producer.close()

    assert [(m.partition, m.offset) for m in sent] == [(0, 0), (0, 1), (0, 2)]
    consumer = _consumer(kafka_bootstrap, topic)
    records = _poll_exactly(consumer, 3)
    consumer.close()
    assert [(r.offset, r.key, r.value) for r in records] == [
        (0, b"RF1", b"m0"),
        (1, b"RF1", b"m1"),
        (2, b"RF1", b"m2"),
    ]


def test_group_resumes_from_committed_offset(kafka_bootstrap, kafka_topics):
    topic = kafka_topics("resume")
    group = f"{topic}.group"
    producer = _producer(kafka_bootstrap)
    for i in range(5):
        producer.send(topic, value=f"m{i}".encode())
    producer.flush()
    producer.close()

    first = _consumer(kafka_bootstrap, topic, group_id=group)
    first_batch = _poll_exactly(first, 3)
    assert [r.value for r in first_batch] == [b"m0", b"m1", b"m2"]
    # Commit "next to read" = 3, as a consumer does after processing offsets 0..2.
    first.commit({TopicPartition(topic, 0): OffsetAndMetadata(3, "", -1)})
    first.close()
    assert _committed_offsets(kafka_bootstrap, group) == {(topic, 0): 3}

    second = _consumer(kafka_bootstrap, topic, group_id=group)
    resumed = _poll_exactly(second, 2)
    extra = second.poll(timeout_ms=1000)
    second.close()
    assert [(r.offset, r.value) for r in resumed] == [(3, b"m3"), (4, b"m4")]
    assert extra == {}


def test_keyed_messages_land_on_one_deterministic_partition(kafka_bootstrap, kafka_topics):
    partitions = 6
    topic = kafka_topics("keyed", partitions=partitions)
    key = b"RF18539007547034"
    # Java's default partitioner: murmur2(key) positive, modulo the partition count.
    expected_partition = (murmur2(key) & 0x7FFFFFFF) % partitions

    producer = _producer(kafka_bootstrap)
    sent = [producer.send(topic, key=key, value=f"p{i}".encode()).get(timeout=10) for i in range(4)]

    async def publish_with_aiokafka() -> int:
        from faststream.kafka import KafkaBroker

        async with KafkaBroker(kafka_bootstrap) as broker:
            metadata = await broker.publish(b"p-aio", topic, key=key)
        return metadata.partition

    aiokafka_partition = asyncio.run(publish_with_aiokafka())
    producer.close()

    assert {m.partition for m in sent} == {expected_partition}
    assert [m.offset for m in sent] == [0, 1, 2, 3]
    # The ledger's aiokafka producers and the banks' (Java) producers agree.
    assert aiokafka_partition == expected_partition


def test_faststream_nack_on_error_redelivers_failed_message(kafka_bootstrap, kafka_topics):
    from faststream import AckPolicy
    from faststream.kafka import KafkaBroker, KafkaMessage

    topic = kafka_topics("nack")
    group = f"{topic}.group"
    producer = _producer(kafka_bootstrap)
    for i in range(3):
        producer.send(topic, key=b"RF1", value=f"m{i}".encode())
    producer.flush()
    producer.close()

    deliveries: list[tuple[int, bytes]] = []

    async def run() -> None:
        broker = KafkaBroker(kafka_bootstrap, logger=None)
        all_processed = asyncio.Event()

        @broker.subscriber(
            topic,
            group_id=group,
            auto_offset_reset="earliest",
            ack_policy=AckPolicy.NACK_ON_ERROR,
        )
        async def handle(body: bytes, message: KafkaMessage) -> None:
            deliveries.append((message.raw_message.offset, body))
            if len(deliveries) == 1:
                raise RuntimeError("transient failure, e.g. database down")
            if len(deliveries) == 4:
                all_processed.set()

        async with broker:
            await broker.start()
            await asyncio.wait_for(all_processed.wait(), timeout=POLL_DEADLINE_S)
            await asyncio.sleep(0.5)  # would catch a spurious extra delivery

    asyncio.run(run())

    assert deliveries == [(0, b"m0"), (0, b"m0"), (1, b"m1"), (2, b"m2")]
    assert _committed_offsets(kafka_bootstrap, group) == {(topic, 0): 3}


def test_dead_letter_keeps_original_bytes_and_source_in_headers(kafka_bootstrap, kafka_topics):
    source = kafka_topics("source")
    ensure_topics(kafka_bootstrap, 1, topics=[dlq_topic(source)])
    unreadable = b'{"tx_id": "T1", "amount": 12.5, \xff\xfe}'
    producer = _producer(kafka_bootstrap)
    producer.send(source, value=b"ok").get(timeout=10)
    producer.send(source, key=b"RF1", value=unreadable, headers=[("trace", b"abc")]).get(timeout=10)

    consumer = _consumer(kafka_bootstrap, source)
    bad_record = _poll_exactly(consumer, 2)[1]
    consumer.close()
    letter = dead_letter_from_record(bad_record, ValueError("amount: not a decimal string"))
    producer.send(letter.topic, key=letter.key, value=letter.value, headers=letter.headers).get(timeout=10)
    producer.close()

    dlq_consumer = _consumer(kafka_bootstrap, dlq_topic(source))
    [dead] = _poll_exactly(dlq_consumer, 1)
    dlq_consumer.close()
    assert dead.value == unreadable
    assert dead.key == b"RF1"
    assert dead.headers[0] == ("trace", b"abc")
    info = dead_letter_info(dead.headers)
    assert info[HEADER_ERROR] == "amount: not a decimal string"
    assert info[HEADER_SOURCE_TOPIC] == source
    assert info[HEADER_SOURCE_PARTITION] == "0"
    assert info[HEADER_SOURCE_OFFSET] == "1"


def test_ensure_topics_is_idempotent(kafka_bootstrap, kafka_topics):
    name = kafka_topics("existing", partitions=2)
    fresh = f"{name}.fresh"

    assert ensure_topics(kafka_bootstrap, 2, topics=[name, fresh]) == [fresh]
    assert ensure_topics(kafka_bootstrap, 2, topics=[name, fresh]) == []
    admin = KafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    try:
        described = {t["name"]: len(t["partitions"]) for t in admin.describe_topics([name, fresh])}
    finally:
        admin.close()
    assert described == {name: 2, fresh: 2}
