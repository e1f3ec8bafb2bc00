"""An arrangement's payments, kept in two parts (O6): recent, and packed.

Every payment adds a receipt and a Paid fact to the arrangement's state, so a
state holding them all as objects costs a load (the snapshot's decoding) that
grows with its history. ``receipts`` and the Paid facts of ``facts`` hold the
CHUNK latest payments only; whenever a payment fills the recent part beyond
that, its oldest CHUNK are moved into ``archive`` (by the event's ``apply``, so
that a state replayed from the events or from a snapshot is the live one's):
one entry per CHUNK payments, its content one string (``packed``: their JSON,
compressed, as a snapshot of 2,000 payments would otherwise be a megabyte to
read; read back only by what needs the whole history: the full replay, a view
as of a date, a recall, the close of day's skip test, the credit), with the
keys it holds and the latest value date of its receipts, to answer from
without reading it (a payment recorded already, one valued after a day).

The facts other than Paid stay in ``facts`` (bounded by the plan, not by the
payments): what the incremental settle (``aggregates.resume``) and the status
read. ``receipts``/``facts`` here are the whole history, in the order recorded,
the archived payments first (tests/unit/test_history.py holds them to a state
that never packs).
"""

from __future__ import annotations

import base64
import json
import zlib
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from functools import lru_cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from aggregates.arrangement import Arrangement

CHUNK = 50  # payments per packed entry, and at most in the recent part

_Entry = dict[str, Any]  # a receipt, or a recorded fact's content


def receipts(arrangement: Arrangement) -> dict[str, _Entry]:
    """Every payment recorded (``Receipt`` fields, by fact key), in the order recorded."""
    return _whole(arrangement, 0, arrangement.receipts)


def facts(arrangement: Arrangement) -> dict[str, _Entry]:
    """Every recorded fact, by key: the archived Paid ones first, then ``facts``."""
    return _whole(arrangement, 1, arrangement.facts)


def _whole(arrangement: Arrangement, part: int, recent: dict[str, _Entry]) -> dict[str, _Entry]:
    """The archived entries of one ``part`` of the chunks (0: receipts, 1: Paid facts), then ``recent``."""
    whole: dict[str, _Entry] = {}
    for chunk in _archive(arrangement):
        whole.update(_unpacked(chunk["packed"])[part])
    whole.update(recent)
    return whole


def receipt(arrangement: Arrangement, key: str) -> _Entry | None:
    found = arrangement.receipts.get(key)
    if found is None and (chunk := _holding(arrangement, key)) is not None:
        return _unpacked(chunk["packed"])[0].get(key)
    return found


def fact(arrangement: Arrangement, key: str) -> _Entry | None:
    found = arrangement.facts.get(key)
    if found is None and (chunk := _holding(arrangement, key)) is not None:
        return _unpacked(chunk["packed"])[1].get(key)
    return found


def has_receipt(arrangement: Arrangement, key: str) -> bool:
    return key in arrangement.receipts or any(key in chunk["keys"] for chunk in _archive(arrangement))


def latest_value_date(arrangement: Arrangement) -> date | None:
    """The latest value date of a recorded payment (None: none recorded)."""
    days = [c["value_to"] for c in _archive(arrangement)] + [r["value_date"] for r in arrangement.receipts.values()]
    return max(days, default=None)


def valued_after(arrangement: Arrangement, day: date) -> Iterator[_Entry]:
    """The recorded payments valued after ``day``: only the archived entries that have any are read."""
    for chunk in _archive(arrangement):
        if chunk["value_to"] > day:
            yield from (r for r in _unpacked(chunk["packed"])[0].values() if r["value_date"] > day)
    yield from (r for r in arrangement.receipts.values() if r["value_date"] > day)


def packed_by(arrangement: Arrangement, paid: int) -> bool:
    """Whether its latest events, with ``paid`` payments among them, packed payments: a
    snapshot then spares every later load replaying them the packing. (A recall among
    them may say so wrongly.)"""
    return paid > 0 and len(arrangement.receipts) <= paid and bool(_archive(arrangement))


# -- what the events' ``apply`` change ------------------------------------------------


def add_receipt(arrangement: Arrangement, key: str, entry: _Entry) -> None:
    """A Paid fact's receipt recorded (once); the oldest CHUNK packed when the recent part is full."""
    if key in arrangement.receipts:
        return
    arrangement.receipts[key] = entry
    while len(arrangement.receipts) > CHUNK:  # more than once only for a state from before the archive
        _pack(arrangement)


def amend_fact(arrangement: Arrangement, key: str, content: _Entry) -> _Entry | None:
    """E2: a fact recorded again where it is (recent or archived); the earlier content."""
    if key in arrangement.facts or (index := _index_of(arrangement, key)) is None:
        earlier = arrangement.facts.get(key)
        arrangement.facts[key] = content
        return earlier
    return _repacked(arrangement, index, key, 1, content)


def pop_fact(arrangement: Arrangement, key: str) -> _Entry | None:
    if key in arrangement.facts or (index := _index_of(arrangement, key)) is None:
        return arrangement.facts.pop(key, None)
    return _repacked(arrangement, index, key, 1, None)


def pop_receipt(arrangement: Arrangement, key: str) -> _Entry | None:
    if key in arrangement.receipts or (index := _index_of(arrangement, key)) is None:
        return arrangement.receipts.pop(key, None)
    return _repacked(arrangement, index, key, 0, None)


def _archive(arrangement: Arrangement) -> list[dict[str, Any]]:
    # Absent until the first packing: a state rebuilt from any point has the same attributes.
    return arrangement.__dict__.get("archive", [])


def _holding(arrangement: Arrangement, key: str) -> dict[str, Any] | None:
    index = _index_of(arrangement, key)
    return None if index is None else _archive(arrangement)[index]


def _index_of(arrangement: Arrangement, key: str) -> int | None:
    for index, chunk in enumerate(_archive(arrangement)):
        if key in chunk["keys"]:
            return index
    return None


def _pack(arrangement: Arrangement) -> None:
    keys = list(arrangement.receipts)[:CHUNK]
    packed = {key: arrangement.receipts.pop(key) for key in keys}
    paid = {key: arrangement.facts.pop(key) for key in keys if key in arrangement.facts}
    arrangement.__dict__["archive"] = [*_archive(arrangement), _chunk(packed, paid)]


def _repacked(arrangement: Arrangement, index: int, key: str, part: int, content: _Entry | None) -> _Entry | None:
    """The archived entry ``index`` with its receipt (``part`` 0) or fact (1) of ``key``
    replaced by ``content`` (None: removed); the earlier one. An emptied entry is dropped."""
    archive = list(_archive(arrangement))
    chunk = archive[index]
    parts = _decoded(chunk["packed"])  # a copy: the remembered one stays as it was
    earlier = parts[part].get(key)
    if content is None:
        parts[part].pop(key, None)
    else:
        parts[part][key] = content
    if parts[0] or parts[1]:
        archive[index] = _chunk(*parts)
    else:
        del archive[index]
    arrangement.__dict__["archive"] = archive
    return earlier


def _chunk(packed: dict[str, _Entry], paid: dict[str, _Entry]) -> dict[str, Any]:
    # The keys of both parts: a recall takes the receipt back before its fact.
    keys = list(dict.fromkeys([*packed, *paid]))
    value_to = max((r["value_date"] for r in packed.values()), default=date.min)
    text = json.dumps([packed, paid], default=_tagged, separators=(",", ":"))
    return {"keys": keys, "value_to": value_to, "packed": base64.b64encode(zlib.compress(text.encode())).decode()}


@lru_cache(maxsize=256)
def _unpacked(packed: str) -> tuple[dict[str, _Entry], dict[str, _Entry]]:
    """An archived entry's receipts and facts, remembered (the full replay reads them
    several times); shared, so never changed: ``_repacked`` decodes its own copy."""
    receipts_part, facts_part = _decoded(packed)
    return receipts_part, facts_part


def _decoded(packed: str) -> list[dict[str, _Entry]]:
    return json.loads(zlib.decompress(base64.b64decode(packed)), object_hook=_untagged)


def _tagged(value: Any) -> dict[str, str]:
    if isinstance(value, Decimal):
        return {"_d": str(value)}
    if type(value) is date:
        return {"_t": value.isoformat()}
    raise TypeError(f"cannot pack {type(value).__name__}")


def _untagged(d: dict[str, Any]) -> Any:
    if len(d) == 1:
        if "_d" in d:
            return Decimal(d["_d"])
        if "_t" in d:
            return date.fromisoformat(d["_t"])
    return d
