"""V1 read model: debtors, their debt items and the payments on each item.

Append-only rows (no read before write): the debtor (service, parent, credit),
its units, its items as the funds transferred them, every allocation of a
payment with the debtor identity code to an item, the arrangements it joined,
and the ledger's business date. Surcharges and outstanding amounts depend on
the date asked, so they are computed at query time from these rows with the
domain's own ``Debtor.balance`` (see ``projections.reader``).
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    Integer,
    MetaData,
    String,
    Table,
    case,
    delete,
    insert,
    select,
    update,
)

from aggregates.debtor import ERASED, Debtor
from projections.base import Decoded, Projection, bulk_insert, update_rows
from projections.db import Day, Money


# The debtor's events whose fields make rows here (besides ``Debtor.PartsRecorded``'s).
WRITTEN = frozenset(("Registered", "UnitAdded", "DebtTransferred", "DebtAssessed", "DeclarationFiled",
                     "PersonalDataErased", "ArrangementJoined"))


class DebtTableProjection(Projection):
    name = "debt_table"
    # 2: recalls (O3), corrections (O4) and credit (O5) as parts of items' payments;
    # 3: the debtor's unit kind and legal form (G19), the items' payment forms (G10), the items
    # assessed from ΑΠΔ and the declarations each employer filed (K21, K1)
    version = 3
    prefixes = ("keao:Debtor.", "keao:BusinessDay.")
    cost = 1.0

    def define(self, metadata: MetaData, prefix: str) -> dict[str, Table]:
        return {
            "debtors": Table(
                f"{prefix}debtors", metadata,
                Column("id", String(36), primary_key=True),
                Column("afm", String(9), nullable=False, unique=True),
                Column("name", String, nullable=False),
                Column("service", String),
                Column("parent_afm", String(9)),
                Column("amka", String(11)),
                Column("unit_kind", String(2)),
                Column("legal_form", String(20)),
                Column("registered_on", Day, nullable=False),
                Column("created_on", String(40), nullable=False),
                Column("credit", Money, nullable=False),
                Column("version", Integer, nullable=False),
            ),
            "units": Table(
                f"{prefix}units", metadata,
                Column("position", Integer, primary_key=True),
                Column("debtor_id", String(36), nullable=False, index=True),
                Column("unit_afm", String(9), nullable=False),
            ),
            "items": Table(
                f"{prefix}items", metadata,
                Column("item_id", String, primary_key=True),
                Column("debtor_id", String(36), nullable=False, index=True),
                Column("position", Integer, nullable=False),
                Column("seq", Integer, nullable=False),
                Column("fund", String(8), nullable=False),
                Column("transfer_id", String, nullable=False),
                Column("period", String(7), nullable=False),
                Column("kind", String(40), nullable=False),
                Column("amount", Money, nullable=False),
                Column("due_date", Day, nullable=False),
                Column("received_on", Day, nullable=False),
                Column("form", String(3)),
                Column("apd_id", String),
            ),
            "payments": Table(
                f"{prefix}payments", metadata,
                Column("position", Integer, primary_key=True),
                Column("seq", Integer, primary_key=True),
                Column("debtor_id", String(36), nullable=False, index=True),
                Column("item_id", String, nullable=False),
                Column("tx_id", String, nullable=False),
                Column("part", String(10), nullable=False),
                Column("amount", Money, nullable=False),
                Column("value_date", Day, nullable=False),
            ),
            "arrangements": Table(
                f"{prefix}arrangements", metadata,
                Column("position", Integer, primary_key=True),
                Column("debtor_id", String(36), nullable=False, index=True),
                Column("arrangement_id", String(36), nullable=False),
                Column("scheme", String(20), nullable=False),
                Column("joined_on", Day, nullable=False),
            ),
            "declarations": Table(
                f"{prefix}declarations", metadata,
                Column("position", Integer, primary_key=True),
                Column("debtor_id", String(36), nullable=False, index=True),
                Column("apd_id", String, nullable=False),
            ),
            "calendar": Table(
                f"{prefix}calendar", metadata,
                Column("id", Integer, primary_key=True),
                Column("business_date", Day, nullable=False),
            ),
        }

    def apply(self, conn: Connection, tables: dict[str, Table], events: Sequence[Decoded]) -> None:
        debtors: dict[str, dict[str, Any]] = {}  # registered in this batch: written once, as the batch leaves them
        units: list[Any] = []
        items: list[Any] = []
        payments: list[Any] = []
        joined: list[Any] = []
        declarations: list[Any] = []
        credit: dict[str, Decimal] = {}
        versions: dict[str, int] = {}
        erased: list[str] = []
        business_date = None
        for d in events:
            if d.topic.startswith("keao:BusinessDay."):
                business_date = d.event.business_date
                continue
            kind = d.name
            debtor_id = d.originator_id
            versions[debtor_id] = d.originator_version
            parts = issubclass(d.codec.cls(d.topic), Debtor.PartsRecorded)
            if not parts and kind not in WRITTEN:
                continue  # only its version is written: not decoded (a notice sent, a correction held, ...)
            e = d.event
            if kind == "Registered":
                debtors[debtor_id] = {
                    "id": debtor_id, "afm": e.afm, "name": e.name, "service": e.service,
                    "parent_afm": e.parent_afm, "amka": e.amka, "unit_kind": e.unit_kind,
                    "legal_form": e.legal_form, "registered_on": e.business_date,
                    "created_on": e.timestamp.isoformat(), "credit": Decimal("0.00"), "version": 1,
                }
            elif kind == "UnitAdded":
                units.append((d.position, debtor_id, e.unit_afm))
            elif kind in ("DebtTransferred", "DebtAssessed"):  # D2; K21: the ΑΠΔ id is its "transfer"
                source = e.transfer_id if kind == "DebtTransferred" else e.apd_id
                for seq, item in enumerate(e.items):
                    items.append((item["item_id"], debtor_id, d.position, seq, item["fund"], source,
                                  item["period"], item["kind"], str(item["amount"]), item["due_date"].isoformat(),
                                  item["received_on"].isoformat(), item.get("form"), item.get("apd_id")))
            elif kind == "DeclarationFiled":
                declarations.append((d.position, debtor_id, e.apd_id))
            elif kind == "PersonalDataErased":
                erased.append(debtor_id)
            elif kind == "ArrangementJoined":
                joined.append((d.position, debtor_id, e.arrangement_id, e.scheme, e.business_date.isoformat()))
            elif parts:  # P2, O3–O5: parts of items' payments, and credit
                tx_id, parts, moved = e.recorded()
                for seq, part in enumerate(parts):
                    payments.append((d.position, seq, debtor_id, part["item_id"], tx_id, part["part"],
                                     str(part["amount"]), part["value_date"].isoformat()))
                credit[debtor_id] = credit.get(debtor_id, Decimal("0.00")) + moved
        for debtor_id, row in debtors.items():
            row["version"] = versions.pop(debtor_id)
            if debtor_id in credit:
                row["credit"] = row["credit"] + credit.pop(debtor_id)
        t = tables
        for table, rows in ((t["debtors"], list(debtors.values())), (t["units"], units), (t["items"], items),
                            (t["payments"], payments), (t["arrangements"], joined),
                            (t["declarations"], declarations)):
            bulk_insert(conn, table, rows)
        if versions:
            # Credit is text (exact decimals), so it is added here, not in SQL.
            debtors_t = t["debtors"]
            held = conn.execute(select(debtors_t.c.id, debtors_t.c.credit).where(debtors_t.c.id.in_(list(versions))))
            update_rows(conn, debtors_t, "id", ("version", "credit"),
                        [(row.id, versions[row.id], str(row.credit + credit.get(row.id, 0))) for row in held])
        if erased:  # F3: the plaintext copies go with the key
            debtors_t = t["debtors"]
            conn.execute(update(debtors_t).where(debtors_t.c.id.in_(erased)).values(
                name=ERASED, amka=case((debtors_t.c.amka.is_(None), None), else_=ERASED)))
        if business_date is not None:
            conn.execute(delete(t["calendar"]))
            conn.execute(insert(t["calendar"]), [{"id": 1, "business_date": business_date}])
