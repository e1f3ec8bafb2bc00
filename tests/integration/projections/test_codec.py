"""The projections' fast paths give what the library's own would: decoded
events, encoded and decoded aggregate states, and the audit index's recorded
time and business date read from the head of the stored JSON."""

from __future__ import annotations

import tempfile
from datetime import UTC
from pathlib import Path

from bench.history import generate
from ledger.application import Ledger
from projections.audit import HEAD, AuditProjection
from projections.base import Codec, Decoded, state_decoder, state_encoder


def test_fast_paths_agree_with_the_library() -> None:
    with tempfile.TemporaryDirectory() as folder:
        app = Ledger(f"sqlite:///{Path(folder) / 'ledger.db'}")
        try:
            generate(app, seed=3, debtors=8, months=8)
            codec = Codec(app.mapper)
            transcoder = app.mapper.transcoder
            encode, decode = state_encoder(transcoder), state_decoder(transcoder)
            aggregates: dict = {}
            fast_heads = 0
            notifications = list(app.notifications())
            assert len(notifications) > 150
            for n in notifications:
                d = Decoded(n.id, str(n.originator_id), n.originator_version, n.topic, n.state, codec)
                expected = app.mapper.to_domain_event(n)
                assert type(d.event) is type(expected) and vars(d.event) == vars(expected)
                head = HEAD.match(n.state)
                if head is not None and head.lastindex and head.lastindex >= 2:
                    fast_heads += 1
                    business_date = head.group(2).decode() if head.group(2) else None
                    assert (head.group(1).decode(), business_date) == AuditProjection._from_event(d)
                aggregates[n.originator_id] = d.event.mutate(aggregates.get(n.originator_id))
            assert fast_heads == len(notifications)  # the ledger's events all take the fast path
            for aggregate in aggregates.values():
                state = {k: v for k, v in vars(aggregate).items() if k != "_pending_events"}
                text = encode(state)
                assert text == transcoder.encode(state).decode("utf-8")
                assert decode(text) == transcoder.decode(text.encode("utf-8")) == state
        finally:
            app.close()


def test_the_fast_codec_falls_back_to_the_library_where_orjson_differs() -> None:
    from datetime import date, datetime
    from decimal import Decimal
    from uuid import uuid4

    with tempfile.TemporaryDirectory() as folder:
        app = Ledger(f"sqlite:///{Path(folder) / 'ledger.db'}")
        try:
            transcoder = app.mapper.transcoder
            encode, decode = state_encoder(transcoder), state_decoder(transcoder)
            amount = Decimal("1.10")
            states = [
                {"_id": uuid4(), "a": amount, "b": [amount, date(2022, 1, 31), {"c": amount}],
                 "t": datetime(2022, 1, 31, 12, 0, tzinfo=UTC), "n": None, "s": "Καλή \"χρονιά\"\\\n\u2028"},
                {"big": 2 ** 70, "list": [1, 2.5, True]},  # beyond 64 bits: json writes it
                {"keys": {1: "one"}},  # not a string key: json writes it ("1")
            ]
            for state in states:
                expected = transcoder.encode(state).decode("utf-8")
                assert encode(state) == expected
                assert decode(expected) == transcoder.decode(expected.encode("utf-8"))
                assert decode(expected.encode("utf-8")) == transcoder.decode(expected.encode("utf-8"))
            odd = b'{"x":NaN,"y":{"_type_":"decimal_str","_data_":"2.50"},"z":"\\ud800"}'  # orjson refuses these
            assert repr(decode(odd)) == repr(transcoder.decode(odd))
            # Amounts and dates decoded from the same text are one object, shared (immutable).
            one = decode('{"a":{"_type_":"decimal_str","_data_":"3.00"}}')["a"]
            assert one is decode('[{"_type_":"decimal_str","_data_":"3.00"}]')[0] and str(one) == "3.00"
        finally:
            app.close()
