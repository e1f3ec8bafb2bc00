"""What the web pages and the JSON API ask of the ledger, with who may see what (W7).

Both entrypoints call these and nothing else, so a page and its JSON can never show
different figures, and one check guards both. Reads go to the read models, caught up
by the follower thread (``follower``) rather than per request; a staff reading as of
a past day replays the events (V3), as ``show … --as-of`` does. Debtors get today's
views only: their ``as_of`` is ignored (W2).

W7: a debtor's request for an ΑΦΜ, arrangement or notice outside its own (and its
branch units') is answered with the very ``NotFound`` the views raise for one that
does not exist, so the two cannot be told apart.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

from sqlalchemy import select

from aggregates.references import valid_afm
from ledger import notice_views, views
from ledger.entrypoints.bootstrap import Bootstrap
from ledger.entrypoints.http.config import WebConfig
from ledger.entrypoints.http.identity import User
from aggregates.errors import NotAllowed
from ledger.errors import BadInput, NotFound
from ledger.inputs import plausible_date
from ledger.handlers.arrangements import ONLINE, apply_for_arrangement
from ledger.handlers.notices import deliver_notice, open_in_account
from ledger.handlers.suspense import assign_payment, refund_payment
from ledger.i18n import N_
from projections import figures, queries
from projections.reader import ProjectionReader, reading


class Refused(Exception):
    """W6: a sign-in that may not have an account; the reason is shown on a 403 page."""


class Portal:
    def __init__(self, services: Bootstrap, config: WebConfig):
        self.services = services
        self.config = config
        self.lock = threading.Lock()  # one catch-up at a time in this process

    # -- the read models, kept current ------------------------------------------------

    def catch_up(self) -> None:
        """Apply what was recorded since (after a command of the web's own, so the
        page that follows shows it), and refresh the operators' lists' figures."""
        with self.lock:
            runner = self.services.runner()
            if runner.catch_up():
                figures.refresh(runner)

    def follower(self, stop: threading.Event, interval: float = 1.0) -> None:
        """The thread ``ledger serve`` runs: what the CLI, the consumers or another
        worker record shows within ``interval`` seconds."""
        while not stop.is_set():
            self.catch_up()
            stop.wait(interval)

    @contextmanager
    def reader(self) -> Iterator[ProjectionReader]:
        with reading(self.services.runner(), catch_up=False) as found:
            yield found

    # -- who signs in (W3, W5, W6) ------------------------------------------------------

    def sign_in(self, subject: str, name: str, roles: frozenset[str], afm_claim: Any) -> User:
        """Staff by their roles; a debtor by the provider's ΑΦΜ alone, which must be a
        KEAO debtor's with debts from an enabled fund (W3) or its head office's."""
        if roles:
            return User(subject, name, roles)
        if not isinstance(afm_claim, str) or not afm_claim:
            raise Refused(N_("the identity provider gave no ΑΦΜ (claim '{claim}') and no staff role").format(
                claim=self.config.afm_claim))
        try:
            afm = valid_afm(afm_claim, self.config.afm_claim)
        except BadInput:
            raise Refused(N_("the identity provider's ΑΦΜ '{afm}' is not a valid ΑΦΜ").format(afm=afm_claim)) from None
        with self.reader() as r:
            d, funds = r.t["directory.debtors"], r.t["directory.funds"]
            debtor = r.conn.execute(select(d.c.debtor_id, d.c.name, d.c.parent_afm).where(d.c.afm == afm)).first()
            if debtor is None:
                raise Refused(N_("ΑΦΜ {afm} is not a KEAO debtor").format(afm=afm))
            branches = list(r.conn.execute(select(d.c.afm, d.c.debtor_id).where(d.c.parent_afm == afm)))
            ids = [debtor.debtor_id, *(b.debtor_id for b in branches)]
            debt_funds = set(r.conn.scalars(select(funds.c.fund).where(funds.c.debtor_id.in_(ids))))
        if not debt_funds & self.config.enabled_funds:
            enabled = ", ".join(sorted(self.config.enabled_funds))
            raise Refused(N_("ΑΦΜ {afm} has no debts transferred to KEAO from a fund whose debtors the e-services "
                             "serve ({funds})").format(afm=afm, funds=enabled))
        return User(subject, name or debtor.name, frozenset(), afm, frozenset({afm, *(b.afm for b in branches)}))

    def me(self, user: User) -> dict[str, Any]:
        service = None
        if user.afm:
            with self.reader() as r:
                service = r.debtor(user.afm).service
        return user.as_json(service)

    # -- the checks of W7 -----------------------------------------------------------------

    @staticmethod
    def visible_afm(user: User, afm: str) -> str:
        afm = valid_afm(afm, "afm")  # malformed: 422 naming afm, for everyone alike
        if not user.may_see(afm):
            raise NotFound("afm", f"no debtor {afm}")  # as ``Lookups.debtor``
        return afm

    @staticmethod
    def as_of(user: User, as_of: date | None) -> date | None:
        if as_of is None or not user.is_staff:
            return None  # W2
        return plausible_date(as_of, "as_of")  # as ``--as-of``: 9999-12-31 would overflow the replay (500)

    # -- the debtor's views ---------------------------------------------------------------

    def debt_table(self, user: User, afm: str, as_of: date | None = None) -> dict[str, Any]:
        return self._view("debt_table", user, afm, as_of)

    def clearance(self, user: User, afm: str, as_of: date | None = None) -> dict[str, Any]:
        return self._view("clearance", user, afm, as_of)

    def _view(self, name: str, user: User, afm: str, as_of: date | None) -> dict[str, Any]:
        afm = self.visible_afm(user, afm)
        day = self.as_of(user, as_of)
        if day is not None:
            return getattr(views, name)(self.services.ledger(), afm, day)
        with self.reader() as r:
            return getattr(views, name)(r, afm)

    def arrangement(self, user: User, ref: str, as_of: date | None = None) -> dict[str, Any]:
        day = self.as_of(user, as_of)
        if day is not None:
            view = views.arrangement_view(self.services.ledger(), ref, day)
        else:
            with self.reader() as r:
                view = views.arrangement_view(r, ref)
        if not user.may_see(view["debtor_afm"]):
            raise NotFound("id", f"no arrangement {ref}")  # as ``Lookups.arrangement``
        return view

    def arrangements(self, user: User, afm: str) -> list[dict[str, Any]]:
        """The debtor's arrangements today, newest first: the e-card's payments (W1)."""
        afm = self.visible_afm(user, afm)
        with self.reader() as r:
            return arrangement_views(r, afm)

    def home(self, user: User, afm: str) -> dict[str, Any]:
        """The e-services' front page: the debt table, clearance, notices and arrangements
        today, from one snapshot, the debtor and its arrangements read once (``preload``)."""
        afm = self.visible_afm(user, afm)
        with self.reader() as r:
            r.preload([afm])
            return {"table": views.debt_table(r, afm), "clearance": views.clearance(r, afm),
                    "notices": [sealed(v) for v in notice_views.notices_view(r, afm)],
                    "arrangements": arrangement_views(r, afm)}

    def notices(self, user: User, afm: str) -> list[dict[str, Any]]:
        """The debtor's notices; to the debtor, one it has not opened shows what it is and
        when it was issued, not what it says (W8: opening it is the electronic delivery)."""
        afm = self.visible_afm(user, afm)
        with self.reader() as r:
            found = notice_views.notices_view(r, afm)
        return found if user.is_staff else [sealed(view) for view in found]

    def notice(self, user: User, number: str) -> dict[str, Any]:
        with self.reader() as r:
            view = notice_views.notice_view(r, number)
        if not user.may_see(view["afm"]):
            raise NotFound("NOTICE_ID", f"no notice {number}")  # as ``Lookups.notice``
        return view

    def open_notice(self, user: User, number: str) -> dict[str, Any]:
        """W8: the debtor's own opening; staff looking at a notice open nothing."""
        view = self.notice(user, number)
        if user.is_staff or view["opened_on"] is not None:
            return view
        opened = open_in_account(self.services.ledger(), number)
        self.catch_up()
        return opened

    def application(self, user: User, scheme: str, instalments: int | None, confirm: bool) -> dict[str, Any]:
        """W9: the online application, for the debtor's own ΑΦΜ on the business date;
        without ``confirm`` the plan the scheme would grant, recorded nowhere."""
        if user.afm is None:
            raise BadInput("afm", N_("only a signed-in debtor applies online (W9); staff use `ledger arrangement apply`"))
        ledger = self.services.ledger()
        day = ledger.current_date()
        if day is None:
            raise BadInput("date", "the ledger has no business date yet")
        arrangement = apply_for_arrangement(ledger, user.afm, scheme, day, instalments, channel=ONLINE,
                                            account=user.subject, preview=not confirm)
        if confirm:
            self.catch_up()
            return self.arrangement(user, str(arrangement.id))
        debtor = ledger.debtor(user.afm)
        return views.arrangement_json(views.state_as_of(ledger, arrangement, day, debtor), day)

    # -- staff -------------------------------------------------------------------------

    def audit(self, ref: str, as_of: date | None = None) -> list[dict[str, Any]]:
        with self.reader() as r:
            return r.audit(ref, as_of)

    def suspense(self, resolved: bool = False) -> list[dict[str, Any]]:
        with self.reader() as r:
            return r.suspense(resolved)

    def corrections(self) -> list[dict[str, Any]]:
        return views.waiting_corrections(self.services.ledger())

    def projections(self) -> list[dict[str, Any]]:
        return self.services.runner().status()

    def search(self, text: str) -> queries.Page:
        with self.reader() as r:
            return queries.debtor_search(r, text)

    def undelivered_notices(self) -> list[dict[str, Any]]:
        """N3: the notices no one delivered yet, for the post (oldest first)."""
        with self.reader() as r:
            t = r.t["notices.notices"]
            numbers = list(r.conn.scalars(select(t.c.number).where(t.c.delivered_on.is_(None))
                                          .order_by(t.c.position)))
            return [notice_views.notice_view(r, n) for n in numbers]

    def deliver_by_post(self, number: str, proof: str) -> dict[str, Any]:
        view = deliver_notice(self.services.ledger(), number, "post", proof, None)
        self.catch_up()
        return view

    def assign(self, tx_id: str, bank: str, to: str, reason: str) -> Any:
        outcome = assign_payment(self.services.ledger(), tx_id, bank, to, reason, None)
        self.catch_up()
        return outcome

    def refund(self, tx_id: str, bank: str, iban: str, reason: str) -> Any:
        outcome = refund_payment(self.services.ledger(), tx_id, bank, iban, reason, None)
        self.catch_up()
        return outcome

    def rebuild(self, name: str) -> None:
        runner = self.services.runner()
        runner.projection(name)  # an unknown name: BadInput naming it
        with self.lock:
            runner.rebuild([name])
            if name == "directory":
                figures.refresh(runner)

    # -- printed documents -------------------------------------------------------------

    def clearance_pdf(self, user: User, afm: str) -> bytes:
        """V2: the certificate of a debtor clear today (staff and debtor alike)."""
        from ledger.documents import render

        view = self.clearance(user, afm)
        if not view["clear"]:
            raise NotAllowed("afm", f"{view['afm']} is not clear on {view['as_of']}: no certificate (V2)")
        return render.clearance_pdf(view, self.debt_table(user, afm))

    def notice_pdf(self, user: User, number: str) -> bytes:
        from ledger.documents import render

        view = self.notice(user, number)
        if not user.is_staff and view["opened_on"] is None:
            raise NotAllowed("notice_id", N_("notice {number} is not opened yet: open it first, its opening is its "
                                             "delivery (W8)").format(number=number))
        return render.notice_pdf(view)


def sealed(view: dict[str, Any]) -> dict[str, Any]:
    """A notice as its addressee sees it before opening it: its content withheld
    (``items`` empty, ``total`` null), the rest as it is (W8)."""
    return view if view["opened_on"] is not None else {**view, "items": [], "total": None}


def arrangement_views(reader: ProjectionReader, afm: str) -> list[dict[str, Any]]:
    return [views.arrangement_view(reader, i) for i in reversed(reader.debtor(afm).arrangement_ids)]
