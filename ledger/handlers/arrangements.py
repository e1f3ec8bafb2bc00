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
from ledger import inputs
from ledger.application import Ledger
from ledger.errors import BadInput, NotFound
from ledger.handlers.common import arrangements_of, committed, settle
from ledger.settings import Limits
from ledger.handlers.notices import lift_on_joining
from ledger.unit_of_work import UnitOfWork


# W9: at a KEAO service (or through e-EFKA's citizen application), or online.
SERVICE, ONLINE = "service", "online"
CHANNELS = (SERVICE, ONLINE)


def apply_for_arrangement(
    ledger: Ledger,
    afm: str,
    scheme_name: str,
    applied_on: date,
    instalments: int | None = None,
    options: dict[str, Any] | None = None,
    channel: str = SERVICE,
    account: str | None = None,
    preview: bool = False,
) -> Arrangement:
    """A1: record an application and the scheme's decision on it. W9: ``channel`` says
    where it was filed, ``account`` the e-services account online. With ``preview``,
    the decision and plan the scheme would grant, recorded nowhere (the online form
    shows them before the debtor confirms)."""
    afm = valid_afm(afm, "afm")
    applied_on = inputs.plausible_date(applied_on, "--date", ledger.settings.limits)
    options = checked_options(options or {}, ledger.settings.limits)
    try:
        scheme = ledger.settings.scheme(scheme_name)
        scheme_options = scheme.options(options)
    except ValueError as error:
        field_name, _, reason = str(error).partition(": ")
        raise BadInput(field_name, reason) from None
    if instalments is not None and instalments < 1:
        raise BadInput("--instalments", "must be at least 1")
    if channel not in CHANNELS:
        raise BadInput("channel", f"must be one of {', '.join(CHANNELS)}, not {channel!r}")

    def step(uow: UnitOfWork) -> Arrangement:
        return apply_into(uow, afm, scheme, scheme_options, applied_on, instalments, channel=channel, account=account)

    if preview:
        return step(UnitOfWork(ledger))  # never committed
    return committed(ledger, step)



# The scheme options that are amounts (the others are text, dates or flags).
AMOUNT_OPTIONS = frozenset({"damage"})


def checked_options(options: dict[str, Any], limits: Limits) -> dict[str, Any]:
    """The options' form (``ledger.inputs``) before the scheme judges them (A1: malformed
    input is refused, not recorded): amounts, text, dates within the limits."""
    checked = dict(options)
    for name, value in options.items():
        field_name = "--" + name.replace("_", "-")
        if value is None or value == "":
            continue  # absent: the scheme says whether it needs it (ND2)
        if name in AMOUNT_OPTIONS:
            checked[name] = inputs.amount(value, field_name, limits)
        elif isinstance(value, str):
            checked[name] = inputs.text(value, field_name, "option", limits)
        elif isinstance(value, date):
            checked[name] = inputs.plausible_date(value, field_name, limits)
    return checked


def apply_into(
    uow: UnitOfWork,
    afm: str,
    scheme: Scheme,
    scheme_options: dict[str, Any],
    applied_on: date,
    instalments: int | None = None,
    business_date: date | None = None,
    channel: str = SERVICE,
    account: str | None = None,
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
        channel, account,
    )
    uow.add(arrangement)
    debtor.join(str(arrangement.id), scheme.name, applied_on)
    if arrangement.status != Status.REJECTED:
        lift_on_joining(uow, debtor, arrangement, applied_on)  # N9, N10
        today = business_date or uow.business_date() or applied_on
        settle(uow, arrangement, debtor, max(applied_on, today), held)
    return arrangement
