"""What all ledger events share: a pinned topic and a business date (M3)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# The fields every event has, shown apart from its payload by the audit trail and
# the published messages: the library's (id, version, time, topic) and M3's date.
STANDARD_FIELDS = frozenset({"originator_id", "originator_version", "timestamp", "originator_topic", "business_date"})


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


def payload_of(state: Mapping[str, Any]) -> dict[str, Any]:
    """An event's own fields: its state without the standard ones."""
    return {k: v for k, v in state.items() if k not in STANDARD_FIELDS}
