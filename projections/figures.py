"""The operators' figures (στοιχεία καταλόγων) of every debtor, as of the business date, §1.7.

The lists of debtors and arrangements filter and sum what moves with the date
(total outstanding, clearance, an arrangement's status and since when), over
every debtor: too many to compute when asked. ``refresh`` keeps them in the
directory's ``figures`` tables: it computes, with ``ledger.views.debtor_figures``
on the read models (the views' own code, so a list agrees with the debt table and
the clearance by construction), the debtors an event touched since the last
refresh and those whose figures the calendar moved (their ``changes_on``,
``aggregates.horizon``, came), a head office with its units (004 §4). Refreshing
twice computes nothing the second time; a debtor computed from rows a concurrent
catch-up changed meanwhile has ``changed`` past this refresh, so the next one
computes it again.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select

from ledger import views
from ledger.store.recorder import advisory_lock_key
from projections.base import bulk_insert, chunks
from projections.reader import ProjectionReader
from projections.runner import Runner

CHUNK = 500  # debtors written per statement


def refresh(runner: Runner) -> int:
    """Bring the figures up to the ledger's events and current date (caught up
    first by the caller); returns how many debtors were computed."""
    runner.setup()
    with runner.engine.begin() as conn:
        if conn.dialect.name == "postgresql":  # one refresher at a time; the second finds nothing left
            conn.exec_driver_sql("SELECT pg_advisory_xact_lock(%s)",
                                 (advisory_lock_key(f"keao-ledger-figures:{runner.app.recorder.datastore.schema}"),))
        reader = ProjectionReader(runner, conn)
        day = reader.current_date()
        if day is None:
            return 0
        stale, top = _stale(conn, reader.t, day)
        for chunk in chunks(sorted(stale), CHUNK):
            _write(conn, reader, chunk, day)
        refreshed = reader.t["directory.refreshed"]
        conn.execute(delete(refreshed))
        conn.execute(insert(refreshed), [{"id": 1, "as_of": day, "changed": top}])
        return len(stale)


def _stale(conn: Connection, t: dict[str, Any], day: date) -> tuple[set[str], int]:
    debtors, figures = t["directory.debtors"], t["directory.figures"]
    last = conn.execute(select(t["directory.refreshed"])).first()
    top = conn.execute(select(func.max(debtors.c.changed))).scalar() or 0
    if last is not None and last.as_of == day and last.changed >= top:
        return set(), top
    touched = select(debtors.c.afm)
    if last is not None:
        touched = touched.where(debtors.c.changed > last.changed)
    stale = set(conn.scalars(touched))
    if last is not None and last.as_of != day:
        stale.update(conn.scalars(select(figures.c.afm).where(figures.c.changes_on <= day)))
    heads = stale
    while heads:  # 004 §4: a head office is cleared with its units
        found: set[str] = set()
        for chunk in chunks(sorted(heads), 900):
            found.update(conn.scalars(select(debtors.c.parent_afm).where(debtors.c.afm.in_(chunk),
                                                                         debtors.c.parent_afm.is_not(None))))
        heads = found - stale
        stale |= heads
    return stale, top


def _write(conn: Connection, reader: ProjectionReader, afms: list[str], day: date) -> None:
    t = reader.t
    encode = reader.runner.projections["directory"].encode
    rows, arrangements = [], []
    reader.preload(afms)
    for afm in afms:
        f = views.debtor_figures(reader, afm, day)
        rows.append({"afm": afm, "as_of": day, "changes_on": f["changes_on"],
                     "total_outstanding": f["total_outstanding"], "clear": f["clear"]})
        arrangements += [{"id": s["id"], "afm": afm, "scheme": s["scheme"], "status": s["status"],
                          "status_since": s["status_since"], "service": f["service"],
                          "remaining_balance": s["remaining_balance"], "summary": encode(s)}
                         for s in f["arrangements"]]
    for name in ("directory.figures", "directory.arrangement_figures"):
        conn.execute(delete(t[name]).where(t[name].c.afm.in_(afms)))
    bulk_insert(conn, t["directory.figures"], rows)
    bulk_insert(conn, t["directory.arrangement_figures"], arrangements)
