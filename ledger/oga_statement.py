"""The statement of OGA employers, part A, G17: one row per business (its head
office with its branch units), from the views of each unit (``ledger.views``) on
the statement's date, through any ``Lookups`` (the read models, for thousands of
employers: ``projections.oga_statement``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from aggregates.debtor import Debtor
from aggregates.money import ZERO
from aggregates.oga_statement import NO, NoticeRound, clear_until, clearance_mark
from aggregates.payment_forms import EMPLOYER_FORMS
from aggregates.status import RUNNING
from ledger import views
from ledger.i18n import N_
from ledger.lookups import Lookups


def is_employer_item(item: dict[str, Any]) -> bool:
    """G17: an OGA item an employer pays (G10: forms 640, 649, 608)."""
    return item["fund"] == "OGA" and item.get("form") in EMPLOYER_FORMS


def employer_row(lookups: Lookups, head: Debtor, day: date, notice_round: NoticeRound) -> dict[str, Any]:
    """G17, G16: the business of ``head`` on ``day``: what its units owe together
    (or their credit), its clearance column and the remarks."""
    units = views.business_units(lookups, head)
    tables = [views.debt_table(lookups, unit.afm, day) for unit in (head, *units)]
    clearance = views.clearance(lookups, head.afm, day)
    running = [(table["afm"], a) for table in tables for a in table["arrangements"] if a["status"] in RUNNING]
    sent_notices = any(is_employer_item(item) and notice_round.covers(item["period"]) and item["received_on"] <= day
                       for unit in (head, *units) for item in unit.items.values())
    mark = clearance_mark(bool(running), sent_notices, clearance["clear"])
    balance = sum((t["total_outstanding"] - t["credit"] for t in tables), ZERO)
    remarks = [N_("in arrangement {payment_code} ({status}), unit {afm}").format(
        payment_code=a["payment_code"], status=a["status"], afm=afm) for afm, a in running]
    if not sent_notices:
        remarks.append(N_("sent no notice of the contributions {contributions}").format(
            contributions=notice_round.contributions))
    if units:
        remarks.append(N_("branch units: {afms}").format(afms=", ".join(unit.afm for unit in units)))
    return {
        "afm": head.afm, "name": head.name, "service": head.service, "units": [unit.afm for unit in units],
        "total_owed": max(balance, ZERO), "credit": max(-balance, ZERO),
        "clearance": mark, "clear_until": clear_until(notice_round, day, mark),
        "overdue_outside_arrangements": clearance["overdue_outside_arrangements"],
        "in_arrangement": bool(running), "remarks": remarks,
        "reasons": clearance["reasons"] if mark == NO else [],  # why «ΟΧΙ»
    }


def statement_json(day: date, notice_round: NoticeRound, rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    return {"as_of": day, "contributions": notice_round.contributions, "deadline": notice_round.deadline,
            "employers": list(rows)}
