"""Steps several use cases share: a command's unit of work, committed and retried
when another writer got there first; the date a command takes effect, a debtor's
arrangements in the unit of work, settling an arrangement with the debtor's items."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date
from typing import TypeVar
from uuid import UUID

from eventsourcing.persistence import IntegrityError, RecordConflictError, Tracking

from aggregates.arrangement import Arrangement
from aggregates.debtor import Debtor
from aggregates.routing import held_items
from aggregates.status import ENDED
from aggregates.timeline import Receipt
from ledger import inputs
from ledger.application import Ledger
from ledger.errors import BadInput
from ledger.unit_of_work import UnitOfWork

R = TypeVar("R")
# The store lock (``ledger.store.recorder.store_lock``) a close of day holds, and the
# notices' pass on its own: one of them at a time.
CLOSE_LOCK = "close"
log = logging.getLogger(__name__)

# An optimistic-concurrency conflict: another writer saved a new version of an
# aggregate this commit read (or created the same payment, transfer or debtor)
# first. It is transient: read again and the command applies, or finds its own
# input already recorded (P5, D4), as a Kafka batch does (``consumers.ingest``).
CONFLICTS = (IntegrityError, RecordConflictError)
# Enough for a few writers hammering one arrangement (4 importers and a close of
# day at once lose at most a handful of races a command); a conflict after so many
# attempts is not transient, and is raised.
CONFLICT_ATTEMPTS = 20
FIRST_BACKOFF = 0.01  # seconds, doubled at each attempt ...
MAX_BACKOFF = 0.5  # ... up to this


def retried(attempt: Callable[[int], R], attempts: int = CONFLICT_ATTEMPTS,
            sleep: Callable[[float], None] = time.sleep) -> R:
    """``attempt(n)`` for n = 1, 2, … until one ends without a conflict (``CONFLICTS``);
    the conflict of the last of ``attempts`` is raised. Each attempt must read afresh:
    what a failed one changed in its aggregates was never saved."""
    number = 1
    while True:
        try:
            return attempt(number)
        except CONFLICTS as conflict:
            if number >= attempts:
                raise
            log.info("conflict (attempt %s of %s): %s; reading again", number, attempts, conflict)
        sleep(backoff(number))
        number += 1


def backoff(attempt: int) -> float:
    """Exponential, with jitter: writers that collided once do not retry in step."""
    return random.uniform(0.5, 1.0) * min(FIRST_BACKOFF * 2 ** attempt, MAX_BACKOFF)


def committed(ledger: Ledger, step: Callable[[UnitOfWork], R], tracking: Tracking | None = None) -> R:
    """A command: ``step`` in a fresh unit of work, then its commit; on a conflict,
    all of it again in another fresh one (``retried``)."""
    def attempt(_: int) -> R:
        uow = UnitOfWork(ledger)
        result = step(uow)
        uow.commit(tracking)
        return result

    return retried(attempt)


def effective_date(uow: UnitOfWork, given: date | None, field_name: str = "--date") -> date:
    """M3: the date given, else the ledger's business date."""
    day = given or uow.current_date()
    if day is None:
        raise BadInput(field_name, "required: the ledger records nothing yet to take its business date from")
    return day


def pages(ids: Iterable[UUID], size: int) -> Iterator[list[UUID]]:
    """``ids`` in lists of ``size`` (the last shorter): what a bulk job reads and saves at once."""
    page: list[UUID] = []
    for aggregate_id in ids:
        page.append(aggregate_id)
        if len(page) >= size:
            yield page
            page = []
    if page:
        yield page


def arrangements_of(uow: UnitOfWork, debtor: Debtor) -> list[Arrangement]:
    found = (uow.get(Arrangement, UUID(i)) for i in debtor.arrangement_ids)
    return [a for a in found if a is not None]


def settle(uow: UnitOfWork, arrangement: Arrangement, debtor: Debtor, as_of: date, held: set[str],
           receipts: Sequence[Receipt] = (), recalled: Sequence[str] = ()) -> None:
    """E1/E2: the arrangement records its timeline to ``as_of`` (ND10 a: with the
    debtor's current items outside arrangements), but for the payments ``recalled`` (O3)."""
    settings = uow.settings
    scheme = settings.scheme(arrangement.scheme)
    # O6: only a scheme that watches them reads the debtor's other items (all of them, each a balance).
    current = debtor.open_items(as_of, settings.surcharges, held) if scheme.watches_current_items else []
    arrangement.settle(scheme, as_of, settings.surcharges, current, receipts, recalled)


def settle_live(uow: UnitOfWork, debtor: Debtor, as_of: date) -> None:
    """What a change to the debtor's own items changes in its live arrangements
    (ND10 a: a current contribution now unpaid, or paid after all)."""
    arrangements = arrangements_of(uow, debtor)
    held = held_items(arrangements)
    for arrangement in arrangements:
        if arrangement.status not in ENDED:
            settle(uow, arrangement, debtor, as_of, held)


def reason_of(uow: UnitOfWork, reason: str | None) -> str:
    """O1: an operator's action says why: required, not blank."""
    return inputs.text(reason, "--reason", "reason", uow.settings.limits)


def prefetch_with_arrangements(uow: UnitOfWork, ids: Iterable[UUID]) -> None:
    """Load ``ids`` in one go, then the debtors of the arrangements among them and
    every such debtor's arrangements: what a batch's commands read."""
    found = uow.prefetch(ids)
    debtors = [a for a in found.values() if isinstance(a, Debtor)]
    more = [Debtor.create_id(a.debtor_afm) for a in found.values() if isinstance(a, Arrangement)]
    more += [UUID(i) for d in debtors for i in d.arrangement_ids]
    found = uow.prefetch(more)
    uow.prefetch(UUID(i) for d in found.values() if isinstance(d, Debtor) for i in d.arrangement_ids)
