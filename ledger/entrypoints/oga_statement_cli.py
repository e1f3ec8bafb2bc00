"""``ledger oga statement`` (G17): the statement of OGA employers, part A, from the
read models (``projections.oga_statement``); ``ledger.entrypoints.cli`` imports
this module so that the command joins the ``oga`` sub-app."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from aggregates.oga_statement import ARRANGEMENT, INACTIVE, NO, YES
from ledger.entrypoints.bootstrap import services
from ledger.entrypoints.oga_cli import oga_cli
from ledger.entrypoints.options import DATE, JsonFlag
from ledger.entrypoints.output import console, print_json, table
from ledger.entrypoints.parsing import parse_date
from ledger.i18n import _
from projections import oga_statement

COLUMNS = ["afm", "name", "total_outstanding", "credit", "clear", "valid_until", "reasons"]


@oga_cli.command("statement", help=_(
    "The statement of OGA employers, part A (G17): each business's total owed or credit, its clearance "
    "(YES/NO by G16; empty in an arrangement; – when sent no notice) until the deadline, and remarks."))
def statement(
    on: Annotated[Optional[str], typer.Option("--date", metavar=DATE, help=_(
        "The statement's date (default: the ledger's business date)."))] = None,
    as_json: JsonFlag = False,
) -> None:
    view = oga_statement.statement(services.runner(), parse_date(on, "--date"))
    if as_json:
        print_json(view)
        return
    marks = {YES: _("YES"), NO: _("NO"), ARRANGEMENT: "", INACTIVE: "–"}  # «ΝΑΙ», «ΟΧΙ», empty, «–»
    rows = [{"afm": e["afm"], "name": e["name"], "total_outstanding": e["total_owed"], "credit": e["credit"],
             "clear": marks[e["clearance"]], "valid_until": e["clear_until"], "reasons": e["remarks"] + e["reasons"]}
            for e in view["employers"]]
    console.print(table(_("OGA employers, part A, on {day}: contributions {contributions}, payable by {deadline}")
                        .format(day=view["as_of"], contributions=view["contributions"], deadline=view["deadline"]),
                        rows, COLUMNS))
