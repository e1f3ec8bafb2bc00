"""The employers' declarations commands of the ``ledger`` CLI (interfaces §1.4, domain
§12): submit an ΑΠΔ, correct its records, finalise it, show it.
``ledger.entrypoints.cli`` registers them."""

from __future__ import annotations

from typing import Annotated, Any, Optional

import typer

from consumers.apd_messages import ApdCorrection, ApdMessage
from consumers.messages import KafkaMessageModel, MessageFormatError
from ledger.apd_views import declaration_json
from ledger.entrypoints import labels
from ledger.entrypoints.bootstrap import services
from ledger.entrypoints.options import JsonFlag, OnDate
from ledger.entrypoints.output import console, line, print_json, table
from ledger.entrypoints.parsing import parse_date, readable_file
from ledger.errors import BadInput
from ledger.handlers.apd import correct_declaration, finalise_declaration, submit_declaration
from ledger.i18n import N_, _, ngettext

apd_cli = typer.Typer(no_args_is_help=True, help=_("Employers' periodic declarations (ΑΠΔ, domain §12)."))

# An ΑΠΔ's status as the e-services show it (K18: «Διόρθωση ΑΠΔ», «εκκρεμής»).
STATUS_WORDS = {"pending": N_("pending correction"), "ready": N_("ready to finalise"), "finalised": N_("finalised")}

ApdFile = Annotated[str, typer.Argument(metavar="FILE", help=_("A JSON file (interfaces §2.5)."), show_default=False)]
ApdId = Annotated[str, typer.Argument(metavar="APD_ID", help=_("The ΑΠΔ's submission id."), show_default=False)]


def read_file(path: str, model: type[KafkaMessageModel]) -> Any:
    """The file parsed, or bad input naming the first field at fault and why."""
    try:
        return model.from_bytes(readable_file(path).read_bytes())
    except MessageFormatError as error:
        field, _sep, reason = error.problems[0].partition(": ")
        raise BadInput(field, reason) from None


def show(declaration: Any, as_json: bool) -> None:
    ledger = services.ledger()
    view = declaration_json(declaration, ledger.settings.apd, ledger.current_date())
    if as_json:
        print_json(view)
        return
    console.print(line(ngettext("ΑΠΔ {id} of employer {afm}: {status}, {wrong} wrong record",
                                "ΑΠΔ {id} of employer {afm}: {status}, {wrong} wrong records", view["wrong_records"]),
                       id=view["id"], afm=view["employer_afm"], status=_(STATUS_WORDS[view["status"]]),
                       wrong=view["wrong_records"]))
    corrected = [r["record"] for r in view["records"] if r["version"] > 1]
    if corrected:
        console.print(line(_("corrected records (K18): {records}"), records=", ".join(corrected)))
    wrong = [{**r, "codes": ", ".join(str(c) for c in r["codes"])} for r in view["records"] if r["codes"]]
    if wrong:
        console.print(table(_("Records with errors"), wrong,
                            ["record", "amka", "wage_period", "earnings_type", "earnings", "contributions", "codes",
                             *(["override"] if any(r["override"] for r in wrong) else [])]))
    if view["assessed"]:
        console.print(table(_("Assessed"), view["assessed"], ["item_id", "period", "amount", "due_date"]))


@apd_cli.command("submit", help=_("Record one ΑΠΔ from a JSON file and check its records (K1–K15); the same "
                                  "file again changes nothing (D4)."))
def apd_submit(file: ApdFile, on: OnDate = None, as_json: JsonFlag = False) -> None:
    message = read_file(file, ApdMessage)
    status, declaration = submit_declaration(services.ledger(), message.command(), parse_date(on, "--date"))
    if not as_json:
        console.print(line(_("{status}: ΑΠΔ {id}"), status=labels.outcome(status), id=message.apd_id))
    show(declaration, as_json)


@apd_cli.command("correct", help=_("Replace records of an ΑΠΔ by their corrected versions, the old ones kept "
                                   "(K18, K22); FILE is {\"records\": [...]}."))
def apd_correct(apd_id: ApdId, file: ApdFile, on: OnDate = None, as_json: JsonFlag = False) -> None:
    correction = read_file(file, ApdCorrection)
    show(correct_declaration(services.ledger(), apd_id, correction.stored(), parse_date(on, "--date")), as_json)


@apd_cli.command("finalise", help=_("Finalise an ΑΠΔ: its correct records enter the insurance history and its "
                                    "declared contributions are assessed (K19–K22)."))
def apd_finalise(
    apd_id: ApdId,
    override: Annotated[Optional[list[str]], typer.Option("--override", metavar="RECORD:FORM_REF", help=_(
        "Let a record through whose errors an Insured Data Change Form not yet in the register explains, "
        "with the form's reference (K20); repeatable."))] = None,
    on: OnDate = None,
    as_json: JsonFlag = False,
) -> None:
    overrides = {}
    for given in override or ():
        record, _sep, form = given.partition(":")
        if not record or not form.strip():
            raise BadInput("--override", f"{given!r} is not RECORD:FORM_REF")
        overrides[record] = form.strip()
    show(finalise_declaration(services.ledger(), apd_id, overrides, parse_date(on, "--date")), as_json)


def show_apd(apd_id: ApdId, as_json: JsonFlag = False) -> None:
    show(services.ledger().declaration(apd_id), as_json)


def register(cli: typer.Typer, show_cli: typer.Typer) -> None:
    cli.add_typer(apd_cli, name="apd")
    show_cli.command("apd", help=_("One ΑΠΔ: its records with their error codes and the debt assessed."))(show_apd)
