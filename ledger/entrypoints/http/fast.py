"""The fast paths of the debtor's API (``bench/web.py``), each beside its plain path,
which stays the reference (``tests/integration/test_web_fast_paths.py`` compares them).

**Views by the read models' position** (``ViewCache``). A debtor's debt table and
clearance today are a pure function of the read-model tables (and of the process's
settings): ``ledger.views`` reads nothing else (no clock; the business date is the
read models' calendar). Each projection's tracking row moves in the very transaction
that writes its rows (``Runner.apply_batch``), and a blue/green switch changes
``projection_state``. So a request reads, in its snapshot (REPEATABLE READ on
PostgreSQL, as ``projections.reader.reading``), every active projection's (name,
version, slot, position): one small query. If the JSON of (view, ΑΦΜ) was encoded at
those very positions, it is the answer, byte for byte what the plain path would give
(``LedgerJSON(Portal.debt_table(...))``); else it is computed in the same snapshot,
encoded once and kept. Whichever process moves the read models (this worker's
follower, another worker's, ``ledger projections run``), the next request sees new
positions: no invalidation to miss, and read-your-writes across workers holds as
without the cache. The cache keeps one generation: entries of the current positions
only (older ones are dropped when the positions move), at most ``VIEW_CACHE_ENTRIES``
and ``VIEW_CACHE_BYTES``. While the log moves (payments arriving), every catch-up
empties it; it serves the reads between. W7 is checked before it, on every request;
staff's ``as_of`` replays, uncached, as before. ``LEDGER_WEB_VIEW_CACHE=0`` turns it off.

**Sessions** (``CachedSessions``): the row of a session's token hash, kept for
``LEDGER_WEB_SESSION_CACHE_SECONDS`` (default 5; 0 turns it off) in the process. A
logout in this process ends it here at once; in another worker process it ends there
within those seconds (the bearer tokens' userinfo answer is trusted for 60 s,
``auth.BEARER_CACHE_SECONDS``). The session's own expiry is checked on every hit.
"""

from __future__ import annotations

import asyncio
import os
import threading
import time
from collections import OrderedDict
from datetime import date, datetime, timezone
from typing import Any

from urllib.parse import urlparse, urlunparse

import psycopg
from sqlalchemy import Connection, and_, select
from sqlalchemy.dialects import postgresql
from starlette.concurrency import run_in_threadpool

from ledger import views
from ledger.entrypoints.http.api import ledger_json
from ledger.entrypoints.http.identity import User
from ledger.entrypoints.http.portal import Portal
from ledger.entrypoints.http.sessions import Session, SessionStore, digest
from ledger.store.urls import is_postgres
from projections.db import projection_state, projection_tracking, schema_of
from projections.reader import ProjectionReader

VIEW_CACHE_ENTRIES = 20_000
VIEW_CACHE_BYTES = 64 * 1024 * 1024
SESSION_CACHE_SECONDS = 5.0
CACHED_VIEWS = ("debt_table", "clearance")


def encode(view: Any) -> bytes:
    """The body ``api.LedgerJSON`` renders."""
    return ledger_json(view)


# Every active projection's (name, version, slot, position).
_s, _t = projection_state, projection_tracking
POSITIONS = (select(_s.c.name, _s.c.active_version, _s.c.active_slot, _t.c.position)
             .join(_t, and_(_t.c.name == _s.c.name, _t.c.version == _s.c.active_version,
                            _t.c.slot == _s.c.active_slot))
             .order_by(_s.c.name))
# The same query as text, for psycopg's async connection (it has no parameters).
PROBE_SQL = str(POSITIONS.compile(dialect=postgresql.dialect()))


def positions(conn: Connection) -> tuple[tuple[str, int, str, int], ...]:
    """``POSITIONS`` in this snapshot."""
    return tuple((r[0], r[1], r[2], r[3]) for r in conn.execute(POSITIONS))


class AsyncProbe:
    """``positions`` as committed, on a few async psycopg connections in autocommit, held
    by the event loop that opened them (a new loop, as tests make, opens its own)."""

    def __init__(self, url: str, size: int = 4):
        schema = schema_of(url)
        self.conninfo = urlunparse(urlparse(url)._replace(scheme="postgresql", query=""))
        self.options = {"options": f"-csearch_path={schema}"} if schema else {}
        self.size = size
        self.loop: asyncio.AbstractEventLoop | None = None
        self.idle: list[psycopg.AsyncConnection[Any]] = []
        self.gate = asyncio.Semaphore(size)

    async def positions(self) -> tuple[tuple[str, int, str, int], ...]:
        loop = asyncio.get_running_loop()
        if loop is not self.loop:
            self.loop, self.idle, self.gate = loop, [], asyncio.Semaphore(self.size)
        async with self.gate:
            for attempt in (1, 2):
                conn = self.idle.pop() if self.idle else await psycopg.AsyncConnection.connect(
                    self.conninfo, autocommit=True, **self.options)
                try:
                    rows = await (await conn.execute(PROBE_SQL)).fetchall()
                except psycopg.OperationalError:  # a connection the server dropped (a restart): once more
                    await conn.close()
                    if attempt == 2:
                        raise
                    continue
                self.idle.append(conn)
                return tuple((r[0], r[1], r[2], r[3]) for r in rows)
        raise AssertionError("unreachable")


class ViewCache:
    def __init__(self, portal: Portal, enabled: bool | None = None,
                 entries: int = VIEW_CACHE_ENTRIES, budget: int = VIEW_CACHE_BYTES):
        self.portal = portal
        if enabled is None:
            enabled = os.environ.get("LEDGER_WEB_VIEW_CACHE", "1") not in ("0", "", "off", "false")
        self.enabled = enabled
        self.entries, self.budget = entries, budget
        self.lock = threading.Lock()
        self.generation: tuple[Any, ...] | None = None
        self.kept: OrderedDict[tuple[str, str], bytes] = OrderedDict()
        self.size = 0
        self.hits = self.misses = 0
        self.async_probe: AsyncProbe | None = None

    async def json_async(self, name: str, user: User, afm: str, as_of: date | None = None) -> bytes:
        """``json`` for the event loop: W7, the probe and a kept answer without leaving
        it (PostgreSQL: psycopg's async connection); anything else in the threadpool.
        A request answered from the threadpool hands the GIL back and forth between the
        loop and a worker thread several times (each database reply), which on two cores
        cost more than the answer itself (``bench/README.md``)."""
        assert name in CACHED_VIEWS
        afm = self.portal.visible_afm(user, afm)  # W7 first, every time
        probed = False
        if self.enabled and self.portal.as_of(user, as_of) is None and self._async_probe() is not None:
            found = self._get(await self.async_probe.positions(), (name, afm))  # type: ignore[union-attr]
            if found is not None:
                return found
            probed = True
        return await run_in_threadpool(self.json, name, user, afm, as_of, probed)

    def json(self, name: str, user: User, afm: str, as_of: date | None = None, probed: bool = False) -> bytes:
        """The view's JSON body, as ``encode(getattr(portal, name)(user, afm, as_of))``.
        ``probed``: the caller found no answer kept at the committed positions just now."""
        assert name in CACHED_VIEWS
        afm = self.portal.visible_afm(user, afm)  # W7 first, every time
        if not self.enabled or self.portal.as_of(user, as_of) is not None:
            return encode(getattr(self.portal, name)(user, afm, as_of))
        runner = self.portal.services.runner()
        runner.setup()
        with runner.engine.connect() as conn:
            if conn.dialect.name == "postgresql":
                conn = conn.execution_options(isolation_level="REPEATABLE READ")
            generation = positions(conn)  # the snapshot's first read: the view below is of these positions
            found = None if probed else self._get(generation, (name, afm))
            if found is None:
                found = encode(getattr(views, name)(ProjectionReader(runner, conn), afm))
                self._put(generation, (name, afm), found)
            conn.rollback()
        return found

    def _async_probe(self) -> AsyncProbe | None:
        if self.async_probe is None and is_postgres(self.portal.services.url()):
            self.async_probe = AsyncProbe(self.portal.services.url())
        return self.async_probe

    async def aclose(self) -> None:
        """At the app's shutdown, in its loop: the async probe's connections too."""
        if self.async_probe is not None:
            for conn in self.async_probe.idle:
                await conn.close()
            self.async_probe.idle = []

    def _get(self, generation: tuple[Any, ...], key: tuple[str, str]) -> bytes | None:
        with self.lock:
            found = self.kept.get(key) if generation == self.generation else None
            if found is None:
                self.misses += 1
            else:
                self.hits += 1
                self.kept.move_to_end(key)
            return found

    def _put(self, generation: tuple[Any, ...], key: tuple[str, str], body: bytes) -> None:
        with self.lock:
            if generation != self.generation:
                # New positions: what was kept is of a state no request will read again
                # (positions only move on; a request still in an older snapshot just misses).
                self.kept.clear()
                self.size = 0
                self.generation = generation
            previous = self.kept.pop(key, None)
            self.size -= len(previous) if previous is not None else 0
            self.kept[key] = body
            self.size += len(body)
            while self.kept and (len(self.kept) > self.entries or self.size > self.budget):
                _, dropped = self.kept.popitem(last=False)
                self.size -= len(dropped)


class CachedSessions(SessionStore):
    """``SessionStore`` whose ``find`` keeps a session's row for a few seconds."""

    def __init__(self, engine: Any, hours: int, seconds: float | None = None):
        super().__init__(engine, hours)
        if seconds is None:
            seconds = float(os.environ.get("LEDGER_WEB_SESSION_CACHE_SECONDS", SESSION_CACHE_SECONDS))
        self.seconds = seconds
        self.lock = threading.Lock()
        self.kept: dict[str, tuple[float, datetime, Session]] = {}

    def cached(self, token: str) -> Session | None:
        """The session kept for ``token``, if it is still within its seconds and not expired."""
        if self.seconds <= 0:
            return None
        with self.lock:
            kept = self.kept.get(digest(token))
        if kept is not None and kept[0] > time.monotonic() and kept[1] > datetime.now(timezone.utc):
            return kept[2]
        return None

    def find(self, token: str) -> Session | None:
        if self.seconds <= 0:
            return super().find(token)
        found = self.cached(token)
        if found is not None:
            return found
        now = time.monotonic()
        found, expires = self.find_until(token)
        if found is not None and expires is not None:
            with self.lock:
                if len(self.kept) > 10_000:
                    self.kept.clear()
                self.kept[digest(token)] = (now + self.seconds, expires, found)
        return found

    def close(self, token: str) -> None:
        with self.lock:
            self.kept.pop(digest(token), None)
        super().close(token)
