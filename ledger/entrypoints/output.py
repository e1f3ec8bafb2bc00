"""What the command line prints: JSON (interfaces §1.1) or rich tables."""

from __future__ import annotations

import json
import sys
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from rich.console import Console
from rich.table import Table

console = Console()


def plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    raise TypeError(f"not JSON: {value!r}")


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, default=plain, ensure_ascii=False, indent=2) + "\n")


def text(value: Any) -> str:
    return "" if value is None else str(plain(value) if isinstance(value, (Decimal, date, UUID)) else value)


def table(title: str, rows: list[dict[str, Any]], columns: list[str]) -> Table:
    out = Table(title=title, show_lines=False)
    for column in columns:
        out.add_column(column, justify="right" if column in MONEY_COLUMNS else "left")
    for row in rows:
        out.add_row(*(text(row.get(column)) for column in columns))
    return out


MONEY_COLUMNS = {"amount", "capital", "interest", "surcharge", "surcharges", "paid", "outstanding",
                 "remaining_balance", "arrears", "next_due_amount"}


def show_arrangement_table(view: dict[str, Any]) -> None:
    console.print(
        f"[bold]{view['payment_code']}[/bold]  {view['scheme']}  debtor {view['debtor_afm']}  "
        f"status [bold]{view['status']}[/bold]  joined {view['joined_on']}  as of {view['as_of']}"
    )
    console.print(f"capital {view['capital']}  interest {view['interest_total']}  arrears {view['arrears']}  "
                  f"remaining {view['remaining_balance']}  credit {view['credit']}")
    if view["rejection_reason"]:
        console.print(f"rejected: {view['rejection_reason']}")
    if view["loss_reason"]:
        console.print(f"lost on {view['lost_on']}: {view['loss_reason']}")
    if view["instalments"]:
        console.print(table("Instalments", view["instalments"],
                            ["number", "due_date", "capital", "interest", "surcharge", "amount", "paid", "status"]))
