"""The notices' and enforcement commands of the ``ledger`` CLI (interfaces §1.3, domain
§10): issue and deliver notices, print them, record and lift enforcement measures,
and the printed debt table and clearance certificate. ``ledger.entrypoints.cli``
registers them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from aggregates.enforcement import MEASURES
from ledger import notice_views, views
from ledger.entrypoints import labels
from ledger.entrypoints.bootstrap import services
from ledger.entrypoints.options import DATE, TEXT, Afm, JsonFlag, OnDate, Reason
from ledger.entrypoints.output import console, line, print_json, table
from ledger.entrypoints.parsing import parse_date, require_date
from ledger.errors import BadInput
from ledger.handlers.notices import deliver_notice, issue_notices, lift_measure, record_measure
from ledger.i18n import _, ngettext
from projections import reader as projected

notices_cli = typer.Typer(no_args_is_help=True, help=_("Issue the notices whose time has come (N2, N4)."))
notice_cli = typer.Typer(no_args_is_help=True, help=_("One notice: its delivery and its printed letter (N3, N5)."))
enforcement_cli = typer.Typer(no_args_is_help=True, help=_("Enforcement measures: seizure, garnishment, mortgage "
                                                          "(N13)."))

NoticeId = Annotated[str, typer.Argument(metavar="NOTICE_ID", help=_("The notice's number (INV-…, IND-…, INF-…)."),
                                         show_default=False)]
PdfFile = Annotated[str, typer.Option("-o", "--output", metavar="FILE", help=_("The PDF file to write."))]


def write_pdf(path: str, document: bytes, field: str) -> None:
    """Write ``document``; a path that cannot be written is bad input naming ``field``."""
    try:
        Path(path).write_bytes(document)
    except OSError as error:
        raise BadInput(field, f"cannot write {path}: {error.strerror}") from None


@notices_cli.command("issue", help=_("Issue the invitations and individual notices due on each day up to the "
                                     "date (N2, N4); the close of day does it too."))
def notices_issue(on: OnDate = None, as_json: JsonFlag = False) -> None:
    ledger = services.ledger()
    day = parse_date(on, "--date") or ledger.current_date()
    if day is None:
        raise BadInput("--date", "required: the ledger records nothing yet")
    issued = issue_notices(ledger, day)
    if as_json:
        print_json({"through": day, "issued": issued})
        return
    console.print(ngettext("{count} notice issued through {day}", "{count} notices issued through {day}",
                           len(issued)).format(count=len(issued), day=day))


@notice_cli.command("deliver", help=_("Record a notice's delivery in writing, with the proof's reference (N3)."))
def notice_deliver(
    number: NoticeId,
    channel: Annotated[str, typer.Option("--channel", metavar="post", help=_(
        "How it was delivered: post (electronic delivery is the e-services', W8)."))],
    proof: Annotated[Optional[str], typer.Option("--proof", metavar="REF", help=_(
        "The delivery proof's reference."))] = None,
    on: Annotated[str, typer.Option("--date", metavar=DATE, help=_("The day it was delivered."))] = "",
    as_json: JsonFlag = False,
) -> None:
    if channel != "post":
        raise BadInput("--channel", f"{channel!r}: only post is recorded here; electronic delivery is the "
                                    "e-services' (W8)")
    view = deliver_notice(services.ledger(), number, channel, proof, require_date(on, "--date") if on else None)
    if as_json:
        print_json(view)
        return
    if view["deadline"] is None:  # an information notice (N6) gives no period
        console.print(line(_("notice {id} delivered on {delivered_on}"), view))
    else:
        console.print(line(_("notice {id} delivered on {delivered_on}; its period ends on {deadline}"), view))


@notice_cli.command("pdf", help=_("The notice as a printable PDF letter, in Greek, as issued (N5)."))
def notice_pdf(number: NoticeId, output: PdfFile) -> None:
    write_notice(number, output)
    console.print(line(_("wrote {file}"), file=output))


def write_notice(number: str, path: str) -> None:
    from ledger.documents.render import notice_pdf as render

    write_pdf(path, render(projected.notice_view(services.runner(), number)), "-o")


@enforcement_cli.command("record", help=_("Record an enforcement measure on a debtor's items; refused with the "
                                          "reason where the rules forbid it (N13)."))
def enforcement_record(
    afm: Afm,
    measure: Annotated[str, typer.Option("--measure", metavar="|".join(MEASURES), help=_("The measure."))],
    items: Annotated[str, typer.Option("--items", metavar="PERIOD:KIND,...", help=_(
        "The items it covers: PERIOD:KIND (or FUND:PERIOD:KIND), comma-separated."))],
    reference: Annotated[str, typer.Option("--reference", metavar=TEXT, help=_(
        "The measure's reference (the act that imposed it)."))],
    on: OnDate = None,
    as_json: JsonFlag = False,
) -> None:
    names = [name for name in items.split(",") if name.strip()]
    result = record_measure(services.ledger(), afm, measure, names, reference, parse_date(on, "--date"))
    if as_json:
        print_json(result)
        return
    console.print(line(_("recorded {measure} {id} on {afm}"), labels.shown(result)))


@enforcement_cli.command("lift", help=_("Lift an enforcement measure, with the reason (N9, N10)."))
def enforcement_lift(
    measure_id: Annotated[str, typer.Argument(metavar="MEASURE_ID", help=_("The measure's id (M-…)."),
                                              show_default=False)],
    reason: Reason, on: OnDate = None, as_json: JsonFlag = False,
) -> None:
    result = lift_measure(services.ledger(), measure_id, reason, parse_date(on, "--date"))
    if as_json:
        print_json(result)
        return
    console.print(line(_("lifted {id} on {lifted_on}"), result))


def show_notices(afm: Afm, as_json: JsonFlag = False) -> None:
    notices = projected.notices_view(services.runner(), afm)
    if as_json:
        print_json(notices)
        return
    console.print(table(_("Notices of {afm}").format(afm=afm), notices,
                        ["id", "kind", "issued_on", "total", "delivered_on", "channel", "deadline", "status"]))


def printed(view: dict[str, Any], pdf: str | None, document: str) -> bool:
    """``--pdf FILE``: write the view as its printed document; whether it did."""
    if pdf is None:
        return False
    write_document(view, pdf, document)
    console.print(line(_("wrote {file}"), file=pdf))
    return True


def write_document(view: dict[str, Any], path: str, document: str) -> None:
    """The clearance certificate (only for a clear debtor, V2) or the debt table as PDF."""
    from ledger.documents import render

    if document == "clearance":
        if not view["clear"]:
            raise BadInput("--pdf", f"{view['afm']} is not clear on {view['as_of']}: no certificate (V2)")
        debtor = projected.debt_table(services.runner(), view["afm"])  # its name and service
        write_pdf(path, render.clearance_pdf(view, debtor), "--pdf")
    else:
        write_pdf(path, render.debt_table_pdf(view), "--pdf")


def demo_report(ledger: Any, shown: dict[str, list[str]], refusals: list[str], folder: Path | None) -> None:
    """The demo's §10: a debtor's notices, the measures the rules refused, and (with a
    ``folder``) a notice and a certificate written as PDF there."""
    for afm in shown["notices"]:
        show_notices(afm)
    for refusal in refusals:
        console.print(line(_("refused: {reason}"), reason=labels.say(refusal)))
    if folder is not None:
        write_demo_documents(ledger, shown, folder)


def write_demo_documents(ledger: Any, shown: dict[str, list[str]], folder: Path) -> None:
    """The demo's last individual notice and a clearance certificate, as PDF files in ``folder``."""
    issued = [n for afm in shown["notices"] for n in notice_views.notices_view(ledger, afm) if n["kind"] == "individual_notice"]
    written = []
    for notice in issued[-1:]:
        written.append(f"{notice['id']}.pdf")
        write_notice(notice["id"], str(folder / written[-1]))
    for afm in shown["certificate"]:
        view = views.clearance(ledger, afm)
        if view["clear"]:
            written.append(f"clearance-{afm}.pdf")
            write_document(view, str(folder / written[-1]), "clearance")
    for name in written:  # its name only: the report reads the same every run
        console.print(line(_("wrote {file}"), file=name))


def register(cli: typer.Typer, show_cli: typer.Typer) -> None:
    cli.add_typer(notices_cli, name="notices")
    cli.add_typer(notice_cli, name="notice")
    cli.add_typer(enforcement_cli, name="enforcement")
    show_cli.command("notices", help=_("A debtor's notices, with their delivery and period (N2–N5)."))(show_notices)
