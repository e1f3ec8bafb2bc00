"""The HTML pages, in Greek, server-rendered (Jinja2; plain HTML and CSS, no script).

Debtors (W1, W2, W8, W9): ``/`` their e-services, ``/debt-table``, ``/arrangements``,
``/notices`` (and ``/notices/N``, the N-th notice: never an ΑΦΜ in a debtor's URL,
W10, and a notice's number holds one), ``/clearance`` (and its PDF), ``/apply``.
Operators: ``/operator/…``; auditors: ``/audit/…``. Every form posts its CSRF token.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, PackageLoader

from ledger.documents.render import with_vocabulary
from ledger.entrypoints import labels
from ledger.entrypoints.output import compact_json
from ledger.entrypoints.http.api import DEBTOR, OPERATOR, STAFF, portal
from ledger.entrypoints.http.auth import csrf_token, operator, optional_session, signed_in, staff
from ledger.entrypoints.http.identity import AUDITOR, User
from ledger.entrypoints.http.identity import OPERATOR as OPERATOR_ROLE
from ledger.entrypoints.http.portal import Portal
from ledger.entrypoints.http.sessions import Session
from ledger.errors import BadInput, NotFound
from ledger.i18n import N_
from projections.runner import PROJECTIONS

router = APIRouter(include_in_schema=False)
templates = with_vocabulary(Environment(loader=PackageLoader("ledger.entrypoints.http"), autoescape=True,
                                        trim_blocks=True, lstrip_blocks=True))
templates.filters["say"] = labels.say  # the views' reasons, in Greek
templates.filters["compact"] = lambda payload: compact_json({k: v for k, v in payload.items() if k not in ("key", "actor")})
templates.globals["instalment_statuses"] = {"pending": "Προσεχής", "due": "Απαιτητή", "paid": "Εξοφλημένη",
                                            "missed": "Ανεξόφλητη"}
# W9: the schemes a debtor may apply for online; the disaster arrangement needs the
# municipality's certificate of damage, checked at a KEAO service (ND2) [P].
ONLINE_SCHEMES = ("standing", "covid-650")

Signed = Annotated[User, Depends(signed_in)]
Staff = Annotated[User, Depends(staff)]
Operator = Annotated[User, Depends(operator)]
Ledger = Annotated[Portal, Depends(portal)]
PRINTABLE = r"^[^\x00-\x1f\x7f]*$"  # no control characters (PostgreSQL refuses a NUL)
AsOf = Annotated[date | None, Query(description="The views as of this business date (V3).")]


def page(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    user = getattr(request.state, "user", None)
    html = templates.get_template(template).render(request=request, user=user, csrf=csrf_token(request),
                                                   is_operator=bool(user and OPERATOR_ROLE in user.roles),
                                                   is_auditor=bool(user and user.is_staff), **context)
    return HTMLResponse(html, status)

TITLES = {401: "Απαιτείται σύνδεση", 403: "Δεν επιτρέπεται", 404: "Δεν βρέθηκε", 409: "Δεν είναι δυνατό",
          422: "Λάθος στοιχεία"}


def error_page(request: Request, status: int, reason: str, title: str | None = None) -> HTMLResponse:
    return page(request, "error.html", status, status_code=status, title=title or TITLES.get(status, "Σφάλμα"),
                reason=reason)


def own_afm(user: User) -> str:
    """The debtor's own ΑΦΜ; staff have none (their pages are /operator/ and /audit/)."""
    if user.afm is None:
        raise NotFound("afm", N_("staff have no e-services of their own: see /operator/ or /audit/"))
    return user.afm


def units(user: User) -> list[str]:
    """The debtor first, then its branch units (W7, D1)."""
    afm = own_afm(user)
    return [afm, *sorted(user.visible - {afm})]


# -- the debtor's e-services -----------------------------------------------------------


@router.get("/", tags=["public"])
def home(request: Request, ledger: Ledger,
         session: Annotated[Session | None, Depends(optional_session)]) -> Response:
    """The front door: a welcome with the sign-in for a visitor, the e-services' summary
    for a debtor (W2), the staff's index for staff."""
    if session is None:
        return page(request, "welcome.html")
    user = session.user
    if user.is_staff:
        return RedirectResponse(home_of(user), 303)
    return page(request, "home.html", **ledger.home(user, own_afm(user)))


def home_of(user: User) -> str:
    """Where a user lands: the e-services for a debtor, the staff's index for staff."""
    if OPERATOR_ROLE in user.roles:
        return "/operator/"
    if AUDITOR in user.roles:
        return "/audit/"
    return "/"


@router.get("/debt-table", tags=[DEBTOR])
def debt_table(request: Request, user: Signed, ledger: Ledger) -> Response:
    return page(request, "debt_table.html", tables=[ledger.debt_table(user, afm) for afm in units(user)])


@router.get("/arrangements", tags=[DEBTOR])
def arrangements(request: Request, user: Signed, ledger: Ledger) -> Response:
    return page(request, "arrangements.html", arrangements=ledger.arrangements(user, own_afm(user)))


@router.get("/clearance", tags=[DEBTOR])
def clearance(request: Request, user: Signed, ledger: Ledger) -> Response:
    return page(request, "clearance.html", clearance=ledger.clearance(user, own_afm(user)))


@router.get("/clearance.pdf", tags=[DEBTOR])
def clearance_pdf(user: Signed, ledger: Ledger) -> Response:
    return Response(ledger.clearance_pdf(user, own_afm(user)), media_type="application/pdf",
                    headers={"Content-Disposition": 'inline; filename="clearance.pdf"'})


@router.get("/notices", tags=[DEBTOR])
def notices(request: Request, user: Signed, ledger: Ledger) -> Response:
    return page(request, "notices.html", notices=list(enumerate(ledger.notices(user, own_afm(user)), 1)))


def nth_notice(user: User, ledger: Portal, n: int) -> dict[str, Any]:
    found = ledger.notices(user, own_afm(user))
    if not 1 <= n <= len(found):
        raise NotFound("n", f"no notice {n}")
    return found[n - 1]


# Before ``/notices/{n}``, whose ``{n}`` would take ``1.pdf`` and refuse it as no integer (422).
@router.get("/notices/{n:int}.pdf", tags=[DEBTOR])
def notice_pdf(n: int, user: Signed, ledger: Ledger) -> Response:
    found = nth_notice(user, ledger, n)  # unopened: 409, from the portal (W8)
    return Response(ledger.notice_pdf(user, found["id"]), media_type="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{found["kind"]}-{n}.pdf"'})


@router.get("/notices/{n:int}", tags=[DEBTOR])
def notice(request: Request, n: int, user: Signed, ledger: Ledger) -> Response:
    return page(request, "notice.html", n=n, notice=nth_notice(user, ledger, n))


@router.post("/notices/{n:int}/open", tags=[DEBTOR])
def open_notice(n: int, user: Signed, ledger: Ledger) -> Response:
    """W8: opening it is its electronic delivery (if not delivered by post) and its first opening."""
    ledger.open_notice(user, nth_notice(user, ledger, n)["id"])
    return RedirectResponse(f"/notices/{n}", 303)


@router.get("/apply", tags=[DEBTOR])
def application_form(request: Request, user: Signed) -> Response:
    own_afm(user)
    return page(request, "apply.html", online_schemes=ONLINE_SCHEMES, plan=None, chosen=None, instalments=None)


@router.post("/apply", tags=[DEBTOR])
def application(request: Request, user: Signed, ledger: Ledger, scheme: Annotated[str, Form()],
                instalments: Annotated[int | None, Form(ge=1, le=240)] = None,
                confirm: Annotated[bool, Form()] = False) -> Response:
    """W9: without ``confirm``, the plan the scheme would grant; with it, the application."""
    own_afm(user)
    if scheme not in ONLINE_SCHEMES:
        raise BadInput("scheme", f"online, one of {', '.join(ONLINE_SCHEMES)}; a disaster arrangement is applied "
                                 "for at a KEAO service with the certificate of damage")
    plan = ledger.application(user, scheme, instalments, confirm)
    if confirm:
        return RedirectResponse("/arrangements", 303)
    return page(request, "apply.html", online_schemes=ONLINE_SCHEMES, plan=plan, chosen=scheme, instalments=instalments)


# -- operators ---------------------------------------------------------------------------


@router.get("/operator/", tags=[OPERATOR])
def operator_home(request: Request, user: Operator, ledger: Ledger,
                  q: Annotated[str | None, Query(max_length=200, pattern=PRINTABLE)] = None) -> Response:
    found = ledger.search(q) if q else None
    return page(request, "operator/index.html", q=q, found=found)


@router.get("/operator/debtors/{afm}", tags=[OPERATOR])
def operator_debtor(request: Request, afm: str, user: Operator, ledger: Ledger, as_of: AsOf = None) -> Response:
    table = ledger.debt_table(user, afm, as_of)
    return page(request, "operator/debtor.html", table=table, clearance=ledger.clearance(user, afm, as_of),
                notices=ledger.notices(user, afm), as_of=as_of)


@router.get("/operator/suspense", tags=[OPERATOR])
def operator_suspense(request: Request, user: Operator, ledger: Ledger) -> Response:
    return page(request, "operator/suspense.html", entries=ledger.suspense())


@router.post("/operator/suspense/assign", tags=[OPERATOR])
def operator_assign(request: Request, user: Operator, ledger: Ledger, tx_id: Annotated[str, Form()],
                    bank: Annotated[str, Form()], to: Annotated[str, Form()],
                    reason: Annotated[str, Form()]) -> Response:
    return resolved(request, tx_id, ledger.assign(tx_id, bank, to, reason))


@router.post("/operator/suspense/refund", tags=[OPERATOR])
def operator_refund(request: Request, user: Operator, ledger: Ledger, tx_id: Annotated[str, Form()],
                    bank: Annotated[str, Form()], iban: Annotated[str, Form()],
                    reason: Annotated[str, Form()]) -> Response:
    return resolved(request, tx_id, ledger.refund(tx_id, bank, iban, reason))


def resolved(request: Request, tx_id: str, outcome: Any) -> Response:
    """O2: what became of the payment in suspense."""
    return page(request, "operator/done.html", what=f"Πληρωμή {tx_id}", outcome=outcome, back="/operator/suspense")


@router.get("/operator/corrections", tags=[OPERATOR])
def operator_corrections(request: Request, user: Operator, ledger: Ledger) -> Response:
    return page(request, "operator/corrections.html", rows=ledger.corrections())


@router.get("/operator/notices", tags=[OPERATOR])
def operator_notices(request: Request, user: Operator, ledger: Ledger) -> Response:
    return page(request, "operator/notices.html", notices=ledger.undelivered_notices())


@router.post("/operator/notices/deliver", tags=[OPERATOR])
def operator_deliver(request: Request, user: Operator, ledger: Ledger, notice_id: Annotated[str, Form()],
                     proof: Annotated[str, Form()]) -> Response:
    ledger.deliver_by_post(notice_id, proof)
    return RedirectResponse("/operator/notices", 303)


@router.get("/operator/projections", tags=[OPERATOR])
def operator_projections(request: Request, user: Operator, ledger: Ledger) -> Response:
    return page(request, "operator/projections.html", rows=ledger.projections(),
                names=[p.name for p in PROJECTIONS])


@router.post("/operator/projections/rebuild", tags=[OPERATOR])
def operator_rebuild(user: Operator, ledger: Ledger, name: Annotated[str, Form()]) -> Response:
    ledger.rebuild(name)
    return RedirectResponse("/operator/projections", 303)


# -- auditors ------------------------------------------------------------------------------


@router.get("/audit/", tags=[STAFF])
def audit_home(request: Request, user: Staff, ledger: Ledger,
               id: Annotated[str | None, Query(max_length=60, pattern=PRINTABLE)] = None, as_of: AsOf = None) -> Response:
    entries = ledger.audit(id.strip(), as_of) if id and id.strip() else None
    return page(request, "audit/index.html", id=id, as_of=as_of, entries=entries, auditor=AUDITOR in user.roles)
