"""Publisher of every ledger event to ``keao.ledger-events`` (interfaces §2.3).

Reads the ledger's notification log (the application sequence, in the order the ledger
recorded the events; PostgreSQL inserts take a table lock so positions commit in order),
sends each event keyed by its aggregate id, flushes, and only then stores its position in
the ledger's tracking table (``publisher:<topic>``). A crash between the flush and that
write re-sends the tail: delivery is at least once, and ``event_id``
(``<aggregate id>:<version>``, the same on every re-send) lets a subscriber drop repeats.
Per key the order is the ledger's: one partition per key, and the idempotent producer
keeps a partition's records in send order through retries.

One publisher at a time per ledger and topic (:class:`PublisherLease`): every
``ledger consume`` process runs a publisher, but only the one holding the lease sends;
the others wait and take over when it stops or dies. Without it, each process sent
every page the others were sending at the same moment (repeats, and as much work
again per process). A change of holder mid-page can still send a page twice, which
``event_id`` covers, as above.
"""

from __future__ import annotations

import logging
from datetime import timezone
from collections.abc import Callable, Sequence
from typing import Any

import psycopg
from eventsourcing.persistence import IntegrityError, Notification, Tracking
from eventsourcing.postgres import PostgresDatastore
from psycopg.rows import tuple_row

from aggregates.events import event_name, payload_of
from consumers.kafka_io import send_all
from consumers.messages import KafkaMessageModel, LedgerEventMessage
from consumers.topics import LEDGER_EVENTS
from ledger.application import Ledger
from ledger.store.recorder import advisory_lock_key, own_connection

log = logging.getLogger(__name__)

def publisher_tracking_name(topic: str) -> str:
    return f"publisher:{topic}"


def event_message(ledger: Ledger, notification: Notification) -> LedgerEventMessage:
    event = ledger.mapper.to_domain_event(notification)
    recorded_at = event.timestamp
    if recorded_at.tzinfo is None:
        recorded_at = recorded_at.replace(tzinfo=timezone.utc)
    business_date = getattr(event, "business_date", None) or recorded_at.date()
    payload = payload_of(vars(event))
    aggregate_id = str(event.originator_id)
    return LedgerEventMessage(
        event_id=f"{aggregate_id}:{event.originator_version}",
        type=event_name(event),
        aggregate_id=aggregate_id,
        aggregate_version=event.originator_version,
        position=notification.id,
        business_date=business_date,
        recorded_at=recorded_at,
        payload=payload,
    )


class PublisherLease:
    """Whether this process is the one that publishes the ledger's events to ``topic``.

    On PostgreSQL: a session advisory lock, taken with ``pg_try_advisory_lock`` on a
    connection of its own and held for as long as that session lives. The server ends
    the session of a process that stops or dies (SIGKILL closes its socket), so the
    lease passes to a waiting process at its next try. A holder that loses its
    connection stops publishing until it has the lease again. On SQLite (an embedded,
    one-process ledger) the lease is always held.
    """

    def __init__(self, ledger: Ledger, topic: str):
        datastore = getattr(ledger.recorder, "datastore", None)
        self._datastore = datastore if isinstance(datastore, PostgresDatastore) else None
        self.key = advisory_lock_key(f"keao-ledger-publisher:{getattr(datastore, 'schema', '')}:{topic}")
        self._connection: psycopg.Connection[Any] | None = None
        self._holding = False

    def held(self) -> bool:
        if self._datastore is None:
            return True
        try:
            if self._connection is None:
                self._connection = own_connection(self._datastore)
            if self._holding:
                self._connection.execute("SELECT 1")  # the session, and so the lock, still there
                return True
            with self._connection.cursor(row_factory=tuple_row) as cursor:
                cursor.execute("SELECT pg_try_advisory_lock(%s)", (self.key,))
                row = cursor.fetchone()
            self._holding = bool(row and row[0])
            if self._holding:
                log.info("this process now publishes the ledger's events (lease %s)", self.key)
            return self._holding
        except psycopg.Error as error:
            log.warning("publisher lease lost or not reachable: %s", error)
            self.release()
            return False

    def release(self) -> None:
        """Unlock, then end the session. Closing alone frees the lock only once the
        server has noticed the session end, a moment later: a process taking over
        at once would find it still held."""
        connection, holding = self._connection, self._holding
        self._connection, self._holding = None, False
        if connection is None:
            return
        try:
            if holding:
                connection.execute("SELECT pg_advisory_unlock(%s)", (self.key,))
        except psycopg.Error:
            pass  # the session is gone already, and the lock with it
        finally:
            connection.close()


class EventPublisher:
    """Publishes the ledger's events to ``topic``, as ``message`` words each; with
    ``event_topics``, only the events of those topics (``keao.refunds``: the refund
    orders, ``consumers.refunds``)."""

    def __init__(self, ledger: Ledger, producer: Any, topic: str = LEDGER_EVENTS, page: int = 500,
                 event_topics: Sequence[str] = (),
                 message: Callable[[Ledger, Notification], KafkaMessageModel] = event_message):
        self.ledger = ledger
        self.producer = producer
        self.topic = topic
        self.page = page
        self.event_topics = event_topics
        self.message = message
        self.name = publisher_tracking_name(topic)
        self.lease = PublisherLease(ledger, topic)

    def position(self) -> int:
        return self.ledger.recorder.max_tracking_id(self.name) or 0

    def publish_once(self) -> int:
        """Publish the next page of events; return how many were sent (0: caught up, or
        another process holds the lease)."""
        if not self.lease.held():
            return 0
        start = self.position() + 1
        notifications = self.ledger.recorder.select_notifications(start, self.page, topics=self.event_topics)
        if not notifications:
            return 0
        messages = [self.message(self.ledger, n) for n in notifications]
        send_all(self.producer, ((self.topic, m.kafka_key(), m.to_bytes(), None) for m in messages))
        try:
            self.ledger.recorder.insert_tracking(Tracking(self.name, notifications[-1].id))
        except IntegrityError:
            # Another publisher (a second `ledger consume`) stored this position or a later
            # one: the events were sent twice, which event_id lets subscribers drop.
            log.info("publisher position %s already passed by another publisher", notifications[-1].id)
        return len(messages)

    def catch_up(self) -> int:
        total = 0
        while sent := self.publish_once():
            total += sent
        return total

    def close(self) -> None:
        self.lease.release()
