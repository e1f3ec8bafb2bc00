"""Each debt item's share of its arrangement (μερίδιο οφειλής στη ρύθμιση), V1.

V1 counts an item held by an arrangement once, through the arrangement's
remaining balance. The debt table still lists the item, so it shows the item's
share of the arrangement in the item's own columns, and every column adds up to
the table's totals and, over an arrangement's items, to the arrangement:

- its base: what the arrangement took of it, the unpaid principal and the
  surcharges frozen with it into the capital (C4/ND4), or for an item whose
  payment is suspended its unpaid principal (ND3);
- the arrangement's interest (C5) and the surcharges it accrued since (on missed
  instalments, on the balance due at once after a loss: C8, C11), spread over the
  items in proportion to their bases;
- what was paid on the arrangement, allotted to the items oldest first, as the
  debtor's own payments are (P2);
- so its outstanding share is base + interest + surcharges − paid, and the
  shares' sum is the arrangement's remaining balance.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from aggregates.arrangement_as_of import ArrangementAsOf
from aggregates.course import Course
from aggregates.item_balance import ItemBalance
from aggregates.money import ZERO, spread


@dataclass(frozen=True)
class ItemShare:
    """What one item stands at inside its arrangement."""

    item_id: str
    surcharge: Decimal  # frozen into the capital, and its part of the arrangement's since
    interest: Decimal
    paid: Decimal
    outstanding: Decimal


def paid_on(course: Course | None) -> Decimal:
    """Everything paid on the arrangement's instalments and on its balance due at
    once after a loss (not its credit, O5)."""
    if course is None:
        return ZERO
    paid = sum((account.paid for account in course.accounts), ZERO)
    lost = course.lost_balance
    return paid if lost is None else paid + lost.paid_principal + lost.paid_surcharge


def item_shares(state: ArrangementAsOf, balances: Mapping[str, ItemBalance]) -> list[ItemShare]:
    """The shares of the items ``state`` holds, oldest due first; ``balances`` are
    the debtor's items, in its due order (``Debtor.balances``)."""
    held = set(state.held_items)
    arrangement = state.arrangement
    frozen = {line["item_id"]: (line["principal"], line["surcharge"]) for line in arrangement.capital_lines}
    order = [item_id for item_id in balances if item_id in held]
    bases = [frozen.get(i, (balances[i].unpaid_principal, ZERO)) for i in order]
    course = state.course
    interest = sum((account.interest for account in course.accounts), ZERO) if course is not None else ZERO
    paid = paid_on(course)
    base_total = sum((principal + surcharge for principal, surcharge in bases), ZERO)
    accrued = state.remaining_balance + paid - base_total - interest
    weights = [principal + surcharge for principal, surcharge in bases]
    shares = []
    unallotted = paid
    for item_id, (principal, surcharge), its_interest, its_surcharge in zip(
        order, bases, spread(interest, weights), spread(accrued, weights), strict=True
    ):
        owed = principal + surcharge + its_interest + its_surcharge
        its_paid = min(owed, unallotted)
        unallotted -= its_paid
        shares.append(ItemShare(item_id, surcharge + its_surcharge, its_interest, its_paid, owed - its_paid))
    return shares
