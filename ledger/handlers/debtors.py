"""Registering a debtor (οφειλέτης), or a branch unit of one (D1, 004 §4)."""

from __future__ import annotations

from datetime import date

from aggregates.debtor import Debtor
from aggregates.references import valid_afm, valid_amka
from aggregates.registration import checked_registration
from ledger import inputs
from ledger.application import Ledger
from ledger.errors import BadInput, NotFound
from ledger.handlers.common import committed, effective_date
from ledger.unit_of_work import UnitOfWork


def register_debtor(
    ledger: Ledger,
    afm: str,
    name: str,
    business_date: date | None = None,
    service: str | None = None,
    parent_afm: str | None = None,
    amka: str | None = None,
    unit_kind: str | None = None,
    legal_form: str | None = None,
) -> Debtor:
    """D1: a debtor, or a branch unit of ``parent_afm`` (004 §4); G19: its unit kind
    and legal form, when known, agreeing."""
    limits = ledger.settings.limits
    afm = valid_afm(afm, "afm")
    name = inputs.text(name, "--name", "name", limits)
    service = inputs.optional_text(service, "--service", "service", limits)
    if amka:
        amka = valid_amka(amka, "--amka")
    unit_kind, legal_form = checked_registration(unit_kind, legal_form)
    if business_date is not None:
        inputs.plausible_date(business_date, "--date", limits)
    # Retried on a conflict: a debtor registered meanwhile by another writer is then found (refused).
    return committed(ledger, lambda uow: register_into(uow, afm, name, business_date, service, parent_afm, amka,
                                                       unit_kind, legal_form))


def register_into(uow: UnitOfWork, afm: str, name: str, business_date: date | None, service: str | None,
                  parent_afm: str | None, amka: str | None, unit_kind: str | None = None,
                  legal_form: str | None = None) -> Debtor:
    """``register_debtor`` inside a unit of work, ``afm``, ``name`` and ``amka`` checked."""
    day = effective_date(uow, business_date)
    if uow.get(Debtor, Debtor.create_id(afm)) is not None:
        raise BadInput("afm", f"debtor {afm} is already registered")
    parent = None
    if parent_afm:
        parent_afm = valid_afm(parent_afm, "--parent")
        parent = uow.get(Debtor, Debtor.create_id(parent_afm))
        if parent is None:
            raise NotFound("--parent", f"no debtor {parent_afm} to be a unit of")
        parent.add_unit(afm, day)
    debtor = Debtor.register(afm, name.strip(), day, service=service or (parent.service if parent else None),
                             parent_afm=parent_afm, amka=amka, unit_kind=unit_kind, legal_form=legal_form)
    uow.add(debtor)
    return debtor
