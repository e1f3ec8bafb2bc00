"""Close of day at a month end (E1) with N live arrangements, on PostgreSQL.

The ledger is seeded from the workload (payments valued up to July's deadline,
Friday 2022-07-29) and closed to that day; the schema is then copied, and the
close of the month end (2022-07-31: every instalment not paid by the deadline
is missed on the 30th) runs twice on identical ledgers:

- baseline: a naive loop that loads each arrangement with
  ``ledger.repository.get``, settles it and saves it, one transaction each;
- value: ``Ledger.close_day`` with its index (issue 19: the arrangements the close to
  the deadline found not due by the month end and that nothing was recorded for
  since are covered without reading them); beside it, in the same run, the plain
  close (``close_day.INDEXED`` off: every live arrangement read and asked
  ``may_change``), and the close with the hash chain off (``LEDGER_CHAIN=0``): the
  integrity ratio, chain on ÷ off (target ≥ 0.8); ``--cipher-debtors N`` adds the
  ratio with the chain and F4's encryption on ÷ both off on two ledgers of N debtors
  seeded for it (an encrypted ledger is seeded encrypted);
- the physical anchor (``bench.anchor``), COPY and batched INSERT of rows of the
  seeded events' mean size, in the same run: the rate as fractions of them.

All must record the same events (count and digest of aggregate, version and
type, checked), their notices' pass off. A fourth copy closes with the notices'
pass on (N2, N4): its rate against the close without (target ≥ 0.75), the
notices issued per second of the pass, and the PDF letters rendered per second. The close to the deadline also snapshotted the arrangements
(``ledger.handlers.close_day.SNAPSHOT_AFTER``), so both read each from its snapshot and the
events after it: here none or few; in a steady state, where the close
snapshots an arrangement every SNAPSHOT_AFTER events, 0 to 7 (measured at
5,000 debtors with the snapshots put 0 to 7 events back at random, and
with the snapshots written for those that reach 8: about 5% slower). Prints
one JSON line:
arrangements/s (live arrangements at the close ÷ seconds), target ≥ 5,000/s (issue 19).
A schema seeded before the index has none: its close to the deadline is run again
once (``index_built_seconds``), as a ledger's first close after the upgrade builds it.

    python -m bench close_day            # 100,000 debtors
    python -m bench.close_day --debtors 2000
    python -m bench.close_day --debtors 5000 --seeded cd5k [--no-baseline]   # seed once, iterate
"""

from __future__ import annotations

import argparse
import base64
import os
import time
from dataclasses import replace
from datetime import date
from operator import itemgetter
from typing import Any

import psycopg

from aggregates.arrangement import Arrangement
from aggregates.business_day import BUSINESS_DAY_ID, BusinessDay
from aggregates.debtor import Debtor
from aggregates.notice import Notice
from aggregates.routing import held_items
from bench.anchor import fraction_of, mean_state_bytes, physical_anchor
from bench.common import (
    TABLES,
    base_url,
    copy_schema,
    emit,
    environment,
    events_after,
    fresh_schema,
    last_position,
    machine,
    note,
    peak_rss_mb,
    schema_url,
    seed_ledger,
)
from ledger.application import Ledger
from ledger.handlers import close_day as close_module
from ledger.handlers.close_day import close_day
from ledger.handlers.notices import issue_locked
from ledger.notice_views import notice_json
from ledger.handlers.common import settle
from ledger.store import chain, close_index
from ledger.store.encryption import CIPHER_KEY_VARIABLE
from ledger.unit_of_work import UnitOfWork

DEADLINE = date(2022, 7, 29)  # the last working day of July 2022: every instalment's deadline (C6)
MONTH_END = date(2022, 7, 31)  # the close after it records July's misses (on the 30th)
TARGET = 5000.0  # issue 19
INTEGRITY_TARGET = 0.8  # the close with the chain (and the cipher) on ÷ off
PROCESSES = 2  # the cores of the machine the figures are taken on
FULL, QUICK = 100_000, 2_000


def naive_close(ledger: Ledger, day: date) -> int:
    """The baseline: one arrangement, one load, one settle, one transaction."""
    settled = 0
    for arrangement_id in ledger.arrangement_ids():
        arrangement: Arrangement = ledger.repository.get(arrangement_id)
        if arrangement.status in ("rejected", "completed", "lapsed"):
            continue
        debtor: Debtor = ledger.repository.get(Debtor.create_id(arrangement.debtor_afm))
        held = held_items(ledger.arrangements_of(debtor))
        settle(UnitOfWork(ledger), arrangement, debtor, day, held)
        ledger.save(arrangement)
        settled += 1
    calendar: BusinessDay = ledger.repository.get(BUSINESS_DAY_ID)
    calendar.close(day)
    ledger.save(calendar)
    return settled


def timed_close(schema: str, close: Any, notices: bool = False, indexed: bool = True,
                env: dict[str, str] | None = None) -> tuple[float, int, tuple[int, str], float, float]:
    """Seconds, live arrangements, (events, digest), peak RSS growth (MB) and the
    CPU seconds of this process and the close's processes (on a busy machine the
    CPU time is steadier); with ``notices``, the close issues the notices due too
    (``[notices] auto``); ``indexed``: ``close_day.INDEXED``; ``env`` over this
    process's environment (and so the close's processes')."""
    with environment(env or {}):
        ledger = Ledger(schema_url(schema))
        ledger.settings = replace(ledger.settings, notices=replace(ledger.settings.notices, auto=notices))
        before = last_position(schema)
        rss_before = peak_rss_mb()
        close_module.INDEXED = indexed
        started, cpu = time.perf_counter(), cpu_seconds()
        try:
            settled = close(ledger)
        finally:
            close_module.INDEXED = True
        seconds, cpu = time.perf_counter() - started, cpu_seconds() - cpu
        ledger.close()
    return seconds, settled, events_after(schema, before), peak_rss_mb() - rss_before, cpu


def cpu_seconds() -> float:
    """User and system CPU of this process and of its children that have ended (the
    close's processes, once its pool is shut down)."""
    return sum(os.times()[:4])


def copy_seeded(source: str, target: str) -> None:
    """``copy_schema``, and the ledger's tables it does not copy (the close index's; any
    side table of the ledger's: a copy without its chain would be written unchained)."""
    copy_schema(source, target)
    with psycopg.connect(base_url(), autocommit=True) as connection:
        tables = [row[0] for row in connection.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = %s AND tablename LIKE 'keao_%%' "
            "AND NOT tablename = ANY(%s) ORDER BY 1", (source, list(TABLES))).fetchall()]
        for table in tables:
            connection.execute(f'CREATE TABLE IF NOT EXISTS "{target}".{table} (LIKE "{source}".{table} INCLUDING ALL)')
            connection.execute(f'INSERT INTO "{target}".{table} SELECT * FROM "{source}".{table} ON CONFLICT DO NOTHING')


def index_rows(schema: str) -> int | None:
    """How many rows the close index of ``schema`` holds (None: it has no index table)."""
    with psycopg.connect(base_url()) as connection:
        found = connection.execute("SELECT to_regclass(%s)", (f'"{schema}".{close_index.TABLE}',)).fetchone()
        if found is None or found[0] is None:
            return None
        row = connection.execute(f'SELECT count(*) FROM "{schema}".{close_index.TABLE}').fetchone()
    return int(row[0]) if row else 0


def index_covers(schema: str) -> int:
    """How many arrangements the close index of ``schema`` covers at the month end: at
    their latest version, settled to the deadline or before, not due by the month end."""
    with psycopg.connect(base_url()) as connection:
        row = connection.execute(
            f'SELECT count(*) FROM "{schema}".{close_index.TABLE} AS x WHERE x.settled_on <= %s '  # noqa: S608
            "AND (x.next_change IS NULL OR x.next_change > %s) AND x.version = (SELECT max(e.originator_version) "
            f'FROM "{schema}".keao_ledger_events AS e WHERE e.originator_id = x.arrangement_id)',
            (DEADLINE, MONTH_END)).fetchone()
    return int(row[0]) if row else 0


def index_seeded(schema: str, processes: int) -> float:
    """A schema seeded before the close index: its close to the deadline again (E2:
    records nothing), which builds the index; the seconds it took."""
    started = time.perf_counter()
    ledger = Ledger(schema_url(schema))
    close_day(ledger, DEADLINE, processes=processes)
    ledger.close()
    return time.perf_counter() - started


def seed_closed(schema: str, debtors: int, seed: int = 2556, processes: int = 2) -> dict[str, Any]:
    """Feed the workload up to July's deadline and close the day there."""
    note(f"close_day: seeding {debtors} debtors ...")
    seeding = seed_ledger(schema, debtors, seed, DEADLINE, processes)
    note(f"close_day: seeded {seeding}; closing to {DEADLINE} ...")
    started = time.perf_counter()
    ledger = Ledger(schema_url(schema))
    close_day(ledger, DEADLINE)  # one process: the seeded ledger is the same every run (and its snapshots)
    ledger.close()
    return {"seeding": seeding, "catch_up_s": round(time.perf_counter() - started, 2)}


def measure(seeded: str, debtors: int, profile: bool = False, processes: int | None = None,
            baseline: bool = True, cipher_debtors: int | None = None, **extra: Any) -> dict[str, Any]:
    """Copy the ``seeded`` schema and close the month end on each copy: the naive
    loop, ``close_day`` in one process, then in ``processes`` (by default PROCESSES
    from 20,000 debtors: below that, starting the processes costs more than they
    save) the plain close, the indexed one and the indexed one with the chain off."""
    if processes is None:
        processes = PROCESSES if debtors >= 20_000 else 1
    if index_rows(seeded) is None:
        seconds = index_seeded(seeded, processes)
        extra["index_built_seconds"] = round(seconds, 2)
        note(f"close_day: {seeded} seeded before the close index: its first close built it in {seconds:.1f}s")
    with fresh_schema("close") as schema, fresh_schema("naive") as naive, fresh_schema("single") as single, \
            fresh_schema("notices") as with_notices, fresh_schema("plain") as plain, \
            fresh_schema("unchained") as unchained:
        if baseline:
            copy_seeded(seeded, naive)
        for copy in (single, with_notices, plain, unchained) + ((schema,) if processes > 1 else ()):
            copy_seeded(seeded, copy)
        base_s, live, base_events, base_cpu = None, 0, None, None
        if baseline:
            note("close_day: naive baseline ...")
            base_s, live, base_events, _, base_cpu = timed_close(naive, lambda ledger: naive_close(ledger, MONTH_END))
            note(f"close_day: baseline {live} arrangements in {base_s:.2f}s; Ledger.close_day ...")
        if profile:
            from pyinstrument import Profiler

            profiler = Profiler()
            profiler.start()
        one_s, one_live, one_events, rss_growth, one_cpu = timed_close(single, lambda ledger: close_day(ledger, MONTH_END))
        live = live or one_live
        base_events = base_events or one_events
        if profile:
            profiler.stop()
            note(profiler.output_text(unicode=False, color=False))

        def closed(copy: str, indexed: bool = True, env: dict[str, str] | None = None) -> tuple[Any, ...]:
            return timed_close(copy, lambda ledger: close_day(ledger, MONTH_END, processes=processes), indexed=indexed,
                               env=env)

        note(f"close_day: one process {one_s:.2f}s; {processes} process(es): plain, indexed, chain off ...")
        plain_s, _, plain_events, _, plain_cpu = closed(plain, indexed=False)
        seconds, events, cpu = (one_s, one_events, one_cpu) if processes == 1 else itemgetter(0, 2, 4)(closed(schema))
        off_s, _, off_events, _, off_cpu = closed(unchained, env={chain.SWITCH: "0"})
        for recorded in (one_events, events, plain_events, off_events):
            if recorded != base_events:
                raise AssertionError(f"close_day recorded {recorded} (events, digest), the naive loop {base_events}")
        note(f"close_day: {processes} process(es) {seconds:.2f}s (plain {plain_s:.2f}s, chain off {off_s:.2f}s); "
             "with the notices ...")
        noticed = measure_notices(with_notices, processes, seconds)
    rate = live / seconds
    anchor = physical_anchor(base_url(), mean_state_bytes(base_url(), seeded))
    ciphered = measure_cipher(cipher_debtors) if cipher_debtors else {}
    return emit(
        "close_day", rate, "arrangements/s", live / base_s if base_s else None, TARGET,
        size=debtors, arrangements=live, processes=processes, one_process_per_s=round(live / one_s, 1),
        plain_per_s=round(live / plain_s, 1), index_ratio=round(plain_s / seconds, 2),
        cpu_ms_per_arrangement=round(1000 * cpu / live, 3), plain_cpu_ms_per_arrangement=round(1000 * plain_cpu / live, 3),
        chain_off_per_s=round(live / off_s, 1), integrity_ratio=round(off_s / seconds, 3),
        integrity_cpu_ratio=round(off_cpu / cpu, 3), integrity_target_ratio=INTEGRITY_TARGET, **ciphered,
        index_rows=index_rows(seeded), index_covers=index_covers(seeded),
        events_recorded=events[0], events_digest=events[1], seconds=round(seconds, 2), one_process_seconds=round(one_s, 2),
        baseline_seconds=round(base_s, 2) if base_s else None,
        one_process_cpu_seconds=round(one_cpu, 2), baseline_cpu_seconds=round(base_cpu, 2) if base_cpu else None,
        peak_rss_mb=peak_rss_mb(), close_rss_growth_mb=round(rss_growth, 1),
        anchor=anchor, **fraction_of(rate, anchor),
        day=MONTH_END, **noticed, **extra, machine=machine(),
    )


def measure_cipher(debtors: int, seed: int = 2556) -> dict[str, Any]:
    """The month-end close (indexed, one process) on ledgers of ``debtors`` seeded
    alike, one with the chain and F4's encryption (``LEDGER_CIPHER_KEY``) on, one with
    both off: its rate on ÷ off (target ≥ 0.8), and the CPU's. Each closed twice, on
    copies, in the order off, on, on, off; the faster of each (as ``bench verify``)."""
    variants = {"off": {chain.SWITCH: "0"}, "on": {CIPHER_KEY_VARIABLE: base64.b64encode(os.urandom(32)).decode()}}
    closes: dict[str, list[tuple[Any, ...]]] = {name: [] for name in variants}
    with fresh_schema("cipher_off") as off, fresh_schema("cipher_on") as on:
        seeded = {"off": off, "on": on}
        for name, env in variants.items():
            with environment(env):
                seed_closed(seeded[name], debtors, seed)
        for name in ("off", "on", "on", "off"):
            note(f"close_day: encryption {name}, {debtors} debtors: the month end ...")
            with fresh_schema(f"cipher_{name}_close") as copy:
                copy_seeded(seeded[name], copy)
                closes[name].append(timed_close(copy, lambda ledger: close_day(ledger, MONTH_END), env=variants[name]))
    if {close[2][0] for runs in closes.values() for close in runs} != {closes["off"][0][2][0]}:
        raise AssertionError(f"the encrypted and plain closes recorded different counts of events: {closes}")
    live = closes["off"][0][1]
    (off_s, off_cpu), (on_s, on_cpu) = ((min(c[0] for c in closes[n]), min(c[4] for c in closes[n])) for n in ("off", "on"))
    return {"cipher_debtors": debtors, "cipher_arrangements": live, "cipher_on_per_s": round(live / on_s, 1),
            "cipher_off_per_s": round(live / off_s, 1), "cipher_ratio": round(off_s / on_s, 3),
            "cipher_cpu_ms_per_arrangement": round(1000 * on_cpu / live, 3),
            "cipher_off_cpu_ms_per_arrangement": round(1000 * off_cpu / live, 3),
            "cipher_cpu_ratio": round(off_cpu / on_cpu, 3)}


def measure_notices(schema: str, processes: int, seconds_off: float) -> dict[str, Any]:
    """The same close with its notices' pass (N2, N4): the close's rate against the
    one without (target ≥ 0.75), the notices issued and how fast the pass issued
    them, and how fast their letters render as PDF (``ledger.documents``)."""
    passes: list[float] = []

    def timed_pass(ledger: Ledger, day: date, everyone: bool = False) -> list[str]:
        started = time.perf_counter()
        try:
            return issue_locked(ledger, day, everyone)
        finally:
            passes.append(time.perf_counter() - started)

    before = last_position(schema)
    close_module.issue_locked = timed_pass
    try:
        seconds, live, events, _, _ = timed_close(
            schema, lambda ledger: close_day(ledger, MONTH_END, processes=processes), notices=True)
    finally:
        close_module.issue_locked = issue_locked
    ledger = Ledger(schema_url(schema))
    try:
        numbers = [ledger.mapper.to_domain_event(n).number
                   for n in ledger.notifications([Notice.Issued.TOPIC], start=before + 1)]
        rendered, render_s = render_rate(ledger, numbers[:RENDERED])
    finally:
        ledger.close()
    return {
        "notices_on_per_s": round(live / seconds, 1), "notices_on_seconds": round(seconds, 2),
        "notices_on_ratio": round(seconds_off / seconds, 3), "notices_on_target_ratio": 0.75,
        "notices_issued": len(numbers), "notices_pass_seconds": round(sum(passes), 2),
        "notices_per_s": round(len(numbers) / sum(passes), 1) if numbers else None,
        "documents_rendered": rendered, "documents_per_s": round(rendered / render_s, 2) if rendered else None,
    }


RENDERED = 20  # notices rendered as PDF letters for the rendering rate


def render_rate(ledger: Ledger, numbers: list[str]) -> tuple[int, float]:
    from ledger.documents.render import notice_pdf

    views = [notice_json(ledger.notice(n), ledger.settings.notices) for n in numbers]
    if views:
        notice_pdf(views[0])  # the templates and fonts, loaded once
    started = time.perf_counter()
    for view in views:
        notice_pdf(view)
    return len(views), time.perf_counter() - started


def run(debtors: int, seed: int = 2556, processes: int = 2, profile: bool = False,
        close_processes: int | None = None, keep: str | None = None, baseline: bool = True,
        cipher_debtors: int | None = None) -> dict[str, Any]:
    if keep is not None:  # kept between runs: seeded once (if missing), then reused
        if not schema_exists(keep):
            with psycopg.connect(base_url(), autocommit=True) as connection:
                connection.execute(f'CREATE SCHEMA "{keep}"')
            extra = seed_closed(keep, debtors, seed, processes)
            note(f"close_day: seeded schema {keep} kept for the next run (--seeded {keep})")
        else:
            note(f"close_day: reusing the seeded schema {keep} (its size, not --debtors, counts)")
            extra = {"seeded_schema": keep}
        return measure(keep, debtors, profile, close_processes, baseline, cipher_debtors, **extra)
    with fresh_schema("seeded") as seeded:
        extra = seed_closed(seeded, debtors, seed, processes)
        return measure(seeded, debtors, profile, close_processes, baseline, cipher_debtors, **extra)


def schema_exists(schema: str) -> bool:
    with psycopg.connect(base_url()) as connection:
        row = connection.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", (schema,)).fetchone()
    return row is not None


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--debtors", type=int, default=None)
    parser.add_argument("--quick", action="store_true", help=f"{QUICK} debtors instead of {FULL}")
    parser.add_argument("--seed", type=int, default=2556)
    parser.add_argument("--processes", type=int, default=2, help="processes that seed the ledger")
    parser.add_argument("--close-processes", type=int, default=None,
                        help=f"processes of close_day (default {PROCESSES} from 20,000 debtors, else 1)")
    parser.add_argument("--profile", action="store_true", help="pyinstrument profile of close_day on stderr")
    parser.add_argument("--seeded", metavar="SCHEMA",
                        help="seed into this PostgreSQL schema and keep it, or reuse it when it exists "
                             "(to iterate without seeding each time; DROP SCHEMA it when done)")
    parser.add_argument("--no-baseline", action="store_true",
                        help="skip the naive loop (no ratio; compare events_digest with an earlier run's)")
    parser.add_argument("--cipher-debtors", type=int, default=None, metavar="N",
                        help="also seed two ledgers of N debtors, encrypted (F4) with the chain and plain without, "
                             "and compare their month-end closes (an encrypted ledger is seeded encrypted)")
    args = parser.parse_args(argv)
    debtors = args.debtors or (QUICK if args.quick else FULL)
    run(debtors, args.seed, args.processes, args.profile, args.close_processes, args.seeded, not args.no_baseline,
        args.cipher_debtors)


if __name__ == "__main__":
    main()
