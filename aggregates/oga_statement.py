"""The statement of OGA employers, part A (Καταστάσεις Εργοδοτών, Α' Μέρος), G17.

For each business: what it owes (or its credit), whether it is clear (the
clearance column, «ΝΑΙ» or «ΟΧΙ»), and remarks. The column is empty for a business
in an arrangement and «–» for one no longer sent notices; a «ΝΑΙ» holds until the
payment deadline of the current contributions (004 §II.1, §II.4).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from aggregates.errors import BadInput

YES = "yes"  # «ΝΑΙ»: clear by G16 (α)
NO = "no"  # «ΟΧΙ»
ARRANGEMENT = "arrangement"  # empty: in an arrangement
INACTIVE = "inactive"  # «–»: no longer sent notices


@dataclass(frozen=True)
class NoticeRound:
    """[P] One run of OGA's special notices of current contributions (configured in
    ``ledger/config/oga_statement.toml``): the contributions of the months from
    ``first_period`` to ``last_period`` (YYYY-MM), payable by ``deadline``."""

    contributions: str  # how the round is named, e.g. "2011-H2"
    first_period: str
    last_period: str
    deadline: date

    def covers(self, period: str) -> bool:
        return self.first_period <= period <= self.last_period


def current_round(rounds: Sequence[NoticeRound], day: date) -> NoticeRound:
    """G17: the round whose contributions are current on ``day``: the first whose
    deadline has not passed (a «ΝΑΙ» holds until it), else the last one [P] (its
    deadline passed, a «ΝΑΙ» holds until the next round's, not configured yet)."""
    if not rounds:
        raise BadInput("--date", "no OGA notice round is configured (oga_statement.toml, G17)")
    by_deadline = sorted(rounds, key=lambda r: r.deadline)
    return next((r for r in by_deadline if day <= r.deadline), by_deadline[-1])


def clear_until(notice_round: NoticeRound, day: date, mark: str) -> date | None:
    """G17: how long a «ΝΑΙ» holds: until the round's deadline, when it is yet to come."""
    return notice_round.deadline if mark == YES and day <= notice_round.deadline else None


def clearance_mark(in_arrangement: bool, sent_notices: bool, clear: bool) -> str:
    """G17: the clearance column of a business (G16 (α) for those not in an arrangement)."""
    if in_arrangement:
        return ARRANGEMENT
    if not sent_notices:
        return INACTIVE
    return YES if clear else NO
