"""Notices and enforcement measures read model (ειδοποιήσεις, μέτρα εκτέλεσης), §10.

A row per notice, keeping its recorded state (as ``projections.arrangements`` keeps
an arrangement's), with the columns one queries by: the debtor, the kind, the issue
and delivery dates; and a row per enforcement measure, as the debtor's events
record and lift it (N13, N9). ``projections.reader`` gives a debtor its notices and
measures from here, so the debt table and ``show notices`` run the views' own code.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Column, Connection, Integer, MetaData, String, Table, Text, select

from aggregates.debtor import ERASED
from aggregates.notice import Notice
from projections.base import Decoded, Projection, update_rows
from projections.db import Day


class NoticesProjection(Projection):
    name = "notices"
    version = 1
    prefixes = ("keao:Notice.", "keao:Debtor.EnforcementRecorded", "keao:Debtor.EnforcementLifted",
                "keao:Debtor.PersonalDataErased")
    cost = 1.0

    def define(self, metadata: MetaData, prefix: str) -> dict[str, Table]:
        return {
            "notices": Table(
                f"{prefix}notices", metadata,
                Column("id", String(36), primary_key=True),
                Column("number", String(40), nullable=False, unique=True),
                Column("debtor_afm", String(9), nullable=False, index=True),
                Column("kind", String(20), nullable=False),
                Column("issued_on", Day, nullable=False),
                Column("delivered_on", Day),
                Column("position", Integer, nullable=False),
                Column("state", Text, nullable=False),
            ),
            "measures": Table(
                f"{prefix}measures", metadata,
                Column("measure_id", String(40), primary_key=True),
                Column("debtor_id", String(36), nullable=False, index=True),
                Column("position", Integer, nullable=False),
                Column("measure", String(20), nullable=False),
                Column("item_ids", Text, nullable=False),
                Column("reference", String, nullable=False),
                Column("recorded_on", Day, nullable=False),
                Column("lifted_on", Day),
                Column("lift_reason", String),
            ),
        }

    def apply(self, conn: Connection, tables: dict[str, Table], events: Sequence[Decoded]) -> None:
        notice_events = [d for d in events if d.topic.startswith("keao:Notice.")]
        touched, existing = self.evolve(conn, tables["notices"], Notice, notice_events, extra=("position",))
        firsts: dict[str, int] = {}
        for d in notice_events:
            firsts.setdefault(d.originator_id, d.position)
        rows: list[Any] = []
        for key, (n, extra) in touched.items():
            assert isinstance(n, Notice)
            first = extra["position"] = extra.get("position") or firsts[key]
            rows.append((key, n.number, n.debtor_afm, n.kind, n.issued_on.isoformat(),
                         n.delivered_on.isoformat() if n.delivered_on else None, first, self.state_of(n)))
        self.replace(conn, tables["notices"], "id", existing, rows, binary=True)
        measures_t = tables["measures"]
        recorded: list[Any] = []
        lifted: dict[str, tuple[str, str]] = {}
        for d in events:
            e = d.event
            if d.name == "EnforcementRecorded":
                recorded.append((e.measure_id, d.originator_id, d.position, e.measure, self.encode(list(e.item_ids)),
                                 e.reference, e.business_date.isoformat(), None, None))
            elif d.name == "EnforcementLifted":
                lifted[e.measure_id] = (e.business_date.isoformat(), e.reason)
        if recorded:
            fresh = {row[0]: row for row in recorded}
            for measure_id, (on, reason) in list(lifted.items()):
                if measure_id in fresh:  # recorded and lifted in the same batch
                    fresh[measure_id] = (*fresh[measure_id][:7], on, reason)
                    del lifted[measure_id]
            self.replace(conn, measures_t, "measure_id", [], list(fresh.values()), binary=True)
        if lifted:
            update_rows(conn, measures_t, "measure_id", ("lifted_on", "lift_reason"),
                        [(key, on, reason) for key, (on, reason) in lifted.items()])
        erased = [d.fields["afm"] for d in events if d.name == "PersonalDataErased"]
        if erased:
            self._scrub(conn, tables["notices"], erased)

    def _scrub(self, conn: Connection, table: Table, afms: list[str]) -> None:
        """F3: the erased debtors' names out of their notices' frozen content, here and in
        the notices kept between batches (read back from the table instead)."""
        kept = self._kept()
        rows = []
        for r in conn.execute(select(table.c.id, table.c.state).where(table.c.debtor_afm.in_(afms))):
            notice = self.aggregate_from(Notice, r.state)
            notice.content = {**notice.content, "name": ERASED}
            kept.pop(r.id, None)
            rows.append((r.id, self.state_of(notice)))
        update_rows(conn, table, "id", ("state",), rows)

    def notices_of(self, conn: Connection, tables: dict[str, Table], afm: str) -> list[Notice]:
        t = tables["notices"]
        return [self.aggregate_from(Notice, r.state)
                for r in conn.execute(select(t.c.state).where(t.c.debtor_afm == afm).order_by(t.c.position))]

    def measures_of(self, conn: Connection, tables: dict[str, Table], debtor_id: str) -> dict[str, dict[str, Any]]:
        t = tables["measures"]
        return {r.measure_id: {"measure": r.measure, "item_ids": self.decode(r.item_ids), "reference": r.reference,
                               "recorded_on": r.recorded_on, "lifted_on": r.lifted_on, "lift_reason": r.lift_reason}
                for r in conn.execute(select(t).where(t.c.debtor_id == debtor_id).order_by(t.c.position))}
