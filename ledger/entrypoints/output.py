"""What the command line prints: JSON (interfaces §1.1) or rich tables.

Whatever the ledger stored came from a bank, a fund or an operator, so it is
printed as text and nothing else: never read as rich markup (``[/x]`` in a
reference once crashed every table that showed it), and with the characters a
terminal would execute, reorder or hide shown escaped (``printable``). The
program's own styling (bold, the green or red verdict) is ``Text`` styles.
"""

from __future__ import annotations

import json
import sys
import unicodedata
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from string import Formatter
from typing import Any
from uuid import UUID

from rich.cells import cell_len
from rich.console import Console
from rich.table import Table
from rich.text import Text

from ledger.entrypoints.labels import MONEY, PROSE, cell, label, shown
from ledger.i18n import _

# No markup and no :emoji: codes even in a plain string printed by mistake. Soft wrap:
# a line is never cut at the terminal's width (nor folded by rich: the terminal or
# the pager wraps it), so a table wider than the terminal is printed whole.
console = Console(markup=False, emoji=False, soft_wrap=True)

# Cc: the C0 and C1 controls (ESC, CR, LF, BEL…) a terminal executes; Cf: the
# format characters, among them the bidirectional marks, embeddings, overrides
# and isolates (U+200E, U+202A–U+202E, U+2066–U+2069) that reorder a line and
# the zero-width ones (U+200B–U+200D, U+2060, U+FEFF) that hide text; Zl, Zp:
# the line and paragraph separators; Cs: lone surrogates, which no terminal encoding holds.
UNSAFE_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs"})


def plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    raise TypeError(f"not JSON: {value!r}")


def compact_json(data: Any) -> str:
    """``data`` on one line as ``--json`` writes it (``{"amount": "1967.40"}``), for a table cell."""
    return json.dumps(data, default=plain, ensure_ascii=False)


def print_json(data: Any) -> None:
    # JSON escapes the control characters itself; bidi marks inside JSON strings are kept as data.
    sys.stdout.write(json.dumps(data, default=plain, ensure_ascii=False, indent=2) + "\n")


def printable(value: Any) -> str:
    """``value`` as text, each character of ``UNSAFE_CATEGORIES`` written as its
    Python escape (``\\x1b``, ``\\r``, ``\\u202e``); everything else, backslashes
    and brackets included, as it is, so escaping twice changes nothing."""
    raw = "" if value is None else str(plain(value) if isinstance(value, (Decimal, date, UUID)) else value)
    if raw.isprintable():  # the usual case, checked in C; it is False for every unsafe character
        return raw
    return "".join(
        char.encode("unicode_escape").decode("ascii") if unicodedata.category(char) in UNSAFE_CATEGORIES else char
        for char in raw
    )


def text(value: Any, style: str = "") -> Text:
    """``value`` as a rich ``Text``: printed literally (``printable``), never read as markup."""
    return Text(printable(value), style=style)


def line(template: str, values: Mapping[str, Any] | None = None, /, **more: Any) -> Text:
    """The program's words of ``template`` with each ``{field}`` replaced by the
    field of ``values`` (or ``more``, which wins) shown as ``text``; a value the
    program styled itself is a ``Text`` and is kept as it is. Fields take no format spec."""
    fields = {**(values or {}), **more}
    parts: list[str | Text] = []
    for words, field, _spec, _conversion in Formatter().parse(template):
        parts.append(words)
        if field is not None:
            value = fields[field]
            parts.append(value if isinstance(value, Text) else text(value))
    return Text.assemble(*parts)


def table(title: str, rows: list[dict[str, Any]], columns: list[str]) -> Table:
    """``rows`` under the labels of ``columns`` (JSON keys, ``labels.COLUMNS``), each
    cell as ``labels.cell`` shows it. No figure, reference or word is ever cut:
    a column is never narrower than its widest cell, or, in ``labels.PROSE``, than
    its longest word; too wide for the terminal, the table takes the width it needs."""
    out = Table(title=text(title), show_lines=False)
    cells = {column: [text(cell(column, row.get(column))) for row in rows] for column in columns}
    for column in columns:
        header = text(label(column))
        out.add_column(header, justify="right" if column in MONEY else "left", overflow="fold",
                       min_width=narrowest(header, cells[column], column in PROSE))
    for row in zip(*cells.values()):
        out.add_row(*row)
    return out


def narrowest(header: Text, cells: list[Text], prose: bool) -> int:
    """The least width that cuts nothing: the header's longest word, and each cell
    whole, or in prose its longest word."""
    pieces = header.plain.split()
    for each in cells:
        pieces.extend(each.plain.split() if prose else [each.plain])
    return max(map(cell_len, pieces), default=1)


def show_arrangement_table(view: dict[str, Any]) -> None:
    words = shown(view)
    console.print(line(_("{payment_code}  {scheme}  debtor {debtor_afm}  status {status}  joined {joined_on}  "
                         "as of {as_of}"), words, payment_code=text(view["payment_code"], "bold"),
                       status=text(words["status"], "bold")))
    console.print(line(_("capital {capital}  interest {interest_total}  arrears {arrears}  "
                         "remaining {remaining_balance}  credit {credit}"), words))
    if view["rejection_reason"]:
        console.print(line(_("rejected: {rejection_reason}"), words))
    if view["loss_reason"]:
        console.print(line(_("lost on {lost_on}: {loss_reason}"), words))
    if view["instalments"]:
        console.print(table(_("Instalments"), view["instalments"],
                            ["number", "due_date", "capital", "interest", "surcharge", "total_due", "paid", "status"]))


def show_debt_table_view(view: dict[str, Any]) -> None:
    """The debt table (V1): its header line, its items with their totals, its arrangements."""
    words = shown(view)
    console.print(line(_("{afm} {name}  service {service}  as of {as_of}  total outstanding {total_outstanding}  "
                         "enforcement {enforcement}  identity code {identity_code}"), words,
                       afm=text(view["afm"], "bold"),
                       total_outstanding=text(words["total_outstanding"], "bold")))
    # V1: the last row is the totals, what each column adds up to.
    totals = {"fund": _("total"), **view["totals"]}
    # An OGA item's payment form (G10) and an assessed item's ΑΠΔ (K21), only in a table that has them.
    sources = [c for c in ("form", "apd_id") if any(item.get(c) for item in view["items"])]
    console.print(table(_("Debt items"), [*view["items"], totals],
                        ["fund", *sources, "period", "kind", "due_date", "amount", "surcharges", "interest", "paid",
                         "outstanding", "status", "arrangement"]))
    if view["arrangements"]:
        console.print(table(_("Arrangements"), view["arrangements"],
                            ["payment_code", "scheme", "status", "capital", "interest_total", "instalment_count",
                             "paid_instalments", "arrears", "next_due_date", "next_due_amount", "remaining_balance"]))
    # N14: the notices and enforcement measures, where there are any
    if view.get("notices"):
        console.print(table(_("Notices"), view["notices"],
                            ["id", "kind", "issued_on", "total", "delivered_on", "deadline", "status"]))
    if view.get("measures"):
        rows = [m | {"items": ", ".join(m["items"]), "act": m["reference"]} for m in view["measures"]]
        console.print(table(_("Enforcement measures"), rows, ["id", "measure", "items", "act", "recorded_on", "lifted_on"]))
