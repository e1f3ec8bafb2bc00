"""Steps several use cases share: the date a command takes effect, a debtor's
arrangements in the unit of work, settling an arrangement with the debtor's items."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from uuid import UUID

from aggregates.arrangement import Arrangement
from aggregates.debtor import Debtor
from aggregates.timeline import Receipt
from ledger.errors import BadInput
from ledger.unit_of_work import UnitOfWork


def effective_date(uow: UnitOfWork, given: date | None, field_name: str = "--date") -> date:
    """M3: the date given, else the ledger's business date."""
    day = given or uow.business_date()
    if day is None:
        raise BadInput(field_name, "required: the ledger has no business date yet (run `ledger day close D`)")
    return day


def arrangements_of(uow: UnitOfWork, debtor: Debtor) -> list[Arrangement]:
    found = (uow.get(Arrangement, UUID(i)) for i in debtor.arrangement_ids)
    return [a for a in found if a is not None]


def settle(uow: UnitOfWork, arrangement: Arrangement, debtor: Debtor, as_of: date, held: set[str],
           receipts: Sequence[Receipt] = ()) -> None:
    """E1/E2: the arrangement records its timeline to ``as_of`` (ND10 a: with the
    debtor's current items outside arrangements)."""
    settings = uow.settings
    current = debtor.open_items(as_of, settings.surcharges, held)
    arrangement.settle(settings.scheme(arrangement.scheme), as_of, settings.surcharges, current, receipts)


def prefetch_with_arrangements(uow: UnitOfWork, ids: Iterable[UUID]) -> None:
    """Load ``ids`` in one go, then the debtors of the arrangements among them and
    every such debtor's arrangements: what a batch's commands read."""
    found = uow.prefetch(ids)
    debtors = [a for a in found.values() if isinstance(a, Debtor)]
    more = [Debtor.create_id(a.debtor_afm) for a in found.values() if isinstance(a, Arrangement)]
    more += [UUID(i) for d in debtors for i in d.arrangement_ids]
    found = uow.prefetch(more)
    uow.prefetch(UUID(i) for d in found.values() if isinstance(d, Debtor) for i in d.arrangement_ids)
