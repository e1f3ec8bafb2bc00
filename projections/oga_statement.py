"""The statement of OGA employers, part A (G17), from the read models: the employers
are found with two indexed queries, then read a chunk at a time (``preload``), so a
statement of thousands of businesses replays no debtor."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import or_, select

from aggregates.names import search_key
from aggregates.oga_statement import current_round
from aggregates.payment_forms import EMPLOYER_FORMS
from ledger.errors import BadInput
from ledger.oga_statement import employer_row, statement_json
from projections.base import chunks
from projections.reader import ProjectionReader, reading
from projections.runner import Runner

CHUNK = 500  # businesses read at a time


def employer_afms(reader: ProjectionReader, day: date) -> list[str]:
    """G17: the head offices of the businesses registered by ``day`` that are OGA
    employers: registered with a unit kind (G19, OGA's register of employers) or
    holding, in any unit, an OGA item of an employer's form (G10)."""
    debtors, items = reader.t["debt_table.debtors"], reader.t["debt_table.items"]
    with_items = select(items.c.debtor_id).where(items.c.fund == "OGA", items.c.form.in_(EMPLOYER_FORMS),
                                                 items.c.received_on <= day)
    found = reader.conn.execute(select(debtors.c.afm, debtors.c.parent_afm).where(
        or_(debtors.c.id.in_(with_items), debtors.c.unit_kind.is_not(None)), debtors.c.registered_on <= day))
    heads: set[str] = set()
    parents = {row.afm: row.parent_afm for row in found}
    while parents:  # a branch's business is its head office's (G16)
        heads.update(afm for afm, parent in parents.items() if parent is None)
        wanted = sorted({parent for parent in parents.values() if parent is not None})
        parents = {}
        for chunk in chunks(wanted, 900):
            parents.update((r.afm, r.parent_afm) for r in reader.conn.execute(
                select(debtors.c.afm, debtors.c.parent_afm).where(debtors.c.afm.in_(chunk))))
    return sorted(heads)


def statement(runner: Runner, day: date | None = None) -> dict[str, Any]:
    """G17 as of ``day`` (default: the ledger's current date), the businesses by name."""
    with reading(runner) as reader:
        day = day or reader.current_date()
        if day is None:
            raise BadInput("--date", "required: the ledger records nothing yet")
        notice_round = current_round(reader.settings.oga_rounds, day)
        debtors = reader.t["debt_table.debtors"]
        rows = []
        for chunk in chunks(employer_afms(reader, day), CHUNK):
            branches = list(reader.conn.scalars(select(debtors.c.afm).where(debtors.c.parent_afm.in_(chunk))))
            reader.preload([*chunk, *branches])
            rows += [employer_row(reader, reader.debtor(afm), day, notice_round) for afm in chunk]
        rows.sort(key=lambda row: (search_key(row["name"]), row["afm"]))
        return statement_json(day, notice_round, rows)
