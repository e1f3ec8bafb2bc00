"""The debt table and the clearance of one debtor (V1, V2), current and as of
a past date, on PostgreSQL: p50/p95 latency over random debtors.

"current" is answered by the read models of ``projections/`` when they are
there (``projections.reader``: caught up once before timing), else by the
views replaying events (``ledger.views``); "as of" always replays
(``ledger.views`` with ``as_of``, V3). The baseline is the same current
queries answered by replaying the events. Prints one JSON line: the worst
p95 of the four queries (ms), target ≤ 50 ms.

    python -m bench queries              # 1,000 debtors of a 100,000-debtor ledger
    python -m bench.queries --quick      # 200 of 2,000
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections.abc import Callable
from datetime import date
from typing import Any

from bench.common import (
    copy_schema,
    emit,
    fresh_schema,
    machine,
    note,
    peak_rss_mb,
    schema_url,
    seed_ledger,
)
from bench.workload import FIRST_AFM
from ledger import views
from ledger.application import Ledger
from ledger.demo import afm_for
from ledger.handlers.close_day import close_day

TARGET_MS = 50.0
FULL, QUICK = (100_000, 1_000), (2_000, 200)
AS_OF_FIRST, AS_OF_LAST = date(2022, 1, 1), date(2022, 7, 29)


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
    return statistics.median(ordered), p95


def timed(query: Callable[[str], Any], afms: list[str]) -> tuple[float, float]:
    samples = []
    for afm in afms:
        started = time.perf_counter()
        query(afm)
        samples.append((time.perf_counter() - started) * 1000)
    return percentiles(samples)


def current_queries(ledger: Ledger, url: str) -> tuple[str, Callable[[str], Any], Callable[[str], Any]]:
    """The read models' answers when projections/ is there, else the views'."""
    try:
        from projections import reader
        from projections.runner import Runner
    except ImportError as error:
        note(f"queries: projections not importable ({error}); current = views replay")
        return "views", lambda afm: views.debt_table(ledger, afm), lambda afm: views.clearance(ledger, afm)
    runner = Runner(ledger, url)
    started = time.perf_counter()
    runner.catch_up()
    note(f"queries: read models caught up in {time.perf_counter() - started:.1f}s")
    return "projections", lambda afm: reader.debt_table(runner, afm), lambda afm: reader.clearance(runner, afm)


def measure(schema: str, debtors: int, sample: int, seed: int = 2556, baseline: bool = True) -> dict[str, Any]:
    """Time the four queries on the ledger in ``schema`` (already seeded with ``debtors``)."""
    url = schema_url(schema)
    ledger = Ledger(url)
    rng = random.Random(seed)
    afms = [afm_for(FIRST_AFM + n) for n in rng.sample(range(debtors), min(sample, debtors))]
    days = [AS_OF_FIRST + (AS_OF_LAST - AS_OF_FIRST) * rng.random() for _ in afms]
    as_of = dict(zip(afms, days))
    rss_before = peak_rss_mb()
    source, debt_now, clearance_now = current_queries(ledger, url)
    rss_caught_up = peak_rss_mb()
    results = {
        "debt_table": timed(debt_now, afms),
        "clearance": timed(clearance_now, afms),
        "debt_table_as_of": timed(lambda afm: views.debt_table(ledger, afm, as_of[afm]), afms),
        "clearance_as_of": timed(lambda afm: views.clearance(ledger, afm, as_of[afm]), afms),
    }
    replayed = {
        "debt_table": timed(lambda afm: views.debt_table(ledger, afm), afms),
        "clearance": timed(lambda afm: views.clearance(ledger, afm), afms),
    } if baseline else {}
    ledger.close()
    worst = max(p95 for _, p95 in results.values())
    worst_baseline = max((p95 for _, p95 in replayed.values()), default=None)
    extra = {f"{name}_p50_ms": round(p50, 2) for name, (p50, _) in results.items()}
    extra |= {f"{name}_p95_ms": round(p95, 2) for name, (_, p95) in results.items()}
    extra |= {f"baseline_{name}_p95_ms": round(p95, 2) for name, (_, p95) in replayed.items()}
    return emit("queries", worst, "ms (p95, worst of 4)", worst_baseline, TARGET_MS, lower_is_better=True,
                size=debtors, sampled=len(afms), current_from=source, baseline_is="views replay, current date",
                **extra, peak_rss_mb=peak_rss_mb(), peak_rss_before_read_models_mb=rss_before,
                peak_rss_after_read_models_catch_up_mb=rss_caught_up, machine=machine())


def run(debtors: int, sample: int, seed: int = 2556, processes: int = 2, seeded: str | None = None) -> dict[str, Any]:
    """Seed a ledger of ``debtors`` and measure; or measure on a copy of the
    ``seeded`` schema that ``python -m bench.close_day --seeded SCHEMA`` kept
    (seeded and closed the same way; its debtors are ``debtors``)."""
    from bench.close_day import DEADLINE, schema_exists

    with fresh_schema("queries") as schema:
        if seeded is not None:
            if not schema_exists(seeded):
                raise SystemExit(f"no schema {seeded}: seed it with python -m bench.close_day --seeded {seeded}")
            note(f"queries: copying the seeded schema {seeded} ...")
            copy_schema(seeded, schema)
        else:
            note(f"queries: seeding {debtors} debtors ...")
            note(f"queries: seeded {seed_ledger(schema, debtors, seed, DEADLINE, processes)}")
            ledger = Ledger(schema_url(schema))
            close_day(ledger, DEADLINE)
            ledger.close()
        return measure(schema, debtors, sample, seed)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--debtors", type=int)
    parser.add_argument("--sample", type=int)
    parser.add_argument("--seed", type=int, default=2556)
    parser.add_argument("--seeded", metavar="SCHEMA",
                        help="measure on a copy of this schema, kept by python -m bench.close_day --seeded SCHEMA")
    args = parser.parse_args(argv)
    debtors, sample = QUICK if args.quick else FULL
    run(args.debtors or debtors, args.sample or sample, args.seed, seeded=args.seeded)


if __name__ == "__main__":
    main()
