"""JSON under ``/api/v1`` (interfaces §3): the CLI's ``--json`` shapes, byte for byte
the same JSON values (amounts as decimal strings, dates ISO).

Every route declares who may call it by its tag, which ``tests/e2e/test_http_access``
walks: ``debtor`` (any signed-in user, filtered by W7), ``staff`` (operator or
auditor), ``operator``. Views are returned as ``LedgerJSON`` responses, never through
FastAPI's encoder, which would turn a ``Decimal`` into a float.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import JSONResponse, Response

from ledger.entrypoints.http.auth import signed_in, staff
from ledger.entrypoints.http.identity import User
from ledger.entrypoints.http.portal import Portal
from ledger.entrypoints.output import plain


def ledger_json(content: Any) -> bytes:
    """As ``--json`` prints it (``ledger.entrypoints.output.print_json``), on one line."""
    return json.dumps(content, default=plain, ensure_ascii=False).encode("utf-8")


class LedgerJSON(JSONResponse):
    """As ``--json`` prints it (``ledger.entrypoints.output.print_json``)."""

    def render(self, content: Any) -> bytes:
        return ledger_json(content)


def views_of(request: Request) -> Any:
    """The app's ``fast.ViewCache``: the debt table and clearance as JSON by the read models' position."""
    return request.app.state.views


def portal(request: Request) -> Portal:
    found: Portal = request.app.state.portal
    return found


DEBTOR, STAFF, OPERATOR, PUBLIC = "debtor", "staff", "operator", "public"  # the routes' access tags

Signed = Annotated[User, Depends(signed_in)]
Staff = Annotated[User, Depends(staff)]
Ledger = Annotated[Portal, Depends(portal)]
AfmPath = Annotated[str, Path(description="The debtor's ΑΦΜ (9 digits).")]
AsOf = Annotated[date | None, Query(description="Staff only: the view as of this business date (V3); "
                                                "ignored for a debtor (W2).")]
# Identifiers are letters, digits and hyphens: anything else is a 422 naming the
# parameter, before a lookup (PostgreSQL refuses a NUL in text; a 500 otherwise).
IDENTIFIER = r"^[A-Za-z0-9-]{1,64}$"
NOTICE = Annotated[str, Path(description="The notice's number (INV-…, IND-…, INF-…).", pattern=IDENTIFIER)]
PDF = {200: {"content": {"application/pdf": {}}, "description": "The document, as PDF."}}

api = APIRouter(prefix="/api/v1")


@api.get("/me", tags=[DEBTOR], summary="Who is signed in: ΑΦΜ (null for staff), name, roles, KEAO service")
def me(user: Signed, ledger: Ledger) -> Response:
    return LedgerJSON(ledger.me(user))


@api.get("/debtors/{afm}/debt-table", tags=[DEBTOR], summary="The debt table, Πίνακας Χρεών (V1)")
async def debt_table(afm: AfmPath, user: Signed, request: Request, as_of: AsOf = None) -> Response:
    # LedgerJSON(portal.debt_table(user, afm, as_of)), byte for byte (fast.ViewCache)
    body = await views_of(request).json_async("debt_table", user, afm, as_of)
    return Response(body, media_type="application/json")


@api.get("/debtors/{afm}/clearance", tags=[DEBTOR], summary="Clearance, ασφαλιστική ενημερότητα (V2)")
async def clearance(afm: AfmPath, user: Signed, request: Request, as_of: AsOf = None) -> Response:
    # LedgerJSON(portal.clearance(user, afm, as_of)), byte for byte (fast.ViewCache)
    body = await views_of(request).json_async("clearance", user, afm, as_of)
    return Response(body, media_type="application/json")


@api.get("/debtors/{afm}/clearance.pdf", tags=[DEBTOR], summary="The clearance certificate (V2)",
         responses=PDF, response_class=Response)
def clearance_pdf(afm: AfmPath, user: Signed, ledger: Ledger) -> Response:
    return Response(ledger.clearance_pdf(user, afm), media_type="application/pdf",
                    headers={"Content-Disposition": 'inline; filename="clearance.pdf"'})


@api.get("/debtors/{afm}/notices", tags=[DEBTOR], summary="The debtor's notices, in issue order (N2, N6)")
def notices(afm: AfmPath, user: Signed, ledger: Ledger) -> Response:
    return LedgerJSON(ledger.notices(user, afm))


@api.get("/notices/{notice_id}.pdf", tags=[DEBTOR], summary="A notice as printed (N5)", responses=PDF,
         response_class=Response)
def notice_pdf(notice_id: NOTICE, user: Signed, ledger: Ledger) -> Response:
    return Response(ledger.notice_pdf(user, notice_id), media_type="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{notice_id}.pdf"'})


@api.post("/notices/{notice_id}/open", tags=[DEBTOR],
          summary="The debtor opens a notice in its account: its electronic delivery and first opening (W8)")
def open_notice(notice_id: NOTICE, user: Signed, ledger: Ledger) -> Response:
    return LedgerJSON(ledger.open_notice(user, notice_id))


@api.get("/arrangements/{id}", tags=[DEBTOR], summary="One arrangement, by id or payment code")
def arrangement(id: Annotated[str, Path(description="The arrangement's id or payment code (RF…).",
                                        pattern=IDENTIFIER)],
                user: Signed, ledger: Ledger, as_of: AsOf = None) -> Response:
    return LedgerJSON(ledger.arrangement(user, id, as_of))


@api.get("/audit/{id}", tags=[STAFF], summary="The event history of an arrangement, debtor or notice (§14)")
def audit(id: Annotated[str, Path(description="An arrangement's id or payment code, an ΑΦΜ or a notice's number.",
                                  pattern=IDENTIFIER)],
          user: Staff, ledger: Ledger, as_of: AsOf = None) -> Response:
    return LedgerJSON(ledger.audit(id, as_of))


@api.get("/suspense", tags=[STAFF], summary="Payments in suspense, with the reasons (P5)")
def suspense(user: Staff, ledger: Ledger,
             resolved: Annotated[bool, Query(alias="all", description="Also those resolved (O2).")] = False
             ) -> Response:
    return LedgerJSON(ledger.suspense(resolved))


@api.get("/projections", tags=[STAFF], summary="The read models' versions, positions and lag")
def projections(user: Staff, ledger: Ledger) -> Response:
    return LedgerJSON(ledger.projections())
