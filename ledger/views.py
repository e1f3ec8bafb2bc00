"""The views of interfaces §1.1, computed from the events (V1–V3).

Every view takes an ``as_of`` business date and answers from the recorded
events alone, whenever they were entered: the arrangement's timeline is run to
that date (V3). The read models of ``projections/`` answer the current date
fast; these functions are their reference.

The rules are the domain's (``aggregates.arrangement_as_of``,
``aggregates.clearance``); a view gathers their inputs through ``Lookups``
(``ledger.lookups``), from the event store or from the read models, and words
the answer as JSON.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any
from uuid import UUID

from aggregates.arrangement import Arrangement
from aggregates.arrangement_as_of import ArrangementAsOf, arrangement_as_of
from aggregates.clearance import Clearance, clearance_of
from aggregates.debtor import Debtor
from aggregates.events import event_name, payload_of
from aggregates.money import ZERO
from aggregates.payment import BankPayment
from aggregates.references import debtor_identity_code
from aggregates.status import RELEASED, Status
from ledger.errors import BadInput, NotFound
from ledger.i18n import N_
from ledger.lookups import EventLog, Lookups

SUSPENSE_TOPICS = (
    BankPayment.Suspended.TOPIC,
    BankPayment.ConflictingDuplicate.TOPIC,
    BankPayment.ReceivedUnreadable.TOPIC,
    BankPayment.RecallUnmatched.TOPIC,
)
RESOLUTION_TOPICS = (BankPayment.Assigned.TOPIC, BankPayment.RefundOrdered.TOPIC, BankPayment.Recalled.TOPIC)
RESOLUTION_FIELDS = ("resolution", "target", "actor", "resolved_on")  # of ``show suspense --all`` (O2)
def as_of_date(lookups: Lookups, as_of: date | None) -> date:
    day = as_of or lookups.current_date()
    if day is None:
        raise BadInput("--as-of", "required: the ledger records nothing yet")
    return day


def state_as_of(
    lookups: Lookups, arrangement: Arrangement, as_of: date, debtor: Debtor | None = None
) -> ArrangementAsOf:
    """``arrangement_as_of`` with its scheme, the surcharge rules and its debtor looked up."""
    settings = lookups.settings
    return arrangement_as_of(
        arrangement,
        settings.scheme(arrangement.scheme),
        settings.surcharges,
        debtor or lookups.debtor(arrangement.debtor_afm),
        as_of,
    )


def arrangement_view(lookups: Lookups, ref: str, as_of: date | None = None) -> dict[str, Any]:
    arrangement = lookups.arrangement(ref)
    day = as_of_date(lookups, as_of)
    if day < arrangement.applied_on:
        raise NotFound("--as-of", f"arrangement {ref} was applied for on {arrangement.applied_on}")
    return arrangement_json(state_as_of(lookups, arrangement, day), day)


def arrangement_json(state: ArrangementAsOf, as_of: date) -> dict[str, Any]:
    a = state.arrangement
    course = state.course
    plan = a.plan()
    instalments = []
    if course is not None:
        for account in course.accounts:
            i = account.instalment
            instalments.append({
                "number": i.number, "due_date": i.due_date, "capital": i.capital,
                "interest": account.interest, "amount": account.interest + i.capital,
                "surcharge": account.surcharge, "paid": account.paid,
                "status": account.status_on(as_of),
            })
    next_due = course.next_due if course else None
    view = {
        "id": str(a.id),
        "debtor_afm": a.debtor_afm,
        "scheme": a.scheme,
        "status": state.status,
        "as_of": as_of,
        "joined_on": a.applied_on,
        "capital": a.capital,
        "interest_total": sum((i["interest"] for i in instalments), ZERO),
        "payment_code": a.payment_code,
        "instalment_count": len(plan.instalments) if plan else len(instalments),
        "instalments": instalments,
        "arrears": state.arrears,
        "remaining_balance": state.remaining_balance,
        "credit": course.credit if course else ZERO,
        "next_due_date": next_due.instalment.due_date if next_due else None,
        "next_due_amount": next_due.unpaid if next_due else None,
        "suspended_until": a.suspended_until,
        "lost_on": course.lost_on if course else None,
        "loss_reason": course.loss_reason if course else None,
        "rejection_reason": a.rejection_reason,
    }
    return view


def _arrangements_as_of(lookups: Lookups, debtor: Debtor, day: date) -> list[ArrangementAsOf]:
    return [
        state_as_of(lookups, a, day, debtor)
        for a in lookups.arrangements_of(debtor)
        if a.applied_on <= day
    ]


def debt_table(lookups: Lookups, afm: str, as_of: date | None = None) -> dict[str, Any]:
    """V1: the debtor's items, arrangements, totals, service and enforcement."""
    debtor = lookups.debtor(afm)
    day = as_of_date(lookups, as_of)
    arrangements = _arrangements_as_of(lookups, debtor, day)
    holder = {item: s for s in arrangements for item in s.held_items}
    items = []
    total = ZERO
    for balance in debtor.balances(day, lookups.settings.surcharges, holder):
        item = balance.item
        holding = holder.get(item["item_id"])
        if holding is not None:
            suspended = holding.status == Status.SUSPENDED
            status = "suspended" if suspended else N_("in arrangement {payment_code}").format(
                payment_code=holding.arrangement.payment_code)
        elif balance.outstanding == ZERO:
            status = "paid"
        else:
            status = "overdue" if item["due_date"] < day else "current"
            total += balance.outstanding
        items.append({
            "item_id": item["item_id"], "fund": item["fund"], "period": item["period"], "kind": item["kind"],
            "due_date": item["due_date"], "amount": balance.amount, "surcharges": balance.surcharge,
            "paid": balance.paid_principal + balance.paid_surcharge, "outstanding": balance.outstanding,
            "status": status,
        })
    summaries = []
    for state in arrangements:
        total += state.remaining_balance if state.status not in RELEASED else ZERO
        view = arrangement_json(state, day)
        summaries.append({k: view[k] for k in (
            "id", "scheme", "status", "payment_code", "capital", "interest_total", "instalment_count",
            "arrears", "next_due_date", "next_due_amount", "remaining_balance",
        )} | {"paid_instalments": sum(1 for i in view["instalments"] if i["status"] == "paid")})
    return {
        "afm": debtor.afm,
        "identity_code": debtor_identity_code(debtor.afm),  # P2: pays its debts outside arrangements
        "name": debtor.name,
        "service": debtor.service,
        "as_of": day,
        "total_outstanding": total,
        "items": items,
        "arrangements": summaries,
        # O5: the debtor's own credit, as it stands, and its arrangements' as of the day
        "credit": debtor.credit + sum((s.course.credit for s in arrangements if s.course is not None), ZERO),
        "enforcement": "suspended" if any(s.kept for s in arrangements) else "allowed",
    }


def clearance(lookups: Lookups, afm: str, as_of: date | None = None) -> dict[str, Any]:
    """V2: clear when overdue principal outside arrangements is at most the
    threshold and every arrangement is kept; units must all be clear (004 §4)."""
    return clearance_json(_clearance(lookups, afm, as_of))


def _clearance(lookups: Lookups, afm: str, as_of: date | None) -> Clearance:
    """``clearance_of`` with the debtor, its arrangements as of the date and
    its units' clearances on the same date looked up."""
    debtor = lookups.debtor(afm)
    day = as_of_date(lookups, as_of)
    settings = lookups.settings
    arrangements = _arrangements_as_of(lookups, debtor, day)
    units = {unit_afm: _clearance(lookups, unit_afm, day) for unit_afm in debtor.units}
    return clearance_of(debtor, arrangements, units, settings.clearance, settings.surcharges, day)


def clearance_json(answer: Clearance) -> dict[str, Any]:
    return {"afm": answer.afm, "as_of": answer.as_of, "clear": answer.clear, "valid_until": answer.valid_until,
            "reasons": list(answer.reasons), "basis": answer.basis,
            "overdue_outside_arrangements": answer.overdue_outside_arrangements}


def suspense(log: EventLog, resolved: bool = False) -> list[dict[str, Any]]:
    """P5: every payment kept in suspense, with its reason; with ``resolved``, also
    those an operator resolved (O2) or the bank recalled while there (O3): how, to
    what, by whom (O1) and on which business date."""
    seen: dict[UUID, None] = {}
    for notification in log.notifications(SUSPENSE_TOPICS):
        seen.setdefault(notification.originator_id, None)  # type: ignore[arg-type]
    actors = {n.originator_id: getattr(log.mapper.to_domain_event(n), "actor", None)
              for n in log.notifications(RESOLUTION_TOPICS)} if resolved else {}
    open_fields = dict.fromkeys(RESOLUTION_FIELDS) if resolved else {}
    entries = []
    for payment_id in seen:
        payment: BankPayment = log.repository.get(payment_id)
        fields = payment.fields
        entry = {"tx_id": fields["tx_id"], "bank": fields["bank"], "reference": fields["reference"],
                 "amount": fields["amount"], "value_date": fields["value_date"], "reason": payment.reason,
                 "source": payment.source}
        if payment.status == "suspense":
            entries.append(entry | open_fields)
        elif resolved and payment.resolution is not None:
            entries.append(entry | payment.resolution | {"actor": actors.get(payment_id)})
        for conflict in payment.conflicts:
            entries.append({k: conflict.get(k) for k in ("tx_id", "bank", "reference", "amount", "value_date", "reason")}
                           | {"source": None} | open_fields)
    return entries


def waiting_corrections(log: EventLog) -> list[dict[str, Any]]:
    """O4: the fund corrections of items inside an arrangement that wait for an
    operator, one row per item, in the order received."""
    debtor_ids = dict.fromkeys(n.originator_id for n in log.notifications([Debtor.CorrectionHeld.TOPIC]))
    rows = []
    for debtor_id in debtor_ids:
        debtor: Debtor = log.repository.get(debtor_id)
        for correction_id, c in debtor.corrections.items():
            if c["status"] != "waiting":
                continue
            rows += [{"correction_id": correction_id, "fund": c["fund"], "afm": c["afm"],
                      "transfer_id": c["transfer_id"], "period": item["period"], "kind": item["kind"],
                      "action": c["action"], "amount": item["amount"], "arrangement": c["arrangement"],
                      "received_on": c["received_on"]} for item in c["items"]]
    return rows


def audit(log: EventLog, ref: str) -> list[dict[str, Any]]:
    """The event history of an arrangement (id or payment code) or of a
    debtor (ΑΦΜ: the debtor and its arrangements), in ledger order."""
    ids = audited_ids(log, ref)
    return list(audit_entries(log, ids))


def audited_ids(lookups: Lookups, ref: str) -> set[UUID]:
    """The aggregates of an audit trail: an arrangement's (id or payment code), or a
    debtor's (ΑΦΜ) and its arrangements'."""
    if ref.isdigit() and len(ref) == 9:
        debtor = lookups.debtor(ref)
        return {debtor.id, *(UUID(i) for i in debtor.arrangement_ids)}
    return {lookups.arrangement(ref).id}


def audit_entries(log: EventLog, ids: set[UUID]) -> Iterable[dict[str, Any]]:
    for notification in log.notifications():
        if notification.originator_id not in ids:
            continue
        event = log.mapper.to_domain_event(notification)
        yield audit_entry(notification.id, event_name(event), str(event.originator_id), event.originator_version,
                          getattr(event, "business_date", None), event.timestamp, vars(event))


def audit_entry(position: int, kind: str, aggregate_id: str, version: int, business_date: date | None,
                recorded_at: datetime, state: Mapping[str, Any]) -> dict[str, Any]:
    """One row of an audit trail (interfaces §1.1), from an event's stored state."""
    return {"position": position, "type": kind, "aggregate_id": aggregate_id, "version": version,
            "business_date": business_date, "recorded_at": recorded_at, "payload": payload_of(state)}
