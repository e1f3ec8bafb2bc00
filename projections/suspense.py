"""Suspense read model (P5): every bank payment's routing outcome and conflicts.

One row per bank payment (its fields, status, reason and the position of its
first event that put something in suspense, which orders the account as the
replayed view does) and one row per conflicting duplicate.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Column, Connection, Integer, MetaData, String, Table, Text, insert

from aggregates.payment import BankPayment
from projections.base import Decoded, Projection, bulk_insert
from projections.db import Day, Money

SUSPENSE_EVENTS = ("Suspended", "ConflictingDuplicate", "ReceivedUnreadable")


class SuspenseProjection(Projection):
    name = "suspense"
    version = 1
    prefixes = ("keao:BankPayment.",)

    def define(self, metadata: MetaData, prefix: str) -> dict[str, Table]:
        return {
            "payments": Table(
                f"{prefix}payments", metadata,
                Column("id", String(36), primary_key=True),
                Column("tx_id", String),
                Column("bank", String),
                Column("reference", String),
                Column("amount", Money),
                Column("value_date", Day),
                Column("status", String(10), nullable=False),
                Column("reason", String),
                Column("source", String),
                Column("target", String(12)),
                Column("target_id", String(36)),
                Column("suspense_position", Integer, index=True),
                Column("version", Integer, nullable=False),
                Column("state", Text, nullable=False),
            ),
            "conflicts": Table(
                f"{prefix}conflicts", metadata,
                Column("position", Integer, primary_key=True),
                Column("payment_id", String(36), nullable=False, index=True),
                Column("tx_id", String),
                Column("bank", String),
                Column("reference", String),
                Column("amount", Money),
                Column("value_date", Day),
                Column("reason", String),
            ),
        }

    def apply(self, conn: Connection, tables: dict[str, Table], events: Sequence[Decoded]) -> None:
        table = tables["payments"]
        touched = self.evolve(conn, table, BankPayment, events)
        first_suspense: dict[str, int] = {}
        conflicts: list[dict[str, Any]] = []
        for d in events:
            if d.name in SUSPENSE_EVENTS:
                first_suspense.setdefault(str(d.event.originator_id), d.position)
            if d.name == "ConflictingDuplicate":
                c = {**d.event.content, "reason": d.event.reason}
                conflicts.append({"position": d.position, "payment_id": str(d.event.originator_id),
                                  **{k: c.get(k) for k in ("tx_id", "bank", "reference", "amount", "value_date",
                                                           "reason")}})
        ids = [str(i) for i in touched]
        known = {}
        if ids:
            for row in conn.execute(table.select().with_only_columns(table.c.id, table.c.suspense_position)
                                    .where(table.c.id.in_(ids))):
                known[row.id] = row.suspense_position
        rows = []
        for aggregate_id, p in touched.items():
            assert isinstance(p, BankPayment)
            key = str(aggregate_id)
            f = p.fields
            rows.append({
                "id": key, "tx_id": f["tx_id"], "bank": f["bank"], "reference": f["reference"],
                "amount": f["amount"], "value_date": f["value_date"], "status": p.status, "reason": p.reason,
                "source": p.source, "target": p.target, "target_id": p.target_id,
                "suspense_position": known.get(key) or first_suspense.get(key),
                "version": p.version, "state": self.state_of(p),
            })
        self.replace(conn, table, "id", ids, rows)
        if conflicts:
            bulk_insert(conn, tables["conflicts"], conflicts)
