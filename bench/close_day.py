"""Close of day at a month end (E1) with N live arrangements, on PostgreSQL.

The ledger is seeded from the workload (payments valued up to July's deadline,
Friday 2022-07-29) and closed to that day; the schema is then copied, and the
close of the month end (2022-07-31: every instalment not paid by the deadline
is missed on the 30th) runs twice on identical ledgers:

- baseline: a naive loop that loads each arrangement with
  ``ledger.repository.get``, settles it and saves it, one transaction each;
- value: ``Ledger.close_day``.

Both must record the same events (count and digest of aggregate, version and
type, checked). Prints one JSON line:
arrangements/s (live arrangements at the close ÷ seconds), target ≥ 2,000/s.

    python -m bench close_day            # 100,000 debtors
    python -m bench.close_day --debtors 2000
"""

from __future__ import annotations

import argparse
import time
from datetime import date
from typing import Any

from aggregates.arrangement import Arrangement
from aggregates.business_day import BUSINESS_DAY_ID, BusinessDay
from aggregates.debtor import Debtor
from bench.common import copy_schema, emit, events_after, last_position, fresh_schema, machine, note, peak_rss_mb, schema_url, seed_ledger
from ledger.app import Ledger, _held_items

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
        held = _held_items(ledger.arrangements_of(debtor))
        ledger._settle(arrangement, debtor, day, held)
        ledger.save(arrangement)
        settled += 1
    calendar: BusinessDay = ledger.repository.get(BUSINESS_DAY_ID)
    calendar.close(day)
    ledger.save(calendar)
    return settled


def timed_close(schema: str, close: Any) -> tuple[float, int, tuple[int, str], float]:
    ledger = Ledger(schema_url(schema))
    before = last_position(schema)
    rss_before = peak_rss_mb()
    started = time.perf_counter()
    settled = close(ledger)
    seconds = time.perf_counter() - started
    ledger.close()
    return seconds, settled, events_after(schema, before), peak_rss_mb() - rss_before


def seed_closed(schema: str, debtors: int, seed: int = 2556, processes: int = 2) -> dict[str, Any]:
    """Feed the workload up to July's deadline and close the day there."""
    note(f"close_day: seeding {debtors} debtors ...")
    seeding = seed_ledger(schema, debtors, seed, DEADLINE, processes)
    note(f"close_day: seeded {seeding}; closing to {DEADLINE} ...")
    started = time.perf_counter()
    ledger = Ledger(schema_url(schema))
    ledger.close_day(DEADLINE)
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
    with fresh_schema("close") as schema, fresh_schema("naive") as naive, fresh_schema("single") as single:
        if baseline:
            copy_schema(seeded, naive)
        copy_schema(seeded, single)
        if processes > 1:
            copy_schema(seeded, schema)
        base_s, live, base_events = None, 0, None
        if baseline:
            note("close_day: naive baseline ...")
            base_s, live, base_events, _ = timed_close(naive, lambda ledger: naive_close(ledger, MONTH_END))
            note(f"close_day: baseline {live} arrangements in {base_s:.2f}s; Ledger.close_day ...")
        if profile:
            from pyinstrument import Profiler

            profiler = Profiler()
            profiler.start()
        one_s, one_live, one_events, rss_growth = timed_close(single, lambda ledger: ledger.close_day(MONTH_END))
        live = live or one_live
        base_events = base_events or one_events
        if profile:
            profiler.stop()
            note(profiler.output_text(unicode=False, color=False))
        seconds, events = one_s, one_events
        if processes > 1:
            note(f"close_day: one process {one_s:.2f}s; {processes} processes ...")
            seconds, _, events, _ = timed_close(schema, lambda ledger: ledger.close_day(MONTH_END, processes=processes))
        for recorded in (one_events, events):
            if recorded != base_events:
                raise AssertionError(f"close_day recorded {recorded} (events, digest), the naive loop {base_events}")
    return emit(
        "close_day", live / seconds, "arrangements/s", live / base_s if base_s else None, TARGET,
        size=debtors, arrangements=live, processes=processes, one_process_per_s=round(live / one_s, 1),
        events_recorded=events[0], seconds=round(seconds, 2), one_process_seconds=round(one_s, 2),
        baseline_seconds=round(base_s, 2) if base_s else None, peak_rss_mb=peak_rss_mb(), close_rss_growth_mb=round(rss_growth, 1),
        day=MONTH_END, **extra, machine=machine(),
    )


def run(debtors: int, seed: int = 2556, processes: int = 2, profile: bool = False,
        close_processes: int | None = None) -> dict[str, Any]:
    with fresh_schema("seeded") as seeded:
        extra = seed_closed(seeded, debtors, seed, processes)
        return measure(seeded, debtors, profile, close_processes, **extra)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--debtors", type=int, default=None)
    parser.add_argument("--quick", action="store_true", help=f"{QUICK} debtors instead of {FULL}")
    parser.add_argument("--seed", type=int, default=2556)
    parser.add_argument("--processes", type=int, default=2, help="processes that seed the ledger")
    parser.add_argument("--close-processes", type=int, default=None,
                        help=f"processes of close_day (default {PROCESSES} from 20,000 debtors, else 1)")
    parser.add_argument("--profile", action="store_true", help="pyinstrument profile of close_day on stderr")
    args = parser.parse_args(argv)
    debtors = args.debtors or (QUICK if args.quick else FULL)
    run(debtors, args.seed, args.processes, args.profile, args.close_processes)


if __name__ == "__main__":
    main()
