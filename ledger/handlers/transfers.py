"""A fund's transfer of a debtor's items (μεταφορά οφειλών: OAEE, OGA, ETAA; D2, D4)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date
from typing import Any
from uuid import UUID

from eventsourcing.persistence import Tracking

from aggregates.debtor import FUNDS, KINDS, Debtor
from aggregates.money import ZERO, money
from aggregates.payment_forms import checked_item_form
from aggregates.references import InvalidIdentifier, valid_afm, valid_amka
from aggregates.status import Status
from aggregates.transfer import FundTransfer, content_digest
from ledger import inputs
from ledger.application import Ledger
from ledger.commands import Outcome, TransferInput, TransferItem
from ledger.errors import BadInput, NotFound, TransferConflict
from ledger.handlers.common import (
    arrangements_of,
    committed,
    effective_date,
    prefetch_with_arrangements,
)
from ledger.handlers.credit import apply_credit
from ledger.handlers.notices import inform_of_transfer
from ledger.settings import Limits
from ledger.unit_of_work import UnitOfWork


def record_transfer(ledger: Ledger, transfer: TransferInput, tracking: Tracking | None = None) -> Outcome:
    """``transfer_into`` committed, read again and retried when another writer got there first."""
    return committed(ledger, lambda uow: transfer_into(uow, transfer), tracking)


def transfer_into(uow: UnitOfWork, transfer: TransferInput) -> Outcome:
    """D2/D4: record a fund's transfer once; the same again changes nothing,
    other content under the same id is refused (``TransferConflict``)."""
    afm = valid_afm(transfer.afm, "afm")
    if transfer.fund not in FUNDS:
        raise BadInput("fund", f"{transfer.fund!r} is not one of {', '.join(FUNDS)}")
    if not transfer.items:
        raise BadInput("items", "a transfer needs at least one debt item")
    transfer = checked_transfer(transfer, uow.settings.limits)
    items = [checked_item(index, item, transfer.fund, uow.settings.limits)
             for index, item in enumerate(transfer.items, start=1)]
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
    first_from_fund = all(i["fund"] != transfer.fund for i in debtor.items.values())
    debtor.transfer(transfer.fund, transfer_id, items, day)
    if first_from_fund:
        inform_of_transfer(uow, debtor, transfer.fund, day)  # N6
    suspend_new_items(uow, debtor, [debtor.items[i] for i in debtor.items if i not in before], day)
    apply_credit(uow, debtor, day)  # O5
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


def checked_transfer(transfer: TransferInput, limits: Limits) -> TransferInput:
    """The transfer's text and dates checked (``ledger.inputs``), its text NFC."""
    if transfer.business_date is not None:
        inputs.plausible_date(transfer.business_date, "--date", limits)
    transfer_id, name, amka = transfer.transfer_id, transfer.name, transfer.amka
    return replace(
        transfer,
        transfer_id=inputs.text(transfer_id, "transfer_id", "transfer_id", limits) if transfer_id else None,
        name=inputs.text(name, "name", "name", limits) if name else None,
        amka=valid_amka(amka, "amka") if amka else None,
    )


def checked_item(index: int, item: TransferItem, fund: str, limits: Limits) -> dict[str, Any]:
    """D2: one item of a transfer, its fields checked (interfaces §2.2); G10: an OGA
    item's form, kept only when given, so that an item without one (and the digest of
    its transfer, D4) stays as before."""
    where = f"items[{index}]"
    period = inputs.period(item.period, f"{where}.period", limits)
    if item.kind not in KINDS:
        raise BadInput(f"{where}.kind", f"{item.kind!r} is not one of {', '.join(KINDS)}")
    amount = money(inputs.amount(item.amount, f"{where}.amount", limits))
    if amount <= ZERO:
        raise BadInput(f"{where}.amount", "must be more than zero")
    due_date = inputs.plausible_date(item.due_date, f"{where}.due_date", limits)
    checked = {"period": period, "kind": item.kind, "amount": amount, "due_date": due_date}
    if item.form is not None:
        checked["form"] = checked_item_form(fund, item.form, f"{where}.form")
    return checked
