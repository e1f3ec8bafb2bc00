"""Who caused an event (O1): the actor every command's events record.

An entrypoint says who acts for everything it runs (the CLI's ``--as`` or
``LEDGER_USER``, ``kafka:<topic>`` for a consumer's messages, the signed-in user
of a web request) with ``acting_as``; the close of day acts as
``system:close-day``. The unit of work stamps the actor on each event it commits
(``Ledger.commit``), so no handler passes it along. A context variable, so that
concurrent requests of one process each keep their own.
"""

from __future__ import annotations

import getpass
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

CLOSE_DAY = "system:close-day"

_ACTOR: ContextVar[str | None] = ContextVar("ledger_actor", default=None)


def kafka(topic: str) -> str:
    return f"kafka:{topic}"


def current_actor() -> str:
    """The actor set by ``acting_as``; else the OS login name (interfaces §1.2's default)."""
    return _ACTOR.get() or default_actor()


def act_as(actor: str) -> None:
    """``actor`` acts for the rest of this context (an entrypoint's process or thread)."""
    _ACTOR.set(actor)


@contextmanager
def acting_as(actor: str) -> Iterator[str]:
    token = _ACTOR.set(actor)
    try:
        yield actor
    finally:
        _ACTOR.reset(token)


def default_actor() -> str:
    """The OS login name: who runs the command when no one is named."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name for this uid (a container's)
        return "unknown"
