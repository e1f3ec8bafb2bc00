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

from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

from aggregates.arrangement import Arrangement
from aggregates.arrangement_as_of import ArrangementAsOf, arrangement_as_of
from aggregates.clearance import Clearance, clearance_of, overdue_outside_arrangements, unit_standing
from aggregates.course import Course, InstalmentAccount
from aggregates.debtor import Debtor
from aggregates.enforcement import Standing, criminal_proceedings, enforceable, suspended_items
from aggregates.horizon import next_change
from aggregates.item_balance import ItemBalance
from aggregates.item_shares import ItemShare, item_shares, paid_on
from aggregates.money import ZERO
from aggregates.payment import BankPayment
from aggregates.references import debtor_identity_code
from aggregates.status import RUNNING, Status
from ledger.errors import BadInput, NotFound
from ledger.lookups import EventLog, Lookups
from ledger.notice_views import limitation_not_before, measures_json, notice_summary

SUSPENSE_TOPICS = (  # the events that may open a suspense item (O2)
    BankPayment.Suspended.TOPIC,
    BankPayment.ConflictingDuplicate.TOPIC,
    BankPayment.ReceivedAgain.TOPIC,
    BankPayment.ReceivedUnreadable.TOPIC,
    BankPayment.RecallUnmatched.TOPIC,
)
RESOLUTION_TOPICS = (BankPayment.Assigned.TOPIC, BankPayment.RefundOrdered.TOPIC, BankPayment.Recalled.TOPIC,
                     BankPayment.Dismissed.TOPIC)
RESOLUTION_FIELDS = ("resolution", "target", "actor", "resolved_on")  # of ``show suspense --all`` (O2)
# A version of a bank transaction in a suspense item's ``history`` (P5), and what ``changed`` compares.
VERSION_FIELDS = ("received_on", "reference", "amount", "currency", "value_date", "payer_afm", "reason")
COMPARED_FIELDS = ("reference", "amount", "currency", "value_date", "payer_afm")


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
                "surcharge": account.surcharge, "total_due": account.interest + i.capital + account.surcharge,
                "paid": account.paid, "status": instalment_status(course, account),
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


def instalment_status(course: Course, account: InstalmentAccount) -> str:
    """pending, due, paid or missed (interfaces §1.1); after a loss, an instalment
    not yet missed is part of the balance due at once (C11): ``due``."""
    status = account.status_on(course.as_of)
    lost_on = course.lost_on
    if lost_on is not None and status != "paid" and account.instalment.due_date >= lost_on:
        return "due"
    return status


def _arrangements_as_of(lookups: Lookups, debtor: Debtor, day: date) -> list[ArrangementAsOf]:
    return [
        state_as_of(lookups, a, day, debtor)
        for a in lookups.arrangements_of(debtor)
        if a.applied_on <= day
    ]


def debt_table(lookups: Lookups, afm: str, as_of: date | None = None) -> dict[str, Any]:
    """V1: the debtor's items, arrangements, totals, service and enforcement.

    An item an arrangement holds shows its share of the arrangement
    (``aggregates.item_shares``), so every column adds up to ``totals`` and, over
    an arrangement's items, to the arrangement's remaining balance and paid."""
    debtor = lookups.debtor(afm)
    day = as_of_date(lookups, as_of)
    return _debt_table(lookups, debtor, _arrangements_as_of(lookups, debtor, day), day)


def item_rows(lookups: Lookups, debtor: Debtor, arrangements: Sequence[ArrangementAsOf], day: date) -> list[dict[str, Any]]:
    """V1: the debt table's rows, one per item known on ``day``, oldest due first."""
    holder = {item: s for s in arrangements for item in s.held_items}
    balances = {b.item["item_id"]: b for b in debtor.balances(day, lookups.settings.surcharges, holder)}
    shares = {share.item_id: share for s in arrangements for share in item_shares(s, balances)}
    return [_item_row(balance, holder.get(item_id), shares.get(item_id), day) for item_id, balance in balances.items()]


def standing_of(lookups: Lookups, debtor: Debtor, arrangements: Sequence[ArrangementAsOf], day: date,
                rows: Sequence[dict[str, Any]] | None = None) -> Standing:
    """The debtor on ``day`` as the enforcement rules see it (``aggregates.enforcement``)."""
    settings = lookups.settings
    return Standing(
        afm=debtor.afm, day=day, rows=item_rows(lookups, debtor, arrangements, day) if rows is None else rows,
        received_later=sorted({i["received_on"] for i in debtor.items.values() if i["received_on"] > day}),
        suspended=suspended_items(list(debtor.items.values()), arrangements, settings.scheme),
        overdue_principal=overdue_outside_arrangements(debtor, arrangements, settings.surcharges, day),
        notices=[n for n in lookups.notices_of(debtor) if n.issued_on <= day],
        awaiting=frozenset(i for s in arrangements if s.status == Status.APPLIED for i in s.held_items))


def _debt_table(lookups: Lookups, debtor: Debtor, arrangements: Sequence[ArrangementAsOf], day: date) -> dict[str, Any]:
    settings = lookups.settings
    rows = item_rows(lookups, debtor, arrangements, day)
    standing = standing_of(lookups, debtor, arrangements, day, rows)
    allowed = enforceable(standing, settings.notices)
    items = [row | {"enforceable": allowed[row["item_id"]]} for row in rows]
    summaries = []
    for state in arrangements:
        view = arrangement_json(state, day)
        summaries.append({k: view[k] for k in (
            "id", "scheme", "status", "payment_code", "capital", "interest_total", "instalment_count",
            "arrears", "next_due_date", "next_due_amount", "remaining_balance",
        )} | {"paid_instalments": sum(1 for i in view["instalments"] if i["status"] == "paid"),
              "paid": paid_on(state.course),
              "limitation_not_before": limitation_not_before(state, settings.scheme(state.arrangement.scheme))})
    totals = {column: sum((row[column] for row in items), ZERO) for column in TOTALLED}
    kept = any(s.status in RUNNING for s in arrangements)  # N7, N8 [P]
    return {
        "afm": debtor.afm,
        "identity_code": debtor_identity_code(debtor.afm),  # P2: pays its debts outside arrangements
        "name": debtor.name,
        "service": debtor.service,
        "as_of": day,
        "total_outstanding": totals["outstanding"],
        "totals": totals,
        "items": items,
        "arrangements": summaries,
        # O5: the debtor's own credit, as it stands, and its arrangements' as of the day
        "credit": debtor.credit + sum((s.course.credit for s in arrangements if s.course is not None), ZERO),
        # N14: suspended while a kept arrangement leaves nothing enforceable
        "enforcement": "suspended" if kept and not any(allowed.values()) else "allowed",
        "criminal_proceedings": criminal_proceedings(arrangements, settings.scheme),
        "notices": [notice_summary(n, settings.notices, day) for n in standing.notices],
        "measures": measures_json(debtor, rows, day),
    }


def debtor_figures(lookups: Lookups, afm: str, day: date) -> dict[str, Any]:
    """What the operators' lists show of one debtor on ``day`` (interfaces §1.7):
    its debt table's total and arrangement summaries (V1, each with its debtor and
    the day it took its status), its clearance (V2), and ``changes_on``, the first
    later day these may move with no new event (``aggregates.horizon``; its units'
    too, which its clearance follows, 004 §4)."""
    debtor = lookups.debtor(afm)
    arrangements = _arrangements_as_of(lookups, debtor, day)
    table = _debt_table(lookups, debtor, arrangements, day)
    clearance = _clearance_of(lookups, debtor, arrangements, day)
    summaries = [summary | {"debtor_afm": debtor.afm, "status_since": state.status_since}
                 for summary, state in zip(table["arrangements"], arrangements, strict=True)]
    return {"afm": debtor.afm, "name": debtor.name, "service": debtor.service,
            "total_outstanding": table["total_outstanding"], "clear": clearance.clear, "arrangements": summaries,
            "changes_on": _changes_on(lookups, debtor, arrangements, day)}


def _changes_on(lookups: Lookups, debtor: Debtor, arrangements: Sequence[ArrangementAsOf], day: date) -> date | None:
    rules = lookups.settings.surcharges
    days = [next_change(debtor, arrangements, rules, day)]
    for unit_afm in debtor.units:
        unit = lookups.debtor(unit_afm)
        days.append(_changes_on(lookups, unit, _arrangements_as_of(lookups, unit, day), day))
    return min((d for d in days if d is not None), default=None)


TOTALLED = ("amount", "surcharges", "interest", "paid", "outstanding")  # the debt table's columns with a total


def _item_row(balance: ItemBalance, holding: ArrangementAsOf | None, share: ItemShare | None, day: date) -> dict[str, Any]:
    """One item of the debt table: on its own (V1), or with its share of the
    arrangement holding it, and then in which state the arrangement leaves it."""
    item = balance.item
    row = {"item_id": item["item_id"], "fund": item["fund"], "period": item["period"], "kind": item["kind"],
           "form": item.get("form"), "apd_id": item.get("apd_id"), "due_date": item["due_date"],
           "amount": balance.amount}
    if holding is None or share is None:
        outstanding = balance.outstanding
        status = "paid" if outstanding == ZERO else "overdue" if item["due_date"] < day else "current"
        return row | {"surcharges": balance.surcharge, "interest": ZERO,
                      "paid": balance.paid_principal + balance.paid_surcharge, "outstanding": outstanding,
                      "status": status, "arrangement": None}
    # What was paid on the item before it joined, then its share of the arrangement.
    return row | {"surcharges": balance.paid_surcharge + share.surcharge, "interest": share.interest,
                  "paid": balance.paid_principal + balance.paid_surcharge + share.paid,
                  "outstanding": share.outstanding, "status": _held_status(holding.status, share.outstanding),
                  "arrangement": holding.arrangement.payment_code}


def _held_status(arrangement_status: str, outstanding: Decimal) -> str:
    """An arranged item: ``suspended`` (ND3), ``in_arrangement`` while it runs,
    ``due_at_once`` after its loss (C11), ``settled`` once nothing of it is owed
    through a completed or lost arrangement."""
    if arrangement_status == Status.SUSPENDED:
        return "suspended"
    if arrangement_status in (Status.COMPLETED, Status.LOST) and outstanding == ZERO:
        return "settled"
    return "due_at_once" if arrangement_status == Status.LOST else "in_arrangement"


def clearance(lookups: Lookups, afm: str, as_of: date | None = None) -> dict[str, Any]:
    """V2: clear when overdue principal outside arrangements, summed over the debtor
    and its units, is at most the threshold and every arrangement is kept (G16)."""
    return clearance_json(_clearance(lookups, afm, as_of))


def _clearance(lookups: Lookups, afm: str, as_of: date | None) -> Clearance:
    """``clearance_of`` with the debtor, its arrangements as of the date and
    its units' standings on the same date looked up."""
    debtor = lookups.debtor(afm)
    day = as_of_date(lookups, as_of)
    return _clearance_of(lookups, debtor, _arrangements_as_of(lookups, debtor, day), day)


def _clearance_of(lookups: Lookups, debtor: Debtor, arrangements: Sequence[ArrangementAsOf], day: date) -> Clearance:
    settings = lookups.settings
    rules = settings.surcharges
    units = [unit_standing(unit, _arrangements_as_of(lookups, unit, day), rules, day)
             for unit in business_units(lookups, debtor)]
    return clearance_of(unit_standing(debtor, arrangements, rules, day), units, settings.clearance, day)


def business_units(lookups: Lookups, debtor: Debtor) -> list[Debtor]:
    """G16: the debtor's branch units, and theirs, each once, in the order registered."""
    found: dict[str, Debtor] = {}
    waiting = list(debtor.units)
    while waiting:
        afm = waiting.pop(0)
        if afm != debtor.afm and afm not in found:
            found[afm] = lookups.debtor(afm)
            waiting += found[afm].units
    return list(found.values())


def clearance_json(answer: Clearance) -> dict[str, Any]:
    return {"afm": answer.afm, "as_of": answer.as_of, "clear": answer.clear, "valid_until": answer.valid_until,
            "reasons": list(answer.reasons), "basis": answer.basis,
            "overdue_outside_arrangements": answer.overdue_outside_arrangements,
            "units": [{"afm": u.afm, "overdue_outside_arrangements": u.overdue} for u in answer.units]}


def suspense(log: EventLog, resolved: bool = False) -> list[dict[str, Any]]:
    """P5: every item of the suspense account, with its reason, in the order they were
    opened; with ``resolved``, also those an operator resolved (O2) or the bank recalled
    while there (O3): how, to what, by whom (O1) and on which business date."""
    opened: dict[tuple[UUID, int], int] = {}
    for notification in log.notifications(SUSPENSE_TOPICS):
        opened[(notification.originator_id, notification.originator_version)] = notification.id  # type: ignore[index]
    actors = {(n.originator_id, n.originator_version): getattr(log.mapper.to_domain_event(n), "actor", None)
              for n in log.notifications(RESOLUTION_TOPICS)} if resolved else {}
    open_fields = dict.fromkeys(RESOLUTION_FIELDS) if resolved else {}
    rows = []
    for payment_id in dict.fromkeys(key for key, _ in opened):
        payment: BankPayment = log.repository.get(payment_id)
        fields, versions = payment.fields, payment.versions
        for item in payment.items:
            if item["resolution"] is None:
                extra = open_fields
            elif resolved:
                extra = item["resolution"] | {"actor": actors.get((payment_id, item["resolved"]))}
            else:
                continue
            row = suspense_row(fields["tx_id"], fields["bank"], payment.source, fields if item["holds"] else None,
                               item["reason"], versions[:item["until"]], item["first"])
            rows.append((opened[(payment_id, item["opened"])], row | extra))
    return [row for _, row in sorted(rows, key=lambda entry: entry[0])]


def suspense_row(tx_id: str | None, bank: str | None, source: str | None, content: Mapping[str, Any] | None,
                 reason: str | None, versions: Sequence[Mapping[str, Any]], first: int) -> dict[str, Any]:
    """One item of the suspense account (O2): the transaction's versions ``versions``
    received until the item's last, its own from ``first``; its content ``content``
    (the payment's, when it waits in the item itself), else its latest version. Each
    version in ``history`` says what ``changed`` from the one received before it (P5):
    ``{field: {"from": before, "to": now}}``."""
    history = [{**{k: v.get(k) for k in VERSION_FIELDS},
                "changed": {k: {"from": versions[n - 1].get(k), "to": v.get(k)} for k in COMPARED_FIELDS
                            if n and versions[n - 1].get(k) != v.get(k)}}
               for n, v in enumerate(versions) if n >= first]
    shown = versions[-1] if content is None else content
    return {"tx_id": tx_id, "bank": bank, "reference": shown.get("reference"), "amount": shown.get("amount"),
            "value_date": shown.get("value_date"), "reason": reason, "source": source,
            "versions": len(history), "history": history}


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
