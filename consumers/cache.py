"""Aggregates a consumer keeps between its batches, checked against the store before reuse.

A partition's payments name the same debtors and arrangements batch after batch; loading
them again each time (every event since the last snapshot, decoded) was a fifth of a
batch. An :class:`AggregateCache` keeps the aggregates a batch committed, and the next
batch's prefetch (:meth:`ledger.unit_of_work.UnitOfWork.prefetch`) takes them back only after one
query has read the current version of every aggregate it wants: one that another writer
(the other consumer of a rebalance, a close of day, a CLI command) has changed since is
dropped and loaded from the store as before. So a batch starts from exactly the state it
would have read without the cache, and the store's optimistic concurrency guards the
commit as before.

An aggregate is handed to one unit of work at a time (``current`` takes it out) and comes
back only when that unit of work has committed (``put``): a batch that fails, or that is
rebuilt without a refused message, never leaves a changed but unsaved aggregate behind.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate
from eventsourcing.postgres import PostgresAggregateRecorder
from psycopg.rows import tuple_row
from psycopg.sql import SQL, Identifier

from aggregates.arrangement import Arrangement
from aggregates.business_day import BusinessDay
from aggregates.debtor import Debtor


class AggregateCache:
    """Up to ``maxsize`` aggregates of ``kinds``, least recently committed dropped first."""

    def __init__(self, kinds: tuple[type[Aggregate], ...] = (Debtor, Arrangement, BusinessDay),
                 maxsize: int = 4096):
        self.kinds = kinds
        self.maxsize = maxsize
        self._items: OrderedDict[UUID, Aggregate] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.stale = 0

    def __len__(self) -> int:
        return len(self._items)

    def current(self, app: Any, ids: Sequence[UUID]) -> tuple[dict[UUID, Aggregate], set[UUID]]:
        """(the kept aggregates of ``ids`` that are at the store's version, taken out;
        the ids of ``ids`` that exist in the store)."""
        versions = current_versions(app, ids)
        with self._lock:
            kept = {i: self._items.pop(i) for i in ids if i in self._items}
        current = {i: a for i, a in kept.items() if versions.get(i) == a.version}
        self.hits += len(current)
        self.stale += len(kept) - len(current)
        return current, set(versions)

    def put(self, aggregates: Iterable[Aggregate]) -> None:
        """Keep ``aggregates`` as committed (those with events not saved are refused)."""
        with self._lock:
            for aggregate in aggregates:
                if not isinstance(aggregate, self.kinds) or getattr(aggregate, "_pending_events", None):
                    continue
                self._items[aggregate.id] = aggregate
                self._items.move_to_end(aggregate.id)
            while len(self._items) > self.maxsize:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


def current_versions(app: Any, ids: Sequence[UUID]) -> dict[UUID, int]:
    """The version of the last event of each aggregate of ``ids`` that exists (one
    index lookup each; on PostgreSQL in one query)."""
    if not ids:
        return {}
    recorder = app.recorder
    if isinstance(recorder, PostgresAggregateRecorder):
        # Rows as tuples, in binary: the datastore's dict rows and text UUIDs cost more than the query.
        with recorder.datastore.get_connection() as connection, \
                connection.cursor(row_factory=tuple_row, binary=True) as cursor:
            cursor.execute(
                SQL(
                    "SELECT i, last.version FROM unnest(%b::uuid[]) AS i CROSS JOIN LATERAL "
                    "(SELECT originator_version AS version FROM {schema}.{table} WHERE originator_id = i "
                    "ORDER BY originator_version DESC LIMIT 1) AS last"
                ).format(schema=Identifier(recorder.datastore.schema), table=Identifier(recorder.events_table_name)),
                [list(ids)],  # binary: a text array of UUIDs is escaped in Python, most of the query's cost
            )
            return dict(cursor.fetchall())
    versions = {}
    for aggregate_id in ids:
        last = recorder.select_events(aggregate_id, desc=True, limit=1)
        if last:
            versions[aggregate_id] = last[0].originator_version
    return versions
