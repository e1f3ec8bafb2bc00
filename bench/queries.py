"""The debt table and the clearance of one debtor (V1, V2), current and as of
a past date, on PostgreSQL: p50/p95 latency over random debtors; then the
operators' questions (§1.7): a name search and a status list, and the refresh
of the figures they read (``measure_lists``, a second JSON line).

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
from datetime import date, timedelta
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


def measure_lists(schema: str, debtors: int, sample: int, seed: int = 2556) -> dict[str, Any]:
    """The operators' questions (§1.7) on the ledger in ``schema``: the figures'
    refresh from cold (every debtor) and after a close of day, then p50/p95 of
    a name search and a status list (page 1 and a later one) over ``sample`` random
    asks, and of the debtors not clear (not in the target: a filter over every
    debtor's figures). Baseline: the same answers without the directory, the plain way: every
    debtor's name scanned in Python; each arrangement's status computed by the
    views, in id order, until a page is found."""
    from aggregates.names import search_key
    from ledger.demo import SURNAMES
    from projections import figures, queries
    from projections.reader import reading
    from projections.runner import Runner
    from sqlalchemy import select

    url = schema_url(schema)
    ledger = Ledger(url)
    runner = Runner(ledger, url)
    runner.catch_up()
    started = time.perf_counter()
    computed = figures.refresh(runner)
    cold_s = time.perf_counter() - started
    note(f"queries: figures of {computed} debtors refreshed in {cold_s:.1f}s")
    close_day(ledger, ledger.current_date() + timedelta(days=1))
    day = ledger.current_date()
    runner.catch_up()
    started = time.perf_counter()
    daily = figures.refresh(runner)
    daily_s = time.perf_counter() - started
    note(f"queries: after a close of day, {daily} debtors refreshed in {daily_s:.1f}s")
    rng = random.Random(seed)
    names = [search_key(rng.choice(SURNAMES))[:rng.randint(4, 9)] for _ in range(sample)]
    asks = [(rng.choice(("active", "lost", "completed", "lapsed")), rng.choice((1, 1, 3))) for _ in range(sample)]
    with queries.answering(runner) as reader:
        search = timed(lambda text: queries.debtor_search(reader, text), names)
        status = timed(lambda ask: queries.arrangement_list(reader, status=ask[0], page=ask[1]), asks)
        pages = queries.arrangement_list(reader, status="active").pages
        not_clear = timed(lambda page: queries.debtor_list(reader, clear=False, page=page),
                          [rng.choice((1, 1, 5)) for _ in range(sample // 4)])
    with reading(runner, catch_up=False) as reader:
        debtors_t = reader.t["debt_table.debtors"]
        arrangements_t = reader.t["arrangements.arrangements"]

        def scan_names(text: str) -> list[str]:
            rows = reader.conn.execute(select(debtors_t.c.afm, debtors_t.c.name))
            return sorted(afm for afm, name in rows if text in search_key(name))[:queries.PAGE]

        def scan_statuses(ask: tuple[str, int]) -> list[str]:
            wanted, found = ask[1] * queries.PAGE, []
            rows = reader.conn.execute(select(arrangements_t.c.id).where(arrangements_t.c.applied_on <= day)
                                       .order_by(arrangements_t.c.id))
            for (ref,) in rows:
                if views.arrangement_view(reader, ref)["status"] == ask[0]:
                    found.append(ref)
                    if len(found) == wanted:
                        break
            return found[-queries.PAGE:]

        plain = max(timed(scan_names, names[:10])[1], timed(scan_statuses, asks[:10])[1])
    ledger.close()
    worst = max(search[1], status[1])
    return emit("queries_lists", worst, "ms (p95, worst of name search and status list)", plain, TARGET_MS,
                lower_is_better=True, size=debtors, sampled=sample, name_search_p50_ms=round(search[0], 2),
                name_search_p95_ms=round(search[1], 2), status_list_p50_ms=round(status[0], 2),
                status_list_p95_ms=round(status[1], 2), active_pages=pages,
                not_clear_list_p50_ms=round(not_clear[0], 2), not_clear_list_p95_ms=round(not_clear[1], 2), times_faster=round(plain / worst),
                baseline_is="a scan without the directory (10 asks each)",
                refresh_cold_debtors=computed, refresh_cold_s=round(cold_s, 1),
                refresh_cold_debtors_per_s=round(computed / cold_s, 1) if cold_s else None,
                refresh_after_close_debtors=daily, refresh_after_close_s=round(daily_s, 1),
                peak_rss_mb=peak_rss_mb(), machine=machine())


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
        line = measure(schema, debtors, sample, seed)
        measure_lists(schema, debtors, sample, seed)
        return line


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
