"""The ``ledger`` command line (interfaces §1): it only translates.

Each command parses its options, calls one handler (``ledger.handlers``) or one
view, and prints the result. Exit status 0 on success; 2 on bad input, with one
line on stderr naming the field and the reason, and the ledger unchanged.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from aggregates.errors import DomainError
from aggregates.payment_forms import checked_form, checked_item_form
from aggregates.registration import LEGAL_FORMS
from consumers.files import read_lines
from consumers.imports import command_of
from consumers.messages import BANK_PAYMENTS_TOPIC, FUND_TRANSFERS_TOPIC, MessageFormatError
from ledger import inputs, views
from ledger.actors import act_as, default_actor
from ledger.commands import PaymentInput, TransferInput, TransferItem
from ledger.entrypoints import apd_cli, demo_cli, kafka_cli, labels, notices_cli, oga_cli, operators_cli, queries_cli, serve_cli
from ledger.entrypoints import integrity_cli
from ledger.entrypoints import oga_statement_cli  # noqa: F401  (its command joins the oga sub-app, G17)
from ledger.entrypoints import personal_data_cli
from ledger.entrypoints.bootstrap import services
from ledger.entrypoints.output import (
    compact_json, console, line, print_json, printable, show_arrangement_table, show_debt_table_view, table, text,
)
from ledger.entrypoints.options import (
    AMOUNT, DATE, FLAG, SCHEMES, TEXT, Afm, Amount, ArrangementId, AsOf, Bank, Bootstrap, File, Fund, JsonFlag, Kind,
    OnDate, PaymentForm, PdfOption, Period,
    one_of,
)
from ledger.entrypoints.parsing import parse_amount, parse_date, readable_file, require_date
from ledger.entrypoints.projections_cli import projections_cli
from ledger.errors import BadInput, StoreUnavailable
from ledger.handlers.arrangements import apply_for_arrangement
from ledger.handlers.close_day import close_day
from ledger.handlers.debtors import register_debtor
from ledger.handlers.imports import import_payments, import_transfers
from ledger.handlers.payments import record_payment
from ledger.handlers.transfers import record_transfer
from ledger.i18n import _, money, ngettext
from projections import reader as projected

# typer vendors click and re-exports only BadParameter; its base class is the
# usage error every parsing failure raises.
UsageError = typer.BadParameter.__mro__[1]

# Plain help, as click writes it: each option with its metavar (``--date YYYY-MM-DD``), no type tags.
cli = typer.Typer(no_args_is_help=True, add_completion=False, rich_markup_mode=None,
                  help=_("The KEAO arrangement ledger."))
debtor_cli = typer.Typer(no_args_is_help=True, help=_("Debtors (οφειλέτες)."))
debt_cli = typer.Typer(no_args_is_help=True, help=_("Debt items transferred from the funds."))
arrangement_cli = typer.Typer(no_args_is_help=True, help=_("Arrangements (ρυθμίσεις)."))
payment_cli = typer.Typer(no_args_is_help=True, help=_("Bank payments."))
day_cli = typer.Typer(no_args_is_help=True, help=_("The business date and the close of day."))
show_cli = typer.Typer(no_args_is_help=True, help=_("Views: arrangement, debt table, clearance, suspense."))
for name, sub in (("debtor", debtor_cli), ("debt", debt_cli), ("arrangement", arrangement_cli),
                  ("payment", payment_cli), ("day", day_cli), ("show", show_cli)):
    cli.add_typer(sub, name=name)
cli.add_typer(projections_cli, name="projections")


@cli.callback()
def main_options(
    db: Annotated[Optional[str], typer.Option("--db", metavar="URL", help=_(
        "Event store URL, sqlite:///FILE or postgresql://USER@HOST:PORT/DB (env LEDGER_DB_URL; "
        "default sqlite:///ledger.db)."))] = None,
    actor: Annotated[Optional[str], typer.Option(
        "--as", metavar="USER", envvar="LEDGER_USER", show_envvar=False,
        help=_("Who acts, recorded as the actor of every event the command records (O1; env LEDGER_USER; "
               "default the OS login name)."))] = None,
) -> None:
    services.use(db)
    act_as(inputs.text(actor, "--as", "actor") if actor is not None else default_actor())


# -- commands -------------------------------------------------------------------------


@debtor_cli.command("add", help=_("Register a debtor, or a branch unit of --parent (D1)."))
def debtor_add(
    afm: Afm,
    name: Annotated[str, typer.Option("--name", metavar=TEXT, help=_("The debtor's name."))],
    service: Annotated[Optional[str], typer.Option("--service", metavar=TEXT,
                                                   help=_("The owning KEAO regional service."))] = None,
    parent: Annotated[Optional[str], typer.Option("--parent", metavar="AFM",
                                                  help=_("ΑΦΜ of the head office, for a branch unit."))] = None,
    amka: Annotated[Optional[str], typer.Option("--amka", metavar="AMKA",
                                                help=_("The debtor's ΑΜΚΑ (11 digits), for a person."))] = None,
    unit_kind: Annotated[Optional[str], typer.Option("--unit-kind", metavar="98|99", help=_(
        "OGA's kind of registered unit: 98 a natural person, 99 a company (G19)."))] = None,
    legal_form: Annotated[Optional[str], typer.Option("--legal-form", metavar="FORM", help=_(
        "The legal form, checked against --unit-kind (G19): {forms}.").format(forms=one_of(tuple(LEGAL_FORMS))))] = None,
    on: OnDate = None,
) -> None:
    debtor = register_debtor(services.ledger(), afm, name, parse_date(on, "--date"), service, parent, amka,
                             unit_kind, legal_form)
    console.print(line(_("registered debtor {afm} {name}"), afm=debtor.afm, name=debtor.name))


@debt_cli.command("transfer", help=_("Record a debt item transferred from a fund (D2, D4)."))
def debt_transfer(
    afm: Afm,
    fund: Fund,
    period: Period,
    kind: Kind,
    amount: Annotated[str, typer.Option("--amount", metavar=AMOUNT, help=_("The item's amount in EUR."))],
    due: Annotated[str, typer.Option("--due", metavar=DATE, help=_("The item's due date."))],
    transfer_id: Annotated[Optional[str], typer.Option("--transfer-id", metavar="ID", help=_(
        "The fund's id of the transfer (default: the digest of its content, D4)."))] = None,
    form: PaymentForm = None,
    on: OnDate = None,
) -> None:
    item = TransferItem(period, kind, parse_amount(amount, "--amount"), require_date(due, "--due"),
                        checked_item_form(fund, form, "--form"))
    outcome = record_transfer(services.ledger(),
        TransferInput(fund, afm, (item,), transfer_id=transfer_id, business_date=parse_date(on, "--date"))
    )
    console.print(line(_("{status}: {fund} debt of {afm}"), status=labels.outcome(outcome.status), fund=fund, afm=afm))


def import_file(path: Path, message_type: Any, command: Callable[[Any], Any],
                import_all: Callable[..., dict[str, int]]) -> None:
    """All or nothing: every line of a JSON Lines file is read (a malformed one exits
    2 naming it), then every line's command runs and is committed together (a refused
    one exits 2 naming it, with nothing recorded); prints how many had each outcome."""
    try:
        lines = read_lines(path, message_type)
    except MessageFormatError as error:
        raise BadInput(error.message_type, "; ".join(error.problems)) from None
    commands = [(number, command(message)) for number, _, message in lines]
    # A bar only on a terminal: redirected, its label would be a line of stderr
    # besides a refusal's one line.
    with typer.progressbar(length=len(commands), label=_("importing {file}").format(file=path.name), file=sys.stderr,
                           hidden=not sys.stderr.isatty()) as progress:
        counts = import_all(services.ledger(), commands, lambda: progress.update(1))
    console.print(", ".join(f"{labels.outcome(status)}: {n}" for status, n in sorted(counts.items()))
                  or _("nothing to import"))


@debt_cli.command("import", help=_("Record fund transfers from a JSON Lines file (interfaces §2.2).\n\n"
                                   "All or nothing: a line refused, for its form or by a rule (D2, D4), records none."))
def debt_import(file: File) -> None:
    import_file(readable_file(file), FUND_TRANSFERS_TOPIC, command_of, import_transfers)


@arrangement_cli.command("apply", help=_("Apply for an arrangement; prints it (a rejection is recorded too, A1)."))
def arrangement_apply(
    afm: Afm,
    scheme: Annotated[str, typer.Option("--scheme", metavar="SCHEME", help=_("The scheme: {schemes}.").format(
        schemes=one_of(SCHEMES)))],
    on: Annotated[str, typer.Option("--date", metavar=DATE, help=_("The application date."))],
    instalments: Annotated[Optional[int], typer.Option("--instalments", metavar="N", help=_(
        "How many monthly instalments (default: the most the scheme allows, C3, S1)."))] = None,
    delimitation: Annotated[Optional[str], typer.Option("--delimitation", metavar="ID", help=_(
        "disaster: the delimitation of the affected areas (see `ledger delimitations`, ND1)."))] = None,
    area: Annotated[Optional[str], typer.Option("--area", metavar=TEXT, help=_(
        "disaster: the affected area, as the delimitation names it (ND1)."))] = None,
    disaster_date: Annotated[Optional[str], typer.Option("--disaster-date", metavar=DATE, help=_(
        "disaster: the date of the disaster, one the delimitation lists (ND1)."))] = None,
    damage: Annotated[Optional[str], typer.Option("--damage", metavar=AMOUNT, help=_(
        "disaster: the certified damage in EUR, which sets the number of instalments (ND5)."))] = None,
    certificate: Annotated[Optional[str], typer.Option("--certificate", metavar=TEXT, help=_(
        "disaster: the certificate of damage from the Region or Chamber (ND2)."))] = None,
    after_audit: Annotated[bool, typer.Option("--after-audit", metavar=FLAG, help=_(
        "standing: the debts were assessed after an audit."))] = False,
    affected_business: Annotated[bool, typer.Option("--affected-business", metavar=FLAG, help=_(
        "covid-650: asserts the business was affected (C1)."))] = False,
    closure_order: Annotated[Optional[str], typer.Option("--closure-order", metavar=TEXT, help=_(
        "covid-650: the temporary closure order asserted (C1)."))] = None,
    as_json: JsonFlag = False,
) -> None:
    options: dict[str, Any] = {
        "delimitation": delimitation, "area": area, "disaster_date": parse_date(disaster_date, "--disaster-date"),
        "damage": damage, "certificate": certificate, "after_audit": after_audit,
        "affected_business": affected_business, "closure_order": closure_order,
    }
    ledger = services.ledger()
    arrangement = apply_for_arrangement(ledger, afm, scheme, require_date(on, "--date"), instalments, options)
    view = views.arrangement_view(ledger, str(arrangement.id), max(arrangement.applied_on, ledger.business_date() or arrangement.applied_on))
    print_json(view) if as_json else show_arrangement_table(view)


@payment_cli.command("record", help=_("Record one bank payment; one that cannot be applied goes to suspense (P5)."))
def payment_record(
    reference: Annotated[str, typer.Option("--reference", metavar="RF…", help=_(
        "The payment code the payer quoted: an arrangement's or a debtor's identity code (ISO 11649, C10)."))],
    amount: Amount,
    value_date: Annotated[str, typer.Option("--value-date", metavar=DATE, help=_("The bank's value date."))],
    tx_id: Annotated[str, typer.Option("--tx-id", metavar="TX_ID", help=_(
        "The bank's transaction id: the same id from the same bank is recorded once."))],
    bank: Bank = "UNKNOWN",
    payer_afm: Annotated[Optional[str], typer.Option("--payer-afm", metavar="AFM", help=_(
        "The payer's ΑΦΜ, when the bank gives it."))] = None,
    form: PaymentForm = None,
    as_json: JsonFlag = False,
) -> None:
    # P5: a well-formed amount or value date beyond the limits sends the payment to suspense.
    payment = PaymentInput(tx_id, parse_amount(amount, "--amount", plausible=False),
                           require_date(value_date, "--value-date", plausible=False), reference, bank, "EUR", payer_afm,
                           checked_form(form, "--form"))
    outcome = record_payment(services.ledger(), payment)
    result = {"tx_id": tx_id, "bank": bank, "status": outcome.status, "target": outcome.target, "reason": outcome.reason}
    if as_json:
        print_json(result)
    else:
        console.print(line(_("{status}: {tx_id} ({reason})") if outcome.reason else _("{status}: {tx_id}"),
                           labels.shown(result), status=labels.outcome(outcome.status)))


@payment_cli.command("import", help=_("Record bank payments from a JSON Lines file (interfaces §2.1).\n\n"
                                      "All or nothing: a malformed line records (or, with --to-kafka, sends) none."))
def payment_import(
    file: File,
    to_kafka: Annotated[bool, typer.Option("--to-kafka", metavar=FLAG, help=_(
        "Replay the file into the keao.bank-payments topic instead."))] = False,
    bootstrap: Bootstrap = None,
) -> None:
    path = readable_file(file)
    if to_kafka:
        sent = kafka_cli.import_to_kafka(path, bootstrap)
        console.print(ngettext("{count} payment sent to Kafka", "{count} payments sent to Kafka", sent).format(
            count=sent))
        return
    import_file(path, BANK_PAYMENTS_TOPIC, command_of, import_payments)


@day_cli.command("close", help=_("Close of day up to DAY (E1, E2): idempotent, catches up skipped days."))
def day_close(day: Annotated[str, typer.Argument(metavar="DAY", help=_("The day to close, YYYY-MM-DD."),
                                                 show_default=False)],
              as_json: JsonFlag = False) -> None:
    target = require_date(day, "date")
    with console.status(_("closing the day {day}").format(day=target)):
        settled = close_day(services.ledger(), target)
    result = {"business_date": target, "arrangements_settled": settled}
    print_json(result) if as_json else console.print(ngettext(
        "business date {day}; {count} arrangement settled", "business date {day}; {count} arrangements settled",
        settled).format(day=target, count=settled))


def read_view(name: str, ref: str, as_of: str | None) -> dict[str, Any]:
    """With --as-of, computed from the events (V3); without, from the read
    models, caught up first. Both modules name their views alike."""
    day = parse_date(as_of, "--as-of")
    if day:
        return getattr(views, name)(services.ledger(), ref, day)
    return getattr(projected, name)(services.runner(), ref)


@show_cli.command("arrangement", help=_("One arrangement, by id or payment code."))
def show_arrangement(ident: ArrangementId, as_of: AsOf = None, as_json: JsonFlag = False) -> None:
    view = read_view("arrangement_view", ident, as_of)
    print_json(view) if as_json else show_arrangement_table(view)


@show_cli.command("debt-table", help=_("The debtor's debt table, Πίνακας Χρεών Οφειλέτη (V1)."))
def show_debt_table(afm: Afm, as_of: AsOf = None, as_json: JsonFlag = False, pdf: PdfOption = None) -> None:
    view = read_view("debt_table", afm, as_of)
    if notices_cli.printed(view, pdf, "debt_table"):
        return
    if as_json:
        print_json(view)
        return
    show_debt_table_view(view)


@show_cli.command("clearance", help=_("Clearance, ασφαλιστική ενημερότητα (V2)."))
def show_clearance(afm: Afm, as_of: AsOf = None, as_json: JsonFlag = False, pdf: PdfOption = None) -> None:
    view = read_view("clearance", afm, as_of)
    if notices_cli.printed(view, pdf, "clearance"):
        return
    if as_json:
        print_json(view)
        return
    if view["clear"]:
        console.print(line(_("{afm} as of {as_of}: {verdict} until {valid_until} ({basis})"), labels.shown(view),
                           verdict=text(_("clear"), "green")))
    else:
        console.print(line(_("{afm} as of {as_of}: {verdict}"), view, verdict=text(_("not clear"), "red")))
    for reason in view["reasons"]:
        console.print(line("  - {reason}", reason=labels.say(reason)))
    for unit in view["units"]:  # G16: what each branch unit adds to the business's overdue principal
        console.print(line(_("  unit {afm}: overdue outside arrangements {overdue}"), afm=unit["afm"],
                           overdue=money(unit["overdue_outside_arrangements"])))


@show_cli.command("suspense", help=_("Payments that could not be applied, with the reasons (P5)."))
def show_suspense(
    resolved: Annotated[bool, typer.Option("--all", metavar=FLAG, help=_(
        "Also the payments an operator resolved (O2), with how, by whom and when."))] = False,
    as_json: JsonFlag = False,
) -> None:
    entries = projected.suspense(services.runner(), resolved)
    if as_json:
        print_json(entries)
        return
    columns = ["tx_id", "bank", "reference", "amount", "value_date", "versions", "reason"]  # versions: P5, O2
    extra = list(views.RESOLUTION_FIELDS) if resolved else []
    console.print(table(_("Suspense account"), entries, columns + extra))


@cli.command("audit", help=_("The full event history of an arrangement (id or payment code) or a debtor (ΑΦΜ); "
                             "with --as-of, the history as the ledger held it on that business date."))
def audit(ident: Annotated[str, typer.Argument(metavar="ID", help=_(
              "An arrangement's id or payment code, or a debtor's ΑΦΜ."), show_default=False)],
          as_of: AsOf = None, as_json: JsonFlag = False) -> None:
    day = parse_date(as_of, "--as-of")
    entries = projected.audit(services.runner(), ident, day)
    if as_json:
        print_json(entries)
        return
    rows = [{**e, "actor": e["payload"].get("actor"),
             "payload": compact_json({k: v for k, v in e["payload"].items() if k not in ("key", "actor")})}
            for e in entries]
    title = (_("Audit trail of {id} as of {day}") if day else _("Audit trail of {id}")).format(id=ident, day=day)
    console.print(table(title, rows, ["position", "business_date", "type", "version", "actor", "payload"]))


@cli.command("delimitations", help=_("The natural-disaster delimitations and their areas (ND1)."))
def delimitations(as_json: JsonFlag = False) -> None:
    ledger_settings = services.ledger().settings
    rows = [
        {"delimitation": d.id, "area": a.name, "kind": a.kind, "municipal_unit": a.municipal_unit,
         "regional_unit": a.regional_unit, "disaster_dates": [x.isoformat() for x in a.disaster_dates]}
        for d in ledger_settings.delimitations.values() for a in d.areas
    ]
    if as_json:
        print_json(rows)
        return
    console.print(table(_("Delimitations"), [{**r, "disaster_dates": ", ".join(r["disaster_dates"])} for r in rows],
                        ["delimitation", "area", "kind", "municipal_unit", "regional_unit", "disaster_dates"]))


kafka_cli.register(cli)  # `ledger consume`
operators_cli.register(cli, payment_cli, debt_cli, show_cli)  # §1.2
queries_cli.register(cli, debtor_cli, arrangement_cli)  # §1.7
notices_cli.register(cli, show_cli)  # §1.3
apd_cli.register(cli, show_cli)  # §1.4
oga_cli.register(cli)  # §1.5
serve_cli.register(cli)  # §3
demo_cli.register(cli)  # the main job
integrity_cli.register(cli)  # §1.6, F1 and F2
personal_data_cli.register(cli)  # §1.6, F3


def main() -> None:
    """Run the CLI: bad input, or a store that cannot be opened, exits 2 with one line
    on stderr, ledger unchanged."""
    try:
        cli(standalone_mode=False)
    except (DomainError, StoreUnavailable) as error:  # BadInput among them
        print(f"error: {printable(error)}", file=sys.stderr)
        raise SystemExit(2) from None
    except UsageError as error:
        print(f"error: {printable(error.format_message())}", file=sys.stderr)
        raise SystemExit(2) from None
    except typer.Abort:
        raise SystemExit(130) from None
    except typer.Exit as done:
        raise SystemExit(done.exit_code) from None
