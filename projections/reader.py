"""Answers from the read models, for the ledger's business date.

``ProjectionReader`` offers the lookups ``ledger.views`` asks of the ledger
(``business_date``, ``debtor``, ``arrangement``, ``arrangements_of``,
``settings``) from the projection tables instead of replaying events, so the
debt table, clearance and arrangement views run the very same code on
projected state: the answers agree by construction, and each query costs a
few indexed reads for one debtor, never a replay. Suspense and audit are
plain queries.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Connection, func, select

from aggregates.arrangement import Arrangement
from aggregates.business_day import BusinessDay
from aggregates.debtor import Debtor
from aggregates.declaration import Declaration
from aggregates.notice import Notice
from aggregates.references import valid_afm
from ledger import audit_views, notice_views, views
from ledger.errors import NotFound
from projections.base import chunks, from_state
from projections.runner import Runner
from projections.suspense import OPEN


# The events that move the ledger's business date (M3, E1).
CALENDAR_TOPICS = (BusinessDay.Started.TOPIC, BusinessDay.DayClosed.TOPIC)


class ProjectionReader:
    """Duck-types the parts of ``Ledger`` that ``ledger.views`` reads."""

    def __init__(self, runner: Runner, conn: Connection):
        self.runner = runner
        self.conn = conn
        self.settings = runner.app.settings
        states = runner.states(conn)
        self.t: dict[str, Any] = {}
        for name, p in runner.projections.items():
            s = states[name]
            self.t.update({f"{name}.{k}": v for k, v in p.tables(s.active_slot, s.active_version).items()})
        self._arrangements = runner.projections["arrangements"]
        self._notices = runner.projections["notices"]
        self._preloaded: dict[str, Debtor] = {}
        self._preloaded_arrangements: dict[str, Arrangement] = {}
        self._preloaded_notices: dict[str, list[Notice]] = {}

    def business_date(self) -> date | None:
        t = self.t["debt_table.calendar"]
        return self.conn.execute(select(t.c.business_date)).scalar()

    def current_date(self) -> date | None:
        """M3: before the first close of day, the latest business date of an event."""
        day = self.business_date()
        if day is None:
            t = self.t["audit.events"]
            day = self.conn.execute(select(func.max(t.c.business_date)).where(t.c.business_date > date.min)).scalar()
        return day

    def debtor(self, afm: str) -> Debtor:
        afm = valid_afm(afm, "afm")
        found = self._preloaded.get(afm)
        if found is None:
            found = self._debtors([afm]).get(afm)
        if found is None:
            raise NotFound("afm", f"no debtor {afm}")
        return found

    def preload(self, afms: list[str]) -> None:
        """Read these debtors and their arrangements with a few queries for them all,
        so that ``debtor`` and ``arrangements_of`` answer them from memory (the
        figures' refresh computes hundreds at a time); the last preload only is kept."""
        self._preloaded = self._debtors(afms)
        joined = [key for debtor in self._preloaded.values() for key in debtor.arrangement_ids]
        self._preloaded_arrangements = {str(a.id): a for a in self._load_arrangements(joined)}
        self._preloaded_notices = self._load_notices(afms)

    def _debtors(self, afms: list[str]) -> dict[str, Debtor]:
        t = self.t
        debtors_t, units_t, items_t = t["debt_table.debtors"], t["debt_table.units"], t["debt_table.items"]
        joined_t, pay_t = t["debt_table.arrangements"], t["debt_table.payments"]
        found: dict[str, Debtor] = {}
        for chunk in chunks(afms, 900):
            rows = list(self.conn.execute(select(debtors_t).where(debtors_t.c.afm.in_(chunk))))
            ids = [row.id for row in rows]
            units: dict[str, list[str]] = {}
            for r in self.conn.execute(select(units_t.c.debtor_id, units_t.c.unit_afm)
                                       .where(units_t.c.debtor_id.in_(ids)).order_by(units_t.c.position)):
                units.setdefault(r.debtor_id, []).append(r.unit_afm)
            items: dict[str, dict[str, Any]] = {}
            for r in self.conn.execute(select(items_t).where(items_t.c.debtor_id.in_(ids))
                                       .order_by(items_t.c.position, items_t.c.seq)):
                item = {"period": r.period, "kind": r.kind, "amount": r.amount, "due_date": r.due_date,
                        "item_id": r.item_id, "fund": r.fund, "received_on": r.received_on}
                if r.form is not None:  # G10: as the event holds it, only when given
                    item["form"] = r.form
                if r.apd_id is not None:  # K21
                    item["apd_id"] = r.apd_id
                items.setdefault(r.debtor_id, {})[r.item_id] = item
            joined: dict[str, list[str]] = {}
            for r in self.conn.execute(select(joined_t.c.debtor_id, joined_t.c.arrangement_id)
                                       .where(joined_t.c.debtor_id.in_(ids)).order_by(joined_t.c.position)):
                joined.setdefault(r.debtor_id, []).append(r.arrangement_id)
            payments: dict[str, list[dict[str, Any]]] = {}
            for r in self.conn.execute(select(pay_t).where(pay_t.c.debtor_id.in_(ids))
                                       .order_by(pay_t.c.position, pay_t.c.seq)):
                payments.setdefault(r.debtor_id, []).append({
                    "item_id": r.item_id, "part": r.part, "amount": r.amount, "value_date": r.value_date,
                    "tx_id": r.tx_id})
            numbers: dict[str, list[str]] = {}
            notices_t, measures_t = t["notices.notices"], t["notices.measures"]
            for r in self.conn.execute(select(notices_t.c.debtor_afm, notices_t.c.number)
                                       .where(notices_t.c.debtor_afm.in_(chunk)).order_by(notices_t.c.position)):
                numbers.setdefault(r.debtor_afm, []).append(r.number)
            measures: dict[str, dict[str, Any]] = {}
            for r in self.conn.execute(select(measures_t).where(measures_t.c.debtor_id.in_(ids))
                                       .order_by(measures_t.c.position)):
                measures.setdefault(r.debtor_id, {})[r.measure_id] = {
                    "measure": r.measure, "item_ids": self._notices.decode(r.item_ids), "reference": r.reference,
                    "recorded_on": r.recorded_on, "lifted_on": r.lifted_on, "lift_reason": r.lift_reason}
            for row in rows:
                found[row.afm] = from_state(Debtor, {
                    "_id": UUID(row.id), "_version": row.version,
                    "_created_on": datetime.fromisoformat(row.created_on), "_modified_on": None, "afm": row.afm,
                    "name": row.name, "service": row.service, "parent_afm": row.parent_afm, "amka": row.amka,
                    "unit_kind": row.unit_kind, "legal_form": row.legal_form,
                    "registered_on": row.registered_on, "units": units.get(row.id, []),
                    "items": items.get(row.id, {}), "arrangement_ids": joined.get(row.id, []),
                    "item_payments": payments.get(row.id, []), "credit": row.credit,
                    "notice_numbers": numbers.get(row.afm, []), "measures": measures.get(row.id, {}),
                })
        return found

    def arrangement(self, ref: str) -> Arrangement:
        found = self._load_arrangements([str(Arrangement.id_of(ref))])
        if not found:
            raise NotFound("id", f"no arrangement {ref}")
        return found[0]

    def arrangements_of(self, debtor: Debtor) -> list[Arrangement]:
        kept = self._preloaded_arrangements
        if all(key in kept for key in debtor.arrangement_ids):
            return [kept[key] for key in debtor.arrangement_ids]
        return self._load_arrangements(list(debtor.arrangement_ids))

    def notices_of(self, debtor: Debtor) -> list[Notice]:
        found = self._preloaded_notices.get(debtor.afm)
        if found is None:
            found = self._load_notices([debtor.afm]).get(debtor.afm, [])
        return found

    def notice(self, number: str) -> Notice:
        t = self.t["notices.notices"]
        state = self.conn.execute(select(t.c.state).where(t.c.number == number)).scalar()
        if state is None:
            raise NotFound("NOTICE_ID", f"no notice {number}")
        return self._notices.aggregate_from(Notice, state)

    def declarations_of(self, debtor: Debtor) -> list[str]:
        t = self.t["debt_table.declarations"]
        return list(self.conn.execute(select(t.c.apd_id).where(t.c.debtor_id == str(debtor.id))
                                      .order_by(t.c.position)).scalars())

    def declared(self, apd_id: str) -> bool:
        t = self.t["audit.events"]
        return self.conn.execute(select(t.c.position).where(
            t.c.aggregate_id == str(Declaration.create_id(apd_id))).limit(1)).first() is not None

    def _load_notices(self, afms: list[str]) -> dict[str, list[Notice]]:
        t = self.t["notices.notices"]
        found: dict[str, list[Notice]] = {afm: [] for afm in afms}
        for chunk in chunks(afms, 900):
            for r in self.conn.execute(select(t.c.debtor_afm, t.c.state).where(t.c.debtor_afm.in_(chunk))
                                       .order_by(t.c.position)):
                found[r.debtor_afm].append(self._notices.aggregate_from(Notice, r.state))
        return found

    def _load_arrangements(self, ids: list[str]) -> list[Arrangement]:
        if not ids:
            return []
        t = self.t["arrangements.arrangements"]
        states: dict[str, str] = {}
        for chunk in chunks(ids, 900):
            states.update((r.id, r.state) for r in self.conn.execute(select(t.c.id, t.c.state).where(t.c.id.in_(chunk))))
        return [self._arrangements.aggregate_from(Arrangement, states[i]) for i in ids if i in states]

    # -- plain queries ----------------------------------------------------------------

    def suspense(self, resolved: bool = False) -> list[dict[str, Any]]:
        """P5: the items of the suspense account, in the order they were opened; with
        ``resolved``, also those an operator resolved (O2) or the bank recalled while
        there (O3), with how, by whom and when (``views.suspense``)."""
        pay, resolutions = self.t["suspense.payments"], self.t["suspense.resolved"]
        items = [(r.open_position, r.id, r.open_first, None, r.open_holds, r.open_reason,
                  dict.fromkeys(views.RESOLUTION_FIELDS) if resolved else {})
                 for r in self.conn.execute(select(pay.c.id, *(pay.c[c] for c in OPEN))
                                            .where(pay.c.open_position.is_not(None)))]
        if resolved:
            items += [(r.opened_position, r.payment_id, r.first, r.until, r.holds, r.reason,
                       {"resolution": r.resolution, "target": r.target, "actor": r.actor, "resolved_on": r.resolved_on})
                      for r in self.conn.execute(select(resolutions))]
        items.sort(key=lambda item: item[0])
        payments, versions = self._suspended([item[1] for item in items])
        entries = []
        for _, key, first, until, holds, reason, extra in items:
            p = payments[key]
            entry = views.suspense_row(p["tx_id"], p["bank"], p["source"], p if holds else None, reason,
                                       versions.get(key, [p])[:until], first)
            entries.append(entry | extra)
        return entries

    def _suspended(self, ids: list[str]) -> tuple[dict[str, dict[str, Any]], dict[str, list[dict[str, Any]]]]:
        """The payments of these items, and the versions of those the bank sent again (P5)."""
        pay, version_t = self.t["suspense.payments"], self.t["suspense.versions"]
        payments: dict[str, dict[str, Any]] = {}
        versions: dict[str, list[dict[str, Any]]] = {}
        for chunk in chunks(list(dict.fromkeys(ids)), 900):
            payments.update((r.id, dict(r._mapping)) for r in self.conn.execute(select(pay).where(pay.c.id.in_(chunk))))
            for r in self.conn.execute(select(version_t).where(version_t.c.payment_id.in_(chunk))
                                       .order_by(version_t.c.payment_id, version_t.c.number)):
                versions.setdefault(r.payment_id, []).append(dict(r._mapping))
        return payments, versions

    def audit(self, ref: str, as_of: date | None = None) -> list[dict[str, Any]]:
        """The ordered history of an arrangement or a debtor (and its
        arrangements); with ``as_of``, the history as the ledger held it on
        that business date (§14): the events that took effect on or before it and
        were recorded before the close of day that moved the business date past
        it (a correction recorded later of an earlier fact is not shown; an event
        without a business date is left out)."""
        ids = [str(i) for i in audit_views.audited_ids(self, ref)]
        t = self.t["audit.events"]
        decode = self._arrangements.decode
        query = select(t).where(t.c.aggregate_id.in_(ids))
        if as_of is not None:
            query = query.where(t.c.business_date <= as_of)
            passed = self.conn.execute(select(func.min(t.c.position)).where(
                t.c.topic.in_(CALENDAR_TOPICS), t.c.business_date > as_of)).scalar()
            if passed is not None:
                query = query.where(t.c.position < passed)
        return [audit_views.audit_entry(r.position, r.type, r.aggregate_id, r.version, r.business_date,
                                  datetime.fromisoformat(r.recorded_at), decode(r.payload))
                for r in self.conn.execute(query.order_by(t.c.position))]


@contextmanager
def reading(runner: Runner, catch_up: bool = True) -> Iterator[ProjectionReader]:
    """A reader over one consistent snapshot, after catching the runner up
    (synchronously: on SQLite there is no daemon to have done it)."""
    if catch_up:
        runner.catch_up()
    else:
        runner.setup()
    with runner.engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
        yield ProjectionReader(runner, conn)
        conn.rollback()


def arrangement_view(runner: Runner, ref: str) -> dict[str, Any]:
    with reading(runner) as reader:
        return views.arrangement_view(reader, ref)


def debt_table(runner: Runner, afm: str) -> dict[str, Any]:
    with reading(runner) as reader:
        return views.debt_table(reader, afm)


def clearance(runner: Runner, afm: str) -> dict[str, Any]:
    with reading(runner) as reader:
        return views.clearance(reader, afm)


def notices_view(runner: Runner, afm: str) -> list[dict[str, Any]]:
    with reading(runner) as reader:
        return notice_views.notices_view(reader, afm)


def notice_view(runner: Runner, number: str) -> dict[str, Any]:
    with reading(runner) as reader:
        return notice_views.notice_view(reader, number)


def suspense(runner: Runner, resolved: bool = False) -> list[dict[str, Any]]:
    with reading(runner) as reader:
        return reader.suspense(resolved)


def audit(runner: Runner, ref: str, as_of: date | None = None) -> list[dict[str, Any]]:
    with reading(runner) as reader:
        return reader.audit(ref, as_of)


__all__ = ["ProjectionReader", "arrangement_view", "audit", "clearance", "debt_table", "notice_view", "notices_view",
           "reading", "suspense"]
