"""One publisher at a time (interfaces §2.3): of two ``ledger consume`` processes on one
ledger, only the holder of the publisher lease sends the ledger's events; the other takes
over when it stops or loses its session, from the stored position, with no repeats."""

from __future__ import annotations

import json

import psycopg
import pytest

from consumers.kafka_io import make_producer
from consumers.publisher import EventPublisher, PublisherLease
from ledger.application import Ledger
from tests.integration.kafka_helpers import afms, read_all, seed_ledger


@pytest.mark.postgres
def test_one_holder_at_a_time_per_topic(postgres_url):
    first, second = Ledger(postgres_url), Ledger(postgres_url)  # two processes' ledgers
    a, b = PublisherLease(first, "events"), PublisherLease(second, "events")
    other_topic = PublisherLease(second, "other-events")
    try:
        assert a.held() is True
        assert b.held() is False
        assert a.held() is True  # still held while its session lives
        assert other_topic.held() is True  # a lease per topic
        a.release()
        assert b.held() is True
        assert a.held() is False
    finally:
        for lease in (a, b, other_topic):
            lease.release()
        first.close()
        second.close()


@pytest.mark.postgres
def test_a_holder_whose_session_ends_gives_the_lease_up(postgres_url):
    first, second = Ledger(postgres_url), Ledger(postgres_url)
    a, b = PublisherLease(first, "events"), PublisherLease(second, "events")
    try:
        assert a.held() is True
        assert a._connection is not None
        backend = a._connection.info.backend_pid
        with psycopg.connect(postgres_url.split("?")[0], autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (backend,))  # as if its process died
        assert b.held() is True
        assert a.held() is False  # its session is gone: it stops publishing
        assert a.held() is False  # and stays out while b holds it
    finally:
        a.release()
        b.release()
        first.close()
        second.close()


def test_sqlite_ledger_always_holds_it(sqlite_url):
    ledger = Ledger(sqlite_url)
    try:
        assert PublisherLease(ledger, "events").held() is True
        assert PublisherLease(ledger, "events").held() is True
    finally:
        ledger.close()


@pytest.mark.kafka
@pytest.mark.postgres
def test_two_publishers_send_each_event_once(kafka_bootstrap, kafka_topics, postgres_url):
    seed_ledger(postgres_url, afms(4))
    topic = kafka_topics("ev", 2)
    first, second = Ledger(postgres_url), Ledger(postgres_url)
    total = first.recorder.max_notification_id()
    assert total > 6
    a = EventPublisher(first, make_producer(kafka_bootstrap), topic, page=3)
    b = EventPublisher(second, make_producer(kafka_bootstrap), topic, page=3)
    try:
        assert a.publish_once() == 3
        assert b.publish_once() == 0  # a holds the lease: b sends nothing
        assert a.publish_once() == 3
        a.close()  # a stops: b takes over from the stored position
        assert b.catch_up() == total - 6
        assert a.position() == b.position() == total
    finally:
        for publisher in (a, b):
            publisher.close()
            publisher.producer.close(10)
        first.close()
        second.close()
    records = read_all(kafka_bootstrap, topic, total)
    positions = [json.loads(r.value)["position"] for r in records]
    assert sorted(positions) == list(range(1, total + 1))  # each event once, none repeated
