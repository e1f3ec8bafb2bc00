"""Suspense read model (P5): every bank payment's routing outcome and conflicts.

One row per bank payment (its fields, status, reason and the position of its
first event that put something in suspense, which orders the account as the
replayed view does) and one row per conflicting duplicate.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Column, Connection, Integer, MetaData, String, Table, Text

from aggregates.payment import BankPayment
from projections.base import Decoded, Projection, bulk_insert
from projections.db import Day, Money

SUSPENSE_EVENTS = ("Suspended", "ConflictingDuplicate", "ReceivedUnreadable")


class SuspenseProjection(Projection):
    name = "suspense"
    version = 1
    prefixes = ("keao:BankPayment.",)
    cost = 2.5

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
        touched, existing = self.evolve(conn, table, BankPayment, events, extra=("suspense_position",))
        conflicts: list[dict[str, Any]] = []
        for d in events:
            name = d.name
            if name in SUSPENSE_EVENTS:
                known = touched[d.originator_id][1]
                if known.get("suspense_position") is None:
                    known["suspense_position"] = d.position
            if name == "ConflictingDuplicate":
                c = {**d.event.content, "reason": d.event.reason}
                conflicts.append({"position": d.position, "payment_id": d.originator_id,
                                  **{k: c.get(k) for k in ("tx_id", "bank", "reference", "amount", "value_date",
                                                           "reason")}})
        rows: list[Any] = []
        for key, (p, known) in touched.items():
            assert isinstance(p, BankPayment)
            f = p.fields
            rows.append((
                key, f["tx_id"], f["bank"], f["reference"], _money(f["amount"]), _day(f["value_date"]), p.status,
                p.reason, p.source, p.target, p.target_id, known.get("suspense_position"), p.version,
                self.state_of(p),
            ))
        self.replace(conn, table, "id", existing, rows)
        if conflicts:
            bulk_insert(conn, tables["conflicts"], conflicts)


def _day(value: Any) -> str | None:
    return None if value is None else value.isoformat()


def _money(value: Any) -> str | None:
    return None if value is None else str(value)
