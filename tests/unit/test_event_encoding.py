"""``EventStateEncoder`` writes an event's state byte for byte as the library's
``JSONTranscoder`` does (``ledger/store/event_encoding.py``): ``orjson`` only for states made of
the types it writes identically, the library for everything else (a ``UUID`` above all,
which ``orjson`` would write as a plain string and which would then decode as a ``str``)."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from uuid import UUID, uuid4

import pytest
from eventsourcing.persistence import (
    DatetimeAsISO,
    DecimalAsStr,
    JSONTranscoder,
    Mapper,
    UUIDAsHex,
)
from hypothesis import given, settings
from hypothesis import strategies as st

from aggregates.debtor import Debtor
from aggregates.payment import BankPayment
from ledger.store.codec import DateAsISO
from ledger.store.event_encoding import EventStateEncoder, LedgerMapper


def library() -> JSONTranscoder:
    """The ledger's transcoder (``Ledger.register_transcodings``)."""
    transcoder = JSONTranscoder()
    for transcoding in (UUIDAsHex(), DecimalAsStr(), DatetimeAsISO(), DateAsISO()):
        transcoder.register(transcoding)
    return transcoder


TRANSCODER = library()

# Every code point but the surrogates (a lone surrogate is refused by both encoders).
text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)
decimals = st.decimals(allow_nan=False, allow_infinity=False, places=None) | st.sampled_from(
    [Decimal("0.00"), Decimal("-0"), Decimal("1E+3"), Decimal("123456789012345678901234567890.12")])
instants = st.datetimes(timezones=st.sampled_from([UTC, timezone(timedelta(hours=2)), None]))
leaves = (st.none() | st.booleans() | st.integers(min_value=-(2**63), max_value=2**64 - 1) | text | decimals
          | st.dates() | instants)
values = st.recursive(leaves, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(text, inner, max_size=4),
                      max_leaves=12)
states = st.dictionaries(st.text(min_size=1, max_size=12), values, max_size=8)


@settings(max_examples=400, deadline=None)
@given(states)
def test_same_bytes_as_the_library_for_any_state_of_plain_types(state):
    encoder = EventStateEncoder(TRANSCODER)
    assert encoder.encode(state) == TRANSCODER.encode(state)
    assert encoder.fast == 1  # and orjson wrote it
    assert TRANSCODER.decode(encoder.encode(state)) == TRANSCODER.decode(TRANSCODER.encode(state))


def test_every_character_is_written_as_the_library_writes_it():
    everything = "".join(chr(c) for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF)
    state = {"text": everything, "keys": {everything[:5000]: everything[-5000:]}}
    encoder = EventStateEncoder(TRANSCODER)
    assert encoder.encode(state) == TRANSCODER.encode(state)
    assert encoder.fast == 1


class Colour(enum.Enum):
    RED = "red"


@dataclass
class Point:
    x: int


class Text(str):
    pass


@pytest.mark.parametrize("value", [
    uuid4(),  # orjson: a plain string, decoded as str; the library: uuid_hex, decoded as UUID
    [1, {"deep": uuid4()}],
    {"item": {"id": UUID(int=7)}},
    1.5,  # floats: not in the ledger's events; left to the library
    (1, 2),  # tuples likewise
    2**64,  # beyond orjson's integers
    Text("a str subclass"),
    {1: "an int key"},  # json writes it as "1"; orjson would refuse it
])
def test_anything_else_goes_through_the_library(value):
    state = {"timestamp": datetime.now(UTC), "value": value}
    encoder = EventStateEncoder(TRANSCODER)
    assert encoder.encode(state) == TRANSCODER.encode(state)
    assert (encoder.fast, encoder.slow) == (0, 1)


def test_a_uuid_keeps_its_type_through_a_round_trip():
    state = {"target": uuid4()}
    decoded = TRANSCODER.decode(EventStateEncoder(TRANSCODER).encode(state))
    assert decoded == state and type(decoded["target"]) is UUID


@pytest.mark.parametrize("value", [Colour.RED, Point(1), {"s"}, b"bytes"])
def test_what_the_library_refuses_it_still_refuses(value):
    state = {"value": value}
    with pytest.raises(Exception) as library_error:
        TRANSCODER.encode(state)
    with pytest.raises(type(library_error.value)):
        EventStateEncoder(TRANSCODER).encode(state)


def test_a_lone_surrogate_is_refused_as_the_library_refuses_it():
    state = {"text": "\ud800"}
    with pytest.raises(UnicodeEncodeError):
        TRANSCODER.encode(state)
    with pytest.raises(UnicodeEncodeError):
        EventStateEncoder(TRANSCODER).encode(state)


def test_a_payment_s_events_are_stored_as_the_library_would_store_them():
    payment = BankPayment.receive("TX1", "ETE", Decimal("12.30"), "EUR", date(2024, 2, 15), "RF57D300000010", None,
                                  date(2024, 1, 31), target="debtor", target_id="300000010")
    debtor = Debtor.register("300000010", "Οφειλέτης", date(2024, 1, 31))
    debtor.transfer("OAEE", "T1", [{"period": "2023-05", "kind": "contribution", "amount": Decimal("100.00"),
                                    "due_date": date(2023, 6, 30)}], date(2024, 1, 31))
    events = [*payment.collect_events(), *debtor.collect_events()]
    mapper = LedgerMapper(TRANSCODER)  # the fast path, against the library's own mapper
    for event in events:
        stored = mapper.to_stored_event(event)
        state = dict(vars(event))
        assert (stored.originator_id, stored.originator_version) == (state.pop("originator_id"),
                                                                     state.pop("originator_version"))
        assert stored.state == TRANSCODER.encode(state)
        assert stored == Mapper(TRANSCODER).to_stored_event(event)
    encoder = mapper.encoder
    assert (encoder.fast, encoder.slow) == (len(events), 0)
