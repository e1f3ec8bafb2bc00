"""Audit index: one row per event, by aggregate, in ledger order.

The payload is the stored event state as recorded (the ledger's JSON
transcoding, so amounts and dates decode back to ``Decimal`` and ``date``);
the reader drops the standard fields as the replayed audit view does.

No event is decoded for this index: the stored JSON is copied as it is, the
type comes from the topic, and the recorded time and business date are read
from the head of the stored JSON, where the ledger's transcoding writes them
(``{"timestamp":...,["originator_topic":...,]"business_date":...``); an event whose JSON starts
otherwise is decoded to be sure.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Column, Connection, Integer, MetaData, String, Table, Text

from projections.base import Decoded, Projection, bulk_insert
from projections.db import Day

HEAD = re.compile(
    rb'\{"timestamp":\{"_type_":"datetime_iso","_data_":"([0-9T:.+-]+)"\}'
    rb'(?:,"originator_topic":"[^"\\]*")?'
    rb'(?:,"business_date":(?:\{"_type_":"date_iso","_data_":"(\d{4}-\d\d-\d\d)"\}|(null))[,}])?'
)

# ``datetime.isoformat()``'s own form with microseconds and a positive offset
# (the usual recorded time): kept as it is; any other form is normalised.
CANONICAL = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.(?!000000)\d{6}\+\d\d:\d\d")


class AuditProjection(Projection):
    name = "audit"
    version = 1
    prefixes = None
    cost = 1.5

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
        rows: list[Any] = []
        append = rows.append
        match = HEAD.match
        canonical = CANONICAL.fullmatch
        name = events[0].codec.name if events else None
        for d in events:
            state = d.state
            head = match(state)
            if head is not None and head.lastindex and head.lastindex >= 2:
                recorded_at = head.group(1).decode()
                if canonical(recorded_at) is None:
                    recorded_at = datetime.fromisoformat(recorded_at).isoformat()
                business_date = head.group(2)
                if business_date is not None:
                    business_date = business_date.decode()
            else:  # not the usual head: as the domain event has them
                recorded_at, business_date = self._from_event(d)
            append((d.position, d.originator_id, name(d.topic), d.topic, d.originator_version, business_date,
                    recorded_at, state.decode("utf-8")))
        bulk_insert(conn, tables["events"], rows, binary=True)

    @staticmethod
    def _from_event(d: Decoded) -> tuple[str, str | None]:
        event = d.event
        found = getattr(event, "business_date", None)
        return event.timestamp.isoformat(), found.isoformat() if isinstance(found, date) else found
