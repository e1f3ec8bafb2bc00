"""OGA payment forms (έντυπα πληρωμής ΑΤΕ, by ΚΜΠ code), G10.

Each form pays only its own kind of debt: 640 the special notices of employer
contributions (arrangements' notices included), 649 the prepayments of fishermen
and seasonal invited workers, 608 the prepayment of other invited workers, 639
the contributions of the self-employed (004 §I, §II.2). An OGA debt item carries
its form; a bank payment may carry one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from aggregates.errors import BadInput

EMPLOYER_CONTRIBUTIONS = "640"
INVITED_SEASONAL_OR_FISHERMEN = "649"
INVITED_OTHERS = "608"
SELF_EMPLOYED = "639"
FORMS = (EMPLOYER_CONTRIBUTIONS, INVITED_SEASONAL_OR_FISHERMEN, INVITED_OTHERS, SELF_EMPLOYED)
# The forms an employer pays with (G17's employers): all but the self-employed's own.
EMPLOYER_FORMS = (EMPLOYER_CONTRIBUTIONS, INVITED_SEASONAL_OR_FISHERMEN, INVITED_OTHERS)


def may_pay(payment_form: str | None, item: Mapping[str, Any]) -> bool:
    """G10 [P]: a payment pays an item unless both carry a form and the forms differ:
    a payment without a form, or an item without one (another fund's, or recorded
    before forms were), is paid as before."""
    item_form = item.get("form")
    return payment_form is None or item_form is None or item_form == payment_form


def forms_refused(payment_form: str | None, items: Iterable[Mapping[str, Any]]) -> list[str]:
    """The forms of ``items`` that a payment with ``payment_form`` may not pay, in order, once each."""
    return list(dict.fromkeys(item["form"] for item in items if not may_pay(payment_form, item)))


def checked_form(form: str | None, field: str) -> str | None:
    """G10: no form, or one of the four codes; anything else is bad input naming ``field``."""
    if form is not None and form not in FORMS:
        raise BadInput(field, f"{form!r} is not one of the payment forms {', '.join(FORMS)} (G10)")
    return form


def checked_item_form(fund: str, form: str | None, field: str) -> str | None:
    """G10: a debt item's form, which only an OGA item carries."""
    if form is not None and fund != "OGA":
        raise BadInput(field, f"a payment form is an OGA item's, not {fund}'s (G10)")
    return checked_form(form, field)
