"""A debtor's credit (πιστωτικό υπόλοιπο), O5.

What the debtor paid beyond what it owed: excess identity-code payments (P2),
the credit an arrangement's payments left (P3, C7), what a fund's correction made
paid beyond the new amount (O4), less what was taken back by recalls (O3), paid
new items with (P2) or was refunded. The debtor records its own; each
arrangement's is in its recorded payments.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from aggregates import history
from aggregates.arrangement import Arrangement
from aggregates.debtor import Debtor
from aggregates.money import ZERO
from aggregates.status import Status


CREDITED = (Status.COMPLETED, Status.LOST)  # what an arrangement with credit can be


def arrangement_credit(arrangement: Arrangement) -> Decimal:
    """What the arrangement's payments left over, as its facts record it (P3): only
    one paid off (completed) or whose lost balance is paid has any."""
    if arrangement.status not in CREDITED:
        return ZERO
    return sum((f["credit"] for f in history.facts(arrangement).values() if f["kind"] == "Paid"), ZERO)


def credit_of(debtor: Debtor, arrangements: Iterable[Arrangement]) -> Decimal:
    """O5: the debtor's whole credit: its own and its arrangements'."""
    return debtor.credit + sum((arrangement_credit(a) for a in arrangements), ZERO)
