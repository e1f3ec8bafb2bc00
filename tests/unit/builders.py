"""Small builders shared by the unit tests of the pure domain.

Parameters come from the real configuration (``load_settings``); the debts
and dates are the hand-worked examples of each test.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from aggregates.arrangement import Arrangement
from aggregates.references import arrangement_payment_code
from aggregates.schemes.base import ApplicationForm, OpenItem
from ledger.settings import load_settings

AFM = "090000045"  # a valid ΑΦΜ (check digit 5)
SETTINGS = load_settings()
RULES = SETTINGS.surcharges
COVID = SETTINGS.schemes["covid-650"]
STANDING = SETTINGS.schemes["standing"]
DISASTER = SETTINGS.schemes["disaster"]


def d(text: str) -> date:
    return date.fromisoformat(text)


def m(text: str) -> Decimal:
    return Decimal(text)


def item(
    item_id: str,
    amount: str,
    due: str,
    period: str = "2020-05",
    kind: str = "contribution",
    fund: str = "OAEE",
    unpaid: str | None = None,
    settled_on: str | None = None,
) -> OpenItem:
    return OpenItem(
        item_id, fund, period, kind, m(amount), d(due), m(unpaid if unpaid is not None else amount),
        d(settled_on) if settled_on else None,
    )


def form(applied_on: str, requested: int | None = None, **options) -> ApplicationForm:
    return ApplicationForm(AFM, d(applied_on), requested, options)


def apply(scheme, applied_on: str, items, requested: int | None = None, ordinal: int = 1, **options) -> Arrangement:
    code = arrangement_payment_code(scheme.code, AFM, ordinal)
    return Arrangement.apply_for(scheme, form(applied_on, requested, **options), code, items, RULES)


def kinds(events) -> list[str]:
    return [type(e).__name__ for e in events]


def covid_3360(requested: int = 12) -> Arrangement:
    """3000.00 of 2020-05 due 2020-06-30, applied 2021-12-15: 18 started months
    of delay (2020-07-01 … 2021-12-01) at 8% → 3000 × 0.08/12 × 18 = 360.00,
    capital 3360.00; 12 instalments of 280.00, the first due 2021-12-31."""
    return apply(COVID, "2021-12-15", [item("i1", "3000.00", "2020-06-30")], requested)
