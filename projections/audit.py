"""Audit index: one row per event, by aggregate, in ledger order.

The payload is the stored event state as recorded (the ledger's JSON
transcoding, so amounts and dates decode back to ``Decimal`` and ``date``);
the reader drops the standard fields as the replayed audit view does.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Column, Connection, Integer, MetaData, String, Table, Text, insert

from projections.base import Decoded, Projection, bulk_insert
from projections.db import Day


class AuditProjection(Projection):
    name = "audit"
    version = 1
    prefixes = None

    def define(self, metadata: MetaData, prefix: str) -> dict[str, Table]:
        return {
            "events": Table(
                f"{prefix}events", metadata,
                Column("position", Integer, primary_key=True),
                Column("aggregate_id", String(36), nullable=False, index=True),
                Column("type", String(40), nullable=False),
                Column("topic", String(80), nullable=False),
                Column("version", Integer, nullable=False),
                Column("business_date", Day),
                Column("recorded_at", String(40), nullable=False),
                Column("payload", Text, nullable=False),
            ),
        }

    def apply(self, conn: Connection, tables: dict[str, Table], events: Sequence[Decoded]) -> None:
        if not events:
            return
        rows = [{
            "position": d.position, "aggregate_id": str(d.event.originator_id), "type": d.name, "topic": d.topic,
            "version": d.event.originator_version, "business_date": getattr(d.event, "business_date", None),
            "recorded_at": d.event.timestamp.isoformat(), "payload": d.notification.state.decode("utf-8"),
        } for d in events]
        bulk_insert(conn, tables["events"], rows)
