"""Each projection's answering version and slot, position, lag and rebuild
progress (``ledger projections status``)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from projections.runner import Runner


def status_rows(runner: Runner) -> list[dict[str, Any]]:
    runner.setup()
    head = runner.head()
    with runner.engine.connect() as conn:
        states = runner.states(conn)
        positions = runner.positions(conn)
    head_time = _recorded_at(runner, head)
    rows = []
    for name, p in runner.projections.items():
        s = states[name]
        position = positions.get((name, s.active_version, s.active_slot), 0)
        at = _recorded_at(runner, position)
        rebuild_position = (positions.get((name, s.rebuilding_version, s.rebuilding_slot), 0)
                            if s.rebuilding_slot else None)
        rows.append({
            "name": name, "version": s.active_version, "code_version": p.version, "slot": s.active_slot,
            "position": position, "head": head, "lag_events": head - position,
            "lag_seconds": round((head_time - at).total_seconds(), 3) if head_time and at and head > position
            else 0.0,
            "rebuilding": s.rebuilding_slot is not None,
            "rebuild_version": s.rebuilding_version, "rebuild_slot": s.rebuilding_slot,
            "rebuild_position": rebuild_position,
            "rebuild_progress": round(rebuild_position / head, 4) if rebuild_position is not None and head else None,
        })
    return rows


def _recorded_at(runner: Runner, position: int) -> datetime | None:
    if position <= 0:
        return None
    found = runner.app.recorder.select_notifications(position, 1, stop=position)
    return runner.app.mapper.to_domain_event(found[0]).timestamp if found else None
