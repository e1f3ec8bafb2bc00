"""A fund's correction of items it transferred (διόρθωση οφειλής), O4: cancelled or
amended from the correction's business date outside arrangements; inside one, kept
for an operator, who resolves it with a reason."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from typing import Any

from eventsourcing.persistence import Tracking

from aggregates.debtor import FUNDS, KINDS, Debtor
from aggregates.money import ZERO, money
from aggregates.references import valid_afm
from aggregates.status import RELEASED
from ledger import inputs
from ledger.application import Ledger
from ledger.commands import CorrectionInput, Outcome
from ledger.errors import BadInput, NotFound, TransferConflict
from ledger.handlers.common import (
    arrangements_of,
    committed,
    effective_date,
    reason_of,
    settle_live,
)
from ledger.handlers.credit import apply_credit
from ledger.unit_of_work import UnitOfWork

ACTIONS = ("cancel", "amend")


def correct_debt(ledger: Ledger, correction: CorrectionInput, tracking: Tracking | None = None) -> Outcome:
    return committed(ledger, lambda uow: correct_into(uow, correction), tracking)


def correct_into(uow: UnitOfWork, correction: CorrectionInput) -> Outcome:
    """O4: idempotent by correction id (D4: the same again changes nothing, other
    content under the same id is refused). ``waiting`` when an item it names is
    inside an arrangement (its capitalisation already happened)."""
    content = checked_correction(correction, uow)
    debtor = uow.get(Debtor, Debtor.create_id(content["afm"]))
    if debtor is None:
        raise NotFound("afm", f"no debtor {content['afm']}")
    known = debtor.corrections.get(content["correction_id"])
    if known is not None:
        if {k: known.get(k) for k in content} == content:
            return Outcome("duplicate", debtor.afm)
        raise TransferConflict("correction_id", f"{content['fund']} correction {content['correction_id']} "
                                                "was already recorded with other content (O4)")
    day = effective_date(uow, correction.business_date)
    items = [(debtor.item_of(content["fund"], content["transfer_id"], i["period"], i["kind"]), i)
             for i in content["items"]]
    # The arrangement holding each held item (``routing.held_items``: all but the released ones').
    holding = {i: str(a.id) for a in arrangements_of(uow, debtor) if a.status not in RELEASED for i in a.item_ids}
    for item, change in items:
        if item["item_id"] not in holding:
            new_amount = ZERO if content["action"] == "cancel" else change["amount"]
            debtor.correct_item(content["correction_id"], content, item, new_amount, day)
    apply_credit(uow, debtor, day)  # O5: what became credit pays what the debtor still owes (P2)
    waiting = [holding[item["item_id"]] for item, _ in items if item["item_id"] in holding]
    if waiting:
        debtor.hold_correction(content["correction_id"], content, waiting[0], day)
        return Outcome("waiting", debtor.afm)
    settle_live(uow, debtor, day)
    return Outcome("recorded", debtor.afm)


def checked_correction(correction: CorrectionInput, uow: UnitOfWork) -> dict[str, Any]:
    """The correction's fields checked (``ledger.inputs``), as the debtor records it."""
    limits = uow.settings.limits
    if correction.action not in ACTIONS:
        raise BadInput("action", f"{correction.action!r} is not one of {', '.join(ACTIONS)}")
    if correction.fund not in FUNDS:
        raise BadInput("fund", f"{correction.fund!r} is not one of {', '.join(FUNDS)}")
    if not correction.items:
        raise BadInput("items", "a correction names at least one item")
    items = []
    for index, item in enumerate(correction.items, start=1):
        where = f"items[{index}]"
        if item.kind not in KINDS:
            raise BadInput(f"{where}.kind", f"{item.kind!r} is not one of {', '.join(KINDS)}")
        amount = None
        if correction.action == "amend":
            if item.amount is None:
                raise BadInput(f"{where}.amount", "required to amend an item (O4)")
            amount = money(inputs.amount(item.amount, f"{where}.amount", limits))
            if amount <= ZERO:
                raise BadInput(f"{where}.amount", "must be more than zero (cancel the item instead)")
        elif item.amount is not None:
            raise BadInput(f"{where}.amount", "a cancellation takes no amount (O4)")
        items.append({**asdict(item), "period": inputs.period(item.period, f"{where}.period", limits),
                      "amount": amount})
    if correction.business_date is not None:
        inputs.plausible_date(correction.business_date, "--date", limits)
    return {
        "correction_id": inputs.text(correction.correction_id, "correction_id", "correction_id", limits),
        "action": correction.action, "fund": correction.fund, "afm": valid_afm(correction.afm, "afm"),
        "transfer_id": inputs.text(correction.transfer_id, "transfer_id", "transfer_id", limits),
        "items": items,
    }


def resolve_correction(ledger: Ledger, afm: str, correction_id: str, reason: str, on: date | None = None) -> Outcome:
    def step(uow: UnitOfWork) -> Outcome:
        debtor = uow.get(Debtor, Debtor.create_id(valid_afm(afm, "AFM")))
        if debtor is None:
            raise NotFound("AFM", f"no debtor {afm}")
        debtor.resolve_correction(correction_id, reason_of(uow, reason), effective_date(uow, on))
        return Outcome("recorded", debtor.afm)

    return committed(ledger, step)
