"""What every read model shares: versioned, slotted tables and batch handlers."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar
from uuid import UUID

from eventsourcing.domain import Aggregate
from eventsourcing.persistence import JSONTranscoder, Notification
from sqlalchemy import Connection, MetaData, Table, delete, insert

from aggregates.events import event_name


@dataclass(frozen=True)
class Decoded:
    """One notification of the log, decoded once per batch for every projection."""

    position: int
    notification: Notification
    event: Any

    @property
    def topic(self) -> str:
        return self.notification.topic

    @property
    def name(self) -> str:
        return event_name(self.event)


class Projection:
    """A read model: ``version`` names its table shape (bump it to change the
    shape; the new version is built beside the old one, never edited in
    place); ``slot`` (``a``/``b``) is its blue/green copy."""

    name: ClassVar[str]
    version: ClassVar[int]
    # Topic prefixes the projection reads (``None``: every event).
    prefixes: ClassVar[tuple[str, ...] | None] = None

    def __init__(self, transcoder: JSONTranscoder):
        self.transcoder = transcoder
        self._tables: dict[tuple[int, str], dict[str, Table]] = {}

    def prefix(self, version: int, slot: str) -> str:
        return f"p_{self.name}_v{version}{slot}_"

    def tables(self, slot: str, version: int | None = None) -> dict[str, Table]:
        version = self.version if version is None else version
        key = (version, slot)
        if key not in self._tables:
            metadata = MetaData()
            self._tables[key] = self.define(metadata, self.prefix(version, slot))
        return self._tables[key]

    def define(self, metadata: MetaData, prefix: str) -> dict[str, Table]:
        raise NotImplementedError

    def wants(self, decoded: Decoded) -> bool:
        return self.prefixes is None or decoded.topic.startswith(self.prefixes)

    def apply(self, conn: Connection, tables: dict[str, Table], events: Sequence[Decoded]) -> None:
        """Apply a batch of events (already filtered to ``wants``) in ``conn``'s transaction."""
        raise NotImplementedError

    # -- helpers for read models that keep an aggregate's state ------------------

    def encode(self, value: Any) -> str:
        return self.transcoder.encode(value).decode("utf-8")

    def decode(self, text: str) -> Any:
        return self.transcoder.decode(text.encode("utf-8"))

    def state_of(self, aggregate: Aggregate) -> str:
        return self.encode({k: v for k, v in aggregate.__dict__.items() if k != "_pending_events"})

    def aggregate_from(self, cls: type[Aggregate], state: str) -> Aggregate:
        aggregate = object.__new__(cls)
        aggregate.__dict__.update(self.decode(state))
        aggregate.__dict__["_pending_events"] = []
        return aggregate

    def evolve(
        self, conn: Connection, table: Table, cls: type[Aggregate], events: Iterable[Decoded]
    ) -> dict[UUID, Aggregate]:
        """Load the aggregates the batch touches (one query), then apply their
        events with the domain's own ``mutate`` (which refuses a skipped or
        repeated version). Returns the touched aggregates."""
        events = list(events)
        first: dict[UUID, Decoded] = {}
        for d in events:
            first.setdefault(d.event.originator_id, d)
        wanted = [str(i) for i, d in first.items() if d.event.originator_version != 1]
        loaded: dict[UUID, Aggregate] = {}
        for chunk in _chunks(wanted, 900):
            for row in conn.execute(table.select().with_only_columns(table.c.id, table.c.state)
                                    .where(table.c.id.in_(chunk))):
                loaded[UUID(row.id)] = self.aggregate_from(cls, row.state)
        for d in events:
            aggregate = loaded.get(d.event.originator_id)
            loaded[d.event.originator_id] = d.event.mutate(aggregate)
        return loaded

    @staticmethod
    def replace(conn: Connection, table: Table, key: str, ids: list[str], rows: list[dict[str, Any]]) -> None:
        for chunk in _chunks(ids, 900):
            conn.execute(delete(table).where(table.c[key].in_(chunk)))
        bulk_insert(conn, table, rows)


def bulk_insert(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert ``rows`` in ``conn``'s transaction: PostgreSQL ``COPY`` (psycopg 3's
    executemany sends a statement per row, multi-row VALUES are parsed
    client-side: both measured several times slower), else executemany."""
    if not rows:
        return
    if conn.dialect.name != "postgresql":
        conn.execute(insert(table), rows)
        return
    columns = list(table.columns)
    binders = [getattr(c.type, "process_bind_param", None) for c in columns]
    names = ", ".join(f'"{c.name}"' for c in columns)
    driver = conn.connection.driver_connection
    with driver.cursor() as cursor, cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
        for row in rows:
            copy.write_row([
                bind(row.get(c.name), None) if bind else row.get(c.name)
                for c, bind in zip(columns, binders)
            ])


def _chunks(values: list[Any], size: int) -> Iterable[list[Any]]:
    for start in range(0, len(values), size):
        yield values[start:start + size]
