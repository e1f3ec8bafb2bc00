"""Run the benchmarks: ``python -m bench NAME`` (full size) or ``python -m bench all [--quick]``.

Each benchmark prints one JSON line on stdout (progress goes to stderr):

    close_day   close of day at a month end, arrangements/s vs the naive loop (bench/close_day.py)
    queries     debt table and clearance p95, current and as of (bench/queries.py)
    memory      peak memory of the two at two sizes (4x apart): it must not grow with the events
                (at the quick sizes with the read models' cache bound lowered to one both fill:
                QUICK_READ_MODEL_CACHE)
    rebuild     read-model rebuild rate (bench/rebuild.py, issue 3), when present
    ingest      Kafka ingestion rate (bench/ingest.py, issue 4), when present
    scaling     Kafka ingestion with 1, 2 and 4 consumer processes in one group (bench/scaling.py, issue 5)

``all`` seeds one ledger per size (in a subprocess each, so that peak memory is
that size's alone), runs close_day and queries on it, then runs rebuild and
ingest as ``python -m bench.rebuild [--quick]`` / ``python -m bench.ingest
[--quick]`` and passes their JSON lines through. ``scaling`` is not in ``all``:
with it ``all --quick`` took 222 s, over the 3 minutes; run ``python -m bench
scaling [--quick]`` (or ``python -m bench.scaling``) on its own.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench.common import emit, machine, note

HERE = Path(__file__).parent
SIZES = {"quick": (2_000, 200), "full": (100_000, 1_000)}
MEMORY_GROWTH_TARGET = 1.25  # peak memory at 4x the events ≤ 1.25x the small size's
# The read models keep up to ``Projection.CACHE`` (1,024) decoded aggregates each between
# batches: a bound, full from about 1,150 debtors (their arrangements). At the quick
# sizes the small run (500 debtors, ~450 arrangements) cannot fill it and the large one
# (2,000) does, which is not growth with the events: both quick runs use this bound
# instead, which both fill. The full sizes (25,000 and 100,000) fill the real one.
QUICK_READ_MODEL_CACHE = 100


def suite(debtors: int, sample: int, seed: int = 2556, baselines: bool = True,
          read_model_cache: int | None = None) -> list[dict[str, Any]]:
    """One seeded ledger: close_day (on copies), then queries on the seeded one.
    Without ``baselines`` (the small size of ``memory``) only the measured paths run.
    ``read_model_cache``: the read models' bound on the aggregates they keep decoded
    (``Projection.CACHE``) instead of theirs (QUICK_READ_MODEL_CACHE)."""
    from bench import close_day, queries
    from bench.common import fresh_schema

    if read_model_cache is not None:
        from projections.base import Projection

        Projection.CACHE = read_model_cache

    with fresh_schema("seeded") as seeded:
        extra = close_day.seed_closed(seeded, debtors, seed)
        lines = [close_day.measure(seeded, debtors, baseline=baselines, **extra)]
        lines.append(queries.measure(seeded, debtors, sample, seed, baseline=baselines))
    return lines


def run_suite(debtors: int, sample: int, echo: bool, baselines: bool = True,
              read_model_cache: int | None = None) -> list[dict[str, Any]]:
    """``suite`` in a fresh process, for that size's own peak memory."""
    command = [sys.executable, "-m", "bench", "suite", "--debtors", str(debtors), "--sample", str(sample),
               *([] if baselines else ["--no-baselines"]),
               *([] if read_model_cache is None else ["--read-model-cache", str(read_model_cache)])]
    done = subprocess.run(command, stdout=subprocess.PIPE, text=True, check=True)
    lines = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    for line in lines:
        line["read_model_cache"] = read_model_cache
    if echo:
        for line in lines:
            print(json.dumps(line, default=str), flush=True)
    return lines


def external(name: str, quick: bool) -> None:
    """bench/rebuild.py and bench/ingest.py belong to the read-model and Kafka issues."""
    if not (HERE / f"{name}.py").exists():
        note(f"bench {name}: bench/{name}.py is not there yet; skipped")
        return
    command = [sys.executable, "-m", f"bench.{name}", *(["--quick"] if quick else [])]
    done = subprocess.run(command, stdout=subprocess.PIPE, text=True)
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    for line in lines:
        print(line, flush=True)
    if done.returncode != 0 or not lines:
        note(f"bench {name}: exited {done.returncode} with {len(lines)} JSON lines")


def memory(small: list[dict[str, Any]], large: list[dict[str, Any]], small_size: int, large_size: int,
           read_model_cache: int | None = None) -> None:
    by_small = {line["bench"]: line for line in small}
    by_large = {line["bench"]: line for line in large}
    peak_small = max(line["peak_rss_mb"] for line in small)
    peak_large = max(line["peak_rss_mb"] for line in large)
    events = {name: (by_small[name].get("events_recorded"), by_large[name].get("events_recorded")) for name in by_small}
    emit("memory", peak_large / peak_small, "x peak RSS (4x the debtors ÷ 1x)", 1.0, MEMORY_GROWTH_TARGET,
         lower_is_better=True, sizes=[small_size, large_size], peak_rss_mb=[peak_small, peak_large],
         read_model_cache=read_model_cache or "theirs (Projection.CACHE)",
         close_day_rss_mb=[by_small["close_day"]["peak_rss_mb"], by_large["close_day"]["peak_rss_mb"]],
         queries_rss_mb=[by_small["queries"]["peak_rss_mb"], by_large["queries"]["peak_rss_mb"]],
         read_models_catch_up_rss_mb=[by_small["queries"].get("peak_rss_after_read_models_catch_up_mb"),
                                      by_large["queries"].get("peak_rss_after_read_models_catch_up_mb")],
         growth_without_read_models=round(_without_read_models(by_large) / _without_read_models(by_small), 2),
         close_day_events=events.get("close_day"), machine=machine())


def _without_read_models(lines: dict[str, dict[str, Any]]) -> float:
    """Peak RSS of seeding, close_day and the replayed views, before the read models catch up."""
    return max(lines["close_day"]["peak_rss_mb"], lines["queries"].get("peak_rss_before_read_models_mb") or 0)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("name", choices=["all", "close_day", "queries", "memory", "rebuild", "ingest", "scaling", "suite"])
    parser.add_argument("--quick", action="store_true", help="small sizes: the whole of `all` in under 3 minutes")
    parser.add_argument("--debtors", type=int)
    parser.add_argument("--sample", type=int)
    parser.add_argument("--no-baselines", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--read-model-cache", type=int,
                        help="memory, all: the read models' cache bound in both runs (0: theirs, "
                             f"Projection.CACHE; default {QUICK_READ_MODEL_CACHE} when the small size "
                             "is below 1,500 debtors, else theirs)")
    args = parser.parse_args(argv)
    debtors, sample = SIZES["quick" if args.quick else "full"]
    debtors, sample = args.debtors or debtors, args.sample or sample
    started = time.perf_counter()
    if args.name == "suite":
        suite(debtors, sample, baselines=not args.no_baselines, read_model_cache=args.read_model_cache or None)
    elif args.name == "close_day":
        from bench import close_day

        close_day.run(debtors)
    elif args.name == "queries":
        from bench import queries

        queries.run(debtors, sample)
    elif args.name in ("rebuild", "ingest", "scaling"):
        external(args.name, args.quick)
    else:
        # Both sizes must fill the read models' bound (see QUICK_READ_MODEL_CACHE).
        cache = QUICK_READ_MODEL_CACHE if debtors // 4 < 1_500 else None
        if args.read_model_cache is not None:
            cache = args.read_model_cache or None
        large = run_suite(debtors, sample, echo=args.name == "all", read_model_cache=cache)
        small = run_suite(debtors // 4, max(sample // 4, 20), echo=False, baselines=False, read_model_cache=cache)
        memory(small, large, debtors // 4, debtors, cache)
        if args.name == "all":
            external("rebuild", args.quick)
            external("ingest", args.quick)
    note(f"bench {args.name}: {time.perf_counter() - started:.0f}s")


if __name__ == "__main__":
    main()
