"""Killing the runner at random points (SIGKILL, several times) and restarting
loses or duplicates nothing: the rows equal a clean rebuild's."""

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
      "u = sys.argv[1]; Runner(Ledger(u), u, batch_size=int(sys.argv[2])).catch_up(); print('done')"


def test_sigkilled_runner_resumes_without_loss_or_duplicates(db_url: str) -> None:
    app = Ledger(db_url)
    try:
        generate(app, seed=21, debtors=30, months=6)
        head = app.recorder.max_notification_id()
        rng = random.Random(7)
        kills = 0
        killed_at = []
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        for attempt in range(12):
            process = subprocess.Popen([sys.executable, "-c", RUN, db_url, str(rng.choice((1, 2)))],
                                       cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            # Once any read model has applied something (start-up takes ~0.5 s), somewhere
            # mid-batch: the runner catches the read models up one after another, so waiting
            # for all of them to start (the slowest's position) let a loaded machine's run end first.
            watcher = Runner(app, db_url)
            deadline = time.monotonic() + 20
            while process.poll() is None and time.monotonic() < deadline and \
                    max(row["position"] for row in watcher.status()) == 0:
                time.sleep(0.02)
            time.sleep(rng.uniform(0.0, 0.2))
            if process.poll() is None:
                process.send_signal(signal.SIGKILL)
                kills += 1
                process.communicate()
                positions = [row["position"] for row in Runner(app, db_url).status()]
                killed_at.append((min(positions), max(positions)))
            _, err = process.communicate()
            assert process.returncode in (0, -signal.SIGKILL), err.decode()
            if process.returncode == 0 and kills >= 3:
                break
        assert kills >= 3
        assert any(least < head and most > 0 for least, most in killed_at), (killed_at, head)  # killed mid-way
        runner = Runner(app, db_url)
        runner.catch_up()
        assert all(row["position"] == head for row in runner.status())
        incremental = active_rows(runner)
        runner.rebuild()
        assert active_rows(runner) == incremental
        assert mismatches(app, runner) == []
    finally:
        app.close()
