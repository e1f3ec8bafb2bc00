"""Applying for an arrangement (αίτηση ρύθμισης) and the scheme's decision (A1)."""

from __future__ import annotations

from datetime import date
from typing import Any

from aggregates.arrangement import Arrangement
from aggregates.debtor import Debtor
from aggregates.references import arrangement_payment_code, valid_afm
from aggregates.routing import held_items
from aggregates.schemes.base import (
    ApplicationForm,
    LiveArrangement,
    Rejection,
    Scheme,
    check_exclusivity,
)
from aggregates.status import LIVE, Status
from ledger.application import Ledger
from ledger.errors import BadInput, NotFound
from ledger.handlers.common import arrangements_of, settle
from ledger.unit_of_work import UnitOfWork


def apply_for_arrangement(
    ledger: Ledger,
    afm: str,
    scheme_name: str,
    applied_on: date,
    instalments: int | None = None,
    options: dict[str, Any] | None = None,
) -> Arrangement:
    """A1: record an application and the scheme's decision on it."""
    afm = valid_afm(afm, "afm")
    try:
        scheme = ledger.settings.scheme(scheme_name)
        scheme_options = scheme.options(options or {})
    except ValueError as error:
        field_name, _, reason = str(error).partition(": ")
        raise BadInput(field_name, reason) from None
    if instalments is not None and instalments < 1:
        raise BadInput("--instalments", "must be at least 1")
    uow = UnitOfWork(ledger)
    arrangement = apply_into(uow, afm, scheme, scheme_options, applied_on, instalments)
    uow.commit()
    return arrangement


def apply_into(
    uow: UnitOfWork,
    afm: str,
    scheme: Scheme,
    scheme_options: dict[str, Any],
    applied_on: date,
    instalments: int | None = None,
    business_date: date | None = None,
) -> Arrangement:
    """``apply_for_arrangement`` inside a unit of work (a batch), its input already checked."""
    settings = uow.settings
    debtor = uow.get(Debtor, Debtor.create_id(afm))
    if debtor is None:
        raise NotFound("afm", f"no debtor {afm}")
    arrangements = arrangements_of(uow, debtor)
    live = [LiveArrangement(str(a.id), a.scheme, settings.scheme(a.scheme).exclusive)
            for a in arrangements if a.status in LIVE]
    try:
        check_exclusivity(scheme, live)
        rejection = None
    except Rejection as refusal:
        rejection = str(refusal)
    held = held_items(arrangements)
    form = ApplicationForm(afm, applied_on, instalments, scheme_options)
    code = arrangement_payment_code(scheme.code, afm, len(debtor.arrangement_ids) + 1)
    arrangement = Arrangement.apply_for(
        scheme, form, code, debtor.open_items(applied_on, settings.surcharges, held), settings.surcharges, rejection,
    )
    uow.add(arrangement)
    debtor.join(str(arrangement.id), scheme.name, applied_on)
    if arrangement.status != Status.REJECTED:
        today = business_date or uow.business_date() or applied_on
        settle(uow, arrangement, debtor, max(applied_on, today), held)
    return arrangement
