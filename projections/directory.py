"""The operators' directory (ευρετήριο οφειλετών), interfaces §1.7.

Event-driven rows: every debtor with its name's search key (``aggregates.names``),
service, parent and the funds that sent it debts; every arrangement's debtor; and
``changed``, the position of the last event of the debtor or of one of its
arrangements. The figures the lists show (total outstanding, clearance, each
arrangement's status as of the business date and since when) move with the date,
so they are not written here: ``projections.figures`` computes them into this
projection's ``figures`` tables for the debtors whose ``changed`` passed the last
refresh or whose figures the calendar moved, and a rebuild (a new slot) starts
them afresh.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    Connection,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    select,
    update,
)

from aggregates.debtor import ERASED
from aggregates.names import search_key
from projections.base import Decoded, Projection, bulk_insert, chunks, update_rows
from projections.db import Day, Money

ARRANGEMENT_PREFIX = "keao:Arrangement."


class DirectoryProjection(Projection):
    name = "directory"
    version = 1
    prefixes = ("keao:Debtor.", ARRANGEMENT_PREFIX)
    cost = 1.0
    extensions = ("pg_trgm",)  # the search keys' trigram index

    def define(self, metadata: MetaData, prefix: str) -> dict[str, Table]:
        return {
            "debtors": Table(
                f"{prefix}debtors", metadata,
                Column("afm", String(9), primary_key=True),
                Column("debtor_id", String(36), nullable=False, unique=True),
                Column("name", String, nullable=False),
                Column("search_key", String, nullable=False),
                Column("service", String, index=True),
                Column("parent_afm", String(9)),
                Column("changed", Integer, nullable=False, index=True),
                # a part of a name, ``LIKE '%…%'``: on PostgreSQL a trigram index finds it
                # without reading every row (on SQLite, a plain index on the key)
                Index(f"{prefix}debtors_by_search_key", "search_key", postgresql_using="gin",
                      postgresql_ops={"search_key": "public.gin_trgm_ops"}),
            ),
            "funds": Table(
                f"{prefix}funds", metadata,
                Column("debtor_id", String(36), primary_key=True),
                Column("fund", String(8), primary_key=True),
            ),
            "arrangements": Table(
                f"{prefix}arrangements", metadata,
                Column("id", String(36), primary_key=True),
                Column("afm", String(9), nullable=False),
            ),
            # Written by ``projections.figures``: each debtor's figures as of ``as_of``,
            # standing until ``changes_on`` (None: until an event) unless an event comes.
            "figures": Table(
                f"{prefix}figures", metadata,
                Column("afm", String(9), primary_key=True),
                Column("as_of", Day, nullable=False),
                Column("changes_on", Day, index=True),
                Column("total_outstanding", Money, nullable=False),
                Column("clear", Boolean, nullable=False),
            ),
            "arrangement_figures": Table(
                f"{prefix}arrangement_figures", metadata,
                Column("id", String(36), primary_key=True),
                Column("afm", String(9), nullable=False, index=True),
                Column("scheme", String(20), nullable=False),
                Column("status", String(12), nullable=False),
                Column("status_since", Day, nullable=False),
                Column("service", String),
                Column("remaining_balance", Money, nullable=False),
                Column("summary", Text, nullable=False),
                Index(f"{prefix}arrangement_figures_by_status", "status", "status_since"),
            ),
            # The last refresh: the business date it was for and the last ``changed`` it saw.
            "refreshed": Table(
                f"{prefix}refreshed", metadata,
                Column("id", Integer, primary_key=True),
                Column("as_of", Day, nullable=False),
                Column("changed", Integer, nullable=False),
            ),
        }

    def apply(self, conn: Connection, tables: dict[str, Table], events: Sequence[Decoded]) -> None:
        registered: dict[str, dict[str, Any]] = {}
        funds: set[tuple[str, str]] = set()
        applied: dict[str, str] = {}  # arrangement id → ΑΦΜ, for those applied for in this batch
        debtor_changed: dict[str, int] = {}
        arrangement_changed: dict[str, int] = {}
        erased: list[str] = []
        for d in events:
            if d.topic.startswith(ARRANGEMENT_PREFIX):
                if d.originator_version == 1:
                    applied[d.originator_id] = d.fields["debtor_afm"]
                arrangement_changed[d.originator_id] = d.position
                continue
            debtor_changed[d.originator_id] = d.position
            if d.name == "Registered":
                f = d.fields
                registered[d.originator_id] = {"afm": f["afm"], "debtor_id": d.originator_id, "name": f["name"],
                                               "search_key": search_key(f["name"]), "service": f["service"],
                                               "parent_afm": f["parent_afm"], "changed": d.position}
            elif d.name == "DebtTransferred":
                funds.update((d.originator_id, item["fund"]) for item in d.fields["items"])
            elif d.name == "PersonalDataErased":
                erased.append(d.originator_id)
        t = tables
        bulk_insert(conn, t["arrangements"], [{"id": key, "afm": afm} for key, afm in applied.items()])
        bulk_insert(conn, t["funds"], sorted(funds - _known_funds(conn, t["funds"], funds)))
        # ``changed``: the last position of an event of the debtor or of its arrangements
        changed: dict[str, int] = {}
        for afm, position in [*_afms_by(conn, t["debtors"].c.debtor_id, t["debtors"].c.afm,
                                        [k for k in debtor_changed if k not in registered], debtor_changed),
                              *((row["afm"], debtor_changed[key]) for key, row in registered.items()),
                              *_afms_by(conn, t["arrangements"].c.id, t["arrangements"].c.afm,
                                        list(arrangement_changed), arrangement_changed)]:
            changed[afm] = max(position, changed.get(afm, 0))
        for row in registered.values():
            row["changed"] = changed.pop(row["afm"])
        bulk_insert(conn, t["debtors"], list(registered.values()))
        update_rows(conn, t["debtors"], "afm", ("changed",), sorted(changed.items()))
        if erased:  # F3: the name and the key derived from it go with the debtor's key
            debtors = t["debtors"]
            conn.execute(update(debtors).where(debtors.c.debtor_id.in_(erased)).values(
                name=ERASED, search_key=search_key(ERASED)))


def _afms_by(conn: Connection, key: Any, afm: Any, ids: list[str], positions: dict[str, int]) -> list[tuple[str, int]]:
    """The ΑΦΜ of each of ``ids`` (by the ``key`` column), with its position."""
    found = []
    for chunk in chunks(ids, 900):
        found += [(r[1], positions[r[0]]) for r in conn.execute(select(key, afm).where(key.in_(chunk)))]
    return found


def _known_funds(conn: Connection, table: Table, pairs: set[tuple[str, str]]) -> set[tuple[str, str]]:
    found: set[tuple[str, str]] = set()
    for chunk in chunks(sorted({debtor_id for debtor_id, _ in pairs}), 900):
        found.update((r.debtor_id, r.fund) for r in conn.execute(select(table).where(table.c.debtor_id.in_(chunk))))
    return found
