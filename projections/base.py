"""What every read model shares: versioned, slotted tables and batch handlers."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from typing import Any, ClassVar, TypeVar
from uuid import UUID

from eventsourcing.domain import Aggregate, Snapshot
from eventsourcing.persistence import JSONTranscoder, Mapper, StoredEvent
from eventsourcing.utils import get_topic, resolve_topic
from sqlalchemy import (
    Boolean,
    Connection,
    Integer,
    MetaData,
    String,
    Table,
    TypeDecorator,
    delete,
)

from aggregates.events import event_name
from ledger.store.codec import state_decoder, state_encoder, stored_json

A = TypeVar("A", bound=Aggregate)


def from_state(cls: type[A], attributes: dict[str, Any]) -> A:
    """The aggregate of class ``cls`` with these attributes (its id as ``_id``, its version
    as ``_version``, as ``state_of`` writes them), restored as the library restores one
    from a snapshot (``Snapshot.mutate``), its attributes in the same order."""
    snapshot = Snapshot(originator_id=attributes["_id"], originator_version=attributes["_version"],  # type: ignore[call-arg]
                        timestamp=attributes["_created_on"], topic=get_topic(cls), state=attributes)
    return snapshot.mutate(None)  # type: ignore[return-value]


class Codec:
    """Decodes stored events for the projections, cheaply and only when asked.

    The states are decoded with ``json`` and a flat dispatch of the ledger's
    transcodings (``Decimal``, ``date``, ``datetime``, ``UUID``), and domain
    events are built as ``Mapper.to_domain_event`` builds them (it is used
    as is for an event class that upcasts). ``json`` turns a state as stored
    into its JSON (decrypted when the ledger has a cipher, F4): what a
    ``Decoded`` holds."""

    def __init__(self, mapper: Mapper):
        self.json = stored_json(mapper)
        # The upcasting classes' mapper reads the JSON a ``Decoded`` holds: no cipher.
        self.mapper = Mapper(mapper.transcoder)
        self._decode = state_decoder(mapper.transcoder)
        self._classes: dict[str, type] = {}
        self._names: dict[str, str] = {}
        self._upcasts: dict[str, bool] = {}
        self._ids: dict[str, UUID] = {}

    # An aggregate's events come close together: their ids are parsed once
    # (bounded: cleared past this many).
    IDS = 20_000

    def uuid(self, text: str) -> UUID:
        found = self._ids.get(text)
        if found is None:
            if len(self._ids) >= self.IDS:
                self._ids.clear()
            found = self._ids[text] = UUID(text)
        return found

    def cls(self, topic: str) -> type:
        found = self._classes.get(topic)
        if found is None:
            found = self._classes[topic] = resolve_topic(topic)
        return found

    def name(self, topic: str) -> str:
        found = self._names.get(topic)
        if found is None:
            found = self._names[topic] = event_name(self.cls(topic))
        return found

    def fields(self, state: bytes) -> dict[str, Any]:
        return self._decode(state)

    def event(self, d: Decoded) -> Any:
        topic = d.topic
        cls = self._classes.get(topic) or self.cls(topic)
        upcasts = self._upcasts.get(topic)
        if upcasts is None:
            upcasts = self._upcasts[topic] = getattr(cls, "class_version", 1) != 1
        if upcasts:
            return self.mapper.to_domain_event(StoredEvent(UUID(d.originator_id), d.originator_version, d.topic,
                                                           d.state))
        # The event takes the decoded state as its own: a copy if ``fields`` was asked for.
        state = self._decode(d.state) if d._fields is None else dict(d._fields)
        if "class_version" in state:
            return self.mapper.to_domain_event(StoredEvent(UUID(d.originator_id), d.originator_version, d.topic,
                                                           d.state))
        state["originator_id"] = self.uuid(d.originator_id)
        state["originator_version"] = d.originator_version
        event = object.__new__(cls)
        object.__setattr__(event, "__dict__", state)
        return event


class Decoded:
    """One notification of the log, read once per batch for every projection,
    its ``state`` the stored state's JSON (``Codec.json``); its state is decoded (``fields``) and its domain event built (``event``)
    only if a projection asks, and then once."""

    __slots__ = ("_event", "_fields", "codec", "originator_id", "originator_version", "position", "state", "topic")

    def __init__(self, position: int, originator_id: str, originator_version: int, topic: str, state: bytes,
                 codec: Codec):
        self.position = position
        self.originator_id = originator_id
        self.originator_version = originator_version
        self.topic = topic
        self.state = state
        self.codec = codec
        self._fields: dict[str, Any] | None = None
        self._event: Any = None

    @property
    def name(self) -> str:
        return self.codec.name(self.topic)

    @property
    def fields(self) -> dict[str, Any]:
        """The event's stored attributes (amounts and dates decoded)."""
        if self._fields is None:
            self._fields = self.codec.fields(self.state)
        return self._fields

    @property
    def event(self) -> Any:
        if self._event is None:
            self._event = self.codec.event(self)
        return self._event


class Projection:
    """A read model: ``version`` names its table shape (bump it to change the
    shape; the new version is built beside the old one, never edited in
    place); ``slot`` (``a``/``b``) is its blue/green copy."""

    name: ClassVar[str]
    version: ClassVar[int]
    # Topic prefixes the projection reads (``None``: every event).
    prefixes: ClassVar[tuple[str, ...] | None] = None
    # Its share of a rebuild's time, roughly (to split the projections
    # between processes: ``Runner.groups``).
    cost: ClassVar[float] = 1.0
    # The PostgreSQL extensions its indexes need, created with its tables in the
    # database's ``public`` schema (where its indexes name their operators).
    extensions: ClassVar[tuple[str, ...]] = ()

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

    # -- the aggregates kept between batches ------------------------------------

    # How many aggregates a projection keeps decoded between batches (an
    # aggregate whose events straddle batches is then not read back and
    # decoded again); bounded, so memory stays flat however long the log.
    CACHE = 1024

    def begin(self, key: tuple[int, str], position: int, last: int) -> None:
        """A batch for slot ``key`` from ``position`` to ``last`` starts. The
        kept aggregates are valid only if they were left by the batch that
        ended at ``position`` on that slot, and committed."""
        if getattr(self, "_kept_at", None) != (key, position):
            self._kept().clear()
        self._kept_at: tuple[tuple[int, str], int] | None = None
        self._next_at = (key, last)

    def committed(self) -> None:
        self._kept_at = self._next_at

    def _kept(self) -> OrderedDict[str, list[Any]]:
        kept = self.__dict__.get("_kept_entries")
        if kept is None:
            kept = self.__dict__["_kept_entries"] = OrderedDict()
        return kept

    # -- helpers for read models that keep an aggregate's state ------------------

    def encode(self, value: Any) -> str:
        return self.transcoder.encode(value).decode("utf-8")

    def decode(self, text: str) -> Any:
        decoder = self.__dict__.get("_state_decoder")
        if decoder is None:
            decoder = self.__dict__["_state_decoder"] = state_decoder(self.transcoder)
        return decoder(text)

    def state_of(self, aggregate: Aggregate) -> str:
        encoder = self.__dict__.get("_state_encoder")
        if encoder is None:
            encoder = self.__dict__["_state_encoder"] = state_encoder(self.transcoder)
        return encoder({k: v for k, v in aggregate.__dict__.items() if k != "_pending_events"})

    def aggregate_from(self, cls: type[A], state: str) -> A:
        """The aggregate whose state ``state_of`` wrote."""
        return from_state(cls, self.decode(state))

    def evolve(
        self, conn: Connection, table: Table, cls: type[Aggregate], events: Iterable[Decoded],
        extra: tuple[str, ...] = (),
    ) -> tuple[dict[str, list[Any]], set[str]]:
        """Apply the batch's events to the aggregates they touch, with the
        domain's own ``mutate`` (which refuses a skipped or repeated version):
        each aggregate is taken from those kept since the last batch, else
        read (one query for all) and decoded, and is written back ONCE per
        batch by the caller. Returns ``{id: [aggregate, {extra column: value}]}``
        for the touched aggregates, and the ids that already had a row."""
        events = list(events)
        kept = self._kept()
        touched: dict[str, list[Any]] = {}
        wanted: list[str] = []
        for d in events:
            key = d.originator_id
            if key in touched:
                continue
            entry = kept.pop(key, None)
            if entry is not None:
                touched[key] = entry
            elif d.originator_version != 1:
                wanted.append(key)
                touched[key] = [None, {}]
            else:
                touched[key] = [None, {c: None for c in extra}]
        existing = {key for key, entry in touched.items() if entry[0] is not None}
        columns = [table.c.id, table.c.state, *(table.c[c] for c in extra)]
        for chunk in chunks(wanted, 900):
            for row in conn.execute(table.select().with_only_columns(*columns).where(table.c.id.in_(chunk))):
                touched[row.id] = [self.aggregate_from(cls, row.state), {c: row._mapping[c] for c in extra}]
                existing.add(row.id)
        for d in events:
            entry = touched[d.originator_id]
            entry[0] = d.event.mutate(entry[0])
        for key, entry in touched.items():
            kept[key] = entry
        while len(kept) > self.CACHE:
            kept.popitem(last=False)
        return touched, existing

    @staticmethod
    def replace(conn: Connection, table: Table, key: str, ids: Iterable[str], rows: list[Any],
                binary: bool = False) -> None:
        """Delete the rows of ``ids`` (those that may exist), then insert ``rows``."""
        ids = list(ids)
        for chunk in chunks(ids, 900):
            conn.execute(delete(table).where(table.c[key].in_(chunk)))
        bulk_insert(conn, table, rows, binary)


def bulk_insert(conn: Connection, table: Table, rows: list[Any], binary: bool = False) -> None:
    """Insert ``rows`` in ``conn``'s transaction: PostgreSQL ``COPY`` (psycopg 3's
    executemany sends a statement per row, multi-row VALUES are parsed
    client-side: both measured several times slower), else executemany.
    A row is a dict (values as the columns' types take them) or a tuple in
    column order already in the stored form (text for amounts and dates).

    ``binary``: the caller vouches that every value is exactly of its
    column's Python type (``str`` for text, ``int``, ``bool``, or ``None``):
    the ``COPY`` is then binary, nothing is escaped or parsed (measured on
    the audit rows: a third less time on both sides; ``bytes`` for a text
    column, with the ``bytea`` dumper, measured no faster than decoding
    them)."""
    if not rows:
        return
    columns = list(table.columns)
    if isinstance(rows[0], dict):
        converters = [_stored_form(c) for c in columns]
        names = [c.name for c in columns]
        rows = [tuple([convert(row.get(n)) if convert else row.get(n) for n, convert in zip(names, converters)])
                for row in rows]
    quoted = ", ".join(f'"{c.name}"' for c in columns)
    if conn.dialect.name != "postgresql":
        marks = ", ".join("?" for _ in columns)
        conn.exec_driver_sql(f'INSERT INTO "{table.name}" ({quoted}) VALUES ({marks})', rows)
        return
    driver = conn.connection.driver_connection
    with driver.cursor() as cursor, cursor.copy(
        f'COPY "{table.name}" ({quoted}) FROM STDIN' + (" (FORMAT BINARY)" if binary else "")
    ) as copy:
        if binary:
            copy.set_types([_binary_type(c) for c in columns])
        write = copy.write_row
        for row in rows:
            write(row)


def update_rows(conn: Connection, table: Table, key: str, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
    """``UPDATE table SET columns WHERE key = ...`` for each ``(key, *values)``
    of ``rows`` (values in the stored form, as ``bulk_insert``'s tuples). On
    PostgreSQL ONE statement joins the table to the rows sent as arrays
    (``unnest``): an executemany is a statement per row on the server."""
    if not rows:
        return
    if conn.dialect.name != "postgresql":
        assignments = ", ".join(f'"{c}" = ?' for c in columns)
        conn.exec_driver_sql(f'UPDATE "{table.name}" SET {assignments} WHERE "{key}" = ?',
                             [(*values, k) for k, *values in rows])
        return
    names = [key, *columns]
    arrays = ", ".join(f"%s::{_binary_type(table.c[n])}[]" for n in names)
    quoted = ", ".join(f'"{n}"' for n in names)
    assignments = ", ".join(f'"{c}" = u."{c}"' for c in columns)
    conn.exec_driver_sql(
        f'UPDATE "{table.name}" AS t SET {assignments} FROM unnest({arrays}) AS u({quoted}) WHERE t."{key}" = u."{key}"',
        tuple(list(values) for values in zip(*rows, strict=True)),
    )


def _binary_type(column: Any) -> str:
    kind = column.type
    if isinstance(kind, TypeDecorator):
        kind = kind.impl_instance
    if isinstance(kind, Boolean):
        return "bool"
    if isinstance(kind, Integer):
        return "int4"
    if isinstance(kind, String):  # Text too
        return "text"
    raise TypeError(f"no binary COPY for {column.type!r} ({column.table.name}.{column.name})")


def _stored_form(column: Any) -> Callable[[Any], Any] | None:
    bind = getattr(column.type, "process_bind_param", None)
    if bind is None:
        return None
    return lambda value: None if value is None else bind(value, None)


def chunks(values: list[Any], size: int) -> Iterable[list[Any]]:
    for start in range(0, len(values), size):
        yield values[start:start + size]
