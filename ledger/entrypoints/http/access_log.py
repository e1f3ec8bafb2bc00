"""W10: every sign-in and every view goes to an access log, kept apart from the
domain events: JSON Lines in ``LEDGER_ACCESS_LOG`` (default ``ledger-access.log``),
written by a background thread so a request never waits on the disk. Who (the
provider's subject, the debtor's ΑΦΜ, the roles), what (method, path, status) and
when; never a query string's values, nor a token."""

from __future__ import annotations

import atexit
import json
import logging
import logging.handlers
import queue
import time
from datetime import datetime, timezone
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class AccessLog:
    def __init__(self, path: str):
        self.logger = logging.getLogger(f"ledger.access.{path}")
        self.logger.propagate = False
        self.logger.setLevel(logging.INFO)
        if not self.logger.handlers:
            records: queue.Queue[logging.LogRecord] = queue.Queue()
            self.listener = logging.handlers.QueueListener(records, logging.FileHandler(path, encoding="utf-8"))
            self.listener.start()
            atexit.register(self.listener.stop)
            self.logger.addHandler(logging.handlers.QueueHandler(records))

    def write(self, **entry: Any) -> None:
        entry = {"at": datetime.now(timezone.utc).isoformat(timespec="milliseconds"), **entry}
        self.logger.info(json.dumps(entry, ensure_ascii=False))


class Middleware:
    """Logs each HTTP request once its response has started (pure ASGI: no body buffering)."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/static/"):
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = {"code": 500}

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            state = scope.get("state", {})
            user = state.get("user")
            scope["app"].state.access_log.write(
                event=state.get("access_event", "view"), method=scope["method"], path=scope["path"],
                status=status["code"], ms=round((time.perf_counter() - started) * 1000, 1),
                subject=user.subject if user else None, afm=user.afm if user else None,
                roles=sorted(user.roles) if user else [],
                client=scope["client"][0] if scope.get("client") else None)
