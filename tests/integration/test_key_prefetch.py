"""F3: a bulk load's data keys read in one query (``KeyRing.prefetch``, issue 19), with
what each subject's key is the same as one ``get`` at a time gives."""

from __future__ import annotations

from datetime import date
from uuid import UUID, uuid4

from sqlalchemy import select

from ledger.application import Ledger
from ledger.store import personal_data
from ledger.store.personal_data import KeyRing


class Counting:
    """A key store that counts its queries (the ledger's table behind it)."""

    def __init__(self, store):
        self.store, self.queries = store, 0

    def get(self, subject):
        self.queries += 1
        return self.store.get(subject)

    def get_many(self, subjects):
        self.queries += 1
        return self.store.get_many(subjects)

    def create(self, subject):
        return self.store.create(subject)

    def destroy(self, subject):
        return self.store.destroy(subject)


def test_get_many_gives_what_get_gives_for_each_subject(db_url, monkeypatch):
    monkeypatch.setattr(personal_data, "FETCH_PAGE", 3)  # several pages
    ledger = Ledger(db_url)
    try:
        store = ledger.keys.store
        subjects = [uuid4() for _ in range(8)]
        for subject in subjects[:6]:
            store.create(subject)
        store.destroy(subjects[1])
        found = store.get_many(subjects)
        assert found == {subject: store.get(subject) for subject in subjects[:6]}
        assert found[subjects[1]] is None and all(len(found[s]) == 32 for s in subjects[2:6])
        assert subjects[6] not in found and subjects[7] not in found  # never had a key
    finally:
        ledger.close()


def test_prefetch_reads_the_keys_not_kept_in_one_query_then_none_again(db_url):
    ledger = Ledger(db_url)
    try:
        counting = Counting(ledger.keys.store)
        subjects = [uuid4() for _ in range(5)]
        for subject in subjects[:4]:
            counting.create(subject)
        counting.destroy(subjects[0])
        plain, keys = KeyRing(counting), KeyRing(counting)
        expected = [plain.for_reading(s) for s in subjects]
        counting.queries = 0
        keys.prefetch(subjects)
        keys.prefetch(subjects)  # all kept now: no query
        opened = [keys.for_reading(s) for s in subjects[:4]]
        assert counting.queries == 1
        assert [None if a is None else a.decrypt(*sealed(a, s)) for a, s in zip(opened, subjects)] == \
               [None if a is None else a.decrypt(*sealed(a, s)) for a, s in zip(expected[:4], subjects)]
        assert opened[0] is None and expected[0] is None  # destroyed: erased either way
        assert keys.for_reading(subjects[4]) is None and counting.queries == 1  # no key: kept as none too
        counting.create(subjects[4])
        assert keys.for_writing(subjects[4]) is not None  # a key made later is found when sealing
    finally:
        ledger.close()


def sealed(aead, subject: UUID) -> tuple[bytes, bytes, bytes]:
    nonce = bytes(12)
    return nonce, aead.encrypt(nonce, b"Papadopoulos", subject.bytes), subject.bytes


def test_the_ring_keeps_a_bounded_number_of_keys(monkeypatch):
    monkeypatch.setattr(personal_data, "KEPT_KEYS", 4)
    now = [0.0]

    class Store:
        def get(self, subject):
            return bytes(32)

    keys = KeyRing(Store(), seconds=10, clock=lambda: now[0])
    for _ in range(3):
        keys.for_reading(uuid4())
    now[0] = 20.0  # those three expire
    fresh = [uuid4() for _ in range(3)]
    for subject in fresh:
        keys.for_reading(subject)
    assert set(keys._kept) == set(fresh)  # the expired went first
    keys.for_reading(uuid4())
    keys.for_reading(uuid4())  # none expired at the bound: all went
    assert len(keys._kept) == 1


def test_the_read_models_read_a_batchs_keys_at_once_and_open_every_name(db_url):
    """A rebuild reads every debtor's name: its keys a query a batch, not one a debtor."""
    from ledger.demo import afm_for
    from projections.runner import Runner
    from tests.integration.helpers import debtor

    ledger = Ledger(db_url)
    try:
        afms = [afm_for(70_000_000 + n) for n in range(12)]
        for n, afm in enumerate(afms):
            debtor(ledger, afm, name=f"Οφειλέτης {n}", business_date=date(2023, 1, 20))
        reader = Ledger(db_url)  # another process's: no key kept yet
        counting = Counting(reader.keys.store)
        reader.keys.store = counting
        runner = Runner(reader, db_url, batch_size=5)
        runner.setup()
        runner.catch_up()
        assert counting.queries <= 3  # 12 debtors' events in batches of 5
        directory = runner.projection("directory")
        with runner.engine.connect() as conn:
            state = runner.states(conn)["directory"]
            table = directory.tables(state.active_slot, state.active_version)["debtors"]
            names = dict(conn.execute(select(table.c.afm, table.c.name)).all())
        assert {afm: names.get(afm) for afm in afms} == {afm: f"Οφειλέτης {n}" for n, afm in enumerate(afms)}
        reader.close()
    finally:
        ledger.close()


def test_a_bulk_load_reads_its_keys_at_the_first_sealed_value_and_none_without_one(db_url):
    """F3: a page of debtors opens its names with one key query; a page of arrangements
    (nothing sealed) asks none, and keeps nothing in the ring."""
    from aggregates.debtor import Debtor
    from bench.workload import Workload, feed
    from ledger.unit_of_work import UnitOfWork

    ledger = Ledger(db_url)
    try:
        feed(ledger, Workload(12, seed=7).commands(until=date(2022, 3, 1)))
        reader = Ledger(db_url)
        counting = Counting(reader.keys.store)
        reader.keys.store = counting
        kept = set(reader.keys._kept)  # opening the ledger read its first event's
        arrangements = UnitOfWork(reader).load_many(list(reader.arrangement_ids()))
        assert arrangements and counting.queries == 0 and set(reader.keys._kept) == kept
        afms = sorted({a.debtor_afm for a in arrangements.values()})
        debtors = UnitOfWork(reader).load_many([Debtor.create_id(afm) for afm in afms])
        assert counting.queries == 1
        plain = {afm: ledger.repository.get(Debtor.create_id(afm)).name for afm in afms}
        assert {d.afm: d.name for d in debtors.values()} == plain and "[erased]" not in plain.values()
        reader.close()
    finally:
        ledger.close()
