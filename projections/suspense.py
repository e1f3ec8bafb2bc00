"""Suspense read model (P5, O2): every bank payment's routing outcome and its items.

One row per bank payment (its content, status, reason, how many versions the bank
sent again and its open suspense item, if any), one row per version beyond the
first (the first copied there when the second arrives; before that, the payment's
row is it) and one row per resolved item. ``ProjectionReader.suspense`` words them
with ``views.suspense_row``, as the replayed view words ``BankPayment``'s items.

The rows are written from the events' own fields, one handler per event, as
``BankPayment``'s events set them (version 2; version 1 kept each payment's
whole aggregate state to evolve it, which cost more than all the rest of a
payment's row: decoding it back, ``mutate``, encoding it again).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import Boolean, Column, Connection, Integer, MetaData, String, Table

from projections.base import Decoded, Projection, bulk_insert, chunks
from projections.db import Day, Money

CONTENT = ("tx_id", "bank", "reference", "amount", "currency", "value_date", "payer_afm")
VERSION = ("reference", "amount", "currency", "value_date", "payer_afm")
OPEN = ("open_first", "open_holds", "open_reason", "open_position")
RESOLVING = {"Assigned": "assigned", "RefundOrdered": "refunded", "Dismissed": "dismissed"}  # O2


class SuspenseProjection(Projection):
    name = "suspense"
    # 3: resolutions by an operator (O2) and recalls (O3); 4: one item per transaction,
    # its versions in a history, resolved once, dismissals (O2, P5)
    version = 4
    prefixes = ("keao:BankPayment.",)
    cost = 1.5

    def define(self, metadata: MetaData, prefix: str) -> dict[str, Table]:
        return {
            "payments": Table(
                f"{prefix}payments", metadata,
                Column("id", String(36), primary_key=True),
                Column("tx_id", String),
                Column("bank", String),
                *_content_columns(),
                Column("received_on", Day),
                Column("status", String(10), nullable=False),
                Column("reason", String),
                Column("source", String),
                Column("target", String(12)),
                Column("target_id", String(36)),
                Column("resent", Integer, nullable=False),  # versions beyond the first (P5)
                Column("open_first", Integer),  # the open item (O2): its first version,
                Column("open_holds", Boolean),  # whether the payment itself waits in it,
                Column("open_reason", String),
                Column("open_position", Integer, index=True),  # and the event that opened it
            ),
            "versions": Table(
                f"{prefix}versions", metadata,
                Column("payment_id", String(36), primary_key=True),
                Column("number", Integer, primary_key=True),  # 0: the first received
                Column("received_on", Day),
                *_content_columns(),
                Column("reason", String),
            ),
            "resolved": Table(
                f"{prefix}resolved", metadata,
                Column("position", Integer, primary_key=True),  # of the event that resolved it
                Column("payment_id", String(36), nullable=False, index=True),
                Column("opened_position", Integer, nullable=False),
                Column("first", Integer, nullable=False),
                Column("until", Integer, nullable=False),
                Column("holds", Boolean, nullable=False),
                Column("reason", String),
                Column("resolution", String(10), nullable=False),  # O2: assigned, refunded, dismissed; O3: recalled
                Column("target", String),
                Column("actor", String),
                Column("resolved_on", Day),
            ),
        }

    def apply(self, conn: Connection, tables: dict[str, Table], events: Sequence[Decoded]) -> None:
        table = tables["payments"]
        rows = self._earlier_rows(conn, table, events)
        earlier = set(rows)
        versions: list[tuple[Any, ...]] = []
        resolved: list[tuple[Any, ...]] = []
        for d in events:
            name, f, key = d.name, d.fields, d.originator_id
            if name in ("Received", "ReceivedUnreadable", "RecallUnmatched"):
                rows[key] = _received(d)
                continue
            row = rows[key]
            if name in RESOLVING or (name == "Recalled" and row["status"] == "suspense"):
                resolved.append(_resolved(row, d))  # O2; O3: a recall resolves one in suspense
                row.update(dict.fromkeys(OPEN))
            if name == "Assigned":  # O2
                row.update(status="applied", target=f["target"], target_id=f["target_id"])
            elif name == "RefundOrdered":  # O2
                row["status"] = "refunded"
            elif name == "Recalled":  # O3
                row["status"] = "recalled"
            elif name == "Routed":  # P2, as recorded before Received carried the target
                row.update(status="applied", target=f["target"], target_id=f["target_id"])
            elif name == "Suspended":  # P5: the payment waits in its item
                row.update(status="suspense", reason=f["reason"], open_first=0, open_holds=True,
                           open_reason=f["reason"], open_position=d.position)
            elif name in ("ConflictingDuplicate", "ReceivedAgain"):  # P5: a version in the open item
                versions += _resent(row, d)
            elif name != "Dismissed":
                raise ValueError(f"suspense read model: no handler for BankPayment.{name} (bump its version)")
        columns = [c.name for c in table.columns]
        self.replace(conn, table, "id", earlier, [tuple(row[c] for c in columns) for row in rows.values()])
        bulk_insert(conn, tables["versions"], versions)
        bulk_insert(conn, tables["resolved"], resolved)

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
                                "received_on": _stored(row.received_on)}
        return rows


def _content_columns() -> list[Column]:
    return [Column("reference", String), Column("amount", Money), Column("currency", String),
            Column("value_date", Day), Column("payer_afm", String)]


def _received(d: Decoded) -> dict[str, Any]:
    """P1 (routed at once, P2, when it names its target); §2.4 an unreadable message and
    O3 a recall of nothing, each kept in suspense, in its own item, from the start."""
    f = d.fields
    content = {k: _stored(f.get(k)) for k in CONTENT}
    target = f.get("target")
    kept = d.name != "Received"
    return {"id": d.originator_id, **content, "received_on": _stored(f["business_date"]),
            "status": "suspense" if kept else "received" if target is None else "applied",
            "reason": f.get("reason"), "source": f.get("source"), "target": target, "target_id": f.get("target_id"),
            "resent": 0, "open_first": 0 if kept else None, "open_holds": True if kept else None,
            "open_reason": f["reason"] if kept else None, "open_position": d.position if kept else None}


def _resent(row: dict[str, Any], d: Decoded) -> list[tuple[Any, ...]]:
    """P5: the version rows a version received again adds (the first one too, when it is
    the second); it joins the open item or opens one (O2). ``ReceivedAgain`` of a payment
    in suspense makes it the payment's content; ``ConflictingDuplicate`` never did."""
    f = d.fields
    added = []
    if row["resent"] == 0:
        added.append((row["id"], 0, row["received_on"], *(row[k] for k in VERSION), row["reason"]))
    row["resent"] += 1
    content = {k: _stored(f["content"].get(k)) for k in VERSION}
    added.append((row["id"], row["resent"], _stored(f["business_date"]), *content.values(), f["reason"]))
    if d.name == "ReceivedAgain" and row["status"] == "suspense":
        row.update(content)
    if row["open_position"] is None:
        row.update(open_first=row["resent"], open_holds=False, open_reason=f["reason"], open_position=d.position)
    return added


def _resolved(row: dict[str, Any], d: Decoded) -> tuple[Any, ...]:
    """O2: the open item resolved, how, to what, by whom (O1) and on which business date."""
    f = d.fields
    how = RESOLVING.get(d.name, "recalled")
    return (d.position, row["id"], row["open_position"], row["open_first"], row["resent"] + 1, row["open_holds"],
            row["open_reason"], how, f["reference"] if d.name == "Assigned" else None, f.get("actor"),
            _stored(f["business_date"]))


def _stored(value: Any) -> str | None:
    """An amount or a date as its column stores it."""
    return None if value is None else value.isoformat() if isinstance(value, date) else str(value)
