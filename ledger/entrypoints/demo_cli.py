"""``ledger demo``, the main job (README, set-up): a realistic ledger built on the store,
then the report an operator would look at, each part printed by the command that shows
it. ``ledger.entrypoints.cli`` registers it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console

from ledger import views
from ledger.entrypoints import apd_cli, notices_cli, oga_cli, queries_cli
from ledger.entrypoints.bootstrap import services
from ledger.entrypoints.options import DATE, FLAG
from ledger.entrypoints.output import console, line, table
from ledger.entrypoints.parsing import require_date
from ledger.errors import BadInput
from ledger.i18n import _

def demo(
    fresh: Annotated[bool, typer.Option("--fresh", metavar=FLAG, help=_(
        "Delete the SQLite ledger file first."))] = False,
    until: Annotated[str, typer.Option("--until", metavar=DATE, help=_("The last business date to run to."))
                     ] = "2022-12-31",
    pdf_dir: Annotated[Optional[str], typer.Option("--pdf-dir", metavar="DIR", help=_(
        "Where to write the notice and the certificate as PDF (default: beside the SQLite file; "
        "a PostgreSQL ledger writes them only with this option)."))] = None,
) -> None:
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    from ledger.demo import report_afms, run_demo
    from ledger.entrypoints.cli import audit, show_arrangement, show_debt_table, show_suspense
    from ledger.store.urls import is_postgres, masked, sqlite_path

    url = services.url()
    if fresh and not is_postgres(url):
        Path(sqlite_path(url)).unlink(missing_ok=True)
    ledger = services.ledger()
    if ledger.recorder.max_notification_id():
        raise BadInput("--db", f"{masked(url)} already holds a ledger: run with --fresh to start over")
    last = require_date(until, "--until")
    columns = (TextColumn("{task.description:<34}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=Console(stderr=True)) as progress:
        task = progress.add_task(_("building the demo ledger"), total=None)
        scenario = run_demo(
            ledger, lambda label, planned: progress.update(task, advance=1, total=planned, description=label[:34]), last
        )
    shown = report_afms(scenario)
    for afm in shown["debt_tables"]:
        show_debt_table(afm)
    clearances = [views.clearance(ledger, afm) for afm in shown["clearances"]]
    console.print(table(_("Clearances (ασφαλιστική ενημερότητα)"), clearances,
                        ["afm", "as_of", "clear", "valid_until", "basis", "reasons"]))
    show_suspense()
    for afm in shown["audit"]:
        for arrangement in ledger.arrangements_of(ledger.debtor(afm))[:1]:  # none yet with an early --until
            show_arrangement(arrangement.payment_code)
            audit(arrangement.payment_code)
    # §10; the PDF files beside the SQLite file, or in --pdf-dir
    folder = Path(pdf_dir) if pdf_dir else None if is_postgres(url) else Path(sqlite_path(url)).parent
    notices_cli.demo_report(ledger, shown, scenario.refusals, folder)
    for apd_id in filter(ledger.declared, shown["declarations"]):  # §12; none yet with an early --until
        apd_cli.show(ledger.declaration(apd_id), as_json=False)
    oga_cli.prepayment_command("seasonal", 5, "2012-04", 6)  # §13: a seasonal worker's prepayment
    queries_cli.summary()
    console.print(line(_("ledger written to {url}; try `ledger show debt-table {afm}`"), url=masked(url),
                       afm=shown["debt_tables"][0]))


def register(cli: typer.Typer) -> None:
    cli.command("demo", help=_("The main job: build a realistic ledger (all funds, all schemes, three years of "
                                "payments), close the days, and print debt tables, clearances and an audit."))(demo)
