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
    growth      O6: a payment's cost after 2,000 payments ÷ after 10, one arrangement and one
                debtor of 5,000 items, the full replay as the baseline (bench/growth.py, issue 13)
    documents   printed notices rendered as PDF per second, a fresh template and stylesheet each
                time as the baseline (bench/documents.py, issue 15)
    web         the debt-table API of ``ledger serve`` under 50 concurrent signed-in sessions for 30 s:
                requests/s and p50/p95/p99, the CLI's query path in-process as the baseline
                (bench/web.py, issue 16; on the ledger bench.close_day --seeded cd100k keeps)
    apd         ΑΠΔ records checked per second (1,000,000, a large employer's history) and submitted
                into the store per second (100,000), each record checked alone as the baseline
                (bench/apd.py, issue 17)
    verify      F1: the hash chain verified per second over 1,000,000 events, and ingest's rate with
                the chain on ÷ off in the same run (bench/verify.py, issue 18)
    anchor      the store's physical limit: COPY and batched INSERT of rows of a size into a scratch
                events table, rows/s (bench/anchor.py, issue 19; ingest, rebuild and close_day print it)
    batches     a consumer's payment batches applied in-process, CPU µs a payment (bench/batches.py,
                issue 19)

close_day also closes a copy with its notices' pass on (issue 15): that close's rate
against the one without, the notices issued per second, and the PDF rendering rate.

``all`` seeds one ledger per size (in a subprocess each, so that peak memory is
that size's alone), runs close_day and queries on it, then runs rebuild and
ingest as ``python -m bench.rebuild [--quick]`` / ``python -m bench.ingest
[--quick]`` and passes their JSON lines through. ``scaling`` is not in ``all``:
with it ``all --quick`` took 222 s, over the 3 minutes; run ``python -m bench
scaling [--quick]`` (or ``python -m bench.scaling``) on its own. Nor is ``web`` (it serves the
100,000-debtor ledger; ``--quick`` seeds 2,000).

A benchmark that fails still prints its line, with ``"met": false`` and its
``"error"`` ("Type: message"), and the next one runs; the exit status is then 1.
"""

from __future__ import annotations

import argparse
import functools
import json
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from bench.common import (
    BenchmarkFailed,
    describe,
    error_of,
    failure_line,
    machine,
    note,
    print_line,
    result_line,
)

HERE = Path(__file__).parent
SIZES = {"quick": (2_000, 200), "full": (100_000, 1_000)}
MEMORY_GROWTH_TARGET = 1.25  # peak memory at 4x the events ≤ 1.25x the small size's
# The read models keep up to ``Projection.CACHE`` (1,024) decoded aggregates each between
# batches: a bound, full from about 1,150 debtors (their arrangements). At the quick
# sizes the small run (500 debtors, ~450 arrangements) cannot fill it and the large one
# (2,000) does, which is not growth with the events: both quick runs use this bound
# instead, which both fill. The full sizes (25,000 and 100,000) fill the real one.
QUICK_READ_MODEL_CACHE = 100
SUITE = ["close_day", "queries"]  # the benchmarks of one ``suite`` process, in the order it prints them
# The benchmarks run as ``python -m bench.NAME``, and the name their JSON lines carry.
EXTERNAL = {"rebuild": ["projection_rebuild_postgres"], "ingest": ["ingest"], "scaling": ["scaling"],
            "growth": ["growth"], "documents": ["documents"], "web": ["web"], "apd": ["apd_check", "apd_submit"],
            "verify": ["verify", "ingest_integrity"], "anchor": ["anchor"], "batches": ["batches"]}
IN_ALL = ("rebuild", "ingest")


Outcome = tuple[list[dict[str, Any]], str | None]  # a step's JSON lines, and its error if it failed


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


def run_suite(debtors: int, sample: int, baselines: bool = True,
              read_model_cache: int | None = None) -> list[dict[str, Any]]:
    """``suite`` in a fresh process, for that size's own peak memory."""
    command = [sys.executable, "-m", "bench", "suite", "--debtors", str(debtors), "--sample", str(sample),
               *([] if baselines else ["--no-baselines"]),
               *([] if read_model_cache is None else ["--read-model-cache", str(read_model_cache)])]
    return run_benchmark_process(command, read_model_cache=read_model_cache)


def run_benchmark_process(command: list[str], **extra: Any) -> list[dict[str, Any]]:
    """The JSON lines of a benchmark's process (with ``extra`` added to each). Its stderr,
    the progress, passes through as it comes and is kept: if the process exits non-zero,
    BenchmarkFailed carries its error and the lines printed before."""
    stderr: list[str] = []
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as process:
        assert process.stdout is not None and process.stderr is not None
        # A thread drains stderr while stdout is read: either pipe, left full, would block the child.
        relay = threading.Thread(target=_relay, args=(process.stderr, stderr))
        relay.start()
        stdout = process.stdout.read()
        relay.join()
    lines = [{**json.loads(line), **extra} for line in stdout.splitlines() if line.startswith("{")]
    if process.returncode != 0:
        raise BenchmarkFailed(error_of(stderr) or f"exited with status {process.returncode}", lines)
    return lines


def _relay(source: IO[str], kept: list[str]) -> None:
    for line in source:
        sys.stderr.write(line)
        sys.stderr.flush()
        kept.append(line)


def attempt(step: Callable[[], list[dict[str, Any]]]) -> Outcome:
    """The JSON lines of ``step``, or what it printed and its error if it failed: a
    benchmark's failure is reported, not raised, so that ``all`` goes on with the next."""
    try:
        return step(), None
    except BenchmarkFailed as failure:
        return failure.lines, str(failure)
    except Exception as error:  # any failure of the step (not KeyboardInterrupt): reported as the benchmark's
        return [], describe(error)


def report(benches: list[str], outcome: Outcome) -> bool:
    """Print a step's JSON lines, and a failure line (``"met": false``, the error) for each
    benchmark of ``benches`` that has none. True if the step did not fail."""
    lines, error = outcome
    for line in lines:
        print_line(line)
    printed = {line.get("bench") for line in lines}
    missing = [bench for bench in benches if bench not in printed]
    for bench in missing:
        print_line(failure_line(bench, error or "finished without its JSON line"))
    if error and not missing:
        note(f"bench {', '.join(benches)}: printed its lines, then failed: {error}")
    return error is None and not missing


def run_external(name: str, quick: bool) -> bool:
    """``python -m bench.NAME [--quick]`` (rebuild, ingest and scaling belong to the read-model
    and Kafka issues), when its file is there. False if it failed."""
    if not (HERE / f"{name}.py").exists():
        note(f"bench {name}: bench/{name}.py is not there yet; skipped")
        return True
    command = [sys.executable, "-m", f"bench.{name}", *(["--quick"] if quick else [])]
    return report(EXTERNAL[name], attempt(functools.partial(run_benchmark_process, command)))


def memory_growth(large: Outcome, debtors: int, sample: int, read_model_cache: int | None) -> list[dict[str, Any]]:
    """``memory``'s line, from the suite at ``debtors`` (already run) and one at a quarter of them."""
    lines, error = large
    if error:
        raise BenchmarkFailed(error, [])  # its cause is the large suite's
    small = run_suite(debtors // 4, max(sample // 4, 20), baselines=False, read_model_cache=read_model_cache)
    return [memory(small, lines, debtors // 4, debtors, read_model_cache)]


def memory(small: list[dict[str, Any]], large: list[dict[str, Any]], small_size: int, large_size: int,
           read_model_cache: int | None = None) -> dict[str, Any]:
    by_small = {line["bench"]: line for line in small}
    by_large = {line["bench"]: line for line in large}
    peak_small = max(line["peak_rss_mb"] for line in small)
    peak_large = max(line["peak_rss_mb"] for line in large)
    events = {name: (by_small[name].get("events_recorded"), by_large[name].get("events_recorded")) for name in by_small}
    return result_line(
        "memory", peak_large / peak_small, "x peak RSS (4x the debtors ÷ 1x)", 1.0, MEMORY_GROWTH_TARGET,
        lower_is_better=True, sizes=[small_size, large_size], peak_rss_mb=[peak_small, peak_large],
        read_model_cache=read_model_cache or "theirs (Projection.CACHE)",
        close_day_rss_mb=[by_small["close_day"]["peak_rss_mb"], by_large["close_day"]["peak_rss_mb"]],
        queries_rss_mb=[by_small["queries"]["peak_rss_mb"], by_large["queries"]["peak_rss_mb"]],
        read_models_catch_up_rss_mb=[by_small["queries"].get("peak_rss_after_read_models_catch_up_mb"),
                                     by_large["queries"].get("peak_rss_after_read_models_catch_up_mb")],
        growth_without_read_models=round(_without_read_models(by_large) / _without_read_models(by_small), 2),
        close_day_events=events.get("close_day"), machine=machine(),
    )


def _without_read_models(lines: dict[str, dict[str, Any]]) -> float:
    """Peak RSS of seeding, close_day and the replayed views, before the read models catch up."""
    return max(lines["close_day"]["peak_rss_mb"], lines["queries"].get("peak_rss_before_read_models_mb") or 0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("name", choices=["all", "close_day", "queries", "memory", "rebuild", "ingest", "scaling", "growth",
                                         "documents", "web", "apd", "verify", "anchor", "batches",
                                         "suite"])
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
    succeeded = True
    if args.name == "suite":
        suite(debtors, sample, baselines=not args.no_baselines, read_model_cache=args.read_model_cache or None)
    elif args.name == "close_day":
        from bench import close_day

        close_day.run(debtors)
    elif args.name == "queries":
        from bench import queries

        queries.run(debtors, sample)
    elif args.name in EXTERNAL:
        succeeded = run_external(args.name, args.quick)
    else:
        # Both sizes must fill the read models' bound (see QUICK_READ_MODEL_CACHE).
        cache = QUICK_READ_MODEL_CACHE if debtors // 4 < 1_500 else None
        if args.read_model_cache is not None:
            cache = args.read_model_cache or None
        large = attempt(lambda: run_suite(debtors, sample, read_model_cache=cache))
        if args.name == "all":
            succeeded = report(SUITE, large)
        succeeded &= report(["memory"], attempt(lambda: memory_growth(large, debtors, sample, cache)))
        if args.name == "all":
            for name in IN_ALL:
                succeeded &= run_external(name, args.quick)
    note(f"bench {args.name}: {time.perf_counter() - started:.0f}s" + ("" if succeeded else "; some failed"))
    return 0 if succeeded else 1


if __name__ == "__main__":
    sys.exit(main())
