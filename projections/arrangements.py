"""Arrangement read model: a summary row per arrangement and its instalment schedule.

The summary keeps the arrangement's recorded state (as the domain's own events
left it, applied with ``Event.mutate``) next to the columns one queries by. The
figures that move with the date (interest and surcharges on each instalment,
arrears, what is due next) are run at query time by the domain's timeline from
this state, so the answers agree with the replayed view by construction.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Boolean, Column, Connection, Integer, MetaData, String, Table, Text

from aggregates.arrangement import Arrangement
from projections.base import Decoded, Projection
from projections.db import Day, Money


class ArrangementsProjection(Projection):
    name = "arrangements"
    version = 1
    prefixes = ("keao:Arrangement.",)

    def define(self, metadata: MetaData, prefix: str) -> dict[str, Table]:
        return {
            "arrangements": Table(
                f"{prefix}arrangements", metadata,
                Column("id", String(36), primary_key=True),
                Column("debtor_afm", String(9), nullable=False, index=True),
                Column("payment_code", String(30), nullable=False),
                Column("scheme", String(20), nullable=False),
                Column("status", String(12), nullable=False),
                Column("applied_on", Day, nullable=False),
                Column("capital", Money, nullable=False),
                Column("suspended_until", Day),
                Column("starts_on", Day),
                Column("needs_first_payment", Boolean, nullable=False),
                Column("rejection_reason", String),
                Column("version", Integer, nullable=False),
                Column("state", Text, nullable=False),
            ),
            "instalments": Table(
                f"{prefix}instalments", metadata,
                Column("arrangement_id", String(36), primary_key=True),
                Column("number", Integer, primary_key=True),
                Column("opens_on", Day, nullable=False),
                Column("due_date", Day, nullable=False),
                Column("capital", Money, nullable=False),
                Column("interest", Money, nullable=False),
            ),
        }

    def apply(self, conn: Connection, tables: dict[str, Table], events: Sequence[Decoded]) -> None:
        touched = self.evolve(conn, tables["arrangements"], Arrangement, events)
        scheduled = {str(d.event.originator_id) for d in events if d.name in ("Applied", "Scheduled")}
        rows: list[dict[str, Any]] = []
        schedule: list[dict[str, Any]] = []
        for aggregate_id, a in touched.items():
            assert isinstance(a, Arrangement)
            rows.append({
                "id": str(aggregate_id), "debtor_afm": a.debtor_afm, "payment_code": a.payment_code,
                "scheme": a.scheme, "status": a.status, "applied_on": a.applied_on, "capital": a.capital,
                "suspended_until": a.suspended_until, "starts_on": a.starts_on,
                "needs_first_payment": a.needs_first_payment, "rejection_reason": a.rejection_reason,
                "version": a.version, "state": self.state_of(a),
            })
            if str(aggregate_id) in scheduled:
                schedule += [{"arrangement_id": str(aggregate_id), "number": i["number"], "opens_on": i["opens_on"],
                              "due_date": i["due_date"], "capital": i["capital"], "interest": i["interest"]}
                             for i in a.instalments]
        self.replace(conn, tables["arrangements"], "id", [r["id"] for r in rows], rows)
        self.replace(conn, tables["instalments"], "arrangement_id", sorted(scheduled), schedule)
