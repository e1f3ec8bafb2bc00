"""A rebuild split between worker processes (PostgreSQL), SIGKILLed at random
points several times: its workers die with it (nothing moves afterwards), and
the next rebuild resumes each projection from its own position and gives the
rows built incrementally."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from bench.history import generate
from ledger.application import Ledger
from projections.runner import Runner
from tests.integration.projections.helpers import active_rows, mismatches

ROOT = Path(__file__).resolve().parents[3]
RUN = "import sys; from ledger.application import Ledger; from projections.runner import Runner; " \
      "u = sys.argv[1]; r = Runner(Ledger(u), u, batch_size=int(sys.argv[2])); " \
      "r.setup(); print('ready', flush=True); r.rebuild(workers=2); print('done')"


def positions(runner: Runner) -> dict[str, tuple[object, ...]]:
    return {row["name"]: (row["slot"], row["rebuild_slot"], row["rebuild_position"]) for row in runner.status()}


def test_a_sigkilled_parallel_rebuild_resumes_without_loss_or_duplicates(postgres_url: str) -> None:
    app = Ledger(postgres_url)
    try:
        generate(app, seed=23, debtors=12, months=6)
        head = app.recorder.max_notification_id()
        runner = Runner(app, postgres_url)
        runner.catch_up()
        incremental = active_rows(runner)
        rng = random.Random(9)
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        kills, mid_way = 0, 0
        for attempt in range(10):
            process = subprocess.Popen([sys.executable, "-c", RUN, postgres_url, str(rng.choice((5, 9, 15)))],
                                       cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            assert process.stdout is not None
            assert process.stdout.readline().strip() == b"ready", process.stderr.read() if process.stderr else ""
            time.sleep(rng.uniform(0.05, 0.6))
            if process.poll() is None:
                process.send_signal(signal.SIGKILL)
                kills += 1
                process.communicate()
                time.sleep(0.3)
                before = positions(runner)
                mid_way += any(rebuilding is not None and 0 < (at or 0) < head
                               for _, rebuilding, at in before.values())
                time.sleep(0.7)
                assert positions(runner) == before  # its workers died with it
            _, err = process.communicate()
            assert process.returncode in (0, -signal.SIGKILL), err.decode()
            if kills >= 4 and mid_way or process.returncode == 0 and kills >= 3:
                break
        assert kills >= 3 and mid_way >= 1, (kills, mid_way)
        assert runner.rebuild(workers=2)
        assert all(row["position"] == head and not row["rebuilding"] for row in runner.status())
        assert active_rows(runner) == incremental
        assert mismatches(app, runner) == []
    finally:
        app.close()
