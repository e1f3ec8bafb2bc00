"""``ledger consume``: the FastStream consumers of §2.1–2.2 and the publisher of §2.3.

Each inbound topic has a FastStream batch subscriber with ``AckPolicy.NACK_ON_ERROR`` and
auto-commit off:

* a batch is split by partition and each part applied by :class:`consumers.ingest.Ingestor`
  in ONE ledger transaction that also stores the partition's next offset (the offset guard);
* only when the handler returns does FastStream ack, i.e. commit the Kafka offsets —
  after the ledger transaction committed;
* a failure (database down, broker unreachable for dead letters) waits an exponential
  backoff, then raises: FastStream NACKs, seeking each partition back to the batch's first
  record, and the records come again (those already applied are skipped by the guard);
* on every partition assignment a rebalance listener seeks the partition to the offset
  stored in the ledger, so the ledger, not the group's committed offset, decides where
  consumption resumes.

SIGTERM/SIGINT: the subscribers stop taking batches, the batch in flight finishes and
commits (FastStream's graceful timeout), the publisher catches up once more, exit 0.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import threading
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiokafka import ConsumerRebalanceListener, TopicPartition
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage

from consumers.checkpoints import checkpoint_message
from consumers.ingest import APD, PAYMENTS, TRANSFERS, Ingestor
from consumers.kafka_io import KafkaDeadLetters, make_producer
from consumers.publisher import EventPublisher
from consumers.notices import NOTICE_EVENTS, notice_message
from consumers.refunds import REFUND_EVENTS, refund_message
from consumers.topics import (
    BANK_PAYMENTS,
    CHECKPOINTS,
    DECLARATIONS,
    FUND_TRANSFERS,
    LEDGER_EVENTS,
    NOTICES,
    REFUNDS,
    dlq_topic,
    ensure_topics,
)
from ledger.application import Ledger
from ledger.garbage import settle_for_long_running
from ledger.handlers.integrity import CHECKPOINT_EVENTS

log = logging.getLogger("keao.consume")

DEFAULT_GROUP = "keao-ledger"


@dataclass
class ConsumeConfig:
    bootstrap: str
    payments_topic: str = BANK_PAYMENTS
    transfers_topic: str = FUND_TRANSFERS
    declarations_topic: str = DECLARATIONS
    events_topic: str = LEDGER_EVENTS
    refunds_topic: str = REFUNDS
    notices_topic: str = NOTICES
    checkpoints_topic: str = CHECKPOINTS
    group_id: str = DEFAULT_GROUP
    max_records: int = 500
    batch_timeout_ms: int = 200
    session_timeout_ms: int = 10_000
    heartbeat_interval_ms: int = 3_000
    publish: bool = True
    publish_interval_s: float = 0.2
    backoff_initial_s: float = 0.2
    backoff_max_s: float = 10.0
    graceful_timeout_s: float = 25.0
    # Debtors and arrangements kept between batches, per inbound topic (``consumers.cache``;
    # an arrangement a few years old holds about 45 kB): 0 loads them for every batch.
    cache_aggregates: int = 4096

    @classmethod
    def from_env(cls, bootstrap: str, **overrides: Any) -> ConsumeConfig:
        env = os.environ
        values: dict[str, Any] = {
            "payments_topic": env.get("LEDGER_KAFKA_PAYMENTS_TOPIC", BANK_PAYMENTS),
            "transfers_topic": env.get("LEDGER_KAFKA_TRANSFERS_TOPIC", FUND_TRANSFERS),
            "declarations_topic": env.get("LEDGER_KAFKA_APD_TOPIC", DECLARATIONS),
            "events_topic": env.get("LEDGER_KAFKA_EVENTS_TOPIC", LEDGER_EVENTS),
            "refunds_topic": env.get("LEDGER_KAFKA_REFUNDS_TOPIC", REFUNDS),
            "notices_topic": env.get("LEDGER_KAFKA_NOTICES_TOPIC", NOTICES),
            "checkpoints_topic": env.get("LEDGER_KAFKA_CHECKPOINTS_TOPIC", CHECKPOINTS),
            "group_id": env.get("LEDGER_KAFKA_GROUP", DEFAULT_GROUP),
            "max_records": int(env.get("LEDGER_KAFKA_MAX_RECORDS", "500")),
            "session_timeout_ms": int(env.get("LEDGER_KAFKA_SESSION_TIMEOUT_MS", "10000")),
            "heartbeat_interval_ms": int(env.get("LEDGER_KAFKA_HEARTBEAT_MS", "3000")),
            "publish": env.get("LEDGER_KAFKA_PUBLISH", "1") not in ("0", "false", "no"),
            "cache_aggregates": int(env.get("LEDGER_KAFKA_CACHE_AGGREGATES", "4096")),
        }
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(bootstrap=bootstrap, **values)


class Backoff:
    """Exponential delay between retries of a failing batch, reset by a success."""

    def __init__(self, initial: float, maximum: float):
        self.initial, self.maximum, self.failures = initial, maximum, 0

    def next_delay(self) -> float:
        self.failures += 1
        return min(self.initial * 2 ** (self.failures - 1), self.maximum)

    def reset(self) -> None:
        self.failures = 0


class SeekToTracked(ConsumerRebalanceListener):  # type: ignore[misc]
    """On assignment, seek each partition to the next offset stored with the ledger."""

    def __init__(self, ingestor: Ingestor, consumer_of: Callable[[], Any]):
        self.ingestor = ingestor
        self.consumer_of = consumer_of
        self.assigned: set[TopicPartition] = set()

    async def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        self.assigned -= set(revoked)

    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        consumer = self.consumer_of()
        for tp in assigned:
            offset = await asyncio.to_thread(self.ingestor.stored_offset, tp.topic, tp.partition)
            consumer.seek(tp, offset)
            log.info("assigned %s:%s, resuming at stored offset %s", tp.topic, tp.partition, offset)
        self.assigned |= set(assigned)


@dataclass
class Stats:
    batches: int = 0
    statuses: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    failures: int = 0
    published: int = 0


class LedgerConsumers:
    """The broker, its three subscribers and the publishers (the events, §2.3; the
    refund orders, the issued notices and the chain's checkpoints, §2.6), for one ledger."""

    def __init__(self, ledger: Ledger, config: ConsumeConfig, producer: Any = None):
        self.ledger = ledger
        self.config = config
        self.producer = producer or make_producer(config.bootstrap)
        self.dead_letters = KafkaDeadLetters(self.producer)
        self.stats = Stats()
        self.broker = KafkaBroker(config.bootstrap, graceful_timeout=config.graceful_timeout_s, logger=log)
        self.publishers = [
            EventPublisher(ledger, self.producer, config.events_topic),
            EventPublisher(ledger, self.producer, config.refunds_topic, event_topics=REFUND_EVENTS,
                           message=refund_message),
            EventPublisher(ledger, self.producer, config.notices_topic, event_topics=NOTICE_EVENTS,
                           message=notice_message),
            EventPublisher(ledger, self.producer, config.checkpoints_topic, event_topics=CHECKPOINT_EVENTS,
                           message=checkpoint_message),
        ]
        self.ingestors = {
            config.payments_topic: Ingestor(ledger, PAYMENTS, self.dead_letters, cache_size=config.cache_aggregates),
            config.transfers_topic: Ingestor(ledger, TRANSFERS, self.dead_letters, cache_size=config.cache_aggregates),
            config.declarations_topic: Ingestor(ledger, APD, self.dead_letters, cache_size=config.cache_aggregates),
        }
        self.subscribers = {topic: self._subscribe(topic, ingestor) for topic, ingestor in self.ingestors.items()}
        self._stopping = asyncio.Event()

    def _subscribe(self, topic: str, ingestor: Ingestor) -> Any:
        config = self.config
        holder: dict[str, Any] = {}
        listener = SeekToTracked(ingestor, lambda: holder["subscriber"].consumer)
        subscriber = self.broker.subscriber(
            topic,
            # One group per topic: a member joining or leaving one topic's group does not
            # stop the other topic's consumer for a rebalance.
            group_id=f"{config.group_id}.{ingestor.kind}",
            batch=True,
            max_records=config.max_records,
            batch_timeout_ms=config.batch_timeout_ms,
            ack_policy=AckPolicy.NACK_ON_ERROR,
            auto_offset_reset="earliest",
            session_timeout_ms=config.session_timeout_ms,
            heartbeat_interval_ms=config.heartbeat_interval_ms,
            listener=listener,
            decoder=_raw_records,
        )
        holder["subscriber"] = subscriber
        backoff = Backoff(config.backoff_initial_s, config.backoff_max_s)

        async def handle(records: Any, message: KafkaMessage) -> None:
            await self.apply_batch(ingestor, message.raw_message, backoff)

        subscriber(handle)
        return subscriber

    async def apply_batch(self, ingestor: Ingestor, raw: Any, backoff: Backoff) -> None:
        records = raw if isinstance(raw, tuple) else (raw,)
        by_partition: dict[tuple[str, int], list[Any]] = defaultdict(list)
        for record in records:
            by_partition[(record.topic, record.partition)].append(record)
        try:
            for part in by_partition.values():
                result = await asyncio.to_thread(ingestor.apply, part)
                self.stats.batches += 1
                for status, n in result.statuses.items():
                    self.stats.statuses[status] += n
                self.stats.statuses["skipped"] += result.skipped
        except Exception:
            self.stats.failures += 1
            delay = backoff.next_delay()
            log.exception("batch failed; retrying in %.1fs", delay)
            await asyncio.sleep(delay)
            raise  # NACK: FastStream seeks back to the batch's first records
        backoff.reset()

    # -- running --------------------------------------------------------------------------

    async def start(self) -> None:
        config = self.config
        await asyncio.to_thread(
            ensure_topics, config.bootstrap,
            topics=[config.payments_topic, config.transfers_topic, config.declarations_topic, config.events_topic,
                    config.refunds_topic, config.notices_topic, config.checkpoints_topic,
                    *(dlq_topic(topic) for topic in (config.payments_topic, config.transfers_topic,
                                                     config.declarations_topic))],
        )
        settle_for_long_running()  # before the first batch: what start-up made is kept for good
        await self.broker.start()

    async def publish_loop(self) -> None:
        backoff = Backoff(self.config.backoff_initial_s, self.config.backoff_max_s)
        while not self._stopping.is_set():
            try:
                sent = await asyncio.to_thread(self.publish_once)
                self.stats.published += sent
                backoff.reset()
            except Exception:
                delay = backoff.next_delay()
                log.exception("publishing failed; retrying in %.1fs", delay)
                sent = 0
                await self._wait(delay)
            if not sent:
                await self._wait(self.config.publish_interval_s)

    def publish_once(self) -> int:
        return sum(publisher.publish_once() for publisher in self.publishers)

    def catch_up(self) -> int:
        return sum(publisher.catch_up() for publisher in self.publishers)

    async def _wait(self, seconds: float) -> None:
        try:
            await asyncio.wait_for(self._stopping.wait(), timeout=seconds)
        except TimeoutError:
            pass

    def request_stop(self) -> None:
        self._stopping.set()

    async def stop(self) -> None:
        self._stopping.set()
        await self.broker.stop()  # waits for the batch in flight (graceful timeout)
        if self.config.publish:
            try:
                self.stats.published += await asyncio.to_thread(self.catch_up)
            except Exception:
                log.exception("final publish failed; the next start resumes from the stored position")
            finally:
                for publisher in self.publishers:  # hands the leases on at once
                    await asyncio.to_thread(publisher.close)
        await asyncio.to_thread(self.producer.close, 10)

    async def run_until_stopped(self, stop_requested: threading.Event | None = None) -> None:
        """``stop_requested``: a SIGTERM that came while the process was still
        starting (before this loop's handlers) stops it as gracefully."""
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self.request_stop)
        if stop_requested is not None and stop_requested.is_set():
            self.request_stop()
        await self.start()
        log.info("consuming %s and %s as group %s", self.config.payments_topic, self.config.transfers_topic,
                 self.config.group_id)
        publishing = asyncio.create_task(self.publish_loop()) if self.config.publish else None
        await self._stopping.wait()
        log.info("stopping: finishing the batch in flight")
        if publishing:
            await publishing
        await self.stop()
        log.info("stopped: %s", dict(self.stats.statuses))


async def _raw_records(message: Any) -> Any:
    """No decoding: the ingestor reads the raw records itself, so unreadable bytes reach it."""
    return None


def run(ledger: Ledger, config: ConsumeConfig, stop_requested: threading.Event | None = None) -> Stats:
    consumers = LedgerConsumers(ledger, config)
    asyncio.run(consumers.run_until_stopped(stop_requested))
    return consumers.stats


def stop_on_signals() -> threading.Event:
    """SIGTERM/SIGINT from now on ask for a graceful stop instead of killing the
    process: while it starts, and again after the event loop has closed (the
    loop restores the default handlers when it closes)."""
    requested = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: requested.set())
    return requested
