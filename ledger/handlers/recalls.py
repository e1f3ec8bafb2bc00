"""A bank's recall of a payment it sent (ανάκληση πληρωμής), O3: what it paid is
undone as of its value date, by new events; a recall of nothing is kept in suspense."""

from __future__ import annotations

from uuid import UUID

from eventsourcing.persistence import Tracking

from aggregates.arrangement import Arrangement
from aggregates.debtor import Debtor
from aggregates.payment import BankPayment
from aggregates.routing import DEBTOR, held_items
from ledger import inputs
from ledger.application import Ledger
from ledger.commands import Outcome, RecallInput
from ledger.handlers.common import (
    arrangements_of,
    committed,
    effective_date,
    reason_of,
    settle,
    settle_live,
)
from ledger.handlers.payments import debtor_of, receipt_id
from ledger.i18n import N_
from ledger.unit_of_work import UnitOfWork

# What a recall cannot undo: kept in suspense with the reason (O3).
UNDOABLE = {"recalled": N_("already recalled"), "refunded": N_("refunded to the payer already")}


def recall_payment(ledger: Ledger, recall: RecallInput, tracking: Tracking | None = None) -> Outcome:
    return committed(ledger, lambda uow: recall_into(uow, recall), tracking)


def recall_into(uow: UnitOfWork, recall: RecallInput) -> Outcome:
    """O3: the payment's allocation is undone as of its value date: the arrangement
    replays its course without it (surcharges run again from the due dates; a lapse,
    a loss or a never-made activation recorded on the days the rules give), or the
    debtor's items it paid are unpaid again. A payment in suspense is just taken back."""
    limits = uow.settings.limits
    bank = inputs.text(recall.bank or "UNKNOWN", "bank", "bank", limits)
    tx_id = inputs.text(recall.tx_id, "tx_id", "tx_id", limits)
    reason = reason_of(uow, recall.reason)
    business_date = effective_date(uow, recall.business_date)
    payment = uow.get(BankPayment, BankPayment.create_id(bank, tx_id))
    why = N_("the ledger holds no such payment") if payment is None else UNDOABLE.get(payment.status)
    if why is not None:
        if uow.get(BankPayment, BankPayment.unmatched_recall_id(bank, tx_id)) is not None:
            return Outcome("duplicate", None, why)
        why = N_("recall of payment {tx_id} from bank {bank}: {reason} (O3)").format(tx_id=tx_id, bank=bank, reason=why)
        uow.add(BankPayment.receive_unmatched_recall(tx_id, bank, business_date, why, reason, business_date))
        return Outcome("suspense", None, why)
    applied = payment.status == "applied"
    payment.recall(reason, business_date)
    if applied:
        _undo(uow, payment, business_date)
    return Outcome("recalled", payment.target_id)


def _undo(uow: UnitOfWork, payment: BankPayment, business_date) -> None:
    fields = payment.fields
    key = receipt_id(fields["bank"], fields["tx_id"])
    assert payment.target_id is not None  # applied: routed or assigned
    if payment.target == DEBTOR:
        debtor = uow.get(Debtor, Debtor.create_id(payment.target_id))
        assert debtor is not None
        debtor.recall_payment(key, fields["value_date"], fields["amount"], business_date)
        settle_live(uow, debtor, business_date)
        return
    arrangement = uow.get(Arrangement, UUID(payment.target_id))
    assert arrangement is not None
    debtor = debtor_of(uow, arrangement)
    held = held_items(arrangements_of(uow, debtor))
    settle(uow, arrangement, debtor, business_date, held, recalled=[key])
