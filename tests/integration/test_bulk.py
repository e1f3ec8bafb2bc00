"""``ledger.store.bulk`` (issue 5, close of day): ``load_many`` gives the same
aggregates as replaying every stored event one by one, with or without
snapshots, and the close of day's snapshots change nothing it records."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

import psycopg

from aggregates.arrangement import Arrangement
from aggregates.debtor import Debtor
from bench.workload import Workload, feed
from ledger.application import Ledger
from ledger.handlers.close_day import ENDED_TOPICS, SNAPSHOT_AFTER, close_day
from ledger.store.bulk import load_many, originator_ids, project, save_snapshots
from ledger.store.urls import is_postgres

DEADLINE, MONTH_END = date(2022, 7, 29), date(2022, 7, 31)


def seeded(url: str, debtors: int = 40) -> Ledger:
    ledger = Ledger(url)
    close_day(ledger, date(2019, 1, 1))
    feed(ledger, Workload(debtors, seed=5).commands(until=DEADLINE))
    return ledger


def replayed(ledger: Ledger, aggregate_id: UUID) -> Any:
    """Every stored event through the library's own mapper, no snapshot."""
    return project(ledger.mapper.to_domain_event(e) for e in ledger.recorder.select_events(aggregate_id))


def state(aggregate: Any) -> dict[str, Any]:
    return {k: v for k, v in vars(aggregate).items() if k != "_pending_events"}


def snapshot_versions(ledger: Ledger) -> dict[UUID, list[int]]:
    assert ledger.snapshots is not None
    found: dict[UUID, list[int]] = {}
    for aggregate_id in ledger.arrangement_ids():
        versions = [s.originator_version for s in ledger.snapshots.recorder.select_events(aggregate_id)]
        if versions:
            found[aggregate_id] = versions
    return found


def test_load_many_is_the_replay_of_every_event_with_or_without_snapshots(db_url: str) -> None:
    ledger = seeded(db_url)
    try:
        arrangements = list(ledger.arrangement_ids())
        debtors = list(originator_ids(ledger, Debtor.Registered.TOPIC))
        ids = [*arrangements, *debtors, UUID(int=7)]  # and one that does not exist
        for closed in (False, True):  # without snapshots, then with the close's
            counts: dict[UUID, int] = {}
            loaded = load_many(ledger, ids, since_snapshot=counts)
            assert list(loaded) == [i for i in ids if i != UUID(int=7)]
            for aggregate_id, aggregate in loaded.items():
                assert state(aggregate) == state(replayed(ledger, aggregate_id))
            live = load_many(ledger, arrangements, unless_last=ENDED_TOPICS)
            ended = {i for i in arrangements if ledger.recorder.select_events(i, desc=True, limit=1)[0].topic
                     in ENDED_TOPICS}
            assert set(live) == set(arrangements) - ended
            assert ended or not closed
            assert all(state(a) == state(loaded[i]) for i, a in live.items())
            close_day(ledger, DEADLINE)  # snapshots the arrangements it read
        assert any(counts[i] < ledger.repository.get(i).version for i in arrangements)
    finally:
        ledger.close()


def test_the_close_snapshots_what_it_reads_and_keeps_the_latest_only(db_url: str) -> None:
    ledger = seeded(db_url)
    try:
        assert snapshot_versions(ledger) == {}
        close_day(ledger, DEADLINE)
        first = snapshot_versions(ledger)
        every = load_many(ledger, list(ledger.arrangement_ids()))
        live = load_many(ledger, list(every), unless_last=ENDED_TOPICS)
        assert set(first) >= {i for i, a in live.items() if a.version >= SNAPSHOT_AFTER}
        assert all(versions == [every[i].version] for i, versions in first.items())
        # The same again: already there at that version, kept as it is.
        stale = [a for a in every.values() if a.id in first]
        assert save_snapshots(ledger, stale) == len(stale)
        assert snapshot_versions(ledger) == first
        # Later closes snapshot again; on PostgreSQL only the latest stays.
        close_day(ledger, MONTH_END)
        close_day(ledger, date(2022, 12, 31))
        after = snapshot_versions(ledger)
        assert any(max(after[i]) > first[i][0] for i in first)
        if is_postgres(db_url):
            assert all(len(versions) == 1 for versions in after.values())
    finally:
        ledger.close()


def test_a_close_from_snapshots_records_what_a_close_from_events_records(db_url: str, tmp_path) -> None:
    """The same ledger twice: one closed to the deadline (so it has the close's
    snapshots), one fed the same and never snapshotted (its snapshots
    removed); the month end records the same events on both."""
    with_snapshots = seeded(db_url)
    without = seeded(f"sqlite:///{tmp_path / 'plain.db'}")
    try:
        for ledger in (with_snapshots, without):
            close_day(ledger, DEADLINE)
        _drop_snapshots(without)
        assert snapshot_versions(with_snapshots) and not snapshot_versions(without)
        heads = [ledger.recorder.max_notification_id() for ledger in (with_snapshots, without)]
        for ledger in (with_snapshots, without):
            close_day(ledger, MONTH_END)
        recorded = [
            [(n.originator_id, n.originator_version, n.topic) for n in ledger.notifications(start=head + 1)
             if n.topic.startswith(Arrangement.TOPIC)]
            for ledger, head in zip((with_snapshots, without), heads, strict=True)
        ]
        assert recorded[0] and sorted(recorded[0]) == sorted(recorded[1])
    finally:
        with_snapshots.close()
        without.close()


def _drop_snapshots(ledger: Ledger) -> None:
    assert ledger.snapshots is not None
    recorder: Any = ledger.snapshots.recorder
    if is_postgres(ledger.db_url):
        with psycopg.connect(ledger.db_url.split("?")[0], autocommit=True) as connection:
            connection.execute(f'DELETE FROM "{recorder.datastore.schema}".{recorder.events_table_name}')
    else:
        with recorder.datastore.transaction(commit=True) as cursor:
            cursor.execute(f"DELETE FROM {recorder.events_table_name}")

