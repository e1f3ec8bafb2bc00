"""The operators' commands of the ``ledger`` CLI (interfaces §1.2, domain §14):
suspense assignment, refund and dismissal (O2), a bank's recall (O3), a fund's correction and
its resolution (O4), a credit refund (O5). ``ledger.entrypoints.cli`` registers them.
"""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from ledger import views
from ledger.commands import CorrectionInput, CorrectionItem, Outcome, RecallInput
from ledger.entrypoints import labels
from ledger.entrypoints.bootstrap import services
from ledger.entrypoints.options import AMOUNT, FLAG, Afm, Bank, Fund, Iban, JsonFlag, Kind, OnDate, Period, Reason, TxId
from ledger.entrypoints.output import console, line, print_json, table
from ledger.entrypoints.parsing import parse_amount, parse_date
from ledger.errors import BadInput
from ledger.handlers.credit import refund_credit
from ledger.handlers.fund_corrections import correct_debt, resolve_correction
from ledger.handlers.recalls import recall_payment
from ledger.handlers.suspense import assign_payment, dismiss_payment, refund_payment
from ledger.i18n import _

suspense_cli = typer.Typer(no_args_is_help=True, help=_("Payments in suspense: assign, refund or dismiss them (O2)."))
correction_cli = typer.Typer(no_args_is_help=True, help=_("Fund corrections that wait for an operator (O4)."))
credit_cli = typer.Typer(no_args_is_help=True, help=_("A debtor's credit balance (O5)."))


def _done(outcome: Outcome, subject: str, as_json: bool) -> None:
    result = {"subject": subject, "status": outcome.status, "target": outcome.target, "reason": outcome.reason}
    if as_json:
        print_json(result)
    else:
        console.print(line(_("{status}: {subject} ({reason})") if outcome.reason else _("{status}: {subject}"),
                           labels.shown(result), status=labels.outcome(outcome.status)))


@suspense_cli.command("assign", help=_("Apply a payment in suspense where --to says, as of its value date (O2)."))
def suspense_assign(tx_id: TxId,
                    to: Annotated[str, typer.Option("--to", metavar="RF…|AFM", help=_(
                        "An arrangement's payment code, a debtor's identity code (RF…) or an ΑΦΜ."))],
                    reason: Reason, bank: Bank = "UNKNOWN", on: OnDate = None, as_json: JsonFlag = False) -> None:
    outcome = assign_payment(services.ledger(), tx_id, bank, to, reason, parse_date(on, "--date"))
    _done(outcome, tx_id, as_json)


@suspense_cli.command("refund", help=_("Order a payment in suspense paid back to the payer; published on "
                                      "keao.refunds (O2)."))
def suspense_refund(tx_id: TxId, iban: Iban,
                    reason: Reason, bank: Bank = "UNKNOWN", on: OnDate = None, as_json: JsonFlag = False) -> None:
    outcome = refund_payment(services.ledger(), tx_id, bank, iban, reason, parse_date(on, "--date"))
    _done(outcome, tx_id, as_json)


@suspense_cli.command("dismiss", help=_("Close what a bank sent again, with other content, of a payment applied, "
                                          "refunded or recalled already: nothing is applied nor refunded (P5, O2)."))
def suspense_dismiss(tx_id: TxId, reason: Reason,
                     bank: Bank = "UNKNOWN", on: OnDate = None, as_json: JsonFlag = False) -> None:
    outcome = dismiss_payment(services.ledger(), tx_id, bank, reason, parse_date(on, "--date"))
    _done(outcome, tx_id, as_json)


def payment_reverse(tx_id: TxId, reason: Reason,
                    bank: Bank = "UNKNOWN", on: OnDate = None, as_json: JsonFlag = False) -> None:
    outcome = recall_payment(services.ledger(), RecallInput(tx_id, reason, bank, parse_date(on, "--date")))
    _done(outcome, tx_id, as_json)


def debt_correct(
    afm: Afm,
    fund: Fund,
    transfer_id: Annotated[str, typer.Option("--transfer-id", metavar="ID", help=_(
        "The fund's id of the transfer that sent the item."))],
    period: Period,
    kind: Kind,
    correction_id: Annotated[str, typer.Option("--correction-id", metavar="ID", help=_(
        "The fund's id of this correction."))],
    cancel: Annotated[bool, typer.Option("--cancel", metavar=FLAG, help=_("Cancel the item."))] = False,
    amount: Annotated[Optional[str], typer.Option("--amount", metavar=AMOUNT, help=_(
        "Amend the item to this amount in EUR."))] = None,
    on: OnDate = None,
    as_json: JsonFlag = False,
) -> None:
    if cancel == (amount is not None):
        raise BadInput("--cancel", "give either --cancel or --amount A (O4)")
    item = CorrectionItem(period, kind, None if cancel else parse_amount(amount or "", "--amount"))
    correction = CorrectionInput("cancel" if cancel else "amend", correction_id, fund, afm, transfer_id, (item,),
                                 parse_date(on, "--date"))
    _done(correct_debt(services.ledger(), correction), correction_id, as_json)


@correction_cli.command("resolve", help=_("Resolve a fund correction that waited (an item inside an arrangement, "
                                          "O4)."))
def correction_resolve(afm: Afm, correction_id: Annotated[str, typer.Argument(
                           metavar="CORRECTION_ID", help=_("The fund's id of the correction."), show_default=False)],
                       reason: Reason, on: OnDate = None, as_json: JsonFlag = False) -> None:
    _done(resolve_correction(services.ledger(), afm, correction_id, reason, parse_date(on, "--date")),
          correction_id, as_json)


@credit_cli.command("refund", help=_("Refund part or all of a debtor's credit; published on keao.refunds (O5)."))
def credit_refund(afm: Afm, amount: Annotated[str, typer.Option("--amount", metavar=AMOUNT, help=_(
                      "How much of the credit, in EUR."))],
                  iban: Iban,
                  reason: Reason, on: OnDate = None, as_json: JsonFlag = False) -> None:
    outcome = refund_credit(services.ledger(), afm, parse_amount(amount, "--amount"), iban, reason,
                            parse_date(on, "--date"))
    _done(outcome, afm, as_json)


def show_corrections(as_json: JsonFlag = False) -> None:
    rows = views.waiting_corrections(services.ledger())
    if as_json:
        print_json(rows)
        return
    console.print(table(_("Corrections waiting"), rows, ["correction_id", "fund", "afm", "transfer_id", "period",
                                                        "kind", "action", "amount", "arrangement", "received_on"]))


def register(cli: typer.Typer, payment_cli: typer.Typer, debt_cli: typer.Typer, show_cli: typer.Typer) -> None:
    cli.add_typer(suspense_cli, name="suspense")
    cli.add_typer(correction_cli, name="correction")
    cli.add_typer(credit_cli, name="credit")
    payment_cli.command("reverse", help=_(
        "A bank's recall of a payment it sent: what it paid is undone as of its value date (O3)."))(payment_reverse)
    debt_cli.command("correct", help=_(
        "A fund's cancellation or amendment of an item it transferred (O4)."))(debt_correct)
    show_cli.command("corrections", help=_(
        "Fund corrections that wait for an operator (items inside an arrangement, O4)."))(show_corrections)
