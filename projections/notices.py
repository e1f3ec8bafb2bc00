"""Notices and enforcement measures read model (ειδοποιήσεις, μέτρα εκτέλεσης), §10.

A row per notice, keeping its recorded state (as ``projections.arrangements`` keeps
an arrangement's), with the columns one queries by: the debtor, the kind, the issue
and delivery dates; and a row per enforcement measure, as the debtor's events
record and lift it (N13, N9). ``projections.reader`` gives a debtor its notices and
measures from here, so the debt table and ``show notices`` run the views' own code.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from typing import Any

import orjson
from sqlalchemy import Column, Connection, Integer, MetaData, String, Table, Text, select

from aggregates.debtor import ERASED
from aggregates.notice import Notice
from projections.audit import CANONICAL
from projections.base import Decoded, Projection, update_rows
from projections.db import Day


# Fast path (fenced; off, every notice is decoded, mutated and encoded): a notice issued
# in a batch and not touched again in it is written from its event's JSON values
# undecoded (``NoticesProjection._issued_row``); the two give the same rows, byte for byte
# (``tests/integration/projections/test_notices_fast_path.py``).
RAW_ISSUED = True
ROUND_TRIP = frozenset((b"decimal_str", b"date_iso", b"datetime_iso"))  # their text is their value's
KINDS = re.compile(rb'"_type_":"([^"\\]*)"')


def _typed(value: Any) -> bool:
    """A transcoded value as stored, ``{"_type_": kind, "_data_": text}``."""
    return type(value) is dict and len(value) == 2 and type(value.get("_type_")) is str \
        and type(value.get("_data_")) is str


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
        issued = self._issued_rows(notice_events) if RAW_ISSUED else {}
        evolved = [d for d in notice_events if d.originator_id not in issued] if issued else notice_events
        touched, existing = self.evolve(conn, tables["notices"], Notice, evolved, extra=("position",))
        firsts: dict[str, int] = {}
        for d in evolved:
            firsts.setdefault(d.originator_id, d.position)
        rows: list[Any] = list(issued.values())
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
            if d.name == "EnforcementRecorded":
                e = d.event
                recorded.append((e.measure_id, d.originator_id, d.position, e.measure, self.encode(list(e.item_ids)),
                                 e.reference, e.business_date.isoformat(), None, None))
            elif d.name == "EnforcementLifted":
                e = d.event
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

    def _issued_rows(self, events: Sequence[Decoded]) -> dict[str, tuple[Any, ...]]:
        """The rows of the notices issued in this batch and not touched again in it, by
        ``RAW_ISSUED``'s path (those it cannot take are left to the plain one)."""
        counts = Counter(d.originator_id for d in events)
        rows = {}
        for d in events:
            if counts[d.originator_id] == 1 and d.originator_version == 1 and d.name == "Issued":
                row = self._issued_row(d)
                if row is not None:
                    rows[d.originator_id] = row
        return rows

    def _issued_row(self, d: Decoded) -> tuple[Any, ...] | None:
        """The row of a notice whose one event is ``d``, its ``Issued``: the notice made by the
        event's own ``mutate`` from the stored JSON's values undecoded, where amounts, dates
        and times stay ``{"_type_", "_data_"}`` objects that encode back to the very text
        their decoded values would (the ledger writes them so: ``str``, ``isoformat``), and
        only a sealed name (F3) opened as the plain path's decoding opens it. None (the plain
        path) for anything else: another typed value, an odd recorded time, an upcast."""
        cls = d.codec.cls(d.topic)
        try:
            raw = orjson.loads(d.state)
        except orjson.JSONDecodeError:
            return None
        if getattr(cls, "class_version", 1) != 1 or "class_version" in raw:
            return None
        opened = [kind for kind in KINDS.findall(d.state) if kind not in ROUND_TRIP]
        content = raw.get("content")
        if opened:
            name = content.get("name") if type(content) is dict else None
            if len(opened) != 1 or not _typed(name) or name["_type_"] != opened[0].decode():
                return None
            content["name"] = self.transcoder.names[name["_type_"]].decode(name["_data_"])
        timestamp, day = raw.get("timestamp"), raw.get("business_date")
        if not (_typed(timestamp) and CANONICAL.fullmatch(timestamp["_data_"]) and _typed(day)):
            return None
        raw["originator_id"] = d.codec.uuid(d.originator_id)
        raw["originator_version"] = 1
        event = object.__new__(cls)
        object.__setattr__(event, "__dict__", raw)
        n = event.mutate(None)
        return (d.originator_id, n.number, n.debtor_afm, n.kind, day["_data_"], None, d.position, self.state_of(n))

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
