"""The notices' agenda (πρόγραμμα ειδοποιήσεων): which debtors the close of day must
look at for notices on which day, so it reads those only, not every debtor (N2, N4).

A debtor is looked at on a day when something happened to it since the last pass
(an event after ``position``), or when the rules said so when it was last looked at
(``aggregates.enforcement.next_check``, kept in ``plan``). Only the notices' pass
writes it, under the close of day's lock.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any
from uuid import NAMESPACE_URL, uuid5

from eventsourcing.domain import Aggregate

from aggregates.events import PinnedTopic

NOTICE_AGENDA_ID = uuid5(NAMESPACE_URL, "https://keao.gov.gr/ledger/notice-agenda")


class NoticeAgenda(Aggregate):
    TOPIC = "keao:NoticeAgenda"

    class Event(PinnedTopic, Aggregate.Event):
        business_date: date

    class Started(Event, Aggregate.Created):
        """The first pass, which looked at every debtor through ``business_date``."""

        position: int
        planned: list[list[Any]]

    class Passed(Event):
        """A pass through ``business_date`` looked at what happened up to ``position``;
        ``planned`` pairs a debtor's id with the next day to look at it (None: no day)."""

        position: int
        planned: list[list[Any]]

        def apply(self, agenda: NoticeAgenda) -> None:
            agenda.through = self.business_date
            agenda.position = self.position
            agenda.plan = replanned(agenda.plan, self.planned)

    def __init__(self, position: int, planned: list[list[Any]], business_date: date):
        self.through = business_date
        self.position = position
        self.plan: dict[str, date] = replanned({}, planned)  # by debtor id

    @classmethod
    def start(cls, through: date, position: int, planned: list[list[Any]]) -> NoticeAgenda:
        return cls._create(cls.Started, id=NOTICE_AGENDA_ID, position=position, planned=[list(p) for p in planned],
                           business_date=through)

    def passed(self, through: date, position: int, planned: list[list[Any]]) -> None:
        self.trigger_event(self.Passed, position=position, planned=[list(p) for p in planned], business_date=through)



def replanned(plan: dict[str, date], changes: Iterable[Sequence[Any]]) -> dict[str, date]:
    """``plan`` with each (debtor id, day) of ``changes`` in it; a day None takes the debtor out."""
    merged = dict(plan)
    for key, on in changes:
        if on is None:
            merged.pop(key, None)
        else:
            merged[key] = on
    return merged
