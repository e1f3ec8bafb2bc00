"""Issue 12, finding 6: two writers never make a command fail.

Processes started together (a barrier file) write one arrangement: a command that
loses an optimistic-concurrency race re-reads and applies, or finds its payment
already recorded; closes of day are serialised, and a close that failed part-way
finishes when run again, recording what one close records."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from aggregates import history
from aggregates.arrangement import Arrangement
from ledger.actors import acting_as, default_actor
from ledger.application import Ledger
from ledger.handlers import close_day as close_module
from ledger.handlers.close_day import close_day
from ledger.store.bulk import load_many
from tests.conftest import fresh_schema
from tests.integration.helpers import (
    AFM,
    AFM2,
    AFM3,
    UNIT,
    UNIT2,
    count,
    covid_case,
    d,
    pay,
)

ROOT = Path(__file__).resolve().parents[2]
# A worker process: ``worker(argv)`` below, run by a fresh interpreter.
WORKER = "import sys; from tests.integration.test_concurrency import worker; worker(sys.argv[1:])"
# 2 connections a ledger (not 5): the server's 100 are shared with the other tests.
SMALL_POOL = {"POSTGRES_POOL_SIZE": "2"}
READY_TIMEOUT = 30.0  # seconds for every worker to start
RUN_TIMEOUT = 50.0  # seconds for every worker to finish
# With only the first instalment paid, the next two are missed by then and the
# arrangement lost (C8): a close of about ten events an arrangement, each still live.
CLOSE_ON = "2022-03-15"
EACH = "each"  # the worker's pseudo-command: a file's payments one command each


# -- the worker processes -------------------------------------------------------------


def worker(argv: list[str]) -> None:
    """``BARRIER NAME PEERS DB_URL CLI-ARGS…``: the ``ledger`` CLI on a ledger with a
    small pool, started once the test says go; or, for ``each FILE``, one
    ``record_payment`` command a line of the file. PEERS > 0: the first commit waits
    (up to a second) until PEERS workers have reached theirs, so that they all
    read before any of them writes: the race is certain, not a matter of timing."""
    import logging
    from functools import partial

    from ledger.entrypoints import bootstrap
    from ledger.entrypoints.cli import main
    from ledger.unit_of_work import UnitOfWork

    barrier, name, peers, url, *args = argv
    # Each conflict a command retried, one line on stderr (what the tests count).
    retries = logging.getLogger("ledger.handlers.common")
    retries.addHandler(logging.StreamHandler())
    retries.setLevel(logging.INFO)
    bootstrap.Ledger = partial(Ledger, env=SMALL_POOL)  # type: ignore[attr-defined]
    if int(peers):
        commit = UnitOfWork.commit

        def commit_together(self: UnitOfWork, tracking: Any = None) -> None:
            UnitOfWork.commit = commit  # type: ignore[method-assign]
            Path(barrier, f"commit-{name}").touch()
            deadline = time.monotonic() + 1.0
            while len(list(Path(barrier).glob("commit-*"))) < int(peers) and time.monotonic() < deadline:
                time.sleep(0.002)
            commit(self, tracking)

        UnitOfWork.commit = commit_together  # type: ignore[method-assign]
    sys.argv = ["ledger", "--db", url, *args]
    Path(barrier, f"ready-{name}").touch()
    while not Path(barrier, "go").exists():
        time.sleep(0.002)
    if args[0] == EACH:
        record_each(url, Path(args[1]))
        return
    main()


def record_each(url: str, path: Path) -> None:
    """Each payment of a JSON Lines file a command of its own; prints the outcomes
    as ``payment import`` does (``πιστώθηκε: 50``)."""
    from consumers.imports import payment_input
    from consumers.messages import BankPaymentMessage
    from ledger.entrypoints.labels import outcome
    from ledger.handlers.payments import record_payment

    ledger = Ledger(url, env=SMALL_POOL)
    statuses = [record_payment(ledger, payment_input(BankPaymentMessage.from_bytes(line))).status
                for line in path.read_bytes().splitlines()]
    print(", ".join(f"{outcome(s)}: {statuses.count(s)}" for s in sorted(set(statuses))))
    ledger.close()


Results = dict[str, tuple[int, str, str]]  # each worker's exit status, stdout and stderr


def run_together(barrier: Path, url: str, commands: dict[str, list[str]], peers: int = 0) -> Results:
    """Start one worker per command, let them go at once; each one's exit status,
    stdout and stderr."""
    barrier.mkdir()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    processes = {
        name: subprocess.Popen([sys.executable, "-c", WORKER, str(barrier), name, str(peers), url, *args],
                               cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for name, args in commands.items()
    }
    try:
        deadline = time.monotonic() + READY_TIMEOUT
        while len(list(barrier.glob("ready-*"))) < len(commands):
            assert time.monotonic() < deadline, "the workers did not start"
            dead = {name: p.communicate()[1][-600:] for name, p in processes.items() if p.poll() is not None}
            assert dead == {}, "a worker died before the start"
            time.sleep(0.01)
        (barrier / "go").touch()
        done = {name: p.communicate(timeout=RUN_TIMEOUT) for name, p in processes.items()}
    finally:
        for process in processes.values():
            if process.poll() is None:
                process.kill()
    return {name: (processes[name].returncode, out, err) for name, (out, err) in done.items()}


# -- what the tests read --------------------------------------------------------------


def failures(results: Results) -> dict[str, str]:
    """The workers that did not exit 0, with the end of their stderr."""
    return {name: err[-600:] for name, (status, _, err) in results.items() if status != 0}


def paid_events(ledger: Ledger) -> list[Any]:
    return list(ledger.notifications(topics=[Arrangement.Paid.TOPIC]))


def recorded(ledger: Ledger) -> list[tuple[Any, ...]]:
    """Every stored event but its timestamp: what a close recorded, comparable across stores.
    Nor the notices' agenda's ``position``: how far the log went when the pass read it
    (a writer racing the close adds an event first). Decoded, so that personal values
    sealed with a random nonce (F3) compare by what they hold."""
    out = []
    for n in ledger.notifications():
        state = {k: v for k, v in ledger.mapper.transcoder.decode(n.state).items()
                 if k != "timestamp" and not (k == "position" and n.topic.startswith("keao:NoticeAgenda."))}
        out.append((n.originator_id, n.originator_version, n.topic, state))
    return out


def by_stream(event: tuple[Any, ...]) -> tuple[str, int]:
    return str(event[0]), event[1]


@pytest.fixture
def reference_url(db_url: str, tmp_path: Path) -> Iterator[str]:
    """A second, empty store of the same kind as ``db_url``: what one close alone records."""
    if db_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'reference.db'}"
        return
    with fresh_schema() as url:
        yield url


def five_arrangements(url: str) -> Ledger:
    """Five covid-650 arrangements at business date 2021-12-01, their first instalment paid."""
    ledger = Ledger(url, env=SMALL_POOL)
    for afm in (AFM, AFM2, AFM3, UNIT, UNIT2):
        pay(ledger, covid_case(ledger, afm).payment_code, "113.33", "2021-12-01", f"TX-{afm}")
    return ledger


# -- the tests ------------------------------------------------------------------------


@pytest.mark.postgres
def test_four_writers_and_a_close_at_once_apply_every_payment_once(postgres_url: str, tmp_path: Path) -> None:
    """4 processes × 50 payments to one arrangement and a close of day, all started
    together (two ``payment import`` of a file, one commit each; two processes of 50
    ``record_payment`` commands): every process exits 0, each of the 200 payments
    is paid once and the arrangement's receipts add up to theirs."""
    ledger = Ledger(postgres_url, env=SMALL_POOL)
    try:
        code = covid_case(ledger).payment_code
        amounts = {f"TX-{i:03}": Decimal(i) / 100 for i in range(1, 201)}
        commands = {}
        for part in range(4):
            lines = [json.dumps({"tx_id": tx, "bank": "ETE", "amount": str(amount), "currency": "EUR",
                                 "value_date": "2021-12-01", "reference": code})
                     for tx, amount in list(amounts.items())[part * 50:(part + 1) * 50]]
            path = tmp_path / f"payments-{part}.jsonl"
            path.write_text("\n".join(lines) + "\n")
            commands[f"writer-{part}"] = ["payment", "import", str(path)] if part < 2 else [EACH, str(path)]
        commands["close"] = ["day", "close", CLOSE_ON]
        results = run_together(tmp_path / "barrier", postgres_url, commands)
        assert failures(results) == {}
        assert [results[f"writer-{part}"][1] for part in range(4)] == ["πιστώθηκε: 50\n"] * 4
        assert results["close"][1] == f"εργάσιμη ημερομηνία {CLOSE_ON}· ενημερώθηκε 1 ρύθμιση\n"
        assert ledger.business_date() == d(CLOSE_ON)
        arrangement = ledger.arrangement(code)
        receipts = history.receipts(arrangement).values()  # O6: the older ones packed
        received = {r["tx_id"]: r["amount"] for r in receipts}
        assert received == {f"ETE/{tx}": amount for tx, amount in amounts.items()}
        assert sum(r["amount"] for r in receipts) == Decimal("201.00")
        assert len(paid_events(ledger)) == 200
    finally:
        ledger.close()


def test_the_same_payment_from_two_processes_is_applied_once(db_url: str, tmp_path: Path) -> None:
    """The same tx id from two processes at once: one ``applied``, one ``duplicate``,
    both exit 0 and the payment is recorded once (3 events: Received, Paid, and
    Activated, the first instalment being paid)."""
    ledger = Ledger(db_url, env=SMALL_POOL)
    try:
        code = covid_case(ledger).payment_code
        before = count(ledger)
        payment = ["payment", "record", "--reference", code, "--amount", "113.33", "--value-date", "2021-12-01",
                   "--tx-id", "TX-SAME", "--bank", "ETE"]
        results = run_together(tmp_path / "barrier", db_url, {"first": payment, "second": payment}, peers=2)
        assert failures(results) == {}
        assert sorted(out for _, out, _ in results.values()) == ["ήδη καταχωρισμένο: TX-SAME\n", "πιστώθηκε: TX-SAME\n"]
        # The loser read again once (then found the payment) and the winner never.
        assert sorted(err.count("conflict (attempt 1 of 20)") for _, _, err in results.values()) == [0, 1]
        assert sum(err.count("conflict (attempt") for _, _, err in results.values()) == 1
        assert count(ledger) == before + 3
        assert len(paid_events(ledger)) == 1
    finally:
        ledger.close()


def test_two_closes_of_one_day_at_once_record_one_close(db_url: str, reference_url: str, tmp_path: Path) -> None:
    """Two ``day close`` of one day at once: both exit 0, the business date is the
    day and the events are exactly those of one close (E2)."""
    ledger, reference = five_arrangements(db_url), five_arrangements(reference_url)
    try:
        close_day(reference, d(CLOSE_ON))
        results = run_together(tmp_path / "barrier", db_url,
                               {"one": ["day", "close", CLOSE_ON], "two": ["day", "close", CLOSE_ON]})
        assert failures(results) == {}
        assert [out for _, out, _ in results.values()] == [f"εργάσιμη ημερομηνία {CLOSE_ON}· ενημερώθηκαν 5 ρυθμίσεις\n"] * 2
        assert ledger.business_date() == d(CLOSE_ON)
        assert count(ledger) == count(reference)
        assert sorted(recorded(ledger), key=by_stream) == sorted(recorded(reference), key=by_stream)
    finally:
        ledger.close()
        reference.close()


def test_a_close_interrupted_after_some_chunks_finishes_when_run_again(
        db_url: str, reference_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A close that failed after two of its chunks (of 2 arrangements) leaves the
    business date where it was; the same close again records exactly what one
    uninterrupted close records."""
    monkeypatch.setattr(close_module, "SETTLE_CHUNK", 2)
    ledger, reference = five_arrangements(db_url), five_arrangements(reference_url)
    try:
        close_day(reference, d(CLOSE_ON))
        settle_chunk = close_module.settle_chunk
        chunks: list[int] = []

        def fail_after_two(uow: Any, due: list[Arrangement], day: Any) -> None:
            if len(chunks) == 2:
                raise ConnectionError("the database went away")
            chunks.append(len(due))
            settle_chunk(uow, due, day)

        monkeypatch.setattr(close_module, "settle_chunk", fail_after_two)
        before = count(ledger)
        with pytest.raises(ConnectionError):
            close_day(ledger, d(CLOSE_ON))
        assert chunks == [2, 2]
        assert ledger.business_date() == d("2021-12-01")
        assert count(ledger) > before  # the two chunks were saved
        monkeypatch.setattr(close_module, "settle_chunk", settle_chunk)
        assert close_day(ledger, d(CLOSE_ON)) == 5
        assert ledger.business_date() == d(CLOSE_ON)
        assert recorded(ledger) == recorded(reference)
    finally:
        ledger.close()
        reference.close()


def stored_state(ledger: Ledger, arrangement_id: Any) -> dict[str, Any]:
    """An arrangement as the close of day reads it (its latest snapshot and the events
    after it), but for the times it was written at."""
    arrangement = load_many(ledger, [arrangement_id])[arrangement_id]
    return {k: v for k, v in vars(arrangement).items() if k not in ("_created_on", "_modified_on")}


def test_a_close_that_loses_a_race_with_a_payment_reads_again_and_finishes(
        db_url: str, reference_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A payment saved by another writer between the close's read of an arrangement
    and the close's commit of it: the close reads it again and settles it with the
    payment, recording what a payment just before the close and the close record;
    the snapshot it takes is of the arrangement as stored."""
    ledger, reference = five_arrangements(db_url), five_arrangements(reference_url)
    payer = Ledger(db_url, env=SMALL_POOL)
    try:
        first = next(ledger.arrangement_ids())
        code = ledger.repository.get(first).payment_code
        pay(reference, code, "113.33", "2021-12-20", "TX-RACE")
        close_day(reference, d(CLOSE_ON))
        settle_chunk = close_module.settle_chunk
        raced: list[str] = []

        def payment_in_between(uow: Any, due: list[Arrangement], day: Any) -> None:
            if not raced:
                with acting_as(default_actor()):  # another writer's, not the close's (O1)
                    raced.append(pay(payer, code, "113.33", "2021-12-20", "TX-RACE").status)
            settle_chunk(uow, due, day)

        monkeypatch.setattr(close_module, "settle_chunk", payment_in_between)
        assert close_day(ledger, d(CLOSE_ON)) == 5
        assert raced == ["applied"]
        assert ledger.business_date() == d(CLOSE_ON)
        assert recorded(ledger) == recorded(reference)
        assert stored_state(ledger, first) == stored_state(reference, first)
    finally:
        payer.close()
        ledger.close()
        reference.close()
