"""A notice to a debtor (ειδοποίηση): an invitation to settle (πρόσκληση) or an
individual notice (ατομική ειδοποίηση), N2, and the information notice sent on the
first transfer of a debtor's debts to KEAO (ενημέρωση, N6).

A notice's content is frozen when it is issued (N5): the items with their
surcharges to the issue date, the total, the code to pay with. What happens to it
afterwards is its delivery, in writing with a proof or electronically (N3, W8),
and the debtor's first opening of it in the e-services (W8).
"""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

from aggregates.errors import NotAllowed
from aggregates.events import PinnedTopic

NOTICE_NAMESPACE = uuid5(NAMESPACE_URL, "https://keao.gov.gr/ledger/notice")

INVITATION = "invitation"
INDIVIDUAL_NOTICE = "individual_notice"
INFORMATION = "information"
KINDS = (INVITATION, INDIVIDUAL_NOTICE, INFORMATION)
# The notice number's prefix: a debtor gets at most one notice of a kind a day (the
# close of day issues each kind once), and one information notice per fund (N6).
PREFIXES = {INVITATION: "INV", INDIVIDUAL_NOTICE: "IND", INFORMATION: "INF"}

POST = "post"
ELECTRONIC = "electronic"
CHANNELS = (POST, ELECTRONIC)


def notice_number(kind: str, afm: str, issued_on: date, fund: str | None = None) -> str:
    """The notice's number, the same whenever the same notice is issued again (E2)."""
    suffix = fund if kind == INFORMATION else f"{issued_on:%Y%m%d}"
    return f"{PREFIXES[kind]}-{afm}-{suffix}"


class Notice(Aggregate):
    TOPIC = "keao:Notice"

    class Event(PinnedTopic, Aggregate.Event):
        business_date: date

    class Issued(Event, Aggregate.Created):
        """N5: what the notice says, frozen: items, total, the code to pay with."""

        number: str
        kind: str
        debtor_afm: str
        content: dict[str, Any]

    class Delivered(Event):
        """N3: delivered in writing (``proof``: the delivery proof's reference) or
        electronically, by posting to the debtor's account (W8)."""

        channel: str
        proof: str | None

        def apply(self, notice: Notice) -> None:
            notice.delivered_on = self.business_date
            notice.channel = self.channel
            notice.proof = self.proof

    class Opened(Event):
        """W8: the debtor opened it in the e-services for the first time."""

        def apply(self, notice: Notice) -> None:
            notice.opened_on = self.business_date

    def __init__(self, number: str, kind: str, debtor_afm: str, content: dict[str, Any], business_date: date):
        self.number = number
        self.kind = kind
        self.debtor_afm = debtor_afm
        self.content = content
        self.issued_on = business_date
        self.delivered_on: date | None = None
        self.channel: str | None = None
        self.proof: str | None = None
        self.opened_on: date | None = None

    @staticmethod
    def create_id(number: str) -> UUID:
        return uuid5(NOTICE_NAMESPACE, number)

    @classmethod
    def issue(cls, number: str, kind: str, debtor_afm: str, content: dict[str, Any], on: date) -> Notice:
        return cls._create(cls.Issued, id=cls.create_id(number), number=number, kind=kind, debtor_afm=debtor_afm,
                           content=dict(content), business_date=on)

    @property
    def item_ids(self) -> list[str]:
        return [item["item_id"] for item in self.content.get("items", ())]

    def deliver(self, channel: str, proof: str | None, on: date) -> None:
        """N3: once; the same delivery recorded again changes nothing."""
        if on < self.issued_on:
            raise NotAllowed("--date", f"{on} is before notice {self.number} was issued, on {self.issued_on} (N3)")
        if self.delivered_on is not None:
            if (self.channel, self.proof, self.delivered_on) == (channel, proof, on):
                return
            raise NotAllowed("NOTICE_ID", f"notice {self.number} was delivered on {self.delivered_on} "
                                          f"({self.channel}) (N3)")
        self.trigger_event(self.Delivered, channel=channel, proof=proof, business_date=on)

    def open(self, on: date) -> None:
        """W8: the first opening only."""
        if self.opened_on is None:
            self.trigger_event(self.Opened, business_date=on)
