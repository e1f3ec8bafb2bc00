"""The operators' commands of the ``ledger`` CLI (interfaces §1.2, domain §14):
suspense assignment, refund and dismissal (O2), a bank's recall (O3), a fund's correction and
its resolution (O4), a credit refund (O5). ``ledger.entrypoints.cli`` registers them.
"""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from ledger import views
from ledger.commands import CorrectionInput, CorrectionItem, Outcome, RecallInput
from ledger.entrypoints.bootstrap import services
from ledger.entrypoints.output import console, line, print_json, table
from ledger.entrypoints.parsing import parse_amount, parse_date
from ledger.errors import BadInput
from ledger.handlers.credit import refund_credit
from ledger.handlers.fund_corrections import correct_debt, resolve_correction
from ledger.handlers.recalls import recall_payment
from ledger.handlers.suspense import assign_payment, dismiss_payment, refund_payment
from ledger.i18n import _

suspense_cli = typer.Typer(no_args_is_help=True, help=_("Payments in suspense: assign, refund or dismiss them (O2)."))
correction_cli = typer.Typer(no_args_is_help=True, help="Fund corrections that wait for an operator (O4).")
credit_cli = typer.Typer(no_args_is_help=True, help="A debtor's credit balance (O5).")

Bank = Annotated[str, typer.Option("--bank", help="The bank that sent the payment")]
Reason = Annotated[str, typer.Option("--reason", help="Why (O1): recorded with the event; required, not blank")]
OnDate = Annotated[Optional[str], typer.Option("--date", help="Business date YYYY-MM-DD the action takes effect on "
                                                              "(default: the ledger's business date)")]
JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON instead of a line.")]


def _done(outcome: Outcome, subject: str, as_json: bool) -> None:
    result = {"subject": subject, "status": outcome.status, "target": outcome.target, "reason": outcome.reason}
    if as_json:
        print_json(result)
    else:
        console.print(line("{status}: {subject}" + (" ({reason})" if outcome.reason else ""), result))


@suspense_cli.command("assign")
def suspense_assign(tx_id: Annotated[str, typer.Argument(metavar="TX_ID")],
                    to: Annotated[str, typer.Option("--to", help="An arrangement's payment code, a debtor's "
                                                                 "identity code (RF…) or an ΑΦΜ")],
                    reason: Reason, bank: Bank = "UNKNOWN", on: OnDate = None, as_json: JsonFlag = False) -> None:
    """Apply a payment in suspense where --to says, as of its value date (O2)."""
    outcome = assign_payment(services.ledger(), tx_id, bank, to, reason, parse_date(on, "--date"))
    _done(outcome, tx_id, as_json)


@suspense_cli.command("refund")
def suspense_refund(tx_id: Annotated[str, typer.Argument(metavar="TX_ID")],
                    iban: Annotated[str, typer.Option("--iban", help="The payer's IBAN (ISO 13616)")],
                    reason: Reason, bank: Bank = "UNKNOWN", on: OnDate = None, as_json: JsonFlag = False) -> None:
    """Order a payment in suspense paid back to the payer; published on keao.refunds (O2)."""
    outcome = refund_payment(services.ledger(), tx_id, bank, iban, reason, parse_date(on, "--date"))
    _done(outcome, tx_id, as_json)


@suspense_cli.command("dismiss", help=_("Close what a bank sent again, with other content, of a payment applied, "
                                          "refunded or recalled already: nothing is applied nor refunded (P5, O2)."))
def suspense_dismiss(tx_id: Annotated[str, typer.Argument(metavar="TX_ID")], reason: Reason,
                     bank: Bank = "UNKNOWN", on: OnDate = None, as_json: JsonFlag = False) -> None:
    outcome = dismiss_payment(services.ledger(), tx_id, bank, reason, parse_date(on, "--date"))
    _done(outcome, tx_id, as_json)


def payment_reverse(tx_id: Annotated[str, typer.Argument(metavar="TX_ID")], reason: Reason,
                    bank: Bank = "UNKNOWN", on: OnDate = None, as_json: JsonFlag = False) -> None:
    """A bank's recall of a payment it sent: what it paid is undone as of its value date (O3)."""
    outcome = recall_payment(services.ledger(), RecallInput(tx_id, reason, bank, parse_date(on, "--date")))
    _done(outcome, tx_id, as_json)


def debt_correct(
    afm: str,
    fund: Annotated[str, typer.Option("--fund", help="The fund that sent the item: IKA, OAEE, OGA or ETAA")],
    transfer_id: Annotated[str, typer.Option("--transfer-id", help="The fund's id of the transfer that sent it")],
    period: Annotated[str, typer.Option("--period", help="The item's period, YYYY-MM")],
    kind: Annotated[str, typer.Option("--kind", help="The item's kind (contribution, surcharge, fee, …)")],
    correction_id: Annotated[str, typer.Option("--correction-id", help="The fund's id of this correction")],
    cancel: Annotated[bool, typer.Option("--cancel", help="Cancel the item")] = False,
    amount: Annotated[Optional[str], typer.Option("--amount", help="Amend the item to this amount")] = None,
    on: OnDate = None,
    as_json: JsonFlag = False,
) -> None:
    """A fund's cancellation or amendment of an item it transferred (O4)."""
    if cancel == (amount is not None):
        raise BadInput("--cancel", "give either --cancel or --amount A (O4)")
    item = CorrectionItem(period, kind, None if cancel else parse_amount(amount or "", "--amount"))
    correction = CorrectionInput("cancel" if cancel else "amend", correction_id, fund, afm, transfer_id, (item,),
                                 parse_date(on, "--date"))
    _done(correct_debt(services.ledger(), correction), correction_id, as_json)


@correction_cli.command("resolve")
def correction_resolve(afm: str, correction_id: Annotated[str, typer.Argument(metavar="CORRECTION_ID")],
                       reason: Reason, on: OnDate = None, as_json: JsonFlag = False) -> None:
    """Resolve a fund correction that waited (an item inside an arrangement, O4)."""
    _done(resolve_correction(services.ledger(), afm, correction_id, reason, parse_date(on, "--date")),
          correction_id, as_json)


@credit_cli.command("refund")
def credit_refund(afm: str, amount: Annotated[str, typer.Option("--amount", help="How much of the credit")],
                  iban: Annotated[str, typer.Option("--iban", help="The debtor's IBAN (ISO 13616)")],
                  reason: Reason, on: OnDate = None, as_json: JsonFlag = False) -> None:
    """Refund part or all of a debtor's credit; published on keao.refunds (O5)."""
    outcome = refund_credit(services.ledger(), afm, parse_amount(amount, "--amount"), iban, reason,
                            parse_date(on, "--date"))
    _done(outcome, afm, as_json)


def show_corrections(as_json: JsonFlag = False) -> None:
    """Fund corrections that wait for an operator (items inside an arrangement, O4)."""
    rows = views.waiting_corrections(services.ledger())
    if as_json:
        print_json(rows)
        return
    console.print(table("Corrections waiting", rows, ["correction_id", "fund", "afm", "transfer_id", "period",
                                                        "kind", "action", "amount", "arrangement", "received_on"]))


def register(cli: typer.Typer, payment_cli: typer.Typer, debt_cli: typer.Typer, show_cli: typer.Typer) -> None:
    cli.add_typer(suspense_cli, name="suspense")
    cli.add_typer(correction_cli, name="correction")
    cli.add_typer(credit_cli, name="credit")
    payment_cli.command("reverse")(payment_reverse)
    debt_cli.command("correct")(debt_correct)
    show_cli.command("corrections")(show_corrections)
