"""Shared by the projection tests: rows of a projection slot, and the
comparison of projected answers with the replayed views."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from ledger import audit_views, views
from ledger.application import Ledger
from projections import reader
from projections.runner import Runner


def slot_rows(runner: Runner, name: str, version: int, slot: str) -> dict[str, list[tuple[Any, ...]]]:
    p = runner.projections[name]
    out = {}
    with runner.engine.connect() as conn:
        for key, table in p.tables(slot, version).items():
            out[key] = [tuple(row) for row in conn.execute(select(table).order_by(*table.primary_key.columns))]
    return out


def active_rows(runner: Runner) -> dict[str, dict[str, list[tuple[Any, ...]]]]:
    with runner.engine.connect() as conn:
        states = runner.states(conn)
    return {n: slot_rows(runner, n, s.active_version, s.active_slot) for n, s in states.items()}


def mismatches(app: Ledger, runner: Runner) -> list[str]:
    """Every view the projections answer, compared with the replayed one."""
    found = []
    afms = [n.originator_id for n in app.notifications(["keao:Debtor.Registered"])]
    with reader.reading(runner) as r:
        for debtor_id in afms:
            afm = app.repository.get(debtor_id).afm
            for view in ("debt_table", "clearance"):
                if getattr(views, view)(app, afm) != getattr(views, view)(r, afm):
                    found.append(f"{view} {afm}")
            if audit_views.audit(app, afm) != r.audit(afm):
                found.append(f"audit {afm}")
            for arrangement_id in app.debtor(afm).arrangement_ids:
                if views.arrangement_view(app, arrangement_id) != views.arrangement_view(r, arrangement_id):
                    found.append(f"arrangement {arrangement_id}")
        if views.suspense(app) != r.suspense():
            found.append("suspense")
        if views.suspense(app, True) != r.suspense(True):
            found.append("suspense --all")
    return found
