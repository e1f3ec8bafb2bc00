"""The payment and close-of-day handlers over a fake unit of work: no store at all.

``FakeUnitOfWork`` offers what ``ledger.unit_of_work.UnitOfWork`` offers a handler
(aggregates by id, the business date, the settings, the close of day's bulk reads)
over a dict, and keeps what each commit saved, so the use cases are tested as
the domain's rules say, apart from any database.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date
from decimal import Decimal
from typing import Any
from uuid import UUID

from aggregates.arrangement import Arrangement
from aggregates.debtor import Debtor
from aggregates.payment import BankPayment
from aggregates.references import debtor_identity_code
from ledger.commands import Outcome, PaymentInput, TransferInput, TransferItem
from ledger.handlers.arrangements import apply_into
from ledger.handlers.close_day import close_page
from ledger.handlers.payments import payment_into
from ledger.handlers.transfers import transfer_into
from tests.unit.builders import AFM, COVID, SETTINGS, d, kinds, m


class FakeUnitOfWork:
    def __init__(self, business_date: date):
        self.settings = SETTINGS
        self.stored: dict[UUID, Any] = {}
        self.loaded: dict[UUID, Any] = {}
        self.today = business_date
        self.commits: list[list[Any]] = []  # the events each commit saved
        self.snapshotted: list[Any] = []

    def business_date(self) -> date:
        return self.today

    current_date = business_date

    def get(self, cls: type, aggregate_id: UUID) -> Any:
        found = self.stored.get(aggregate_id)
        if found is not None:
            assert isinstance(found, cls)
            self.loaded[aggregate_id] = found
        return found

    def add(self, aggregate: Any) -> None:
        self.stored[aggregate.id] = self.loaded[aggregate.id] = aggregate

    def prefetch(self, ids: Any) -> dict[UUID, Any]:
        return {}

    def load_many(self, ids: Sequence[UUID], unless_last: Collection[str] = (),
                  since_snapshot: dict[UUID, int] | None = None) -> dict[UUID, Any]:
        found = {i: self.stored[i] for i in ids if i in self.stored}
        if since_snapshot is not None:
            since_snapshot.update({i: a.version for i, a in found.items()})  # no snapshots: every event replayed
        return found

    def save_snapshots(self, aggregates: Sequence[Any]) -> int:
        self.snapshotted.extend(aggregates)
        return len(aggregates)

    def commit(self, tracking: Any = None) -> None:
        self.commits.append([e for a in self.loaded.values() for e in a.collect_events()])
        self.loaded.clear()


def covid_arrangement(uow: FakeUnitOfWork) -> Arrangement:
    """1200.00 of OAEE contributions for 2020-03, due 2020-04-30, applied for on
    2021-12-01 in 12 instalments: capital 1360.00 (C4: 20 started months at
    8%/12), 11 × 113.33 + 113.37, the first due 2021-12-31 (C6)."""
    uow.add(Debtor.register(AFM, "Παπαδόπουλος ΑΕ", d("2021-12-01")))
    item = TransferItem("2020-03", "contribution", m("1200.00"), d("2020-04-30"))
    assert transfer_into(uow, TransferInput("OAEE", AFM, (item,), transfer_id="OAEE-1")) == Outcome("recorded", AFM)
    arrangement = apply_into(uow, AFM, COVID, COVID.options({}), d("2021-12-01"), 12)
    uow.commit()
    return arrangement


def pay(uow: FakeUnitOfWork, reference: str, amount: str, value_date: str, tx_id: str) -> Outcome:
    outcome = payment_into(uow, PaymentInput(tx_id, Decimal(amount), d(value_date), reference, "ETE"))
    uow.commit()
    return outcome


def test_c6_the_first_instalment_paid_is_allocated_and_activates_it_on_its_value_date():
    uow = FakeUnitOfWork(d("2021-12-01"))
    arrangement = covid_arrangement(uow)
    assert arrangement.capital == m("1360.00")
    assert pay(uow, arrangement.payment_code, "113.33", "2021-12-31", "TX-1") == Outcome("applied", str(arrangement.id))
    paid, received = uow.commits[-1]  # the arrangement was loaded first, the payment then added
    assert kinds([paid, received]) == ["Paid", "Received"]
    assert (received.target, received.target_id) == ("arrangement", str(arrangement.id))
    assert (paid.amount, paid.value_date) == (m("113.33"), d("2021-12-31"))
    assert arrangement.status == "applied"  # E1: its facts wait for the business date
    close_page(uow, [arrangement.id], d("2021-12-31"), previous=d("2021-12-01"))
    assert [(type(e).__name__, e.business_date) for e in uow.commits[-1]] == [("Activated", d("2021-12-31"))]
    assert arrangement.status == "active"


def test_p1_the_same_bank_transaction_again_is_a_duplicate_and_records_nothing():
    uow = FakeUnitOfWork(d("2021-12-01"))
    arrangement = covid_arrangement(uow)
    pay(uow, arrangement.payment_code, "113.33", "2021-12-31", "TX-1")
    again = pay(uow, arrangement.payment_code, "113.33", "2021-12-31", "TX-1")
    assert again == Outcome("duplicate", str(arrangement.id), None)
    assert uow.commits[-1] == []


def test_p2_a_debtor_who_owes_nothing_outside_arrangements_sends_the_payment_to_suspense():
    uow = FakeUnitOfWork(d("2021-12-01"))
    covid_arrangement(uow)  # its only item is held by the arrangement
    outcome = pay(uow, debtor_identity_code(AFM), "50.00", "2021-12-10", "TX-2")
    assert outcome == Outcome("suspense", None, f"debtor {AFM} owes nothing outside arrangements (P2)")
    (payment,) = [a for a in uow.stored.values() if isinstance(a, BankPayment)]
    assert (payment.status, payment.reason) == ("suspense", outcome.reason)


def test_p5_a_payment_in_another_currency_waits_in_suspense_with_the_reason():
    uow = FakeUnitOfWork(d("2021-12-01"))
    arrangement = covid_arrangement(uow)
    outcome = payment_into(uow, PaymentInput("TX-3", m("75.00"), d("2021-12-20"), arrangement.payment_code, "ETE", "USD"))
    assert outcome == Outcome("suspense", None, "currency 'USD' is not EUR (P5)")


def test_c8_the_close_of_day_loses_the_arrangement_when_two_instalments_are_unpaid():
    """Instalment 1 paid, then nothing: on 2022-03-01 instalments 2 and 3 (226.66)
    are unpaid past due, two instalments' worth: lost, with the balance 1246.67 and
    3 × 0.76 of surcharges = 1248.95."""
    uow = FakeUnitOfWork(d("2021-12-01"))
    arrangement = covid_arrangement(uow)
    pay(uow, arrangement.payment_code, "113.33", "2021-12-31", "TX-1")
    assert close_page(uow, [arrangement.id], d("2022-03-01"), previous=d("2021-12-01")) == 1
    recorded = [e for commit in uow.commits[-1:] for e in commit]
    lost = [e for e in recorded if type(e).__name__ == "Lost"]
    assert [(e.business_date, e.balance) for e in lost] == [(d("2022-03-01"), m("1248.95"))]
    assert arrangement.status == "lost"
    assert uow.snapshotted == [arrangement]  # 8 events or more since its (absent) snapshot


def test_e2_closing_the_same_day_again_records_nothing():
    uow = FakeUnitOfWork(d("2021-12-01"))
    arrangement = covid_arrangement(uow)
    pay(uow, arrangement.payment_code, "113.33", "2021-12-31", "TX-1")
    close_page(uow, [arrangement.id], d("2022-02-05"), previous=d("2021-12-01"))
    assert [(type(e).__name__, e.business_date, getattr(e, "number", None)) for e in uow.commits[-1]] == [
        ("Activated", d("2021-12-31"), None), ("InstalmentDue", d("2022-01-01"), 2),
        ("InstalmentDue", d("2022-02-01"), 3), ("InstalmentMissed", d("2022-02-01"), 2),
        ("SurchargeAccrued", d("2022-02-01"), 2),
    ]
    assert uow.commits[-1][-1].amount == m("0.76")  # L1: a month of delay on 113.33
    before = len(uow.commits)
    assert close_page(uow, [arrangement.id], d("2022-02-05"), previous=d("2022-02-05")) == 1
    assert [e for commit in uow.commits[before:] for e in commit] == []
