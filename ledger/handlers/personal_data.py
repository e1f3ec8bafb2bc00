"""Erasing a debtor's personal data by destroying its key (crypto-shredding, domain F3).

The order is the erasure event first, then the keys: the event (actor, reason, date) is
the durable record of the decision, and the read models scrub their copies on it. A
crash between the two leaves the keys in place and the debtor recorded as erased; the
same command again records nothing more and destroys them (``erase`` is idempotent). The
other order could lose the record of who erased and why, and leave the read models'
copies: the data unreadable in the events but still shown.

The keys destroyed are the debtor's and those of the payments in suspense it paid
(``payer_afm``), which seal the IBANs of their refunds.
"""

from __future__ import annotations

from datetime import date
from uuid import UUID

import orjson

from aggregates.debtor import Debtor
from aggregates.errors import NotAllowed
from aggregates.payment import BankPayment
from aggregates.references import valid_afm
from ledger import inputs
from ledger.application import Ledger
from ledger.commands import Outcome
from ledger.handlers.common import committed, effective_date
from ledger.store.codec import stored_json
from ledger.store.personal_data import is_sealed
from ledger.unit_of_work import UnitOfWork


def erase_personal_data(ledger: Ledger, afm: str, reason: str, on: date | None = None) -> Outcome:
    """F3: ``erased``, or ``duplicate`` when it already was (its keys destroyed if a crash
    had left them); ``target`` says how many keys were destroyed now."""
    afm = valid_afm(afm, "AFM")
    reason = inputs.text(reason, "--reason", "reason", ledger.settings.limits)
    debtor = ledger.debtor(afm)  # NotFound: no such debtor
    if not personal_data_sealed(ledger, debtor):
        raise NotAllowed("AFM", f"debtor {afm} was registered before its personal data was sealed: its name is "
                                "in the events in plain text and destroying a key would not erase it (F3)")
    first = debtor.erased_on is None
    if first:
        committed(ledger, lambda uow: _erase_into(uow, afm, reason, on))
    destroyed = sum(ledger.keys.destroy(subject) for subject in (debtor.id, *payments_of(ledger, afm)))
    return Outcome("erased" if first else "duplicate", str(destroyed), None if first else
                   f"erased on {debtor.erased_on}")


def _erase_into(uow: UnitOfWork, afm: str, reason: str, on: date | None) -> None:
    debtor = uow.get(Debtor, Debtor.create_id(afm))
    assert debtor is not None  # found above; a debtor is never removed
    debtor.erase_personal_data(reason, effective_date(uow, on))


def personal_data_sealed(ledger: Ledger, debtor: Debtor) -> bool:
    """Whether the debtor's name is sealed in its registration as stored: not so for one
    registered before this release, or with sealing off (``LEDGER_SEAL_PERSONAL_DATA``)."""
    registered = ledger.recorder.select_events(debtor.id, limit=1)[0]
    return is_sealed(orjson.loads(stored_json(ledger.mapper)(registered.state)).get("name"))


def payments_of(ledger: Ledger, afm: str) -> list[UUID]:
    """The payments that named ``afm`` as their payer (a scan of the received payments:
    an erasure is rare)."""
    topic = BankPayment.Received.TOPIC  # type: ignore[attr-defined]
    return [n.originator_id for n in ledger.notifications(topics=[topic])
            if ledger.mapper.to_domain_event(n).payer_afm == afm]
