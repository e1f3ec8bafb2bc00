"""Sign-in through OpenID Connect (W5): authlib's client does the code flow with the
provider named by ``LEDGER_OIDC_ISSUER`` (TaxisNet's OAuth 2.0 in production); the
ΑΦΜ comes only from its claim, never from the user (W5, W6). Machines send the same
provider's access tokens as ``Authorization: Bearer``, checked at its userinfo
endpoint (so any standard provider works, opaque tokens included), for a minute.

Who is asking is a dependency of every route but the public ones: ``signed_in`` (401
without a session), ``staff`` and ``operator`` (403 without the role). A form's POST
with a session must carry its CSRF token; a bearer token needs none (no cookie, no
cross-site forgery).
"""

from __future__ import annotations

import hashlib
import hmac
import time
from typing import Any

import httpx
from authlib.integrations.starlette_client import OAuth, OAuthError
from fastapi import HTTPException, Request
from starlette.concurrency import run_in_threadpool

from ledger.actors import act_as
from ledger.entrypoints.http.config import WebConfig
from ledger.entrypoints.http.identity import OPERATOR, User, name_of, roles_of
from ledger.entrypoints.http.portal import Portal, Refused
from ledger.entrypoints.http.sessions import Session, SessionStore
from ledger.i18n import N_

BEARER_CACHE_SECONDS = 60.0
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
UNSET = object()  # the request's session not looked up yet


class Identity:
    """The provider, the session store and the bearer tokens' cache of one app."""

    def __init__(self, config: WebConfig, portal: Portal, store: SessionStore):
        self.config = config
        self.portal = portal
        self.store = store
        self.oauth = OAuth()
        self.oauth.register(
            "provider", client_id=config.client_id, client_secret=config.client_secret,
            server_metadata_url=config.issuer.rstrip("/") + "/.well-known/openid-configuration",
            client_kwargs={"scope": "openid profile", "code_challenge_method": "S256"},  # PKCE beside the secret
        )
        self._bearers: dict[str, tuple[float, User]] = {}

    @property
    def client(self) -> Any:
        return self.oauth.provider

    async def user_of(self, claims: dict[str, Any]) -> User:
        """W6: the account of these claims, or ``Refused`` with the reason."""
        roles = roles_of(claims, self.config.roles_claim)
        return await run_in_threadpool(self.portal.sign_in, str(claims.get("sub", "")), name_of(claims), roles,
                                       claims.get(self.config.afm_claim))

    async def claims_of(self, token: dict[str, Any]) -> dict[str, Any]:
        """The ID token's claims, then userinfo's for what it lacks (interfaces §3)."""
        claims = dict(token.get("userinfo") or {})
        if self.config.afm_claim not in claims or self.config.roles_claim not in claims:
            try:
                claims = {**dict(await self.client.userinfo(token=token)), **claims}
            except (OAuthError, httpx.HTTPError):
                pass  # the ID token's claims are all there is
        return claims

    async def bearer(self, token: str) -> User:
        key = hashlib.sha256(token.encode()).hexdigest()
        cached = self._bearers.get(key)
        if cached and cached[0] > time.monotonic():
            return cached[1]
        metadata = await self.client.load_server_metadata()
        async with httpx.AsyncClient(timeout=10) as http:
            answer = await http.get(metadata["userinfo_endpoint"], headers={"Authorization": f"Bearer {token}"})
        if answer.status_code != 200:
            raise HTTPException(401, N_("the bearer token is not valid"), {"WWW-Authenticate": 'Bearer error="invalid_token"'})
        try:
            user = await self.user_of(answer.json())
        except Refused as refusal:
            raise HTTPException(403, str(refusal)) from None
        if len(self._bearers) > 10_000:
            self._bearers.clear()
        self._bearers[key] = (time.monotonic() + BEARER_CACHE_SECONDS, user)
        return user


def identity(request: Request) -> Identity:
    found: Identity = request.app.state.identity
    return found


async def optional_session(request: Request) -> Session | None:
    """The session the cookie names, or a bearer token's user; None if neither."""
    cached = getattr(request.state, "session", UNSET)
    if cached is not UNSET:
        return cached  # type: ignore[no-any-return]
    found: Session | None = None
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        found = Session(await identity(request).bearer(header[7:].strip()), csrf="")
        request.state.bearer = True
    else:
        token = request.session.get("token")
        if token:
            store = identity(request).store
            # A session kept in memory (fast.CachedSessions) is answered here, without the threadpool.
            found = store.cached(token) or await run_in_threadpool(store.find, token)
            if found is None:
                request.session.clear()  # ended (logout, expiry): the cookie goes too
    request.state.session = found
    if found is not None:
        request.state.user = found.user
    return found


async def signed_in(request: Request) -> User:
    """401 without a session; a POST's CSRF token checked (a bearer needs none)."""
    session = await optional_session(request)
    if session is None:
        raise HTTPException(401, N_("sign in first"), {"WWW-Authenticate": "Bearer"})
    # O1: what this request records is the signed-in user's (a context variable: this request's task only)
    act_as(web_actor(session.user))
    if request.method not in SAFE_METHODS and not getattr(request.state, "bearer", False):
        await check_csrf(request, session)
    return session.user


async def check_csrf(request: Request, session: Session) -> None:
    sent = request.headers.get("x-csrf-token")
    if sent is None and request.headers.get("content-type", "").startswith(
            ("application/x-www-form-urlencoded", "multipart/form-data")):
        sent = (await request.form()).get("csrf")
    if not isinstance(sent, str) or not hmac.compare_digest(sent, session.csrf):
        raise HTTPException(403, N_("the form's CSRF token is missing or wrong: reload the page and try again"))


async def staff(request: Request) -> User:
    user = await signed_in(request)
    if not user.is_staff:
        raise HTTPException(403, N_("for KEAO staff only (role operator or auditor)"))
    return user


async def operator(request: Request) -> User:
    user = await signed_in(request)
    if OPERATOR not in user.roles:
        raise HTTPException(403, N_("for KEAO operators only (role operator)"))
    return user


def web_actor(user: User) -> str:
    """O1: ``web:`` and the provider's subject (a debtor's account id, W9; a staff member's login)."""
    return f"web:{user.subject}"


def csrf_token(request: Request) -> str:
    session: Session | None = getattr(request.state, "session", None)
    return session.csrf if session else ""
