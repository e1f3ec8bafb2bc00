"""The ledger's business date (ημερομηνία λογιστικής ημέρας), M3 and §7."""

from __future__ import annotations

from datetime import date
from uuid import NAMESPACE_URL, uuid5

from eventsourcing.domain import Aggregate

from aggregates.events import PinnedTopic

BUSINESS_DAY_ID = uuid5(NAMESPACE_URL, "https://keao.gov.gr/ledger/business-day")


class BusinessDay(Aggregate):
    TOPIC = "keao:BusinessDay"

    class Event(PinnedTopic, Aggregate.Event):
        business_date: date

    class Started(Event, Aggregate.Created):
        pass

    class DayClosed(Event):
        """E1: the close-of-day job ran up to ``business_date``."""

        def apply(self, day: BusinessDay) -> None:
            day.current = self.business_date

    def __init__(self, business_date: date):
        self.current = business_date

    @classmethod
    def start(cls, business_date: date) -> BusinessDay:
        return cls._create(cls.Started, id=BUSINESS_DAY_ID, business_date=business_date)

    def close(self, day: date) -> None:
        """E2: closing the same day again records nothing."""
        if day < self.current:
            raise ValueError(f"date: {day} is before the ledger's business date {self.current}")
        if day > self.current:
            self.trigger_event(self.DayClosed, business_date=day)
