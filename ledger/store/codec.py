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

import orjson
from eventsourcing.persistence import (
    DatetimeAsISO,
    DecimalAsStr,
    JSONTranscoder,
    Transcoding,
    UUIDAsHex,
)


class DateAsISO(Transcoding):
    """``datetime.date`` is not JSON: stored as its ISO string."""

    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> date:
        return date.fromisoformat(data)


def _json_decoder(decoders: dict[str, Callable[[Any], Any]]) -> Callable[[str], Any]:
    def hook(d: dict[str, Any]) -> Any:
        if len(d) != 2:
            return d
        kind = d.get("_type_")
        if kind is None or "_data_" not in d:
            return d
        return decoders[kind](d["_data_"])  # an unknown type: KeyError, as the library refuses it

    return json.JSONDecoder(object_hook=hook).decode


def state_decoder(transcoder: JSONTranscoder) -> Callable[[str | bytes], Any]:
    """``transcoder.decode`` of text (or UTF-8 bytes), with the same result:
    ``orjson`` parses, then one walk replaces each ``{"_type_", "_data_"}``
    object through a flat dispatch of the transcodings (measured on the
    bench's log: an arrangement's state 65 us instead of 118 with ``json``
    and an ``object_hook``, its events 10.7 us instead of 14). Whatever
    ``orjson`` refuses and ``json`` takes (``NaN``, integers beyond 64 bits,
    lone surrogates) goes through ``json`` with the same hook.

    Over 60 lines on purpose: the walk's steps are closures of this one function, so
    each reads the dispatch tables and the memo as a cell (no attribute lookup per
    value, on the hottest path of every read). The reference it is tested against
    is the library's own ``transcoder.decode`` (``tests/integration/projections/test_codec.py``)."""
    direct: dict[type, Callable[[str], Any]] = {DecimalAsStr: Decimal, DatetimeAsISO: datetime.fromisoformat,
                                                 UUIDAsHex: UUID, DateAsISO: date.fromisoformat}
    decoders = {name: direct.get(type(t), t.decode) for name, t in transcoder.names.items()}
    slow = _json_decoder(decoders)
    loads = orjson.loads
    JSONDecodeError = orjson.JSONDecodeError

    # Amounts and dates repeat (instalment dues, amounts): each distinct one
    # is decoded once and shared, as they are immutable (per type, bounded:
    # cleared past this many). Recorded times and ids hardly repeat.
    seen: dict[str, dict[str, Any]] = {name: {} for name, t in transcoder.names.items()
                                       if type(t) in (DecimalAsStr, DateAsISO)}
    limit = 20_000

    def typed(d: dict[str, Any]) -> Any:
        kind, data = d["_type_"], d["_data_"]
        if type(data) is str:
            memo = seen.get(kind)
            if memo is None:
                return decoders[kind](data)  # an unknown type: KeyError, as the library refuses it
            found = memo.get(data)
            if found is None:
                if len(memo) >= limit:
                    memo.clear()
                found = memo[data] = decoders[kind](data)
            return found
        if type(data) is dict or type(data) is list:
            data = converted(data)
        return decoders[kind](data)

    def converted(v: dict[str, Any] | list[Any]) -> Any:
        """A container's decoded value: a typed value, else the container with its insides decoded in place."""
        if type(v) is list:
            walk_list(v)
            return v
        if "_type_" in v and len(v) == 2 and "_data_" in v:
            return typed(v)
        return walk_dict(v)

    def walk_dict(d: dict[str, Any]) -> dict[str, Any]:
        for k, v in d.items():
            if type(v) is dict or type(v) is list:
                d[k] = converted(v)
        return d

    def walk_list(values: list[Any]) -> None:
        for i, v in enumerate(values):
            if type(v) is dict or type(v) is list:
                values[i] = converted(v)

    def decode(text: str | bytes) -> Any:
        try:
            value = loads(text)
        except JSONDecodeError:
            return slow(text if isinstance(text, str) else text.decode("utf-8"))
        if type(value) is dict or type(value) is list:
            return converted(value)
        return value

    return decode


def stored_json(mapper: Any) -> Callable[[bytes], bytes]:
    """The JSON bytes of a stored event's (or snapshot's) state, from the bytes as stored:
    decrypted by ``mapper``'s cipher (F4) and decompressed by its compressor, as the
    library's ``Mapper.to_domain_event`` undoes them; the bytes themselves when it has
    neither. Every reader of raw stored states goes through it (the bulk loads, the read
    models' ``Decoded`` and so the audit index, ``latest_business_date``)."""
    cipher, compressor = mapper.cipher, mapper.compressor
    if cipher is None and compressor is None:
        return bytes  # the same bytes object, unchanged
    if compressor is None:
        return cipher.decrypt  # type: ignore[no-any-return]
    if cipher is None:
        return compressor.decompress  # type: ignore[no-any-return]
    return lambda state: compressor.decompress(cipher.decrypt(state))


def transcoding_encoders(transcoder: JSONTranscoder) -> dict[type, tuple[str, Callable[[Any], Any]]]:
    """Each transcoded type's name and encode function; for the library's and the
    ledger's own transcodings, the very function their ``encode`` calls (``str``,
    ``isoformat``, ``.hex``), one Python call less per value."""
    direct: dict[type, Callable[[Any], Any]] = {DecimalAsStr: str, DatetimeAsISO: datetime.isoformat,
                                                 DateAsISO: date.isoformat, UUIDAsHex: lambda u: u.hex}
    return {t: (tc.name, direct.get(type(tc), tc.encode)) for t, tc in transcoder.types.items()}


def state_encoder(transcoder: JSONTranscoder) -> Callable[[Any], str]:
    """``transcoder.encode`` to text, with the same output, by ``orjson``
    with a flat dispatch of the transcodings for what it passes on
    (``Decimal``, ``date``, ``datetime``: measured 30 to 60 us for an
    arrangement's state instead of 153 with ``json`` and a ``default``).
    The values it passes on are mostly the very objects ``state_decoder``
    shared (amounts and dates repeat): each one's transcoding is kept, by
    identity, with the object itself so that its id cannot be reused
    (bounded: cleared past this many).

    ``orjson`` writes a ``UUID`` itself, as a plain string, where the library
    writes ``{"_type_":"uuid_hex","_data_":...}``: a ``UUID`` among the
    top-level values (an aggregate's ``_id``) is transcoded first. Deeper
    ones are not looked for (a walk of the state to check every value's type
    costs 35 us of an arrangement's, a search of the output for a UUID-like
    string 30): the aggregates the read models keep (arrangements, bank
    payments) hold no other ``UUID``, nor floats, enums or dataclasses,
    which ``orjson`` would also write its own way; ``test_codec`` compares
    the output with the library's on every aggregate of a generated ledger.
    Whatever ``orjson`` refuses (a key that is not a string, an integer
    beyond 64 bits) goes through ``json``."""
    by_type = transcoding_encoders(transcoder)
    uuid = by_type.get(UUID)
    done: dict[int, tuple[Any, dict[str, Any]]] = {}
    known = done.get
    limit = 20_000

    def default(o: Any) -> dict[str, Any]:
        found = known(id(o))
        if found is not None and found[0] is o:
            return found[1]
        kind = by_type.get(type(o))
        if kind is None:
            return transcoder._encode_obj(o)  # raises the library's error
        typed = {"_type_": kind[0], "_data_": kind[1](o)}
        if len(done) >= limit:
            done.clear()
        done[id(o)] = (o, typed)
        return typed

    slow = json.JSONEncoder(default=default, separators=(",", ":"), ensure_ascii=False).encode
    dumps = orjson.dumps
    option = orjson.OPT_PASSTHROUGH_DATETIME
    JSONEncodeError = orjson.JSONEncodeError

    def encode(value: Any) -> str:
        if type(value) is dict and uuid is not None:
            for v in value.values():
                if type(v) is UUID:
                    value = {k: {"_type_": uuid[0], "_data_": uuid[1](v)} if type(v) is UUID else v
                             for k, v in value.items()}
                    break
        try:
            return dumps(value, default=default, option=option).decode("utf-8")
        except JSONEncodeError:
            return slow(value)

    return encode

