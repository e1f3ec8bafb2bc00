"""The operators' questions of the ``ledger`` CLI (interfaces §1.7): ``debtor list``,
``debtor search``, ``arrangement list`` and ``summary``, answered by
``projections.queries``; ``ledger.entrypoints.cli`` registers them."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from aggregates.debtor import FUNDS
from ledger.entrypoints import labels
from ledger.entrypoints.bootstrap import services
from ledger.entrypoints.options import DATE, SCHEMES, TEXT, JsonFlag, one_of
from ledger.entrypoints.output import console, line, print_json, table
from ledger.entrypoints.parsing import parse_date
from ledger.errors import BadInput
from ledger.i18n import _
from projections import queries
from projections.queries import STATUSES, Page

Service = Annotated[Optional[str], typer.Option("--service", metavar=TEXT, help=_(
    "Only those of debtors of this KEAO service, as registered."))]
PageNumber = Annotated[int, typer.Option("--page", metavar="N", help=_(
    "Which page of {rows} rows (1 is the first).").format(rows=queries.PAGE))]
ARRANGEMENT_COLUMNS = ["payment_code", "debtor_afm", "scheme", "status", "status_since", "remaining_balance",
                       "arrears", "next_due_date"]


def debtor_list(
    service: Service = None,
    fund: Annotated[Optional[str], typer.Option("--fund", metavar="FUND", help=_(
        "Only the debtors with debts from this fund: {funds}.").format(funds=one_of(FUNDS)))] = None,
    clear: Annotated[Optional[str], typer.Option("--clear", metavar="yes|no", help=_(
        "Only the debtors clear (yes) or not clear (no) today (V2)."))] = None,
    page: PageNumber = 1, as_json: JsonFlag = False,
) -> None:
    if fund is not None and fund not in FUNDS:
        raise BadInput("--fund", f"must be one of {one_of(FUNDS)}, not {fund!r}")
    if clear not in (None, "yes", "no"):
        raise BadInput("--clear", f"must be yes or no, not {clear!r}")
    with queries.answering(services.runner()) as reader:
        found = queries.debtor_list(reader, service, fund, None if clear is None else clear == "yes", page)
    _show_debtors(_("Debtors"), found, as_json)


def debtor_search(
    text: Annotated[str, typer.Argument(metavar="TEXT", help=_(
        "Part of a name (accents and case ignored), or the first digits of an ΑΦΜ."), show_default=False)],
    page: PageNumber = 1, as_json: JsonFlag = False,
) -> None:
    with queries.answering(services.runner()) as reader:
        found = queries.debtor_search(reader, text, page)
    _show_debtors(_("Debtors found by “{text}”").format(text=text), found, as_json)


def _show_debtors(title: str, found: Page, as_json: bool) -> None:
    if as_json:
        print_json(found.rows)
        return
    console.print(table(_page_title(title, found), found.rows, list(queries.DEBTOR_COLUMNS)))


def arrangement_list(
    status: Annotated[Optional[str], typer.Option("--status", metavar="STATUS", help=_(
        "Only those with this status today: {statuses}.").format(statuses=one_of(STATUSES)))] = None,
    scheme: Annotated[Optional[str], typer.Option("--scheme", metavar="SCHEME", help=_(
        "Only this scheme: {schemes}.").format(schemes=one_of(SCHEMES)))] = None,
    service: Service = None,
    since: Annotated[Optional[str], typer.Option("--since", metavar=DATE, help=_(
        "Only those that took their status on or after this day."))] = None,
    until: Annotated[Optional[str], typer.Option("--until", metavar=DATE, help=_(
        "Only those that took their status on or before this day."))] = None,
    page: PageNumber = 1, as_json: JsonFlag = False,
) -> None:
    if scheme is not None and scheme not in SCHEMES:
        raise BadInput("--scheme", f"must be one of {one_of(SCHEMES)}, not {scheme!r}")
    first, last = parse_date(since, "--since"), parse_date(until, "--until")
    with queries.answering(services.runner()) as reader:
        found = queries.arrangement_list(reader, status, scheme, service, first, last, page)
    if as_json:
        print_json(found.rows)
        return
    console.print(table(_page_title(_("Arrangements"), found), found.rows, ARRANGEMENT_COLUMNS))


def summary(as_json: JsonFlag = False) -> None:
    with queries.answering(services.runner()) as reader:
        answer = queries.summary(reader)
    if as_json:
        print_json(answer)
        return
    totals = answer["debtors"]
    console.print(line(_("Ledger as of {as_of}: {count} debtors, {not_clear} not clear, {total_outstanding} "
                         "outstanding"), labels.shown(totals), as_of=answer["as_of"]))
    console.print(table(_("Debtors by service"), answer["by_service"],
                        ["service", "debtors", "not_clear", "total_outstanding"]))
    console.print(table(_("Arrangements by status"), answer["arrangements_by_status"],
                        ["status", "count", "remaining_balance"]))
    console.print(table(_("Arrangements by scheme"), answer["arrangements_by_scheme"],
                        ["scheme", "count", "remaining_balance"]))
    console.print(line(_("Suspense account: {items} items, {amount} ({not_in_euro} of them without an amount in EUR)"),
                       labels.shown(answer["suspense"])))


def _page_title(title: str, found: Page) -> str:
    return _("{title} as of {as_of}: page {page} of {pages}, {count} in all").format(
        title=title, as_of=found.as_of, page=found.page, pages=found.pages, count=found.count)


def register(cli: typer.Typer, debtor_cli: typer.Typer, arrangement_cli: typer.Typer) -> None:
    debtor_cli.command("list", help=_(
        "Debtors with their service, total outstanding and clearance today, by ΑΦΜ, a page at a time."))(debtor_list)
    debtor_cli.command("search", help=_(
        "Find debtors by part of a name or the first digits of an ΑΦΜ."))(debtor_search)
    arrangement_cli.command("list", help=_(
        "Arrangements by the status they have today and the day they took it, their scheme and "
        "service."))(arrangement_list)
    cli.command("summary", help=_(
        "Counts and sums of the ledger by status, scheme and service; the suspense total."))(summary)
