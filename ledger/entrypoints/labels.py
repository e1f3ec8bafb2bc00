"""How the views' JSON keys and values read in human output (interfaces §1.7).

A table's columns are JSON keys; each has a label here (``COLUMNS``, in the
context "column": a label may read otherwise than the same word as a value), and
a key without one raises ``KeyError``, so a new column cannot reach a reader unlabelled.
Values are shown by what their column holds: amounts written as the reader
writes them (``MONEY``), the program's own words translated (``WORDS``: statuses,
bases, kinds, ``True``/``False``), the domain's reasons translated (``REASONS``,
see ``say``); everything else, what banks, funds and operators sent among it, as
it is.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal
from functools import cache
from string import Formatter
from typing import Any

from babel.messages.pofile import read_po

from ledger.catalogues import TEMPLATE
from ledger.i18n import N_, NP_, _, money, number, pgettext

COLUMNS = {
    "action": NP_("column", "action"), "actor": NP_("column", "by"), "afm": NP_("column", "ΑΦΜ"),
    "amount": NP_("column", "amount"), "area": NP_("column", "area"), "arrangement": NP_("column", "arrangement"),
    "arrears": NP_("column", "arrears"), "as_of": NP_("column", "as of"), "bank": NP_("column", "bank"),
    "basis": NP_("column", "basis"), "business_date": NP_("column", "business date"),
    "capital": NP_("column", "capital"), "clear": NP_("column", "clear"),
    "correction_id": NP_("column", "correction"), "count": NP_("column", "count"), "credit": NP_("column", "credit"),
    "debtor_afm": NP_("column", "debtor"), "debtors": NP_("column", "debtors"), "delimitation": NP_("column", "delimitation"),
    "disaster_dates": NP_("column", "disaster dates"), "due_date": NP_("column", "due date"),
    "enforcement": NP_("column", "enforcement"), "fund": NP_("column", "fund"), "head": NP_("column", "head"),
    "identity_code": NP_("column", "identity code"), "instalment_count": NP_("column", "instalments"),
    "interest": NP_("column", "interest"), "interest_total": NP_("column", "interest"),
    "joined_on": NP_("column", "joined"), "kind": NP_("column", "kind"),
    "lag_events": NP_("column", "lag (events)"), "lag_seconds": NP_("column", "lag (s)"),
    "municipal_unit": NP_("column", "municipal unit"), "name": NP_("column", "name"),
    "next_due_amount": NP_("column", "next amount"), "next_due_date": NP_("column", "next due"),
    "not_clear": NP_("column", "not clear"), "number": NP_("column", "no."), "outstanding": NP_("column", "outstanding"), "paid": NP_("column", "paid"),
    "paid_instalments": NP_("column", "paid instalments"), "payload": NP_("column", "data"),
    "payment_code": NP_("column", "payment code"), "period": NP_("column", "period"),
    "position": NP_("column", "position"), "reason": NP_("column", "reason"), "reasons": NP_("column", "reasons"),
    "rebuilding": NP_("column", "rebuilding"), "received_on": NP_("column", "received"),
    "reference": NP_("column", "reference"), "regional_unit": NP_("column", "regional unit"),
    "remaining_balance": NP_("column", "remaining"), "resolution": NP_("column", "resolution"),
    "resolved_on": NP_("column", "resolved"), "scheme": NP_("column", "scheme"),
    "service": NP_("column", "service"), "status_since": NP_("column", "since"), "slot": NP_("column", "slot"), "status": NP_("column", "status"),
    "surcharge": NP_("column", "surcharge"), "surcharges": NP_("column", "surcharges"),
    "total_due": NP_("column", "total due"), "versions": NP_("column", "versions"),
    "target": NP_("column", "target"), "total_outstanding": NP_("column", "total outstanding"),
    "transfer_id": NP_("column", "transfer"), "tx_id": NP_("column", "transaction"), "type": NP_("column", "event"),
    "valid_until": NP_("column", "valid until"), "value_date": NP_("column", "value date"),
    "version": NP_("column", "version"),
    # §10: notices and measures
    "id": NP_("column", "no."), "issued_on": NP_("column", "issued"), "total": NP_("column", "total"),
    "delivered_on": NP_("column", "delivered"), "channel": NP_("column", "channel"),
    "deadline": NP_("column", "period ends"), "measure": NP_("column", "measure"),
    "recorded_on": NP_("column", "recorded"), "lifted_on": NP_("column", "lifted"), "items": NP_("column", "items"),
    "act": NP_("column", "act"),
    "enforceable": NP_("column", "enforceable"), "criminal_proceedings": NP_("column", "criminal proceedings"),
    # §12: ΑΠΔ
    "record": NP_("column", "record"), "amka": NP_("column", "ΑΜΚΑ"), "wage_period": NP_("column", "wage period"),
    "earnings_type": NP_("column", "earnings type"), "earnings": NP_("column", "earnings"),
    "contributions": NP_("column", "contributions"), "codes": NP_("column", "error codes"),
    "item_id": NP_("column", "item"), "apd_id": NP_("column", "ΑΠΔ"),
    "form": NP_("column", "form"), "override": NP_("column", "change form (K20)"),
}

MONEY = frozenset({"amount", "arrears", "capital", "contributions", "credit", "earnings", "interest", "interest_total",
                   "next_due_amount",
                   "outstanding", "paid", "remaining_balance", "surcharge", "surcharges", "total", "total_due",
                   "total_outstanding"})
WORDS = frozenset({"action", "basis", "channel", "clear", "criminal_proceedings", "enforceable", "enforcement",
                   "kind", "measure", "resolution", "status"})
REASONS = frozenset({"loss_reason", "reason", "reasons", "rejection_reason"})
# Columns of sentences, wrapped between words; any other column shows each value on one line.
PROSE = REASONS | {"area", "disaster_dates", "municipal_unit", "name", "payload", "regional_unit", "service",
                   "status"}

VALUES: dict[Any, str] = {
    True: N_("yes"), False: N_("no"),
    # an arrangement's status (aggregates.status), an instalment's, a debt item's
    "applied": N_("awaiting first payment"), "rejected": N_("rejected"), "suspended": N_("suspended"),
    "active": N_("active"), "lapsed": N_("lapsed"), "lost": N_("lost"), "completed": N_("completed"),
    "pending": N_("pending"), "due": N_("due"), "paid": N_("paid"), "missed": N_("missed"),
    "overdue": N_("overdue"), "current": N_("current"), "in_arrangement": N_("in arrangement"),
    "due_at_once": N_("due at once"), "settled": N_("settled"),
    # clearance basis, enforcement, a resolution in suspense (O2, O3), a correction (O4)
    "arrangement": N_("arrangement"), "no_debt": N_("no debt"), "allowed": N_("allowed"),
    "assigned": N_("assigned"), "refunded": N_("refunded"), "recalled": N_("recalled"), "dismissed": N_("dismissed"),
    "cancel": N_("cancel"), "amend": N_("amend"),
    # §10
    "invitation": N_("invitation"), "individual_notice": N_("individual notice"), "information": N_("information"),
    "issued": N_("issued"), "delivered": N_("delivered"), "post": N_("post"), "electronic": N_("electronic"),
    "seizure": N_("seizure"), "garnishment": N_("garnishment"), "mortgage": N_("mortgage"),
    # debt kinds (aggregates.debtor.KINDS), kinds of delimited area (ND1)
    "contribution": N_("contribution"), "surcharge": N_("surcharge"), "fee": N_("fee"),
    "clearing_instalment": N_("clearing instalment"), "insurance_time_recognition": N_("insurance time recognition"),
    "community": N_("community"), "municipal_unit": N_("municipal unit"),
}

# What a command did (ledger.commands.Outcome); "applied" reads otherwise of a payment.
OUTCOMES = {
    "recorded": NP_("outcome", "recorded"), "duplicate": NP_("outcome", "duplicate"),
    "applied": NP_("outcome", "applied"), "suspense": NP_("outcome", "suspense"),
    "refunded": NP_("outcome", "refunded"), "recalled": NP_("outcome", "recalled"),
    "waiting": NP_("outcome", "waiting"), "dismissed": NP_("outcome", "dismissed"),
    "erased": NP_("outcome", "erased"),
}

AMOUNT = re.compile(r"-?\d+\.\d\d")


def label(column: str) -> str:
    return pgettext(*COLUMNS[column])


def cell(column: str, value: Any) -> Any:
    """``value`` of ``column`` as the reader reads it."""
    if value is None or value == "":
        return value
    if column in MONEY:
        return money(Decimal(value))
    if column in WORDS:
        return word(value)
    if column in REASONS:
        return "; ".join(say(r) for r in value) if isinstance(value, list) else say(value)
    return value


def shown(view: Mapping[str, Any]) -> dict[str, Any]:
    """Every field of ``view`` as ``cell`` shows it, for a line of words."""
    return {key: cell(key, value) for key, value in view.items()}


def word(value: Any) -> str:
    """One of the program's words; a value it does not know is shown as it is."""
    message = VALUES.get(value)
    return _(message) if message is not None else say(str(value))


def outcome(status: str) -> str:
    return pgettext(*OUTCOMES[status]) if status in OUTCOMES else status


def say(sentence: str) -> str:
    """A sentence of the domain (a reason, stored or new) in the reader's language:
    the catalogue's translation of it, or of the template it was made from, its
    fields filled with what the sentence held (amounts as the reader writes them,
    the reasons it quotes translated too). Anything else is shown as it is: the
    sentence is matched against the templates, never used as one."""
    translated = _(sentence)
    if translated != sentence:
        return translated
    for pattern, template in templates():
        found = pattern.fullmatch(sentence)
        if found:
            return _(template).format(**{name: field(name, value) for name, value in found.groupdict().items()})
    return sentence


def field(name: str, value: str) -> str:
    if name == "reason":
        return say(value)
    if name == "reasons":
        return "; ".join(say(part) for part in value.split("; "))
    if name == "status":
        return word(value)
    return number(Decimal(value)) if AMOUNT.fullmatch(value) else value


@cache
def templates() -> tuple[tuple[re.Pattern[str], str], ...]:
    """The catalogue's messages with named fields, as patterns, the most specific
    (the most fixed characters) first."""
    with TEMPLATE.open("rb") as file:
        messages = [m.id for m in read_po(file) if isinstance(m.id, str) and not m.context]
    found = [(pattern, message) for message in messages if (pattern := _pattern(message)) is not None]
    return tuple(sorted(found, key=lambda p: -len(re.sub(r"\{\w+\}", "", p[1]))))


def _pattern(template: str) -> re.Pattern[str] | None:
    parts, names = [], set()
    for literal, name, spec, conversion in Formatter().parse(template):
        parts.append(re.escape(literal))
        if name is None:
            continue
        if not name.isidentifier() or spec or conversion:
            return None
        # A field holds balanced parentheses: "… ({reason}) (C10)" cannot take "x) (C10" as its reason.
        parts.append(f"(?P={name})" if name in names else rf"(?P<{name}>(?:[^()]|\([^()]*\))+?)")
        names.add(name)
    return re.compile("".join(parts), re.DOTALL) if names else None
