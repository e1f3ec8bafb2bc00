"""The close of day's index (issue 19, ``ledger.store.close_index``): a close that
covers the arrangements the index holds unchanged and not due, without reading them,
records what the plain close (every live arrangement read and asked ``may_change``)
records, over closes with payments between them; a row whose arrangement a writer
appended to since is not used; a ledger written before the index closes as before
and its first close builds it."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from aggregates.arrangement import Arrangement
from bench.workload import Workload, feed
from ledger.application import Ledger
from ledger.commands import PaymentInput
from ledger.handlers import close_day as close_module
from ledger.handlers.close_day import close_day
from ledger.handlers.payments import record_payment
from ledger.store import close_index
from ledger.store.close_index import CloseIndex
from ledger.store.urls import is_postgres
from ledger.unit_of_work import UnitOfWork

DEADLINE, END = date(2022, 7, 29), date(2022, 12, 31)
# Month ends and their deadlines (C6: the last working day), the first days when the
# instalments open, and days between.
CLOSES = (date(2022, 7, 31), date(2022, 8, 1), date(2022, 8, 12), date(2022, 8, 31), date(2022, 9, 1),
          date(2022, 9, 30), date(2022, 10, 3), date(2022, 10, 31), date(2022, 11, 1), date(2022, 11, 30),
          date(2022, 12, 1), END)
WORKLOAD = Workload(50, seed=7)  # paid on time, late, partly, lost, missing, paid off


def seeded(url: str) -> Ledger:
    """The workload to July's deadline, closed there, as by a release without the index."""
    ledger = Ledger(url)
    close_day(ledger, date(2019, 1, 1))
    feed(ledger, WORKLOAD.commands(until=DEADLINE))
    close_day(ledger, DEADLINE)
    return ledger


def later_payments() -> list[PaymentInput]:
    return [c for c in WORKLOAD.commands(until=END) if isinstance(c, PaymentInput) and c.value_date > DEADLINE]


def recorded(ledger: Ledger, after: int) -> list[tuple[Any, ...]]:
    """The events after position ``after``, decoded, without their timestamps."""
    found = []
    for notification in ledger.notifications(start=after + 1):
        event = ledger.mapper.to_domain_event(notification)
        state = {k: v for k, v in vars(event).items() if k != "timestamp"}
        found.append((event.originator_id, event.originator_version, notification.topic, repr(sorted(state.items()))))
    return sorted(found)


def table_exists(ledger: Ledger) -> bool:
    datastore = ledger.recorder.datastore
    with datastore.transaction(commit=False) as cursor:
        if is_postgres(ledger.db_url):
            cursor.execute("SELECT to_regclass(%s) AS found", [f'"{datastore.schema}".{close_index.TABLE}'])
            return cursor.fetchone()["found"] is not None
        cursor.execute("SELECT name FROM sqlite_master WHERE name = ?", [close_index.TABLE])
        return cursor.fetchone() is not None


def test_the_indexed_close_records_what_the_plain_close_records(db_url: str, tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(close_module, "INDEXED", False)
    indexed, plain = seeded(db_url), seeded(f"sqlite:///{tmp_path / 'plain.db'}")
    covered: list[int] = []
    found = CloseIndex.unchanged_until_after

    def counted(self: CloseIndex, ids: Any, previous: date, day: date) -> set[UUID]:
        answer = found(self, ids, previous, day)
        covered.append(len(answer))
        return answer

    monkeypatch.setattr(CloseIndex, "unchanged_until_after", counted)
    try:
        assert not table_exists(indexed)  # a ledger from before the index
        heads = [ledger.recorder.max_notification_id() for ledger in (indexed, plain)]
        payments = later_payments()
        previous = DEADLINE
        for step, day in enumerate(CLOSES):
            due = [p for p in payments if previous < p.value_date <= day]
            # Most paid before the close of their value date; every fourth after it:
            # backdated then (E2), a late payment correcting what the close recorded.
            timely, late = [p for n, p in enumerate(due) if n % 4], [p for n, p in enumerate(due) if not n % 4]
            for ledger, on in ((indexed, True), (plain, False)):
                for payment in timely:
                    record_payment(ledger, payment)
                monkeypatch.setattr(close_module, "INDEXED", on)
                # On PostgreSQL every other close in two processes (each its share of the ids).
                processes = 2 if on and step % 2 and is_postgres(db_url) else 1
                for _ in range(2 if step == 3 else 1):  # a close of the same day again records nothing (E2)
                    close_day(ledger, day, processes=processes)
                for payment in late:
                    record_payment(ledger, payment)
            previous = day
        assert table_exists(indexed)  # its first close built it
        assert recorded(indexed, heads[0]) == recorded(plain, heads[1])
        assert sum(covered) > 0  # the index covered arrangements the plain close read
        statuses = {ledger.repository.get(i).status for ledger in (indexed,) for i in ledger.arrangement_ids()}
        assert {"active", "lost", "completed"} <= statuses
    finally:
        indexed.close()
        plain.close()


def test_a_row_is_not_used_once_a_writer_appended_to_its_arrangement(db_url: str, monkeypatch) -> None:
    ledger = seeded(db_url)
    try:
        close_day(ledger, DEADLINE)  # read from the index (a close of the same day records nothing, E2)
        index = CloseIndex(ledger.recorder)
        ids = list(ledger.arrangement_ids())
        covered = index.unchanged_until_after(ids, DEADLINE, date(2022, 7, 30))
        arrangement: Arrangement = next(a for a in (ledger.repository.get(i) for i in sorted(covered))
                                        if a.status == "active" and a.receipts)
        # Another writer: a payment for it, which the close's index row knows nothing of.
        amount = next(iter(arrangement.receipts.values()))["amount"]
        record_payment(ledger, PaymentInput("TX-INDEX-1", amount, DEADLINE, arrangement.payment_code, "ETE"))
        assert ledger.repository.get(arrangement.id).version > arrangement.version
        assert arrangement.id not in index.unchanged_until_after(ids, DEADLINE, date(2022, 7, 30))
        assert covered - {arrangement.id} <= index.unchanged_until_after(ids, DEADLINE, date(2022, 7, 30))
        read: list[UUID] = []
        load_many = UnitOfWork.load_many

        def spied(self: UnitOfWork, page: Any, *args: Any, **kwargs: Any) -> Any:
            read.extend(page)
            return load_many(self, page, *args, **kwargs)

        monkeypatch.setattr(UnitOfWork, "load_many", spied)
        close_day(ledger, date(2022, 7, 30))
        assert arrangement.id in read and not (covered - {arrangement.id}) & set(read)
        # Read, it is indexed again at its new version.
        assert arrangement.id in CloseIndex(ledger.recorder).unchanged_until_after(ids, date(2022, 7, 30),
                                                                                  date(2022, 7, 30))
    finally:
        ledger.close()
