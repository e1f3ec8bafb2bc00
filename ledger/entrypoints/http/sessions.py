"""Server-side sessions: the cookie carries only a random token (signed by Starlette's
session middleware); the session lives in ``web_sessions`` beside the read models, so
``POST /logout`` ends it on the server too and every worker process sees that.

The table keeps the token's SHA-256, not the token: whoever reads the database cannot
sign in as someone. It is not a domain record (W10): no event is written for a login.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta, timezone

from sqlalchemy import Column, DateTime, Engine, MetaData, String, Table, Text, delete, insert, select

from ledger.entrypoints.http.identity import User

meta = MetaData()
web_sessions = Table(
    "web_sessions", meta,
    Column("token_hash", String(64), primary_key=True),
    Column("subject", Text, nullable=False),
    Column("name", Text, nullable=False),
    Column("roles", Text, nullable=False),
    Column("afm", String(9)),
    Column("visible", Text, nullable=False),
    Column("csrf", String(64), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Session:
    """A signed-in session: its user and the CSRF token its forms carry."""

    def __init__(self, user: User, csrf: str):
        self.user = user
        self.csrf = csrf


class SessionStore:
    def __init__(self, engine: Engine, hours: int):
        self.engine = engine
        self.lifetime = timedelta(hours=hours)
        meta.create_all(engine, checkfirst=True)

    def open(self, user: User) -> str:
        """A new session for ``user``; returns the token the cookie carries."""
        token = secrets.token_urlsafe(32)
        now = datetime.now(timezone.utc)
        with self.engine.begin() as conn:
            conn.execute(delete(web_sessions).where(web_sessions.c.expires_at < now))
            conn.execute(insert(web_sessions).values(
                token_hash=digest(token), subject=user.subject, name=user.name, roles=" ".join(sorted(user.roles)),
                afm=user.afm, visible=" ".join(sorted(user.visible)), csrf=secrets.token_urlsafe(32),
                expires_at=now + self.lifetime))
        return token

    def cached(self, token: str) -> Session | None:
        """The session if this process keeps it in memory (``fast.CachedSessions``); this store keeps none."""
        return None

    def find(self, token: str) -> Session | None:
        return self.find_until(token)[0]

    def find_until(self, token: str) -> tuple[Session | None, datetime | None]:
        """The session and when it expires; (None, None) if there is none or it expired."""
        with self.engine.connect() as conn:
            row = conn.execute(select(web_sessions).where(web_sessions.c.token_hash == digest(token))).first()
            conn.rollback()
        if row is None or _aware(row.expires_at) < datetime.now(timezone.utc):
            return None, None
        user = User(row.subject, row.name, frozenset(row.roles.split()), row.afm, frozenset(row.visible.split()))
        return Session(user, row.csrf), _aware(row.expires_at)

    def close(self, token: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(delete(web_sessions).where(web_sessions.c.token_hash == digest(token)))


def _aware(moment: datetime) -> datetime:
    """SQLite gives the stored time back without its zone (it was written in UTC)."""
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
