"""F1: the hash chain over the stored events, in ledger order (domain §15).

Each event stored gets a row of ``keao_ledger_chain`` (its position, id, version and
``link``), written by the events' recorder in the same transaction as the event and
under the same lock (``ledger.store.recorder``):

    link_n = SHA-256(link_{n-1} ‖ id (16 bytes) ‖ version (8, big-endian)
                     ‖ len(topic) (4) ‖ topic (UTF-8) ‖ len(state) (4) ‖ state as stored)

from ``GENESIS`` (32 zero bytes). ``verify`` recomputes the links from the stored events
alone and names the first position where an event was edited, deleted, inserted or
reordered. A ledger written before the chain existed has events and no chain: the
writer does not chain it (nothing half-chained) until ``build`` (``ledger verify
--init``) has chained every stored event.

``LEDGER_CHAIN=0`` turns the writer's chaining off: a benchmark's baseline, and the way
a test writes a ledger as an earlier release did. Not for production: every event
written so is an "inserted" one to ``verify``.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Generator, Iterator, Mapping, Sequence
from contextlib import closing
from dataclasses import dataclass, field
from hashlib import sha256
from typing import Any, Protocol
from uuid import UUID

from ledger.errors import StoreUnavailable
from ledger.i18n import N_
from ledger.store import chain_tables

GENESIS = bytes(32)
SWITCH = "LEDGER_CHAIN"
# How many chain rows ``build`` sends in one statement.
BUILD_PAGE = 10_000
PROGRESS_EVERY = 10_000  # events between two calls of ``verify``'s progress

_ID_VERSION_TOPIC = struct.Struct(">16sQI")
_STATE_LENGTH = struct.Struct(">I")

# What ``verify`` says at the first broken position, by case, and the kind of break each is.
REASONS = {
    "edited": N_("position {position}: event {event} no longer gives its stored link: its content (topic or "
                 "stored state) or its link was changed"),
    "deleted": N_("position {position}: event {chained} is missing: the chain has it there and the store has "
                  "no event there"),
    "inserted": N_("position {position}: event {event} is not in the chain: it was inserted"),
    "replaced": N_("position {position}: event {event} is not in the chain, which has {chained} there: it was "
                   "inserted in that event's place"),
    "reordered": N_("position {position}: event {event} is there, where the chain has {chained}; the chain has "
                    "{event} at {chained_at} and the store has {chained} at {now_at}: events were reordered"),
    "moved_out": N_("position {position}: event {chained} is not there, where the chain has it; the store has it "
                    "at {now_at}: events were reordered"),
    "moved_in": N_("position {position}: event {event} is there, which the chain has at {chained_at}: events were "
                   "reordered"),
    "unchained": N_("position {position}: the ledger has no chain yet (written before it): `ledger verify --init` "
                    "builds it"),
}
KINDS = {"replaced": "inserted", "moved_out": "reordered", "moved_in": "reordered"}  # else the case's own name


def link(previous: bytes, originator_id: UUID, version: int, topic: str, state: bytes | str) -> bytes:
    """The link of an event after the link ``previous`` (the one function the writer,
    ``build`` and ``verify`` all use). A state someone stored as text (SQLite lets a
    column hold either) is linked as its UTF-8 bytes: it then fails as edited."""
    if isinstance(state, str):
        state = state.encode()
    name = topic.encode()
    return sha256(b"".join((previous, _ID_VERSION_TOPIC.pack(originator_id.bytes, version, len(name)), name,
                            _STATE_LENGTH.pack(len(state)), state))).digest()


def enabled(env: Mapping[str, str]) -> bool:
    """Whether the writer chains (``LEDGER_CHAIN``, default on)."""
    return env.get(SWITCH, "1").strip().lower() not in ("0", "false", "no", "off")


class ChainAhead(StoreUnavailable):
    """The chain has a row at or after a position being written: the log's tail was
    deleted and its positions given again (SQLite reuses the highest rowid). The
    ledger writes nothing more until an operator has looked (one line at the CLI;
    a consumer retries the batch, as for a store that does not answer)."""


class AlreadyChained(ValueError):
    """``build`` on a ledger that has a chain already."""


class ChainRows(Protocol):
    """A store's chain table, read and written in one transaction
    (``ledger.store.chain_tables``)."""

    def last(self) -> tuple[int, bytes] | None: ...
    def has_events_before(self, position: int) -> bool: ...
    def append(self, rows: Sequence[tuple[int, UUID, int, bytes]]) -> None: ...
    def events(self, start: int, stop: int | None) -> Generator[tuple[int, UUID, int, str, bytes]]: ...
    def chain(self, start: int, stop: int | None) -> Generator[tuple[int, UUID, int, bytes]]: ...
    def link_before(self, position: int) -> bytes | None: ...
    def event_position(self, originator_id: UUID, version: int) -> int | None: ...
    def chained_position(self, originator_id: UUID, version: int) -> int | None: ...
    def max_position(self) -> int: ...


def extend(rows: ChainRows, written: Sequence[tuple[int, Any]]) -> None:
    """The writer's part: chain the stored events ``written`` (with their positions)
    after the chain's last row, in the writer's transaction and under its lock. A
    ledger with events and no chain yet is left unchained (``build`` chains it)."""
    if not written:
        return
    written = sorted(written, key=lambda pair: pair[0])
    last = rows.last()
    if last is None:
        if rows.has_events_before(written[0][0]):
            return
        previous = GENESIS
    else:
        position, previous = last
        if position >= written[0][0]:
            raise ChainAhead("--db", f"the chain reaches position {position} and an event is being written at "
                                     f"{written[0][0]}: events were deleted from the log's end (ledger verify)")
    chained = []
    for position, event in written:
        previous = link(previous, event.originator_id, event.originator_version, event.topic, event.state)
        chained.append((position, event.originator_id, event.originator_version, previous))
    rows.append(chained)


def build(rows: ChainRows, progress: Callable[[int], None] | None = None) -> int:
    """``ledger verify --init``: chain every stored event, from GENESIS, in the caller's
    transaction under the writers' lock; how many. AlreadyChained if a chain is there
    (building it again would bless whatever was changed since)."""
    last = rows.last()
    if last is not None:
        raise AlreadyChained(f"the ledger is chained already, up to position {last[0]}")
    previous, page, count = GENESIS, [], 0
    for position, originator_id, version, topic, state in rows.events(1, None):
        previous = link(previous, originator_id, version, topic, state)
        page.append((position, originator_id, version, previous))
        if len(page) == BUILD_PAGE:
            rows.append(page)
            count += len(page)
            page = []
            if progress:
                progress(position)
    rows.append(page)
    return count + len(page)


@dataclass(frozen=True)
class Verdict:
    """What a verification found: how many ``events`` it checked; at ``first_broken``
    (None when intact, or when no one position is to blame) the ``kind`` of break and
    the reason, ``template`` filled with ``details``; ``head``: the last position
    checked and the link recomputed there."""

    intact: bool
    events: int
    first_broken: int | None = None
    kind: str | None = None
    template: str | None = None
    details: Mapping[str, Any] = field(default_factory=dict)
    head: tuple[int, bytes] | None = None

    @property
    def reason(self) -> str | None:
        """In English: the CLI says it in the reader's language (``labels.say``)."""
        return None if self.template is None else self.template.format(position=self.first_broken, **self.details)

    def as_json(self) -> dict[str, Any]:
        """Interfaces §1.6: ``intact``, ``events``, ``first_broken``, ``reason``; and the ``kind``."""
        return {"intact": self.intact, "events": self.events, "first_broken": self.first_broken,
                "reason": self.reason, "kind": self.kind}


def broken_at(position: int, case: str, details: dict[str, Any], checked: int,
              head: tuple[int, bytes] | None) -> Verdict:
    return Verdict(False, checked, position, KINDS.get(case, case), REASONS[case], details, head)


def named(originator_id: UUID, version: int) -> str:
    return f"{originator_id} v{version}"


def check(rows: ChainRows, start: int = 1, stop: int | None = None, previous: bytes | None = None,
          progress: Callable[[int], None] | None = None) -> Verdict:
    """Recompute the links from ``start`` to ``stop`` (inclusive; None: the end) from the
    stored events, after ``previous`` (default: the stored link before ``start``),
    comparing each with the chain's row at the same position; ``progress(position)``
    every PROGRESS_EVERY events."""
    if previous is None:
        previous = rows.link_before(start) or GENESIS
    count, head = 0, None
    # Closed before the caller's transaction ends, even when a break stops the reading.
    with closing(rows.events(start, stop)) as events, closing(rows.chain(start, stop)) as chain:
        for position, event, chained in _merged(events, chain):
            broken = _difference(rows, event, chained, count)
            if broken is None:
                previous = link(previous, *event[1:])  # type: ignore[index]
                if previous != chained[3]:  # type: ignore[index]
                    broken = "edited", {"event": named(event[1], event[2])}  # type: ignore[index]
            if broken is not None:
                return broken_at(position, *broken, count, head)
            count += 1
            head = (position, previous)
            if progress and count % PROGRESS_EVERY == 0:
                progress(position)
    return Verdict(True, count, head=head)


def _difference(rows: ChainRows, event: tuple[Any, ...] | None, chained: tuple[Any, ...] | None,
                checked: int) -> tuple[str, dict[str, Any]] | None:
    """The case of break at a position other than an edit, if any, and what it names:
    ``event`` the store's row there, ``chained`` the chain's (either may be None)."""
    if event is None:
        assert chained is not None
        now_at = rows.event_position(chained[1], chained[2])
        if now_at is None:
            return "deleted", {"chained": named(chained[1], chained[2])}
        return "moved_out", {"chained": named(chained[1], chained[2]), "now_at": now_at}
    chained_at = None if chained is not None and (event[1], event[2]) == (chained[1], chained[2]) \
        else rows.chained_position(event[1], event[2])
    if chained is None:
        if checked == 0 and rows.last() is None:
            return "unchained", {}
        if chained_at is None:
            return "inserted", {"event": named(event[1], event[2])}
        return "moved_in", {"event": named(event[1], event[2]), "chained_at": chained_at}
    if (event[1], event[2]) == (chained[1], chained[2]):
        return None
    if chained_at is None:
        return "replaced", {"event": named(event[1], event[2]), "chained": named(chained[1], chained[2])}
    now_at = rows.event_position(chained[1], chained[2])
    return "reordered", {"event": named(event[1], event[2]), "chained": named(chained[1], chained[2]),
                         "chained_at": chained_at, "now_at": "no position" if now_at is None else now_at}


def _merged(events: Iterator[tuple[Any, ...]], chain: Iterator[tuple[Any, ...]]
            ) -> Iterator[tuple[int, tuple[Any, ...] | None, tuple[Any, ...] | None]]:
    """The two streams, each in position order, side by side by position."""
    event, chained = next(events, None), next(chain, None)
    while event is not None or chained is not None:
        if chained is None or (event is not None and event[0] < chained[0]):
            yield event[0], event, None  # type: ignore[index]
            event = next(events, None)
        elif event is None or chained[0] < event[0]:
            yield chained[0], None, chained
            chained = next(chain, None)
        else:
            yield event[0], event, chained
            event, chained = next(events, None), next(chain, None)


# -- the API for the rest of the ledger ---------------------------------------------------

def head(app: Any) -> tuple[int, bytes] | None:
    """The chain's last (position, link) as stored, or None while it has none."""
    with chain_tables.reading(app.recorder) as rows:
        return rows.last()


def first(app: Any) -> tuple[int, bytes] | None:
    """The chain's first (position, link): it names the ledger (its first event's link)."""
    with chain_tables.reading(app.recorder) as rows, closing(rows.chain(1, None)) as chained:
        row = next(chained, None)
    return None if row is None else (row[0], bytes(row[3]))


def verify(app: Any, start: int = 1, stop: int | None = None, progress: Callable[[int], None] | None = None,
           previous: bytes | None = None) -> Verdict:
    """``check`` on the ledger ``app``'s store, in one snapshot of it (streamed)."""
    with chain_tables.reading(app.recorder) as rows:
        return check(rows, start, stop, previous, progress)


def last_position(app: Any) -> int:
    """The highest position of an event or a chain row (a progress bar's length)."""
    with chain_tables.reading(app.recorder) as rows:
        return rows.max_position()


def initialise(app: Any, progress: Callable[[int], None] | None = None) -> int:
    """``build`` on the ledger ``app``'s store, under the writers' lock, in one transaction."""
    with chain_tables.writing(app.recorder) as rows:
        return build(rows, progress)
