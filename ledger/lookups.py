"""What the views read (αναζητήσεις): the ports of ``ledger.views``.

``Lookups`` is offered both by the event-sourced ``Ledger``
(``ledger.application``), which replays events, and by the read models'
``ProjectionReader`` (``projections.reader``), which reads projected state:
the debt table, the clearance and the arrangement view run the same code on
either. ``EventLog`` is the event-sourced ledger's alone: the suspense account
and the audit trail read the recorded events themselves.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Protocol
from uuid import UUID

from eventsourcing.application import Repository
from eventsourcing.persistence import Mapper, Notification

from aggregates.arrangement import Arrangement
from aggregates.debtor import Debtor
from aggregates.notice import Notice
from ledger.settings import Settings


class Lookups(Protocol):
    """The configuration, the business date and the aggregates by business key."""

    @property
    def settings(self) -> Settings: ...

    def business_date(self) -> date | None:
        """The date of the last close of day; None before the first."""
        ...

    def current_date(self) -> date | None:
        """M3: ``business_date``, or before the first close of day the latest date any
        record took effect on."""
        ...

    def debtor(self, afm: str) -> Debtor:
        """By ΑΦΜ; ``NotFound`` when there is none."""
        ...

    def arrangement(self, ref: str) -> Arrangement:
        """By id or by payment code (C10); ``NotFound`` when there is none."""
        ...

    def arrangements_of(self, debtor: Debtor) -> list[Arrangement]:
        """The debtor's arrangements, in the order it joined them."""
        ...

    def notices_of(self, debtor: Debtor) -> list[Notice]:
        """The debtor's notices, in the order issued (N2, N6)."""
        ...

    def notice(self, number: str) -> Notice:
        """By its number; ``NotFound`` when there is none."""
        ...

    def declarations_of(self, debtor: Debtor) -> list[str]:
        """The ids of the ΑΠΔ the debtor filed as an employer, in the order received (K1)."""
        ...

    def declared(self, apd_id: str) -> bool:
        """Whether an ΑΠΔ of that id was received."""
        ...


class EventLog(Lookups, Protocol):
    """``Lookups`` and the recorded events, in ledger order."""

    @property
    def repository(self) -> Repository[UUID]: ...

    @property
    def mapper(self) -> Mapper[UUID]: ...

    def notifications(self, topics: Sequence[str] = ()) -> Iterable[Notification]: ...
