"""Suspense read model (P5): every bank payment's routing outcome and conflicts.

One row per bank payment (its fields, status, reason and the position of its
first event that put something in suspense, which orders the account as the
replayed view does) and one row per conflicting duplicate.

The rows are written from the events' own fields, one handler per event, as
``BankPayment``'s events set them (version 2; version 1 kept each payment's
whole aggregate state to evolve it, which cost more than all the rest of a
payment's row: decoding it back, ``mutate``, encoding it again).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import Column, Connection, Integer, MetaData, String, Table

from projections.base import Decoded, Projection, bulk_insert, chunks
from projections.db import Day, Money

SUSPENSE_EVENTS = ("Suspended", "ConflictingDuplicate", "ReceivedUnreadable")
CONFLICT_FIELDS = ("tx_id", "bank", "reference", "amount", "value_date")


class SuspenseProjection(Projection):
    name = "suspense"
    version = 2
    prefixes = ("keao:BankPayment.",)
    cost = 1.5

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
        rows = self._earlier_rows(conn, table, events)
        earlier = set(rows)
        conflicts: list[dict[str, Any]] = []
        for d in events:
            name, f, key = d.name, d.fields, d.originator_id
            if name == "Received":  # P1; routed at once (P2) when it names its target
                target = f.get("target")
                rows[key] = {"id": key, "tx_id": f["tx_id"], "bank": f["bank"], "reference": f["reference"],
                             "amount": str(f["amount"]), "value_date": f["value_date"].isoformat(),
                             "status": "received" if target is None else "applied", "reason": None, "source": None,
                             "target": target, "target_id": f.get("target_id"), "suspense_position": None}
            elif name == "ReceivedUnreadable":  # §2.4: kept with its bytes, in suspense
                rows[key] = {"id": key, **dict.fromkeys(CONFLICT_FIELDS), "status": "suspense",
                             "reason": f["reason"], "source": f["source"], "target": None, "target_id": None,
                             "suspense_position": None}
            elif name == "Routed":  # P2, as recorded before Received carried the target
                rows[key].update(status="applied", target=f["target"], target_id=f["target_id"])
            elif name == "Suspended":  # P5
                rows[key].update(status="suspense", reason=f["reason"])
            elif name == "ConflictingDuplicate":
                content = f["content"]
                conflicts.append({"position": d.position, "payment_id": key, "reason": f["reason"],
                                  **{k: content.get(k) for k in CONFLICT_FIELDS}})
            else:
                raise ValueError(f"suspense read model: no handler for BankPayment.{name} (bump its version)")
            if name in SUSPENSE_EVENTS and rows[key]["suspense_position"] is None:
                rows[key]["suspense_position"] = d.position
        columns = [c.name for c in table.columns]
        self.replace(conn, table, "id", earlier, [tuple(row[c] for c in columns) for row in rows.values()])
        if conflicts:
            bulk_insert(conn, tables["conflicts"], conflicts)

    @staticmethod
    def _earlier_rows(conn: Connection, table: Table, events: Sequence[Decoded]) -> dict[str, dict[str, Any]]:
        """The rows of the payments whose events began before this batch (one
        query), amounts and dates in their stored form (text)."""
        first: dict[str, int] = {}
        for d in events:
            first.setdefault(d.originator_id, d.originator_version)
        wanted = [key for key, version in first.items() if version != 1]
        rows: dict[str, dict[str, Any]] = {}
        for chunk in chunks(wanted, 900):
            for row in conn.execute(table.select().where(table.c.id.in_(chunk))):
                rows[row.id] = {**row._mapping, "amount": _stored(row.amount), "value_date": _stored(row.value_date)}
        return rows


def _stored(value: Any) -> str | None:
    """An amount or a date as its column stores it."""
    return None if value is None else value.isoformat() if isinstance(value, date) else str(value)
