"""Running the ``ledger`` CLI inside the test process (no interpreter start-up)."""

from __future__ import annotations

import sys

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
