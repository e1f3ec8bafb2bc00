"""One month of an insured person's insurance history (ασφαλιστική ιστορία), K8, K19.

The insurance days that finalised ΑΠΔ records, of every employer, declare for one
insured person (ΑΜΚΑ) and one wage period: what check 122 counts a new record
against. A record enters when its declaration is finalised without codes (or with a
K20 override), and again with its corrected version; it leaves when a correction
makes it wrong (K8 counts only a record's current version).
"""

from __future__ import annotations

from datetime import date
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

from aggregates.events import PinnedTopic

HISTORY_NAMESPACE = uuid5(NAMESPACE_URL, "https://keao.gov.gr/ledger/insurance-month")


def entry_key(apd_id: str, record: str) -> str:
    return f"{apd_id}/{record}"


class InsuranceMonth(Aggregate):
    TOPIC = "keao:InsuranceMonth"

    class Event(PinnedTopic, Aggregate.Event):
        business_date: date

    class Opened(Event, Aggregate.Created):
        amka: str
        wage_period: str

    class Entered(Event):
        apd_id: str
        record: str
        days: int

        def apply(self, month: InsuranceMonth) -> None:
            month.entries = {**month.entries, entry_key(self.apd_id, self.record): self.days}

    class Withdrawn(Event):
        apd_id: str
        record: str

        def apply(self, month: InsuranceMonth) -> None:
            key = entry_key(self.apd_id, self.record)
            month.entries = {k: v for k, v in month.entries.items() if k != key}

    def __init__(self, amka: str, wage_period: str, business_date: date):
        self.amka = amka
        self.wage_period = wage_period
        self.entries: dict[str, int] = {}

    @staticmethod
    def create_id(amka: str, wage_period: str) -> UUID:
        return uuid5(HISTORY_NAMESPACE, f"{amka}/{wage_period}")

    @classmethod
    def open(cls, amka: str, wage_period: str, on: date) -> InsuranceMonth:
        return cls._create(cls.Opened, id=cls.create_id(amka, wage_period), amka=amka, wage_period=wage_period,
                           business_date=on)

    def days_besides(self, apd_id: str) -> int:
        """K8: the days in the history from records of other declarations than ``apd_id``
        (its own are the ones being checked)."""
        prefix = f"{apd_id}/"
        return sum(days for key, days in self.entries.items() if not key.startswith(prefix))

    def enter(self, apd_id: str, record: str, days: int, on: date) -> None:
        if self.entries.get(entry_key(apd_id, record)) != days:
            self.trigger_event(self.Entered, apd_id=apd_id, record=record, days=days, business_date=on)

    def withdraw(self, apd_id: str, record: str, on: date) -> None:
        if entry_key(apd_id, record) in self.entries:
            self.trigger_event(self.Withdrawn, apd_id=apd_id, record=record, business_date=on)
