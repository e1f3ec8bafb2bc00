"""The close of day (κλείσιμο ημέρας, E1, E2): the business date moves to a day and
every live arrangement records what its timeline gives up to it."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError

from aggregates.arrangement import Arrangement
from aggregates.business_day import BUSINESS_DAY_ID, BusinessDay
from aggregates.close_day_skip import may_change, next_change_day
from aggregates.debtor import Debtor
from aggregates.routing import held_items
from aggregates.status import ENDED
from ledger.actors import CLOSE_DAY, acting_as
from ledger.application import Ledger
from ledger.errors import BadInput
from ledger.handlers.common import CLOSE_LOCK, arrangements_of, pages, retried, settle
from ledger.handlers.integrity import checkpoint_if_configured, configured_signing_key
from ledger.handlers.notices import issue_locked
from ledger.store.close_index import CloseIndex
from ledger.store.processes import in_processes
from ledger.store.recorder import store_lock
from ledger.store.urls import is_postgres
from ledger.unit_of_work import UnitOfWork

# The close of day snapshots a live arrangement it has read once this many events
# came after its latest snapshot (``close_page``): reading it then costs the snapshot
# and fewer than this many events. Lower costs more snapshots (an arrangement's is
# about 13 kB, 0.4 ms to write), higher more events to replay (about 7 us each) at
# every close.
SNAPSHOT_AFTER = 8
# How many of a page's arrangements a close of day settles and saves at once.
SETTLE_CHUNK = 100

# The events after which an arrangement is rejected, completed or lapsed (their
# ``apply`` sets that status): a close of day skips it without reading it.
ENDED_TOPICS = frozenset(cls.TOPIC for cls in (Arrangement.Rejected, Arrangement.Completed, Arrangement.Lapsed))
# The close index (issue 19, ``ledger.store.close_index``): off, every live arrangement
# is read and asked ``may_change`` (the plain path, the reference the index's tests
# compare with); on, those whose first possible change is after the day and that
# nothing was recorded for since are covered without reading them.
INDEXED = True


def close_day(ledger: Ledger, day: date, batch_size: int = 500, progress: Any = None, processes: int = 1) -> int:
    """E1/E2: move the business date to ``day`` and record, for every arrangement,
    what its timeline gives up to it. Idempotent; the business date moves only after
    every arrangement is settled. Returns how many live arrangements it covered.

    Arrangements are read a page at a time (``close_page``), each from its latest
    snapshot and the events after it; on PostgreSQL, ``processes`` > 1 settles
    disjoint partitions of them in that many processes (a close writes only to each
    arrangement's own stream).

    One close at a time (``store_lock``): a second one waits, then reads the
    business date the first moved. A close that failed part-way leaves the business
    date where it was, so running it again settles everything again: what the
    first saved is recorded already and records nothing twice (E2).

    With a signing key configured (``LEDGER_SIGNING_KEY``), the close ends with a
    signed checkpoint of the hash chain (F2).

    With ``INDEXED``, a live arrangement that nothing was recorded for since a close
    found its first possible change (``next_change_day``) after ``day`` is counted
    without reading it: ``may_change`` would have said false."""
    # O1: what the close records is the close's own doing, whoever runs it.
    signing_key = configured_signing_key()  # a key that cannot be read refuses the close before it starts
    with store_lock(ledger.db_url, ledger.recorder.datastore, CLOSE_LOCK), acting_as(CLOSE_DAY):
        settled = close_locked(ledger, day, batch_size, progress, processes)
        checkpoint_if_configured(ledger, signing_key)  # F2: after the close's own events
        return settled


def close_locked(ledger: Ledger, day: date, batch_size: int, progress: Any, processes: int) -> int:
    """``close_day`` under its lock."""
    try:
        calendar = ledger.repository.get(BUSINESS_DAY_ID)
        previous: date | None = calendar.current
        calendar.close(day)
    except AggregateNotFoundError:
        calendar = BusinessDay.start(day)
        previous = None  # the first close: settle everything
    except ValueError as error:
        raise BadInput("date", str(error).partition(": ")[2]) from None
    indexed = INDEXED
    if processes > 1 and is_postgres(ledger.db_url):
        if indexed:
            CloseIndex(ledger.recorder)  # its table created once, before the processes use it
        jobs = [(ledger.db_url, day, previous, batch_size, part, processes, indexed) for part in range(processes)]
        settled = sum(in_processes(close_partition_job, jobs))
    else:
        settled = close_partition(ledger, day, previous, batch_size, progress, indexed=indexed)
    if ledger.settings.notices.auto:  # N2/N4: with the arrangements settled, before the date moves
        issue_locked(ledger, day)
    uow = UnitOfWork(ledger)
    uow.add(calendar)
    uow.commit()
    return settled


def close_partition(ledger: Ledger, day: date, previous: date | None, batch_size: int, progress: Any = None,
                    part: int = 0, parts: int = 1, indexed: bool = False) -> int:
    """The close for the arrangements whose id falls in partition ``part`` of ``parts``
    (``indexed``: with the close index)."""
    settled = 0
    index = CloseIndex(ledger.recorder) if indexed else None
    ids = (i for i in ledger.arrangement_ids() if i.int % parts == part)
    for page in pages(ids, batch_size):
        settled += close_page(UnitOfWork(ledger), page, day, previous, progress, index)  # each page freed before the next
    return settled


def close_partition_job(job: tuple[str, date, date | None, int, int, int, bool]) -> int:
    """One process's share of a close of day (``close_day(processes=n)``)."""
    url, day, previous, batch_size, part, parts, indexed = job
    ledger = Ledger(url, env={"CREATE_TABLE": "false"})
    try:
        with acting_as(CLOSE_DAY):
            return close_partition(ledger, day, previous, batch_size, None, part, parts, indexed)
    finally:
        ledger.close()


def close_page(uow: UnitOfWork, page: list[UUID], day: date, previous: date | None, progress: Any = None,
               index: CloseIndex | None = None) -> int:
    """Close ``day`` for the arrangements of ``page``; how many of them were live.

    One with nothing that can happen between the last close and ``day``
    (``Arrangement.may_change``) is not settled at all. The live ones with
    SNAPSHOT_AFTER events or more after their latest snapshot are snapshotted, so
    the next close reads few events. With ``index``, those it holds unchanged and
    not due by ``day`` are counted without reading them, and each live one read is
    indexed as of ``day``."""
    covered = index.unchanged_until_after(page, previous, day) if index is not None and previous is not None else set()
    if progress:
        for _ in covered:
            progress()
    replayed: dict[UUID, int] = {}
    # An arrangement whose last event ended it is not live: known from its last
    # topic, without reading it (17% of a month end's states).
    loaded = uow.load_many([i for i in page if i not in covered], unless_last=ENDED_TOPICS, since_snapshot=replayed)
    snapshot_version = {i: a.version - replayed[i] for i, a in loaded.items()}
    live: list[Arrangement] = [a for a in loaded.values() if a.status not in ENDED]  # type: ignore[misc]
    due = []
    for arrangement in live:
        if progress:
            progress()
        if previous is None or may_change(arrangement, uow.settings.scheme(arrangement.scheme), previous, day):
            due.append(arrangement)
    # Settled and saved SETTLE_CHUNK at a time: the events they record (a catch-up
    # over years records dozens each) are held until saved.
    saved: dict[UUID, Arrangement] = {}
    for chunk in pages(iter(due), SETTLE_CHUNK):
        uow, settled = settle_saved(uow, chunk, day)
        saved.update((a.id, a) for a in settled)
    # The next close reads a snapshot and the few events after it instead of
    # every event (about half the cost of reading an arrangement).
    live = [saved.get(a.id, a) for a in live]
    uow.save_snapshots([a for a in live if a.version - snapshot_version[a.id] >= SNAPSHOT_AFTER])
    if index is not None:  # each as saved, settled to ``day``; one the settle ended is not live any more
        index.record([(a.id, a.version, day, next_change_day(a, uow.settings.scheme(a.scheme), day))
                      for a in live if a.status not in ENDED])
    return len(live) + len(covered)


def settle_saved(uow: UnitOfWork, due: list[Arrangement], day: date) -> tuple[UnitOfWork, list[Arrangement]]:
    """``settle_chunk``; when another writer (a payment) saved one of them or their
    debtors first, again in a fresh unit of work with them read again (``retried``).
    Returns the unit of work to go on with (the failed one still holds what it could
    not save) and the arrangements as saved."""
    def attempt(number: int) -> tuple[UnitOfWork, list[Arrangement]]:
        work, arrangements = (uow, due) if number == 1 else read_again(uow, due)
        settle_chunk(work, arrangements, day)
        return work, arrangements

    return retried(attempt)


def read_again(uow: UnitOfWork, due: list[Arrangement]) -> tuple[UnitOfWork, list[Arrangement]]:
    """A fresh unit of work, and ``due`` as the store now holds them."""
    fresh = UnitOfWork(uow.app)
    found = fresh.load_many([a.id for a in due])
    return fresh, [found[a.id] for a in due]  # type: ignore[misc]


def settle_chunk(uow: UnitOfWork, due: list[Arrangement], day: date) -> None:
    """Settle ``due`` to ``day`` and save what they record, in one transaction."""
    settings = uow.settings
    for arrangement in due:
        uow.add(arrangement)
    # The debtor's other items (and so the debtor, and its other arrangements' held
    # items) matter only to a scheme that watches them (ND10 a breaches): for the
    # others ``Scheme.breaches`` ignores them.
    watching = [a for a in due if settings.scheme(a.scheme).watches_current_items]
    for debtor in uow.load_many(list(dict.fromkeys(Debtor.create_id(a.debtor_afm) for a in watching))).values():
        uow.add(debtor)
    # ... and their arrangements (``held_items``), in one query.
    uow.prefetch(UUID(i) for d in list(uow.loaded.values()) if isinstance(d, Debtor) for i in d.arrangement_ids)
    for arrangement in due:
        scheme = settings.scheme(arrangement.scheme)
        if not scheme.watches_current_items:
            arrangement.settle(scheme, day, settings.surcharges)
            continue
        debtor = uow.get(Debtor, Debtor.create_id(arrangement.debtor_afm))
        assert debtor is not None  # an arrangement is applied for by a registered debtor
        settle(uow, arrangement, debtor, day, held_items(arrangements_of(uow, debtor)))
    uow.commit()
