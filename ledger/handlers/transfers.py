"""A fund's transfer of a debtor's items (μεταφορά οφειλών: OAEE, OGA, ETAA; D2, D4)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any
from uuid import UUID

from eventsourcing.persistence import Tracking

from aggregates.debtor import FUNDS, KINDS, Debtor
from aggregates.money import ZERO, money
from aggregates.references import InvalidIdentifier, valid_afm
from aggregates.status import Status
from aggregates.transfer import FundTransfer, content_digest
from ledger.application import Ledger
from ledger.commands import Outcome, TransferInput, TransferItem
from ledger.errors import BadInput, NotFound, TransferConflict
from ledger.handlers.common import (
    arrangements_of,
    effective_date,
    prefetch_with_arrangements,
)
from ledger.unit_of_work import UnitOfWork


def record_transfer(ledger: Ledger, transfer: TransferInput, tracking: Tracking | None = None) -> Outcome:
    uow = UnitOfWork(ledger)
    outcome = transfer_into(uow, transfer)
    uow.commit(tracking)
    return outcome


def transfer_into(uow: UnitOfWork, transfer: TransferInput) -> Outcome:
    """D2/D4: record a fund's transfer once; the same again changes nothing,
    other content under the same id is refused (``TransferConflict``)."""
    afm = valid_afm(transfer.afm, "afm")
    if transfer.fund not in FUNDS:
        raise BadInput("fund", f"{transfer.fund!r} is not one of {', '.join(FUNDS)}")
    if not transfer.items:
        raise BadInput("items", "a transfer needs at least one debt item")
    items = [checked_item(index, item) for index, item in enumerate(transfer.items, start=1)]
    digest = content_digest({"afm": afm, "fund": transfer.fund, "items": items})
    transfer_id = transfer.transfer_id or f"sha256-{digest[:24]}"
    day = effective_date(uow, transfer.business_date)
    existing = uow.get(FundTransfer, FundTransfer.create_id(transfer.fund, transfer_id))
    if existing is not None:
        if existing.digest == digest:
            return Outcome("duplicate", afm)
        raise TransferConflict(
            "transfer_id", f"{transfer.fund} transfer {transfer_id} was already recorded with other content (D4)"
        )
    debtor = uow.get(Debtor, Debtor.create_id(afm))
    if debtor is None:
        if not transfer.name:
            raise NotFound("afm", f"no debtor {afm}: register it first (`ledger debtor add`)")
        debtor = Debtor.register(afm, transfer.name, day, amka=transfer.amka)
        uow.add(debtor)
    uow.add(FundTransfer.receive(transfer.fund, transfer_id, afm, digest, day))
    before = set(debtor.items)
    debtor.transfer(transfer.fund, transfer_id, items, day)
    suspend_new_items(uow, debtor, [debtor.items[i] for i in debtor.items if i not in before], day)
    return Outcome("recorded", afm)


def suspend_new_items(uow: UnitOfWork, debtor: Debtor, items: list[dict[str, Any]], day: date) -> None:
    """ND3: a current item due within a running suspension joins it."""
    settings = uow.settings
    for arrangement in arrangements_of(uow, debtor):
        if arrangement.status != Status.SUSPENDED:
            continue
        scheme = settings.scheme(arrangement.scheme)
        grant = arrangement.grant()
        joining = [b.open_item() for b in (debtor.balance(i, day, settings.surcharges) for i in items)]
        joining = [i for i in joining if scheme.suspends(grant, i)]
        if joining and grant.suspended_until:
            arrangement.suspend(joining, grant.suspended_until, day)


def prefetch_transfers(uow: UnitOfWork, transfers: Sequence[TransferInput]) -> None:
    """What ``transfer_into`` reads for ``transfers``, in a few queries: each transfer
    named by its id, its debtor and the debtor's arrangements."""
    ids: list[UUID] = []
    for transfer in transfers:
        if transfer.transfer_id:
            ids.append(FundTransfer.create_id(transfer.fund, transfer.transfer_id))
        try:
            ids.append(Debtor.create_id(valid_afm(transfer.afm)))
        except (InvalidIdentifier, TypeError, ValueError):
            continue
    prefetch_with_arrangements(uow, ids)


def checked_item(index: int, item: TransferItem) -> dict[str, Any]:
    """D2: one item of a transfer, its fields checked (interfaces §2.2)."""
    where = f"items[{index}]"
    period = item.period
    if len(period) != 7 or period[4] != "-" or not (period[:4] + period[5:]).isdigit() or not 1 <= int(period[5:]) <= 12:
        raise BadInput(f"{where}.period", f"{period!r} is not YYYY-MM")
    if item.kind not in KINDS:
        raise BadInput(f"{where}.kind", f"{item.kind!r} is not one of {', '.join(KINDS)}")
    amount = money(item.amount)
    if amount <= ZERO:
        raise BadInput(f"{where}.amount", "must be more than zero")
    return {"period": period, "kind": item.kind, "amount": amount, "due_date": item.due_date}
