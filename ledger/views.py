"""The views of interfaces §1.1, computed from the events (V1–V3).

Every view takes an ``as_of`` business date and answers from the recorded
events alone, whenever they were entered: the arrangement's timeline is run to
that date (V3). The read models of ``projections/`` answer the current date
fast; these functions are their reference.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

from aggregates.arrangement import Arrangement
from aggregates.calendar import add_months, previous_working_day
from aggregates.debtor import Debtor
from aggregates.events import event_name
from aggregates.money import ZERO
from aggregates.payment import BankPayment
from aggregates.timeline import Course
from ledger.app import Ledger
from ledger.errors import BadInput, NotFound

SUSPENSE_TOPICS = (
    BankPayment.Suspended.TOPIC,
    BankPayment.ConflictingDuplicate.TOPIC,
    BankPayment.ReceivedUnreadable.TOPIC,
)
STANDARD_FIELDS = {"originator_id", "originator_version", "timestamp", "originator_topic", "business_date"}


@dataclass(frozen=True)
class ArrangementAsOf:
    arrangement: Arrangement
    status: str
    course: Course | None

    @property
    def held_items(self) -> list[str]:
        return [] if self.status in ("rejected", "lapsed") else self.arrangement.item_ids

    @property
    def remaining_balance(self) -> Decimal:
        if self.course is None:
            return ZERO if self.status == "rejected" else self.arrangement.capital
        return self.course.remaining_balance

    @property
    def kept(self) -> bool:
        """ND11/C12: kept while suspended, or active with nothing past due."""
        if self.status == "suspended":
            return True
        return self.status == "active" and self.course is not None and self.course.arrears == ZERO


def arrangement_as_of(app: Ledger, arrangement: Arrangement, as_of: date, debtor: Debtor | None = None) -> ArrangementAsOf:
    if arrangement.status == "rejected":
        return ArrangementAsOf(arrangement, "rejected", None)
    scheme = app.settings.scheme(arrangement.scheme)
    debtor = debtor or app.debtor(arrangement.debtor_afm)
    current = debtor.open_items(as_of, app.settings.surcharges, set(arrangement.item_ids))
    course = arrangement.course(scheme, as_of, app.settings.surcharges, current)
    if course is None:
        return ArrangementAsOf(arrangement, "suspended" if arrangement.suspended_until else "applied", None)
    return ArrangementAsOf(arrangement, course.status, course)


def as_of_date(app: Ledger, as_of: date | None) -> date:
    day = as_of or app.business_date()
    if day is None:
        raise BadInput("--as-of", "required: the ledger has no business date yet (run `ledger day close D`)")
    return day


def arrangement_view(app: Ledger, ref: str, as_of: date | None = None) -> dict[str, Any]:
    arrangement = app.arrangement(ref)
    day = as_of_date(app, as_of)
    if day < arrangement.applied_on:
        raise NotFound("--as-of", f"arrangement {ref} was applied for on {arrangement.applied_on}")
    return arrangement_json(arrangement_as_of(app, arrangement, day), day)


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
        "arrears": course.arrears if course else ZERO,
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


def _arrangements_as_of(app: Ledger, debtor: Debtor, day: date) -> list[ArrangementAsOf]:
    return [
        arrangement_as_of(app, a, day, debtor)
        for a in app.arrangements_of(debtor)
        if a.applied_on <= day
    ]


def debt_table(app: Ledger, afm: str, as_of: date | None = None) -> dict[str, Any]:
    """V1: the debtor's items, arrangements, totals, service and enforcement."""
    debtor = app.debtor(afm)
    day = as_of_date(app, as_of)
    arrangements = _arrangements_as_of(app, debtor, day)
    holder = {item: s for s in arrangements for item in s.held_items}
    items = []
    total = ZERO
    for balance in debtor.balances(day, app.settings.surcharges, holder):
        item = balance.item
        holding = holder.get(item["item_id"])
        if holding is not None:
            status = "suspended" if holding.status == "suspended" else f"in arrangement {holding.arrangement.payment_code}"
        elif balance.outstanding == ZERO:
            status = "paid"
        else:
            status = "overdue" if item["due_date"] < day else "current"
            total += balance.outstanding
        items.append({
            "item_id": item["item_id"], "fund": item["fund"], "period": item["period"], "kind": item["kind"],
            "due_date": item["due_date"], "amount": item["amount"], "surcharges": balance.surcharge,
            "paid": balance.paid_principal + balance.paid_surcharge, "outstanding": balance.outstanding,
            "status": status,
        })
    summaries = []
    for state in arrangements:
        total += state.remaining_balance if state.status not in ("rejected", "lapsed") else ZERO
        view = arrangement_json(state, day)
        summaries.append({k: view[k] for k in (
            "id", "scheme", "status", "payment_code", "capital", "interest_total", "instalment_count",
            "arrears", "next_due_date", "next_due_amount", "remaining_balance",
        )} | {"paid_instalments": sum(1 for i in view["instalments"] if i["status"] == "paid")})
    return {
        "afm": debtor.afm,
        "name": debtor.name,
        "service": debtor.service,
        "as_of": day,
        "total_outstanding": total,
        "items": items,
        "arrangements": summaries,
        "credit": debtor.credit,
        "enforcement": "suspended" if any(s.kept for s in arrangements) else "allowed",
    }


def clearance(app: Ledger, afm: str, as_of: date | None = None) -> dict[str, Any]:
    """V2: clear when overdue principal outside arrangements is at most the
    threshold and every arrangement is kept; units must all be clear (004 §4)."""
    debtor = app.debtor(afm)
    day = as_of_date(app, as_of)
    policy = app.settings.clearance
    arrangements = _arrangements_as_of(app, debtor, day)
    # Items of an arrangement count as arranged once it runs; before its first
    # payment they are debts outside it [P]; after a loss its balance is (C11).
    arranged = {
        item for s in arrangements if s.status in ("suspended", "active", "completed", "lost") for item in s.held_items
    }
    overdue = sum(
        (b.unpaid_principal for b in debtor.balances(day, app.settings.surcharges, arranged)
         if b.item["item_id"] not in arranged and b.item["due_date"] < day),
        ZERO,
    )
    overdue += sum((s.course.lost_balance.unpaid_principal for s in arrangements
                    if s.course and s.course.lost_balance), ZERO)
    reasons = []
    if overdue > policy.overdue_threshold:
        reasons.append(f"overdue debt outside arrangements {overdue} EUR exceeds {policy.overdue_threshold} EUR (V2)")
    for s in arrangements:
        if s.status == "active" and not s.kept:
            reasons.append(f"arrangement {s.arrangement.payment_code} has {s.course.arrears} EUR past due (V2)")  # type: ignore[union-attr]
    for unit_afm in debtor.units:
        unit = clearance(app, unit_afm, day)
        if not unit["clear"]:
            reasons.append(f"unit {unit_afm} is not clear: {'; '.join(unit['reasons'])} (004 §4)")
    through_arrangement = any(s.kept for s in arrangements)
    clear = not reasons
    basis = None
    valid_until = None
    if clear:
        basis = "arrangement" if through_arrangement else "no_debt"
        months = policy.months_valid_with_arrangement if through_arrangement else policy.months_valid_without_debt
        valid_until = previous_working_day(add_months(day, months))
    return {"afm": debtor.afm, "as_of": day, "clear": clear, "valid_until": valid_until,
            "reasons": reasons, "basis": basis, "overdue_outside_arrangements": overdue}


def suspense(app: Ledger) -> list[dict[str, Any]]:
    """P5: every payment kept in suspense, with its reason."""
    seen: dict[UUID, None] = {}
    for notification in app.notifications(SUSPENSE_TOPICS):
        seen.setdefault(notification.originator_id, None)  # type: ignore[arg-type]
    entries = []
    for payment_id in seen:
        payment: BankPayment = app.repository.get(payment_id)
        fields = payment.fields
        if payment.status == "suspense":
            entries.append({
                "tx_id": fields["tx_id"], "bank": fields["bank"], "reference": fields["reference"],
                "amount": fields["amount"], "value_date": fields["value_date"], "reason": payment.reason,
                "source": payment.source,
            })
        for conflict in payment.conflicts:
            entries.append({k: conflict.get(k) for k in ("tx_id", "bank", "reference", "amount", "value_date", "reason")}
                           | {"source": None})
    return entries


def audit(app: Ledger, ref: str) -> list[dict[str, Any]]:
    """The event history of an arrangement (id or payment code) or of a
    debtor (ΑΦΜ: the debtor and its arrangements), in ledger order."""
    ids = _audited_ids(app, ref)
    return list(audit_entries(app, ids))


def _audited_ids(app: Ledger, ref: str) -> set[UUID]:
    if ref.isdigit() and len(ref) == 9:
        debtor = app.debtor(ref)
        return {debtor.id, *(UUID(i) for i in debtor.arrangement_ids)}
    return {app.arrangement(ref).id}


def audit_entries(app: Ledger, ids: set[UUID]) -> Iterable[dict[str, Any]]:
    for notification in app.notifications():
        if notification.originator_id not in ids:
            continue
        event = app.mapper.to_domain_event(notification)
        yield {
            "position": notification.id,
            "type": event_name(event),
            "aggregate_id": str(event.originator_id),
            "version": event.originator_version,
            "business_date": getattr(event, "business_date", None),
            "recorded_at": event.timestamp,
            "payload": {k: v for k, v in vars(event).items() if k not in STANDARD_FIELDS},
        }
