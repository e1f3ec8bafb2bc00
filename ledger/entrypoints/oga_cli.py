"""The OGA commands of the ``ledger`` CLI (interfaces §1.5, domain §13): the monthly
contributions of wage-earners and invited workers and the invited workers' prepayment.
They price from the configured tables and read no ledger. ``ledger.entrypoints.cli``
registers them.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Optional

import typer

from aggregates.invited_workers import KINDS, Invitation, Payment, prepayment
from aggregates.oga_contributions import Pricing
from ledger import inputs
from ledger.entrypoints.options import DATE, JsonFlag, one_of
from ledger.entrypoints.output import console, line, print_json
from ledger.entrypoints.parsing import parse_date
from ledger.i18n import N_, _, money, ngettext
from ledger.settings import load_settings

oga_cli = typer.Typer(no_args_is_help=True, help=_("OGA contributions, invited workers' prepayment and the employers' statement (G1–G19)."))

Category = Annotated[int, typer.Option("--category", metavar="N", help=_(
    "The insurance category (5, 6, 7 in the 2012 table; an invited worker's is at least the 5th, G4)."))]
FromMonth = Annotated[str, typer.Option("--from", metavar="YYYY-MM", help=_("The first month."))]
Months = Annotated[int, typer.Option("--months", metavar="M", help=_("How many months, whole."))]
Kind = Annotated[str, typer.Option("--kind", metavar="KIND", help=_(
    "The invited worker's kind (G3): {kinds}.").format(kinds=one_of(KINDS)))]
Entry = Annotated[Optional[str], typer.Option("--entry", metavar=DATE, help=_(
    "The day the worker entered the country: an other invited worker prepays within 10 days of it (G9)."))]

KIND_WORDS = {"seasonal": N_("seasonal worker"), "fisherman": N_("fisherman"), "other": N_("other invited worker")}


def first_month(value: str) -> date:
    period = inputs.period(value, "--from")
    return date(int(period[:4]), int(period[5:]), 1)


def month(day: date) -> str:
    return f"{day:%Y-%m}"


def lines_of(pricing: Pricing) -> list[dict[str, Any]]:
    return [{"year": y.year, "months": y.months, "monthly": y.monthly, "amount": y.amount} for y in pricing.lines]


def payment_view(payment: Payment) -> dict[str, Any]:
    return {"from": month(payment.first_month), "months": payment.months, "amount": payment.amount,
            "fee": payment.fee, "form": payment.form, "due_date": payment.due_date,
            "lines": lines_of(payment.pricing)}


def print_lines(pricing: Pricing) -> None:
    for each in pricing.lines:  # the form's «ανάλυση εισφορών», one line a year (G6)
        console.print(line(_("  {months} × {monthly} ({year}) = {amount}"), months=each.months,
                           monthly=money(each.monthly), year=each.year, amount=money(each.amount)))


def print_fee(payment: Payment) -> None:
    if payment.fee is not None:
        console.print(line(_("  plus the bank's charge {fee}, not a contribution (G8)"), fee=money(payment.fee)))


@oga_cli.command("contributions", help=_("The monthly OGA contributions of a category over a run of months, each "
                                         "month at its year's figures; the employer owes the whole total "
                                         "(G1, G2, G6)."))
def contributions(category: Category, start: FromMonth, months: Months, as_json: JsonFlag = False) -> None:
    pricing = load_settings().oga.contributions.price(category, first_month(start), months)
    if as_json:
        print_json({
            "category": category, "from": start, "months": months,
            "per_month": [{"period": month(m.month), "category_amount": m.contribution.category_amount,
                           "pension": m.contribution.pension, "sickness": m.contribution.sickness,
                           "lae": m.contribution.lae, "insured": m.contribution.insured,
                           "employer": m.contribution.employer, "total": m.contribution.total}
                          for m in pricing.months],
            "lines": lines_of(pricing),
            "insured": pricing.insured, "employer": pricing.employer, "total": pricing.total,
        })
        return
    console.print(line(ngettext("OGA contributions, category {category}, {months} month from {start}",
                                "OGA contributions, category {category}, {months} months from {start}", months),
                       category=category, months=months, start=start))
    for priced in pricing.months:
        console.print(line(_("{period}  insured {insured}  employer {employer}  total {total}"),
                           period=month(priced.month), insured=money(priced.contribution.insured),
                           employer=money(priced.contribution.employer), total=money(priced.contribution.total)))
    print_lines(pricing)
    console.print(line(_("insured {insured}  employer {employer}  total {total}, all owed by the employer (G2)"),
                       insured=money(pricing.insured), employer=money(pricing.employer), total=money(pricing.total)))


@oga_cli.command("prepayment", help=_("An invited worker's prepayment of OGA contributions, its form and deadline, "
                                      "and the later payments (G3–G10)."))
def prepayment_command(kind: Kind, category: Category, start: FromMonth, months: Months, entry: Entry = None,
                       as_json: JsonFlag = False) -> None:
    invitation = Invitation(kind, category, first_month(start), months, parse_date(entry, "--entry"))
    plan = prepayment(invitation, load_settings().oga)
    prepaid = plan.prepaid
    if as_json:
        print_json({
            "kind": kind, "category": category, "from": start, "months": months, "entry": invitation.entry,
            "prepaid_months": prepaid.months, "amount": prepaid.amount, "fee": prepaid.fee, "form": prepaid.form,
            "deadline": prepaid.due_date, "lines": lines_of(prepaid.pricing),
            "rest": [payment_view(later) for later in plan.rest],
        })
        return
    console.print(line(ngettext("{kind}, category {category}, invited for {months} month from {start}",
                                "{kind}, category {category}, invited for {months} months from {start}", months),
                       kind=_(KIND_WORDS[kind]), category=category, months=months, start=start))
    console.print(line(ngettext("prepayment: {prepaid_months} month, {amount} on form {form}",
                                "prepayment: {prepaid_months} months, {amount} on form {form}", prepaid.months),
                       prepaid_months=prepaid.months, amount=money(prepaid.amount), form=prepaid.form))
    print_lines(prepaid.pricing)
    print_fee(prepaid)
    if prepaid.due_date is not None:
        console.print(line(_("  pay by {deadline} (G9)"), deadline=prepaid.due_date))
    for later in plan.rest:
        if later.due_date is None:
            console.print(line(ngettext("then: {months} month from {start}, {amount} on form {form}, with the special "
                                        "notice OGA sends after registration (G10)",
                                        "then: {months} months from {start}, {amount} on form {form}, with the special "
                                        "notice OGA sends after registration (G10)", later.months), months=later.months,
                               start=month(later.first_month), amount=money(later.amount), form=later.form))
        else:
            console.print(line(ngettext("then: {months} month from {start}, {amount} on form {form}, due {due_date} (G7)",
                                        "then: {months} months from {start}, {amount} on form {form}, due {due_date} "
                                        "(G7)", later.months),
                               months=later.months, start=month(later.first_month), amount=money(later.amount),
                               form=later.form, due_date=later.due_date))
        print_fee(later)


def register(cli: typer.Typer) -> None:
    cli.add_typer(oga_cli, name="oga")
