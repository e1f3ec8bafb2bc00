"""``python -m bench all`` reports a benchmark that fails (its JSON line with
``"met": false`` and the error) and goes on with the next; no database: the suites
are canned and the external benchmarks are small real processes."""

from __future__ import annotations

import json
import sys

import pytest

import bench.__main__ as bench_all
from bench.common import BenchmarkFailed, DatabaseUnavailable, base_url

# Stand-ins for ``python -m bench.NAME --quick``: real processes, so the error comes
# from a real traceback on stderr (its message on two lines, as psycopg's are).
RAISES = "import sys; print('progress', file=sys.stderr); raise RuntimeError('store moved\\n\\tIs it there?')"
PRINTS = "import json; print(json.dumps({'bench': 'ingest', 'value': 1.0, 'met': True}))"


def canned_suite(debtors: int, sample: int, baselines: bool = True, read_model_cache: int | None = None):
    return [{"bench": "close_day", "value": 1.0, "met": True, "peak_rss_mb": 100.0 + debtors / 100},
            {"bench": "queries", "value": 1.0, "met": True, "peak_rss_mb": 101.0 + debtors / 100}]


def external_processes(module_code: dict[str, str]):
    """``run_benchmark_process`` with each ``bench.NAME`` module replaced by a ``python -c`` snippet."""
    real = bench_all.run_benchmark_process

    def run(command: list[str], **extra):
        assert command[:2] == [sys.executable, "-m"]
        return real([sys.executable, "-c", module_code[command[2]]], **extra)

    return run


def run_all(capsys) -> tuple[int, dict[str, dict]]:
    status = bench_all.main(["all", "--quick"])
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    return status, {line["bench"]: line for line in lines}


def test_a_benchmark_that_raises_prints_its_failure_line_and_the_next_one_runs(monkeypatch, capsys):
    monkeypatch.setattr(bench_all, "run_suite", canned_suite)
    monkeypatch.setattr(bench_all, "run_benchmark_process",
                        external_processes({"bench.rebuild": RAISES, "bench.ingest": PRINTS}))

    status, lines = run_all(capsys)

    assert status == 1
    assert list(lines) == ["close_day", "queries", "memory", "projection_rebuild_postgres", "ingest"]
    assert lines["projection_rebuild_postgres"] == {
        "bench": "projection_rebuild_postgres", "value": None, "unit": None, "baseline": None, "ratio": None,
        "target": None, "met": False, "error": "RuntimeError: store moved Is it there?",
    }
    assert lines["ingest"]["met"] is True and "error" not in lines["ingest"]
    assert lines["memory"]["met"] is True


def test_a_suite_that_fails_fails_its_benchmarks_and_memory_and_the_others_still_run(monkeypatch, capsys):
    def failing_suite(debtors: int, *args, **kwargs):
        raise BenchmarkFailed("KeyError: 'peak_rss_mb'", canned_suite(debtors, 0)[:1])

    monkeypatch.setattr(bench_all, "run_suite", failing_suite)
    monkeypatch.setattr(bench_all, "run_benchmark_process",
                        external_processes({"bench.rebuild": PRINTS.replace("ingest", "projection_rebuild_postgres"),
                                            "bench.ingest": PRINTS}))

    status, lines = run_all(capsys)

    assert status == 1
    assert lines["close_day"]["met"] is True  # printed before the suite failed
    for bench in ("queries", "memory"):
        assert lines[bench]["met"] is False and lines[bench]["error"] == "KeyError: 'peak_rss_mb'"
    assert lines["projection_rebuild_postgres"]["met"] is True and lines["ingest"]["met"] is True


def test_an_error_inside_all_itself_is_the_benchmarks_error(monkeypatch, capsys):
    def broken_suite(*args, **kwargs):
        raise ValueError("no such size")

    monkeypatch.setattr(bench_all, "run_suite", broken_suite)
    monkeypatch.setattr(bench_all, "run_benchmark_process",
                        external_processes({"bench.rebuild": RAISES, "bench.ingest": PRINTS}))

    status, lines = run_all(capsys)

    assert status == 1
    assert {bench: line["error"] for bench, line in lines.items() if not line["met"]} == {
        "close_day": "ValueError: no such size", "queries": "ValueError: no such size",
        "memory": "ValueError: no such size", "projection_rebuild_postgres": "RuntimeError: store moved Is it there?",
    }


def test_everything_passing_exits_zero(monkeypatch, capsys):
    monkeypatch.setattr(bench_all, "run_suite", canned_suite)
    monkeypatch.setattr(bench_all, "run_benchmark_process",
                        external_processes({"bench.rebuild": PRINTS.replace("ingest", "projection_rebuild_postgres"),
                                            "bench.ingest": PRINTS}))

    status, lines = run_all(capsys)

    assert status == 0 and all(line["met"] for line in lines.values())


def test_an_unreachable_server_is_one_error_naming_the_url_without_its_password(monkeypatch):
    monkeypatch.setenv("LEDGER_DB_URL", "postgresql://bench:secret@127.0.0.1:1/ledger_bench")  # nothing listens on 1

    with pytest.raises(DatabaseUnavailable) as raised:
        base_url()

    message = str(raised.value)
    assert message.startswith("PostgreSQL at postgresql://bench:***@127.0.0.1:1/ledger_bench is not reachable: ")
    assert "secret" not in message and "\n" not in message
