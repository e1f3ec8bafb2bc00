"""Close of day at a month end (E1) with N live arrangements, on PostgreSQL.

The ledger is seeded from the workload (payments valued up to July's deadline,
Friday 2022-07-29) and closed to that day; the schema is then copied, and the
close of the month end (2022-07-31: every instalment not paid by the deadline
is missed on the 30th) runs twice on identical ledgers:

- baseline: a naive loop that loads each arrangement with
  ``ledger.repository.get``, settles it and saves it, one transaction each;
- value: ``Ledger.close_day``.

Both must record the same events (count and digest of aggregate, version and
type, checked), their notices' pass off. A fourth copy closes with the notices'
pass on (N2, N4): its rate against the close without (target ≥ 0.75), the
notices issued per second of the pass, and the PDF letters rendered per second. The close to the deadline also snapshotted the arrangements
(``ledger.handlers.close_day.SNAPSHOT_AFTER``), so both read each from its snapshot and the
events after it: here none or few; in a steady state, where the close
snapshots an arrangement every SNAPSHOT_AFTER events, 0 to 7 (measured at
5,000 debtors with the snapshots put 0 to 7 events back at random, and
with the snapshots written for those that reach 8: about 5% slower). Prints
one JSON line:
arrangements/s (live arrangements at the close ÷ seconds), target ≥ 2,000/s.

    python -m bench close_day            # 100,000 debtors
    python -m bench.close_day --debtors 2000
    python -m bench.close_day --debtors 5000 --seeded cd5k [--no-baseline]   # seed once, iterate
"""

from __future__ import annotations

import argparse
import time
from dataclasses import replace
from datetime import date
from typing import Any

import psycopg

from aggregates.arrangement import Arrangement
from aggregates.business_day import BUSINESS_DAY_ID, BusinessDay
from aggregates.debtor import Debtor
from aggregates.notice import Notice
from aggregates.routing import held_items
from bench.common import (
    base_url,
    copy_schema,
    emit,
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
from ledger.unit_of_work import UnitOfWork

DEADLINE = date(2022, 7, 29)  # the last working day of July 2022: every instalment's deadline (C6)
MONTH_END = date(2022, 7, 31)  # the close after it records July's misses (on the 30th)
TARGET = 2000.0
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


def timed_close(schema: str, close: Any, notices: bool = False) -> tuple[float, int, tuple[int, str], float, float]:
    """Seconds, live arrangements, (events, digest), peak RSS growth (MB) and
    this process's CPU seconds (on a busy machine the CPU time is steadier);
    with ``notices``, the close issues the notices due too (``[notices] auto``)."""
    ledger = Ledger(schema_url(schema))
    ledger.settings = replace(ledger.settings, notices=replace(ledger.settings.notices, auto=notices))
    before = last_position(schema)
    rss_before = peak_rss_mb()
    started, cpu = time.perf_counter(), time.process_time()
    settled = close(ledger)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    ledger.close()
    return seconds, settled, events_after(schema, before), peak_rss_mb() - rss_before, cpu


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
            baseline: bool = True, **extra: Any) -> dict[str, Any]:
    """Copy the ``seeded`` schema and close the month end on each copy: the
    naive loop, ``close_day`` in one process, and in ``processes`` (by default
    PROCESSES from 20,000 debtors: below that, starting the processes costs
    more than they save)."""
    if processes is None:
        processes = PROCESSES if debtors >= 20_000 else 1
    with fresh_schema("close") as schema, fresh_schema("naive") as naive, fresh_schema("single") as single, \
            fresh_schema("notices") as with_notices:
        if baseline:
            copy_schema(seeded, naive)
        copy_schema(seeded, single)
        copy_schema(seeded, with_notices)
        if processes > 1:
            copy_schema(seeded, schema)
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
        seconds, events = one_s, one_events
        if processes > 1:
            note(f"close_day: one process {one_s:.2f}s; {processes} processes ...")
            seconds, _, events, _, _ = timed_close(schema, lambda ledger: close_day(ledger, MONTH_END, processes=processes))
        for recorded in (one_events, events):
            if recorded != base_events:
                raise AssertionError(f"close_day recorded {recorded} (events, digest), the naive loop {base_events}")
        note(f"close_day: {processes} process(es) {seconds:.2f}s; with the notices ...")
        noticed = measure_notices(with_notices, processes, seconds)
    return emit(
        "close_day", live / seconds, "arrangements/s", live / base_s if base_s else None, TARGET,
        size=debtors, arrangements=live, processes=processes, one_process_per_s=round(live / one_s, 1),
        events_recorded=events[0], events_digest=events[1], seconds=round(seconds, 2), one_process_seconds=round(one_s, 2),
        baseline_seconds=round(base_s, 2) if base_s else None,
        one_process_cpu_seconds=round(one_cpu, 2), baseline_cpu_seconds=round(base_cpu, 2) if base_cpu else None,
        peak_rss_mb=peak_rss_mb(), close_rss_growth_mb=round(rss_growth, 1),
        day=MONTH_END, **noticed, **extra, machine=machine(),
    )


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
        close_processes: int | None = None, keep: str | None = None, baseline: bool = True) -> dict[str, Any]:
    if keep is not None:  # kept between runs: seeded once (if missing), then reused
        if not schema_exists(keep):
            with psycopg.connect(base_url(), autocommit=True) as connection:
                connection.execute(f'CREATE SCHEMA "{keep}"')
            extra = seed_closed(keep, debtors, seed, processes)
            note(f"close_day: seeded schema {keep} kept for the next run (--seeded {keep})")
        else:
            note(f"close_day: reusing the seeded schema {keep} (its size, not --debtors, counts)")
            extra = {"seeded_schema": keep}
        return measure(keep, debtors, profile, close_processes, baseline=baseline, **extra)
    with fresh_schema("seeded") as seeded:
        extra = seed_closed(seeded, debtors, seed, processes)
        return measure(seeded, debtors, profile, close_processes, baseline=baseline, **extra)


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
    args = parser.parse_args(argv)
    debtors = args.debtors or (QUICK if args.quick else FULL)
    run(debtors, args.seed, args.processes, args.profile, args.close_processes, args.seeded, not args.no_baseline)


if __name__ == "__main__":
    main()
