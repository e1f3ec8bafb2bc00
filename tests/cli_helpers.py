"""Running the ``ledger`` CLI inside the test process (no interpreter start-up)."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Any

from ledger.application import Ledger
from ledger.entrypoints.cli import main as cli_main


def run_cli(db_url: str, *args: str, capsys) -> tuple[int, str, str]:
    """``ledger --db DB_URL ARGS`` through ``ledger.entrypoints.cli.main``: exit status, stdout and stderr."""
    capsys.readouterr()
    argv = sys.argv
    sys.argv = ["ledger", "--db", db_url, *args]
    try:
        cli_main()
        status = 0
    except SystemExit as done:
        status = done.code if isinstance(done.code, int) else 1
    finally:
        sys.argv = argv
    out = capsys.readouterr()
    return status, out.out, out.err


def stored_events(db_url: str) -> int:
    """How many events the ledger at ``db_url`` holds (a refused command adds none)."""
    ledger = Ledger(db_url)
    try:
        return ledger.recorder.max_notification_id() or 0
    finally:
        ledger.close()


def cli_runner(db_url: str, capsys) -> Callable[..., Any]:
    """``run(*args, expect=0)``: ``run_cli`` that checks the exit status and returns
    the parsed JSON with ``--json``, else ``(stdout, stderr)``; ``run.url`` is the ledger."""
    def run(*args: str, expect: int = 0) -> Any:
        status, out, err = run_cli(db_url, *args, capsys=capsys)
        assert status == expect, err
        return json.loads(out) if "--json" in args and expect == 0 else (out, err)

    run.url = db_url  # type: ignore[attr-defined]
    return run
