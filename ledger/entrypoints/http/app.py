"""The ASGI application of ``ledger serve``: routes, sessions, errors, the access log.

``create_app`` wires one ``Portal`` over the entrypoints' ``Bootstrap`` (the same
ledger and read models as the CLI), the identity provider and the session store; its
lifespan runs the follower that keeps the read models current.

Errors answer as the CLI's do, with the field and the reason: 422 for a bad
parameter (``{"detail": [{"loc": [where, field], "msg": reason}]}``, FastAPI's own
shape), 404 for what is not there or not the user's (W7), 409 for a command the
state refuses, 401 and 403 for who is asking. An HTML page gets the same status with
a page saying it.
"""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from aggregates.errors import DomainError, NotAllowed
from ledger.entrypoints.bootstrap import Bootstrap
from ledger.entrypoints.http import access_log, pages, signing
from ledger.entrypoints.http.api import PUBLIC, api
from ledger.entrypoints.http.auth import Identity
from ledger.entrypoints.http.config import WebConfig
from ledger.entrypoints.http.fast import CachedSessions, ViewCache
from ledger.entrypoints.http.portal import Portal
from ledger.errors import NotFound

SESSION_COOKIE = "keao_session"


def create_app(services: Bootstrap, config: WebConfig, follow: bool = True) -> FastAPI:
    portal = Portal(services, config)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        stop = threading.Event()
        follower = threading.Thread(target=portal.follower, args=(stop,), name="read-models", daemon=True)
        if follow:
            follower.start()
        try:
            yield
        finally:
            stop.set()
            if follow:
                follower.join(timeout=30)
            await app.state.views.aclose()

    app = FastAPI(title="KEAO arrangement ledger", version="1", lifespan=lifespan,
                  description="The debtors' e-services and the staff's consoles (domain §11, interfaces §3).",
                  docs_url=None, redoc_url=None)
    app.state.portal = portal
    app.state.identity = Identity(config, portal, CachedSessions(services.runner().engine, config.session_hours))
    app.state.views = ViewCache(portal)  # the debt table and clearance JSON by the read models' position
    app.state.access_log = access_log.AccessLog(config.access_log)
    app.add_middleware(access_log.Middleware)
    app.add_middleware(SecurityHeaders)
    # Signed (itsdangerous), HttpOnly, SameSite=Lax; Secure but in --dev on loopback.
    app.add_middleware(SessionMiddleware, secret_key=config.session_secret, session_cookie=SESSION_COOKIE,
                       max_age=config.session_hours * 3600, same_site="lax", https_only=config.secure_cookies)
    app.include_router(api)
    app.include_router(signing.router)
    app.include_router(pages.router)
    app.mount("/static", StaticFiles(packages=[("ledger.entrypoints.http", "static")]), name="static")

    @app.get("/healthz", tags=[PUBLIC], summary="Alive, and the read models' lag")
    def healthz() -> dict[str, Any]:
        rows = portal.projections()
        return {"status": "ok", "lag_events": max((r["lag_events"] for r in rows), default=0)}

    app.add_exception_handler(DomainError, domain_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    return app


# No framing, no sniffing, no referrer leaving the site, scripts from nowhere (there are
# none); and nothing of a debtor's kept in a cache, the browser's or a proxy's.
SECURITY_HEADERS = [
    (b"content-security-policy", b"default-src 'self'; script-src 'none'; frame-ancestors 'none'; "
                                 b"form-action 'self'; base-uri 'none'"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
]
NO_STORE = (b"cache-control", b"no-store")


class SecurityHeaders:
    """Every response's headers (pure ASGI); the stylesheet alone may be cached."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = SECURITY_HEADERS if scope["path"].startswith("/static/") else [*SECURITY_HEADERS, NO_STORE]

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, receive, sending)


def wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or "text/html" not in request.headers.get("accept", "")


def http_field(name: str) -> str:
    """A CLI field name as the HTTP parameter it is: ``--as-of`` → ``as_of``, ``NOTICE_ID`` → ``notice_id``."""
    return name.lstrip("-").replace("-", "_").lower()


async def domain_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, DomainError)
    field = http_field(error.field)
    if isinstance(error, NotFound):
        status, body = 404, {"detail": error.reason}
    elif isinstance(error, NotAllowed):
        status, body = 409, {"detail": [{"loc": [field], "msg": error.reason, "type": "not_allowed"}]}
    else:
        status, body = 422, {"detail": [{"loc": [field], "msg": error.reason, "type": "value_error"}]}
    if wants_json(request):
        return JSONResponse(body, status)
    return pages.error_page(request, status, error.reason if status != 422 else f"{field}: {error.reason}")


async def validation_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, RequestValidationError)
    detail = [{"loc": list(e["loc"]), "msg": e["msg"], "type": e["type"]} for e in error.errors()]
    if wants_json(request):
        return JSONResponse({"detail": detail}, 422)
    return pages.error_page(request, 422, "; ".join(f"{e['loc'][-1]}: {e['msg']}" for e in detail))


async def http_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, StarletteHTTPException)
    if wants_json(request):
        return JSONResponse({"detail": error.detail}, error.status_code, headers=error.headers)
    response: HTMLResponse = pages.error_page(request, error.status_code, str(error.detail))
    return response


def from_environment() -> FastAPI:
    """uvicorn's factory for ``ledger serve --workers N``: one app per worker process."""
    import os

    from ledger.entrypoints.bootstrap import services

    services.use(os.environ.get("LEDGER_DB_URL"))
    return create_app(services, WebConfig.from_environment(dev=bool(os.environ.get("LEDGER_WEB_DEV"))))
