"""The events' stored state, written by ``orjson`` where that is provably the same bytes.

``eventsourcing``'s ``JSONTranscoder`` writes an event's state with ``json`` and a
``default`` hook (a Python call for every ``Decimal``, ``date`` and ``datetime``): a
third of a Kafka batch's commit. ``orjson`` writes the same JSON several times faster,
but not for every value: it writes a ``UUID`` itself as a plain string (the library
writes ``{"_type_":"uuid_hex",...}``, decoded back to a ``UUID``), and it has its own
ways with enums, dataclasses, floats, tuples, subclasses of the built-in types and
integers beyond 64 bits.

So :class:`EventStateEncoder` first walks the state and uses ``orjson`` only when every
value in it, at any depth, is exactly a ``str``, ``int``, ``bool``, ``None``, ``list``,
``dict`` with ``str`` keys, or one of the types whose library transcoding it then calls
in the same way as the library (``Decimal``, ``date``, ``datetime``: each becomes
``{"_type_": name, "_data_": transcoding.encode(value)}``, keys in that order). Any
other value (a ``UUID`` above all), or anything ``orjson`` refuses (a lone surrogate, an
integer beyond 64 bits), sends the whole state through the library's own encoder. For
the values it takes, ``orjson``'s output is the library's byte for byte: no spaces, the
keys in insertion order, UTF-8 unescaped, the same escapes for quotes, backslashes and
control characters (``tests/unit/test_event_encoding.py`` compares the two on random
states over all of Unicode and on every event the demo ledger records). The walk costs
about a quarter of what it saves.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import orjson
from eventsourcing.persistence import JSONTranscoder, Mapper, StoredEvent, Transcoder
from eventsourcing.utils import get_topic

from ledger.store.codec import transcoding_encoders
from ledger.store.personal_data import PersonalDataSealer

# Types both encoders write themselves, identically.
_NATIVE = (str, int, bool, type(None))
# Types passed to the library's transcoding (registered by the ledger: ``DecimalAsStr``,
# ``DateAsISO``, ``DatetimeAsISO``); never ``UUID``.
_TRANSCODED = (Decimal, date, datetime)


class EventStateEncoder:
    """``transcoder.encode`` of an event's state, the same bytes, mostly by ``orjson``."""

    def __init__(self, transcoder: JSONTranscoder):
        self.transcoder = transcoder
        encoders = transcoding_encoders(transcoder)
        by_type = {t: encoders[t] for t in _TRANSCODED if t in encoders}
        self.leaves = frozenset(_NATIVE) | frozenset(by_type)
        self.fast = 0  # how many states ``orjson`` wrote
        self.slow = 0  # and how many the library

        def default(value: Any) -> dict[str, Any]:
            name, encode = by_type[type(value)]  # only these reach it (``plain``)
            return {"_type_": name, "_data_": encode(value)}

        self._default: Callable[[Any], Any] = default

    def plain(self, value: Any) -> bool:
        """Every value in ``value``, at any depth, is one ``orjson`` writes as the library does."""
        kind = type(value)
        if kind in self.leaves:
            return True
        if kind is dict:
            for key, item in value.items():
                if type(key) is not str or not self.plain(item):
                    return False
            return True
        if kind is list:
            for item in value:
                if not self.plain(item):
                    return False
            return True
        return False

    def encode(self, state: dict[str, Any]) -> bytes:
        leaves, plain = self.leaves, True
        for value in state.values():  # ``plain(state)``, its keys (attribute names) being ``str``
            if type(value) not in leaves and not self.plain(value):
                plain = False
                break
        if plain:
            try:
                encoded = orjson.dumps(state, default=self._default, option=orjson.OPT_PASSTHROUGH_DATETIME)
            except orjson.JSONEncodeError:
                pass
            else:
                self.fast += 1
                return encoded
        self.slow += 1
        return self.transcoder.encode(state)


class LedgerMapper(Mapper):
    """The library's mapper, writing events' state with ``EventStateEncoder`` (a third of
    a consumer batch's commit less; the same JSON), then compressed and encrypted as the
    library does (F4), with its personal fields sealed first by ``sealer`` when the
    ledger sets one (F3, ``ledger.store.personal_data``). Chosen through
    ``Application.construct_mapper``."""

    def __init__(self, transcoder: Transcoder, compressor: Any = None, cipher: Any = None):
        super().__init__(transcoder, compressor=compressor, cipher=cipher)
        fast = isinstance(transcoder, JSONTranscoder)
        self.encoder = EventStateEncoder(transcoder) if fast else None  # type: ignore[arg-type]
        self.sealer: PersonalDataSealer | None = None

    def to_stored_event(self, domain_event: Any) -> StoredEvent:
        state = dict(vars(domain_event))
        originator_id = state.pop("originator_id")
        originator_version = state.pop("originator_version")
        class_version = getattr(type(domain_event), "class_version", 1)
        if class_version > 1:
            state["class_version"] = class_version
        topic = get_topic(type(domain_event))
        if self.sealer is not None:
            state = self.sealer.sealed(topic, state, originator_id)
        stored = self.transcoder.encode(state) if self.encoder is None else self.encoder.encode(state)
        if self.compressor is not None:
            stored = self.compressor.compress(stored)
        if self.cipher is not None:
            stored = self.cipher.encrypt(stored)
        return StoredEvent(originator_id=originator_id, originator_version=originator_version, topic=topic,
                           state=stored)
