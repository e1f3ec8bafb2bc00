"""The options and arguments several commands share, each with its help: what it
is, its form (the metavar: ``YYYY-MM-DD``, ``AMOUNT``…) and its valid values,
named from the constants the domain checks them against."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from aggregates.debtor import FUNDS, KINDS
from aggregates.payment_forms import FORMS
from aggregates.schemes.covid650 import Covid650
from aggregates.schemes.disaster import Disaster
from aggregates.schemes.standing import Standing
from ledger.i18n import _

# A flag has no value to show; typer would print its type (``<bool>``).
FLAG = ""
DATE = "YYYY-MM-DD"
TEXT = "TEXT"
AMOUNT = "AMOUNT"
SCHEMES = (Covid650.name, Disaster.name, Standing.name)


def one_of(values: tuple[str, ...]) -> str:
    return ", ".join(values)


Afm = Annotated[str, typer.Argument(metavar="AFM", help=_("The debtor's ΑΦΜ (9 digits)."), show_default=False)]
ArrangementId = Annotated[str, typer.Argument(metavar="ID", help=_("An arrangement's id or payment code."),
                                             show_default=False)]
File = Annotated[str, typer.Argument(metavar="FILE", help=_("A JSON Lines file, one message a line."),
                                     show_default=False)]
TxId = Annotated[str, typer.Argument(metavar="TX_ID", help=_("The bank's transaction id of the payment."),
                                     show_default=False)]
JsonFlag = Annotated[bool, typer.Option("--json", metavar=FLAG, help=_("Print JSON instead (docs/formats.md)."))]
AsOf = Annotated[Optional[str], typer.Option("--as-of", metavar=DATE, help=_(
    "Read the view as of this business date (default: the ledger's business date)."))]
OnDate = Annotated[Optional[str], typer.Option("--date", metavar=DATE, help=_(
    "Business date the command takes effect on (default: the ledger's business date)."))]
Fund = Annotated[str, typer.Option("--fund", metavar="FUND", help=_("The fund that sent the item: {funds}.").format(
    funds=one_of(FUNDS)))]
Kind = Annotated[str, typer.Option("--kind", metavar="KIND", help=_("The item's kind: {kinds}.").format(
    kinds=one_of(KINDS)))]
Period = Annotated[str, typer.Option("--period", metavar="YYYY-MM", help=_("The item's period (month)."))]
Amount = Annotated[str, typer.Option("--amount", metavar=AMOUNT, help=_(
    "An amount in EUR: digits, at most 2 decimals after a dot (1234.56)."))]
Bank = Annotated[str, typer.Option("--bank", metavar="BANK", help=_("The bank that sent the payment."))]
Reason = Annotated[str, typer.Option("--reason", metavar=TEXT, help=_(
    "Why (O1): recorded with the event; required, not blank."))]
Iban = Annotated[str, typer.Option("--iban", metavar="IBAN", help=_("The IBAN to pay to (ISO 13616)."))]
Bootstrap = Annotated[Optional[str], typer.Option("--bootstrap", metavar="HOST:PORT", help=_(
    "Kafka bootstrap server (env LEDGER_KAFKA_BOOTSTRAP; default localhost:9092)."))]
PdfOption = Annotated[Optional[str], typer.Option("--pdf", metavar="FILE", help=_(
    "Write it as a printable PDF document instead (Greek, A4)."))]
PaymentForm = Annotated[Optional[str], typer.Option("--form", metavar="|".join(FORMS), help=_(
    "The OGA payment form (ATE's ΚΜΠ code, G10): 640 employer contributions, 649 fishermen's and seasonal "
    "workers' prepayments, 608 other invited workers' prepayment, 639 the self-employed's contributions."))]
