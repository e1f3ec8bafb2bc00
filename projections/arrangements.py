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
    cost = 5.0

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
        touched, existing = self.evolve(conn, tables["arrangements"], Arrangement, events)
        scheduled = {d.originator_id for d in events if d.name in ("Applied", "Scheduled")}
        rows: list[Any] = []
        schedule: list[Any] = []
        for key, (a, _) in touched.items():
            assert isinstance(a, Arrangement)
            rows.append((
                key, a.debtor_afm, a.payment_code, a.scheme, a.status, _day(a.applied_on), _money(a.capital),
                _day(a.suspended_until), _day(a.starts_on), a.needs_first_payment, a.rejection_reason, a.version,
                self.state_of(a),
            ))
            if key in scheduled:
                schedule += [(key, i["number"], i["opens_on"].isoformat(), i["due_date"].isoformat(),
                              str(i["capital"]), str(i["interest"])) for i in a.instalments]
        self.replace(conn, tables["arrangements"], "id", existing, rows, binary=True)
        self.replace(conn, tables["instalments"], "arrangement_id", sorted(scheduled & existing), schedule, binary=True)


def _day(value: Any) -> str | None:
    return None if value is None else value.isoformat()


def _money(value: Any) -> str | None:
    return None if value is None else str(value)
