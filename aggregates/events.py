"""What all ledger events share: a pinned topic and a business date (M3)."""

from __future__ import annotations

from typing import Any


class PinnedTopic:
    """Stores events under ``keao:<Aggregate>.<Event>``, whatever module the
    class lives in, so that moving code never orphans recorded history."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.TOPIC = f"keao:{cls.__qualname__}"  # type: ignore[attr-defined]


def event_name(event: object) -> str:
    """The event's type as the audit trail and subscribers see it (``Paid``)."""
    cls = event if isinstance(event, type) else type(event)
    return cls.__qualname__.rsplit(".", 1)[-1]
