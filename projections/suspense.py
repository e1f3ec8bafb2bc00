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

SUSPENSE_EVENTS = ("Suspended", "ConflictingDuplicate", "ReceivedUnreadable", "RecallUnmatched")
CONFLICT_FIELDS = ("tx_id", "bank", "reference", "amount", "value_date")


class SuspenseProjection(Projection):
    name = "suspense"
    version = 3  # 3: resolutions by an operator (O2) and recalls (O3)
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
                Column("resolution", String(10)),  # O2: assigned, refunded (or recalled, O3)
                Column("resolution_target", String),
                Column("resolved_by", String),
                Column("resolved_on", Day),
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
                             "target": target, "target_id": f.get("target_id"), **UNRESOLVED}
            elif name == "ReceivedUnreadable":  # §2.4: kept with its bytes, in suspense
                rows[key] = {"id": key, **dict.fromkeys(CONFLICT_FIELDS), "status": "suspense",
                             "reason": f["reason"], "source": f["source"], "target": None, "target_id": None,
                             **UNRESOLVED}
            elif name == "RecallUnmatched":  # O3: a recall of nothing, kept with the reason
                rows[key] = {"id": key, **dict.fromkeys(CONFLICT_FIELDS), "tx_id": f["tx_id"], "bank": f["bank"],
                             "value_date": f["value_date"].isoformat(), "status": "suspense", "reason": f["reason"],
                             "source": None, "target": None, "target_id": None, **UNRESOLVED}
            elif name == "Assigned":  # O2
                rows[key].update(status="applied", target=f["target"], target_id=f["target_id"],
                                 **_resolution("assigned", f["reference"], d))
            elif name == "RefundOrdered":  # O2
                rows[key].update(status="refunded", **_resolution("refunded", None, d))
            elif name == "Recalled":  # O3: one in suspense is resolved by it
                if rows[key]["status"] == "suspense":
                    rows[key].update(_resolution("recalled", None, d))
                rows[key]["status"] = "recalled"
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
                rows[row.id] = {**row._mapping, "amount": _stored(row.amount), "value_date": _stored(row.value_date),
                                "resolved_on": _stored(row.resolved_on)}
        return rows


UNRESOLVED = {"suspense_position": None, "resolution": None, "resolution_target": None, "resolved_by": None,
              "resolved_on": None}


def _resolution(how: str, target: str | None, d: Decoded) -> dict[str, Any]:
    """O2: how, to what, by whom (O1) and on which business date a payment was resolved."""
    f = d.fields
    return {"resolution": how, "resolution_target": target, "resolved_by": f.get("actor"),
            "resolved_on": f["business_date"].isoformat()}


def _stored(value: Any) -> str | None:
    """An amount or a date as its column stores it."""
    return None if value is None else value.isoformat() if isinstance(value, date) else str(value)
