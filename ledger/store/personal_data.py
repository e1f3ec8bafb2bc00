"""Crypto-shredding of personal data (domain F3).

A debtor's personal fields (its name and ΑΜΚΑ, the IBANs of its refunds, its name in its
notices' frozen content) are stored in the events, and in the snapshots, sealed: AES-GCM
under a data key of their own subject (the debtor; a payment in suspense for the IBAN of
its refund), as ``{"_type_": "sealed", "_data_": "<subject hex>:<base64 nonce+ciphertext>"}``.
The mapper seals them as it writes (``PersonalDataSealer``, by ``PERSONAL_FIELDS``); the
``SealedField`` transcoding opens them wherever a state is decoded (the library's mapper,
``state_decoder`` and so the bulk loads, the read models, the audit index), so the domain
sees plaintext, or ``[erased]`` once the subject's key is destroyed. The subject is in the
envelope, and bound to the ciphertext (its associated data), so a sealed value cannot be
moved to another subject.

The data keys are kept outside the events, behind ``KeyStore`` (``get``, ``create``,
``destroy``) so that a KMS can replace the table that keeps them here (``TableKeyStore``:
``keao_ledger_keys``, beside the events, each key wrapped under a key derived from
``LEDGER_CIPHER_KEY`` when the ledger has one, F4). A destroyed key leaves its row,
without the key, so that nothing sealed for that subject again: what a command would
seal for an erased subject is stored as ``[erased]``.

A process keeps the keys it has read for ``KEY_CACHE_SECONDS`` (a replay reads a debtor's
key for each of its sealed fields): another process's erasure shows in a long-running one
(``ledger serve``, a consumer) within that time; the erasing process forgets at once. A
load of many aggregates at once (``ledger.store.bulk``) reads their keys in one query at
its first missed key (``KeyRing.reading_many``), a read model's batch those of its sealed
values (``KeyRing.prefetch``): a key a query each had cost a consumer's batch more than
the sealing itself (issue 19).
"""

from __future__ import annotations

import os
import re
import time
from base64 import b64decode, b64encode
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Protocol
from uuid import UUID

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from eventsourcing.domain import Snapshot
from eventsourcing.persistence import Transcoding
from eventsourcing.utils import get_topic
from psycopg.rows import dict_row

from aggregates.debtor import ERASED, Debtor
from aggregates.notice import Notice
from aggregates.payment import BankPayment
from ledger.store.recorder import ddl_lock_key, own_connection

KEY_CACHE_SECONDS = 60.0
KEPT_KEYS = 100_000  # the keys a process keeps at most (a rebuild reads every debtor's)
FETCH_PAGE = 500  # subjects a query of ``get_many``
NONCE_BYTES = 12
SEALED = "sealed"  # the transcoding's name in the stored JSON
# The benchmark's switch (``bench ingest``): "off" stores personal fields in plain text, as
# before this release; such debtors cannot be erased (``personal_data_sealed``).
SEALING_VARIABLE = "LEDGER_SEAL_PERSONAL_DATA"


class KeyStore(Protocol):
    """Where the data keys are kept, by subject: a table here, a KMS in its place."""

    def get(self, subject: UUID) -> bytes | None:
        """The subject's key; None when it has none or it was destroyed."""

    def create(self, subject: UUID) -> bytes | None:
        """The subject's key, made now if it has none; None when it was destroyed."""

    def destroy(self, subject: UUID) -> bool:
        """Destroy the subject's key for good; whether it had one."""

    def get_many(self, subjects: Sequence[UUID]) -> dict[UUID, bytes | None]:
        """``get`` of each subject that has a key or had one (None: destroyed); the
        others are left out."""


class TableKeyStore:
    """The data keys in the table ``name`` beside the events (in the ledger's schema on
    PostgreSQL), each wrapped (AES-GCM, the subject as associated data) under ``wrapping``
    when given, else raw."""

    def __init__(self, datastore: Any, postgres: bool, name: str, wrapping: AESGCM | None):
        self.datastore = datastore
        self.postgres = postgres
        self.table = f'"{datastore.schema}"."{name}"' if postgres else f'"{name}"'
        self.mark = "%s" if postgres else "?"
        self.wrapping = wrapping
        self._pid = os.getpid()
        self._forked: tuple[int, Any] | None = None  # (pid, connection) in a forked process
        self._create_table()

    @contextmanager
    def _transaction(self, commit: bool) -> Iterator[Any]:
        """A cursor of the ledger's datastore; in a process forked from the one that opened
        it (a rebuild's worker) a connection of its own instead: the parent's pooled
        connections are never used by two processes."""
        if not self.postgres or os.getpid() == self._pid:
            with self.datastore.transaction(commit=commit) as cursor:
                yield cursor
            return
        if self._forked is None or self._forked[0] != os.getpid():
            self._forked = (os.getpid(), own_connection(self.datastore))
        with self._forked[1].cursor(row_factory=dict_row) as cursor:
            yield cursor

    def _create_table(self) -> None:
        blob = "bytea" if self.postgres else "blob"
        with self.datastore.transaction(commit=True) as cursor:
            if self.postgres:  # one process at a time creates the ledger's tables
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [ddl_lock_key(self.datastore.schema)])
            cursor.execute(f"CREATE TABLE IF NOT EXISTS {self.table} (subject text PRIMARY KEY, "
                           f"data_key {blob}, created_at text NOT NULL, destroyed_at text)")

    def get(self, subject: UUID) -> bytes | None:
        return self.get_many([subject]).get(subject)

    def get_many(self, subjects: Sequence[UUID]) -> dict[UUID, bytes | None]:
        found: dict[UUID, bytes | None] = {}
        with self._transaction(commit=False) as cursor:
            for first in range(0, len(subjects), FETCH_PAGE):
                page = [subject.hex for subject in subjects[first:first + FETCH_PAGE]]
                if self.postgres:
                    cursor.execute(f"SELECT subject, data_key FROM {self.table} WHERE subject = ANY(%s)", [page])
                else:
                    cursor.execute(f"SELECT subject, data_key FROM {self.table} WHERE subject IN "
                                   f"({', '.join('?' * len(page))})", page)
                for row in cursor.fetchall():
                    subject = UUID(row["subject"])
                    found[subject] = None if row["data_key"] is None else \
                        self._unwrapped(subject, bytes(row["data_key"]))
        return found

    def create(self, subject: UUID) -> bytes | None:
        m = self.mark
        with self._transaction(commit=True) as cursor:
            # Another process may make the same subject's key at once: the first one stays.
            cursor.execute(f"INSERT INTO {self.table} (subject, data_key, created_at) VALUES ({m}, {m}, {m}) "
                           f"ON CONFLICT (subject) DO NOTHING",
                           [subject.hex, self._wrapped(subject, AESGCM.generate_key(256)), _now()])
            cursor.execute(f"SELECT data_key FROM {self.table} WHERE subject = {m}", [subject.hex])
            row = cursor.fetchone()
        return None if row["data_key"] is None else self._unwrapped(subject, bytes(row["data_key"]))

    def destroy(self, subject: UUID) -> bool:
        m = self.mark
        with self._transaction(commit=True) as cursor:
            if not self.postgres:  # the freed page overwritten, not left in the file
                cursor.execute("PRAGMA secure_delete = ON")
            cursor.execute(f"UPDATE {self.table} SET data_key = NULL, destroyed_at = {m} "
                           f"WHERE subject = {m} AND data_key IS NOT NULL RETURNING subject", [_now(), subject.hex])
            return bool(cursor.fetchall())

    def _wrapped(self, subject: UUID, key: bytes) -> bytes:
        if self.wrapping is None:
            return key
        nonce = os.urandom(NONCE_BYTES)
        return nonce + self.wrapping.encrypt(nonce, key, subject.bytes)

    def _unwrapped(self, subject: UUID, stored: bytes) -> bytes:
        if self.wrapping is None:
            return stored
        return self.wrapping.decrypt(stored[:NONCE_BYTES], stored[NONCE_BYTES:], subject.bytes)


def wrapping_key(cipher_key: str | None) -> AESGCM | None:
    """The key that wraps the data keys: derived (HKDF-SHA256) from the ledger's
    ``LEDGER_CIPHER_KEY``, so that the key table alone opens nothing; None without one."""
    if not cipher_key:
        return None
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                   info=b"keao-ledger personal data keys").derive(b64decode(cipher_key))
    return AESGCM(derived)


class KeyRing:
    """The data keys as ciphers, by subject, each kept ``seconds`` once read (an
    absent or destroyed key too: it never comes back)."""

    def __init__(self, store: KeyStore | None = None, seconds: float = KEY_CACHE_SECONDS,
                 clock: Callable[[], float] = time.monotonic):
        self.store = store
        self.seconds = seconds
        self.clock = clock
        self._kept: dict[UUID, tuple[AESGCM | None, float]] = {}
        self._pending: list[UUID] | None = None  # ``reading_many``'s subjects, until a key is missed

    def for_reading(self, subject: UUID) -> AESGCM | None:
        if self._pending is not None:
            kept = self._kept.get(subject)
            if kept is None or kept[1] <= self.clock():
                pending, self._pending = self._pending, None
                self.prefetch(pending)
        return self._key(subject, self._store().get)

    @contextmanager
    def reading_many(self, subjects: Iterable[UUID]) -> Iterator[None]:
        """While the aggregates ``subjects`` are decoded (a bulk load): the first key missed
        reads theirs all in one query (``prefetch``); a load that opens no sealed value (a
        page of arrangements) reads none. Only the queries' number depends on it: another
        thread's miss meanwhile fetches the same keys, no other."""
        previous, self._pending = self._pending, list(subjects)
        try:
            yield
        finally:
            self._pending = previous

    def prefetch(self, subjects: Iterable[UUID]) -> None:
        """Read, in one query, the keys of those of ``subjects`` not kept (the aggregates
        a bulk load is about to decode), kept as ``for_reading`` keeps each: None for a
        subject without a key (most aggregates are not personal) or with one destroyed."""
        now = self.clock()
        wanted = [s for s in subjects if (kept := self._kept.get(s)) is None or kept[1] <= now]
        if wanted:
            found = self._store().get_many(wanted)
            for subject in wanted:
                raw = found.get(subject)
                self._keep(subject, None if raw is None else AESGCM(raw), now)

    def for_writing(self, subject: UUID) -> AESGCM | None:
        """The subject's key, made if it has none; None once destroyed."""
        kept = self._kept.get(subject)
        if kept is not None and kept[0] is None:
            del self._kept[subject]  # absent when read, perhaps: made now unless destroyed
        return self._key(subject, self._store().create)

    def destroy(self, subject: UUID) -> bool:
        self._kept.pop(subject, None)
        return self._store().destroy(subject)

    def _key(self, subject: UUID, fetch: Callable[[UUID], bytes | None]) -> AESGCM | None:
        now = self.clock()
        kept = self._kept.get(subject)
        if kept is not None and kept[1] > now:
            return kept[0]
        raw = fetch(subject)
        aead = None if raw is None else AESGCM(raw)
        self._keep(subject, aead, now)
        return aead

    def _keep(self, subject: UUID, aead: AESGCM | None, now: float) -> None:
        if len(self._kept) >= KEPT_KEYS:  # bounded: the expired go first, else all
            self._kept = {s: kept for s, kept in self._kept.items() if kept[1] > now}
            if len(self._kept) >= KEPT_KEYS:
                self._kept.clear()
        self._kept[subject] = (aead, now + self.seconds)

    def _store(self) -> KeyStore:
        if self.store is None:
            raise RuntimeError("the key ring has no key store yet")  # the ledger sets it once its store is open
        return self.store


@dataclass(frozen=True)
class Sealed:
    """A personal value and the subject whose key seals it."""

    subject: UUID
    value: str


class SealedField(Transcoding):
    """``Sealed`` ↔ ``"<subject hex>:<base64 nonce+ciphertext>"``; decoded to the
    plaintext, or ``[erased]`` when the subject's key is gone."""

    type = Sealed
    name = SEALED

    def __init__(self, keys: KeyRing):
        self.keys = keys

    def encode(self, obj: Sealed) -> str:
        aead = self.keys.for_writing(obj.subject)
        if aead is None:
            raise ValueError(f"the personal data of {obj.subject} is erased: nothing is sealed for it")
        nonce = os.urandom(NONCE_BYTES)
        sealed = nonce + aead.encrypt(nonce, obj.value.encode("utf-8"), obj.subject.bytes)
        return f"{obj.subject.hex}:{b64encode(sealed).decode('ascii')}"

    def decode(self, data: str) -> str:
        subject_hex, _, box = data.partition(":")
        subject = UUID(subject_hex)
        aead = self.keys.for_reading(subject)
        if aead is None:
            return ERASED
        sealed = b64decode(box)
        try:
            return aead.decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], subject.bytes).decode("utf-8")
        except InvalidTag:
            raise ValueError(f"a sealed value of {subject} does not open with its key: it was altered") from None


@dataclass(frozen=True)
class PersonalFields:
    """Where an event's personal values are (paths into its state) and whose key seals them."""

    paths: tuple[tuple[str, ...], ...]
    subject: Callable[[Mapping[str, Any], UUID], UUID]


def _itself(state: Mapping[str, Any], originator_id: UUID) -> UUID:
    return originator_id


def _notice_debtor(state: Mapping[str, Any], originator_id: UUID) -> UUID:
    return Debtor.create_id(state["debtor_afm"])


DEBTOR_FIELDS = (("name",), ("amka",))
PERSONAL_FIELDS: dict[str, PersonalFields] = {
    Debtor.Registered.TOPIC: PersonalFields(DEBTOR_FIELDS, _itself),  # type: ignore[attr-defined]
    Debtor.CreditRefunded.TOPIC: PersonalFields((("iban",),), _itself),  # type: ignore[attr-defined]
    BankPayment.RefundOrdered.TOPIC: PersonalFields((("iban",),), _itself),  # type: ignore[attr-defined]
    Notice.Issued.TOPIC: PersonalFields((("content", "name"),), _notice_debtor),  # type: ignore[attr-defined]
}
# A snapshot's state holds its aggregate's under "state"; only a debtor's is personal.
SNAPSHOT_TOPIC = get_topic(Snapshot)
SNAPSHOT_FIELDS = {Debtor.TOPIC: PersonalFields(tuple(("state", *p) for p in DEBTOR_FIELDS), _itself)}


def personal_fields(topic: str, state: Mapping[str, Any]) -> PersonalFields | None:
    if topic == SNAPSHOT_TOPIC:
        return SNAPSHOT_FIELDS.get(state.get("topic"))  # type: ignore[arg-type]
    return PERSONAL_FIELDS.get(topic)


class PersonalDataSealer:
    """Seals the personal fields of an event's state as the mapper writes it."""

    def __init__(self, transcoding: SealedField):
        self.transcoding = transcoding

    def sealed(self, topic: str, state: dict[str, Any], originator_id: UUID) -> dict[str, Any]:
        """``state`` with its personal values sealed (nested dicts copied, never the event's
        own changed); unchanged when it has none."""
        fields = personal_fields(topic, state)
        if fields is None:
            return state
        subject = fields.subject(state, originator_id)
        for path in fields.paths:
            state = _replaced(state, path, lambda value: self._envelope(subject, value))
        return state

    def _envelope(self, subject: UUID, value: Any) -> Any:
        if not isinstance(value, str) or value == ERASED:
            return value  # None (no ΑΜΚΑ), or already erased
        if self.transcoding.keys.for_writing(subject) is None:
            return ERASED  # the subject was erased: what comes later of it is not kept either
        return {"_type_": SEALED, "_data_": self.transcoding.encode(Sealed(subject, value))}


def _replaced(state: dict[str, Any], path: tuple[str, ...], change: Callable[[Any], Any]) -> dict[str, Any]:
    head, rest = path[0], path[1:]
    if not isinstance(state, dict) or head not in state:
        return state
    value = state[head]
    return {**state, head: _replaced(value, rest, change) if rest else change(value)}


# A sealed envelope in a stored state's JSON, as ``PersonalDataSealer`` writes it (its keys
# in that order): the subject whose key opens it.
_SEALED_SUBJECT = re.compile(rb'\{"_type_":\s*"sealed",\s*"_data_":\s*"([0-9a-f]{32}):')
PERSONAL_TOPICS = frozenset((*PERSONAL_FIELDS, SNAPSHOT_TOPIC))


def sealed_subjects(states: Iterable[bytes]) -> set[UUID]:
    """The subjects of the sealed values in ``states`` (stored JSON, decrypted): what a
    reader of many events is about to ask the keys of (``KeyRing.prefetch``)."""
    return {UUID(hex=found.decode()) for state in states for found in _SEALED_SUBJECT.findall(state)}


def is_sealed(value: Any) -> bool:
    """Whether a value of a stored JSON state (parsed, not decoded) is a sealed envelope."""
    return isinstance(value, dict) and value.get("_type_") == SEALED and len(value) == 2


def sealing_enabled(environ: Mapping[str, str]) -> bool:
    return environ.get(SEALING_VARIABLE, "on").strip().lower() not in ("off", "0", "no", "false")


def _now() -> str:
    return datetime.now(timezone.utc).isoformat()
