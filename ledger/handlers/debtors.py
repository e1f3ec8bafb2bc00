"""Registering a debtor (οφειλέτης), or a branch unit of one (D1, 004 §4)."""

from __future__ import annotations

from datetime import date

from aggregates.debtor import Debtor
from aggregates.references import valid_afm, valid_amka
from ledger.application import Ledger
from ledger.errors import BadInput, NotFound
from ledger.handlers.common import effective_date
from ledger.unit_of_work import UnitOfWork


def register_debtor(
    ledger: Ledger,
    afm: str,
    name: str,
    business_date: date | None = None,
    service: str | None = None,
    parent_afm: str | None = None,
    amka: str | None = None,
) -> Debtor:
    """D1: a debtor, or a branch unit of ``parent_afm`` (004 §4)."""
    afm = valid_afm(afm, "afm")
    if not name or not name.strip():
        raise BadInput("--name", "required and not blank")
    if amka:
        amka = valid_amka(amka, "--amka")
    uow = UnitOfWork(ledger)
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
                             parent_afm=parent_afm, amka=amka)
    uow.add(debtor)
    uow.commit()
    return debtor
