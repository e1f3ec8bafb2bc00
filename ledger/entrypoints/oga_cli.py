"""The OGA commands of the ``ledger`` CLI (interfaces §1.5, domain §13): the monthly
contributions of wage-earners and invited workers and the invited workers' prepayment.
They price from the configured tables and read no ledger. ``ledger.entrypoints.cli``
registers them.
"""

from __future__ import annotations

import typer

from ledger.i18n import _

oga_cli = typer.Typer(no_args_is_help=True, help=_("OGA contributions and invited workers' prepayment (G1–G9)."))


def register(cli: typer.Typer) -> None:
    cli.add_typer(oga_cli, name="oga")
