"""The unit of work: the aggregates one command or one batch touches, saved together.

A handler reads aggregates through it (``get``, or a batch's ``prefetch`` first),
adds new ones, and ``commit`` saves all their new events in one transaction, with
the Kafka offset when a consumer calls it (``ledger.application.Ledger.commit``).
The store's bulk reads the close of day needs are here too, so that a handler
never holds the application itself.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import Tracking

from aggregates.business_day import BUSINESS_DAY_ID, BusinessDay
from ledger.application import Ledger
from ledger.settings import Settings
from ledger.store.bulk import load_many, project_events, save_snapshots

A = TypeVar("A", bound=Aggregate)


@dataclass
class UnitOfWork:
    """The aggregates one command or one batch touches, saved together."""

    app: Ledger
    loaded: dict[UUID, Aggregate] = field(default_factory=dict)
    _business_date: list[date | None] = field(default_factory=list)
    prefetched: dict[UUID, Aggregate] = field(default_factory=dict)  # by ``prefetch``, not touched yet
    absent: set[UUID] = field(default_factory=set)  # known not to exist (``prefetch``)
    cache: Any = None  # a consumer's ``consumers.cache.AggregateCache``: earlier batches' aggregates
    actor: str | None = None  # O1: who the events are recorded as caused by (default ``current_actor()``)

    @property
    def settings(self) -> Settings:
        return self.app.settings

    def business_date(self) -> date | None:
        """The ledger's business date, read once per unit of work (a batch
        never spans a close of day, which commits on its own); from the
        calendar ``prefetch`` loaded, when it did."""
        if not self._business_date:
            calendar = self.prefetched.get(BUSINESS_DAY_ID) or self.loaded.get(BUSINESS_DAY_ID)
            if isinstance(calendar, BusinessDay):
                self._business_date.append(calendar.current)
            elif BUSINESS_DAY_ID in self.absent:
                self._business_date.append(None)
            else:
                self._business_date.append(self.app.business_date())
        return self._business_date[0]

    def current_date(self) -> date | None:
        """M3: ``business_date``, or before the first close of day the latest date
        any record took effect on."""
        return self.business_date() or self.app.current_date()

    def get(self, cls: type[A], aggregate_id: UUID) -> A | None:
        # One lookup when loaded already (three gets a payment; a UUID's hash is a Python call).
        aggregate = self.loaded.get(aggregate_id)
        if aggregate is None:
            aggregate = self.prefetched.pop(aggregate_id, None)  # touched now: saved in the same order as without prefetch
            if aggregate is None:
                if aggregate_id in self.absent:
                    return None
                try:
                    aggregate = self.app.repository.get(aggregate_id, projector_func=project_events)
                except AggregateNotFoundError:
                    return None
            self.loaded[aggregate_id] = aggregate
        assert isinstance(aggregate, cls)
        return aggregate

    def prefetch(self, ids: Iterable[UUID]) -> dict[UUID, Aggregate]:
        """Load those of ``ids`` not loaded yet in one go (``load_many``: one
        query on PostgreSQL); those not found are then known absent, so
        ``get`` answers None without asking the store again. Returns the newly
        loaded ones. A concurrent writer creating one of them meanwhile makes
        the commit fail on its version, as it would without the prefetch."""
        wanted = [i for i in dict.fromkeys(ids)
                  if i not in self.loaded and i not in self.prefetched and i not in self.absent]
        if not wanted:
            return {}
        if self.cache is not None:
            # The versions of all of ``wanted`` in one query: the cache's aggregates at
            # that version are taken as they are, only the others are loaded.
            current, existing = self.cache.current(self.app, wanted)
            rest = load_many(self.app, [i for i in wanted if i in existing and i not in current])
            found = {i: current[i] if i in current else rest[i] for i in wanted if i in current or i in rest}
            self.prefetched.update(found)
            self.absent.update(i for i in wanted if i not in existing)
            return found
        found = load_many(self.app, wanted)
        self.prefetched.update(found)
        self.absent.update(i for i in wanted if i not in found)
        return found

    def add(self, aggregate: Aggregate) -> None:
        self.loaded[aggregate.id] = aggregate
        self.prefetched.pop(aggregate.id, None)
        self.absent.discard(aggregate.id)

    def commit(self, tracking: Tracking | None = None) -> None:
        self.app.commit(list(self.loaded.values()), tracking, self.actor)
        if self.cache is not None:  # saved (or only read): as the store now holds them
            self.cache.put([*self.loaded.values(), *self.prefetched.values()])
        self.loaded.clear()
        self.prefetched.clear()
        self.absent.clear()

    # -- the close of day's bulk reads and writes -------------------------------------

    def arrangement_ids(self) -> Iterator[UUID]:
        return self.app.arrangement_ids()

    def load_many(self, ids: Sequence[UUID], unless_last: Collection[str] = (),
                  since_snapshot: dict[UUID, int] | None = None) -> dict[UUID, Aggregate]:
        """``ledger.store.bulk.load_many``: not kept in this unit of work (``add`` what is to be saved)."""
        return load_many(self.app, ids, unless_last=unless_last, since_snapshot=since_snapshot)

    def save_snapshots(self, aggregates: Sequence[Aggregate]) -> int:
        return save_snapshots(self.app, aggregates)
