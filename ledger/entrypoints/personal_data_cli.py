"""``ledger personal-data erase AFM --reason R`` (interfaces §1.6, domain F3): a debtor's
personal data crypto-shredded. ``ledger.entrypoints.cli`` registers it."""

from __future__ import annotations

import typer

from ledger.entrypoints import labels
from ledger.entrypoints.bootstrap import services
from ledger.entrypoints.options import Afm, JsonFlag, OnDate, Reason
from ledger.entrypoints.output import console, line, print_json
from ledger.entrypoints.parsing import parse_date
from ledger.handlers.personal_data import erase_personal_data
from ledger.i18n import _, ngettext
from projections.rebuild import drop_stale_tables

personal_data_cli = typer.Typer(no_args_is_help=True, help=_("Debtors' personal data: names, ΑΜΚΑ, IBANs (F3)."))


@personal_data_cli.command("erase", help=_(
    "Erase a debtor's personal data by destroying its key: its name, ΑΜΚΑ and IBANs then read as "
    "[erased] everywhere, its figures and the chain unchanged (F3). Recorded with its actor and reason."))
def erase(afm: Afm, reason: Reason, on: OnDate = None, as_json: JsonFlag = False) -> None:
    outcome = erase_personal_data(services.ledger(), afm, reason, parse_date(on, "--date"))
    # The read models scrub their copies on the erasure's event: now, not at their next
    # catch-up; a rebuild's previous slot, which would keep them, goes.
    runner = services.runner()
    runner.catch_up()
    drop_stale_tables(runner)
    result = {"afm": afm, "status": outcome.status, "keys_destroyed": int(outcome.target or 0),
              "reason": outcome.reason}
    if as_json:
        print_json(result)
        return
    console.print(line(ngettext("{status}: {afm}, {keys_destroyed} key destroyed",
                                "{status}: {afm}, {keys_destroyed} keys destroyed", result["keys_destroyed"]),
                       result, status=labels.outcome(outcome.status)))


def register(cli: typer.Typer) -> None:
    cli.add_typer(personal_data_cli, name="personal-data")
