"""``/login``, ``/auth/callback``, ``POST /logout`` (interfaces §3): the code flow with
the provider, then a session of our own (``sessions``)."""

from __future__ import annotations

import httpx
from authlib.integrations.starlette_client import OAuthError
from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from ledger.entrypoints.http import pages
from ledger.entrypoints.http.api import DEBTOR, PUBLIC
from ledger.entrypoints.http.auth import identity, signed_in
from ledger.entrypoints.http.identity import User
from ledger.entrypoints.http.portal import Refused
from ledger.i18n import N_

router = APIRouter(include_in_schema=False)


@router.get("/login", tags=[PUBLIC])
async def login(request: Request) -> Response:
    request.state.access_event = "login-start"
    try:
        redirect: Response = await identity(request).client.authorize_redirect(request,
                                                                              str(request.url_for("callback")))
    except httpx.HTTPError as error:  # its discovery document did not come
        return pages.error_page(request, 503, N_("the identity provider does not answer ({error}): try again in a few minutes").format(
                                    error=type(error).__name__), title="Η σύνδεση δεν είναι διαθέσιμη")
    return redirect


@router.get("/auth/callback", tags=[PUBLIC])
async def callback(request: Request) -> Response:
    found = identity(request)
    request.state.access_event = "login"
    try:
        token = await found.client.authorize_access_token(request)
    except OAuthError as error:
        request.state.access_event = "login-failed"
        return pages.error_page(request, 401, N_("the sign-in did not complete: {reason}").format(
            reason=error.description or error.error))
    claims = await found.claims_of(token)
    try:
        user = await found.user_of(claims)
    except Refused as refusal:
        request.state.access_event = "login-refused"
        return pages.error_page(request, 403, str(refusal), title="Η εγγραφή δεν είναι δυνατή")
    request.session.clear()
    request.session["token"] = await run_in_threadpool(found.store.open, user)
    request.state.user = user
    return RedirectResponse(pages.home_of(user), 303)


@router.post("/logout", tags=[DEBTOR])  # any signed-in user
async def logout(request: Request, user: User = Depends(signed_in)) -> Response:
    """Ends the session on the server too: its cookie is worth nothing after."""
    request.state.access_event = "logout"
    token = request.session.get("token")
    if token:
        await run_in_threadpool(identity(request).store.close, token)
    request.session.clear()
    return RedirectResponse("/", 303)
