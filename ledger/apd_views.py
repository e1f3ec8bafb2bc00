"""The ΑΠΔ view (interfaces §1.4): a declaration, its records with their codes and the
debt it assessed, and the correction cycle it is in (K16, K17)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from aggregates.apd_checks import TITLES
from aggregates.apd_rules import ApdRules
from aggregates.declaration import Declaration


def declaration_json(declaration: Declaration, rules: ApdRules, on: date | None = None) -> dict[str, Any]:
    """What ``apd submit``, ``correct``, ``finalise`` and ``show apd`` print."""
    records = []
    for record_id, fields in declaration.records.items():
        codes = list(declaration.codes.get(record_id, ()))
        records.append({
            "record": record_id, "codes": codes, "errors": [{"code": c, "title": TITLES[c]} for c in codes],
            "version": declaration.versions.get(record_id, 1), "in_history": record_id in declaration.in_history,
            "override": declaration.overrides.get(record_id), **{k: v for k, v in fields.items() if k != "record"},
        })
    return {
        "id": declaration.apd_id, "employer_afm": declaration.employer_afm, "legal_form": declaration.legal_form,
        "public_like": declaration.public_like, "submitted_on": declaration.submitted_on,
        "received_on": declaration.received_on, "status": declaration.status,
        "finalised_on": declaration.finalised_on, "period": declaration.period(),
        "wrong_records": declaration.wrong_records(), "records": records,
        "assessed": [{"item_id": i["item_id"], "period": i["period"], "kind": i["kind"],
                      "amount": Decimal(i["amount"]), "due_date": date.fromisoformat(i["due_date"])}
                     for i in declaration.assessed],
        "cycle": cycle_json(declaration, rules, on),
    }


def cycle_json(declaration: Declaration, rules: ApdRules, on: date | None) -> dict[str, Any] | None:
    """K17: the correction cycle covering the declaration's period, while it has wrong
    records (``open``: corrections are still taken on the business date)."""
    if not declaration.wrong_records():
        return None
    period = declaration.period()
    for cycle in rules.cycles:
        if cycle.covers(period):
            return {"name": cycle.name, "first_period": cycle.first_period, "last_period": cycle.last_period,
                    "deadline": cycle.deadline, "open": on is None or cycle.open_on(on),
                    "wrong_limit": cycle.wrong_limit(period)}
    return None
