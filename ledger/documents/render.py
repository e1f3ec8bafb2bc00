"""KEAO's printed documents, in Greek and on A4: HTML templates (Jinja2) made
into PDF by WeasyPrint. Pure rendering: plain dicts in, PDF bytes out.

The Jinja environment, the stylesheet and WeasyPrint's font configuration are
made once a process; the documents are always Greek, whatever the CLI's language."""

from __future__ import annotations

import functools
import logging
from datetime import date
from decimal import Decimal
from importlib import resources
from typing import Any

from babel.numbers import format_decimal
from jinja2 import Environment, PackageLoader, Undefined
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration

MISSING = "—"

KINDS = {
    "contribution": "Εισφορές",
    "surcharge": "Πρόσθετα τέλη",
    "fee": "Τέλη",
    "clearing_instalment": "Δόση εκκαθάρισης",
    "insurance_time_recognition": "Αναγνώριση χρόνου ασφάλισης",
}
ITEM_STATUSES = {
    "paid": "Εξοφλημένη",
    "overdue": "Ληξιπρόθεσμη",
    "current": "Τρέχουσα",
    "in_arrangement": "Σε ρύθμιση",
    "suspended": "Σε αναστολή",
    "due_at_once": "Απαιτητή εφάπαξ",
    "settled": "Εξοφλήθηκε με ρύθμιση",
}
SCHEMES = {
    "covid-650": "Ρύθμιση COVID-19 (τύπος 650)",
    "disaster": "Ρύθμιση θεομηνίας",
    "standing": "Πάγια ρύθμιση",
}
ARRANGEMENT_STATUSES = {
    "applied": "Αίτηση",
    "rejected": "Απορρίφθηκε",
    "lapsed": "Έληξε",
    "suspended": "Σε αναστολή",
    "active": "Ενεργή",
    "completed": "Ολοκληρώθηκε",
    "lost": "Απωλέσθηκε",
}
ENFORCEMENT = {"suspended": "Σε αναστολή", "allowed": "Επιτρέπεται"}
NOTICE_KINDS = {
    "invitation": "Πρόσκληση",
    "individual_notice": "Ατομική ειδοποίηση",
    "information": "Ενημέρωση",
}
CHANNELS = {"post": "ταχυδρομικά", "electronic": "ηλεκτρονικά"}
MEASURE_KINDS = {"seizure": "Κατάσχεση", "garnishment": "Κατάσχεση εις χείρας τρίτων", "mortgage": "Υποθήκη"}
FUNDS = {  # the funds' usual Greek abbreviations; any other code is shown as it is
    "OAEE": "ΟΑΕΕ",
    "IKA": "ΙΚΑ-ΕΤΑΜ",
    "OGA": "ΟΓΑ",
    "ETAA": "ΕΤΑΑ",
    "EFKA": "e-ΕΦΚΑ",
}


class _OnceOnly(logging.Filter):
    """WeasyPrint warns on every document that it subsets fonts with fontTools
    (HarfBuzz-Subset missing, slower): say it once a process."""

    def __init__(self) -> None:
        super().__init__()
        self.said = False

    def filter(self, record: logging.LogRecord) -> bool:
        if "instead of HarfBuzz-Subset" not in str(record.msg):
            return True
        said, self.said = self.said, True
        return not said


logging.getLogger("weasyprint").addFilter(_OnceOnly())


def money(amount: Decimal | int | None) -> str:
    """``1.234,56 €``: the Greek grouping and decimal comma, two decimals."""
    if amount is None or isinstance(amount, Undefined):
        return MISSING
    return format_decimal(amount, format="#,##0.00", locale="el_GR") + " €"


def day(value: date | None) -> str:
    """``31/03/2023``."""
    if value is None or isinstance(value, Undefined):
        return MISSING
    return value.strftime("%d/%m/%Y")


def fund(code: str | None) -> str:
    if code is None or isinstance(code, Undefined):
        return MISSING
    return FUNDS.get(code, code)


def item_ref(ref: str) -> str:
    """A measure's item, ``FUND:PERIOD:KIND`` (``notice_views.measures_json``): ``ΟΑΕΕ 2019-03 Εισφορές``."""
    parts = str(ref).split(":")
    if len(parts) != 3:
        return str(ref)
    code, period, kind = parts
    return f"{fund(code)} {period} {KINDS.get(kind, kind)}"


def environment() -> Environment:
    """A new environment on the package's templates (the bench's baseline makes one
    per document; the documents below share ``_environment()``)."""
    return with_vocabulary(Environment(loader=PackageLoader("ledger.documents"), autoescape=True,
                                       trim_blocks=True, lstrip_blocks=True))


def with_vocabulary(env: Environment) -> Environment:
    """The Greek words and formats of the documents, which the web pages share."""
    env.filters.update(money=money, date=day, fund=fund, item_ref=item_ref)
    env.globals.update(kinds=KINDS, statuses=ITEM_STATUSES, schemes=SCHEMES,
                       arrangement_statuses=ARRANGEMENT_STATUSES, enforcement=ENFORCEMENT,
                       notice_kinds=NOTICE_KINDS, channels=CHANNELS, measure_kinds=MEASURE_KINDS,
                       MISSING=MISSING)
    return env


def stylesheet_text() -> str:
    return (resources.files("ledger.documents") / "templates" / "document.css").read_text(encoding="utf-8")


_environment = functools.cache(environment)


@functools.cache
def _fonts() -> FontConfiguration:
    return FontConfiguration()


@functools.cache
def _stylesheet() -> CSS:
    return CSS(string=stylesheet_text(), font_config=_fonts())


def _pdf(template: str, **context: Any) -> bytes:
    html = _environment().get_template(template).render(**context)
    return HTML(string=html).write_pdf(stylesheets=[_stylesheet()], font_config=_fonts())


def notice_pdf(notice: dict[str, Any]) -> bytes:
    """An invitation (Πρόσκληση), an individual notice (Ατομική ειδοποίηση) or the
    information notice (Ενημέρωση) of a first transfer of debts to KEAO."""
    if notice.get("kind") not in NOTICE_KINDS:
        raise ValueError(f"unknown notice kind: {notice.get('kind')!r}")
    # A paid column only where something was paid: the row then adds up to what it owes (N5).
    paid = any(item.get("paid") for item in notice.get("items", ()))
    return _pdf("notice.html", notice=notice, paid=paid)


def clearance_pdf(clearance: dict[str, Any], debtor: dict[str, Any]) -> bytes:
    """The clearance certificate (Αποδεικτικό ασφαλιστικής ενημερότητας) of a clear debtor."""
    if not clearance.get("clear"):
        raise ValueError(f"{clearance.get('afm')} is not clear on {clearance.get('as_of')}: no certificate")
    if debtor.get("afm") != clearance.get("afm"):
        raise ValueError(f"the clearance is of {clearance.get('afm')}, the debtor {debtor.get('afm')}")
    return _pdf("clearance.html", clearance=clearance, debtor=debtor)


def debt_table_pdf(table: dict[str, Any]) -> bytes:
    """The debt table (Πίνακας Χρεών Οφειλέτη), on A4 landscape."""
    return _pdf("debt_table.html", table=table)
