"""The notices' and measures' views (interfaces §1.3, domain §10): a notice as
``show notices`` words it, its summary and the measures in the debt table, each as
of a day (V3), and an arrangement's limitation date (N11), computed from the
aggregates as ``ledger.views`` computes the others."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from aggregates.arrangement_as_of import ArrangementAsOf
from aggregates.calendar import add_months
from aggregates.debtor import Debtor
from aggregates.enforcement import NoticeRules, item_name, period_end
from aggregates.money import ZERO
from aggregates.notice import INDIVIDUAL_NOTICE, INVITATION, Notice
from aggregates.schemes.base import Scheme
from aggregates.status import LIVE
from ledger.lookups import Lookups


def notice_json(notice: Notice, rules: NoticeRules, as_of: date | None = None) -> dict[str, Any]:
    """A notice as ``show notices`` shows it (interfaces §1.3): its frozen content (N5),
    its delivery (N3) and the last day of its period (N4), known once delivered; with
    ``as_of``, as it stood that day (a later delivery not yet)."""
    days = {INVITATION: rules.invitation_days, INDIVIDUAL_NOTICE: rules.notice_days}.get(notice.kind)
    delivered = notice.delivered_on if as_of is None or (notice.delivered_on or as_of) <= as_of else None
    deadline = period_end(delivered, days) if days and delivered else None
    content = notice.content
    return {"id": notice.number, "kind": notice.kind, "afm": notice.debtor_afm, "name": content["name"],
            "service": content["service"], "identity_code": content["identity_code"], "issued_on": notice.issued_on,
            "items": content.get("items", []), "total": content.get("total", ZERO), "period_days": days,
            "deadline": deadline, "delivered_on": delivered, "channel": notice.channel if delivered else None,
            "proof": notice.proof if delivered else None, "opened_on": notice.opened_on, "fund": content.get("fund"),
            "status": "delivered" if delivered else "issued"}


def notice_summary(notice: Notice, rules: NoticeRules, as_of: date) -> dict[str, Any]:
    """A notice in the debt table (N14): its id, kind, dates, total and status on ``as_of``."""
    view = notice_json(notice, rules, as_of)
    return {k: view[k] for k in ("id", "kind", "issued_on", "delivered_on", "deadline", "total", "status")}


def measures_json(debtor: Debtor, rows: Sequence[dict[str, Any]], as_of: date) -> list[dict[str, Any]]:
    """N13: the debtor's measures recorded by ``as_of``, each naming its items as
    FUND:PERIOD:KIND, lifted if lifted by then."""
    named = {row["item_id"]: item_name(row) for row in rows}
    return [{"id": measure_id, "measure": m["measure"], "items": [named.get(i, i) for i in m["item_ids"]],
             "reference": m["reference"], "recorded_on": m["recorded_on"],
             "lifted_on": m["lifted_on"] if m["lifted_on"] and m["lifted_on"] <= as_of else None,
             "lift_reason": m["lift_reason"] if m["lifted_on"] and m["lifted_on"] <= as_of else None}
            for measure_id, m in debtor.measures.items() if m["recorded_on"] <= as_of]


def notice_view(lookups: Lookups, number: str) -> dict[str, Any]:
    """One notice by its number (``notice pdf``)."""
    return notice_json(lookups.notice(number), lookups.settings.notices)


def notices_view(lookups: Lookups, afm: str) -> list[dict[str, Any]]:
    """``show notices AFM``: the debtor's notices, in issue order."""
    debtor = lookups.debtor(afm)
    return [notice_json(n, lookups.settings.notices) for n in lookups.notices_of(debtor)]


def limitation_not_before(state: ArrangementAsOf, scheme: Scheme) -> date | None:
    """N11 [P]: the limitation of a covid-650 arrangement's debts completes no sooner
    than a year after it ends (completed, lost, lapsed or rejected)."""
    if not scheme.limitation_years_after_end or state.status in LIVE:
        return None
    return add_months(state.status_since, 12 * scheme.limitation_years_after_end)
