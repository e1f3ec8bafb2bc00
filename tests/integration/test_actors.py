"""O1: every event records who caused it, on both stores: the actor an entrypoint
names (``acting_as``: the CLI's --as, a web user), ``kafka:<topic>`` for consumed
messages, ``system:close-day`` for the close of day; shown in the audit trail and
published with the event; replay is unchanged by it."""

from __future__ import annotations

from consumers.ingest import PAYMENTS, Ingestor
from consumers.publisher import event_message
from ledger.actors import CLOSE_DAY, acting_as
from ledger.handlers.close_day import close_day
from tests.integration.helpers import AFM, Rec, Sink, covid_case, d, history, pay


def actors(ledger, ref):
    return [(e["type"], e["payload"].get("actor")) for e in history(ledger, ref)]


def test_O1_every_event_records_its_actor(ledger):
    with acting_as("maria.p"):
        arrangement = covid_case(ledger)  # its first close of day included
    trail = actors(ledger, AFM)
    assert ("Registered", "maria.p") in trail and ("Applied", "maria.p") in trail
    assert all(actor for _, actor in trail)
    with acting_as("eleni"):
        pay(ledger, arrangement.payment_code, "113.33", "2021-12-20", "TX-1")
    with acting_as("kostas"):
        close_day(ledger, d("2022-02-01"))  # the close acts as itself, whoever runs it
    missed = [a for t, a in actors(ledger, arrangement.payment_code) if t == "InstalmentMissed"]
    assert missed == [CLOSE_DAY]  # instalment 2, due 2022-01-31

    record = Rec(0, {"tx_id": "TX-K", "bank": "ETE", "amount": "113.33", "currency": "EUR",
                     "value_date": "2022-02-01", "reference": arrangement.payment_code})
    record.topic = "keao.bank-payments"
    assert Ingestor(ledger, PAYMENTS, Sink()).apply([record]).statuses == {"applied": 1}
    paid = [a for t, a in actors(ledger, arrangement.payment_code) if t == "Paid"]
    assert paid == ["eleni", "kafka:keao.bank-payments"]

    last = list(ledger.notifications())[-1]
    assert event_message(ledger, last).payload["actor"] == "kafka:keao.bank-payments"


def test_O1_the_actor_is_not_part_of_the_replayed_state(ledger):
    with acting_as("maria.p"):
        arrangement = covid_case(ledger)
        pay(ledger, arrangement.payment_code, "113.33", "2021-12-20", "TX-1")
    replayed = ledger.arrangement(arrangement.payment_code)
    assert replayed.facts["paid:ETE/TX-1"]["credit"] == 0
    assert all("actor" not in fact for fact in replayed.facts.values())
