"""An arrangement's status (κατάσταση ρύθμισης), A1, and the groups the rules name.

``Status`` is a ``str`` enum: ``Status.ACTIVE == "active"``, it hashes as its
value and is written as it in JSON and in the database. An aggregate and the
timeline keep the member's ``value`` in their state, a plain ``str``, as a
snapshot or a read model loads it back; the members and the groups below are
what code compares a status with.
"""

from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    """A1: ``applied`` → (``rejected`` | ``lapsed`` | ``active``) → (``completed`` | ``lost``);
    the disaster scheme has a ``suspended`` phase before its instalments (ND3, ND12)."""

    APPLIED = "applied"  # A1; C6/S1: the first instalment is not paid yet
    REJECTED = "rejected"  # A1: the scheme refused it (its reason is recorded)
    SUSPENDED = "suspended"  # ND3/ND12: the suspension runs, no instalment yet
    ACTIVE = "active"  # C6/S1: the first instalment was paid (ND12: at once)
    LAPSED = "lapsed"  # C6/S1/ND9: the first instalment was not paid by its deadline
    LOST = "lost"  # C8/C11/ND10: the remaining balance is due at once
    COMPLETED = "completed"  # C7: everything paid


# A1: not ended, the debtor's arrangement for its items; the exclusivity test (ND8)
# counts these.
LIVE = frozenset({Status.APPLIED, Status.SUSPENDED, Status.ACTIVE})

# E1: nothing can happen to it any more, so a close of day skips it and a payment
# to it has nothing to pay (P5). Not ``LOST``: its balance, due at once, still
# accrues surcharges (C11, L1) and can be paid.
ENDED = frozenset({Status.REJECTED, Status.LAPSED, Status.COMPLETED})

# A1/C6: its items are free again, for another arrangement or for the debtor's
# own payments (P2); it holds no item and owes nothing (V1 totals).
RELEASED = frozenset({Status.REJECTED, Status.LAPSED})

# V2: the statuses whose items count as arranged for the clearance: once it runs
# (suspended or active) and after it ended by payment or by loss, when its own
# balance counts instead (C11). Before the first payment its items are debts
# outside arrangements [P].
ARRANGED = frozenset({Status.SUSPENDED, Status.ACTIVE, Status.COMPLETED, Status.LOST})

# N7/N8 [P]: an arrangement that suspends enforcement: once it runs (its suspension,
# or its first instalment paid), as V2 counts its items arranged, until it ends; arrears
# short of a loss do not end it.
RUNNING = frozenset({Status.SUSPENDED, Status.ACTIVE})

# C6/P3: the timeline follows the schedule: instalments fall due and are missed,
# payments are allocated to them, an instalment is next due.
FOLLOWING_SCHEDULE = frozenset({Status.APPLIED, Status.ACTIVE})
