"""Property: for generated histories, the projections' answers at the current
business date equal ledger/views.py's replayed answers (debt table, clearance,
arrangement, suspense, audit)."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench.history import generate
from ledger.application import Ledger
from projections.runner import Runner
from tests.integration.projections.helpers import mismatches


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), debtors=st.integers(1, 6), months=st.integers(1, 7),
       batch=st.sampled_from([1, 17, 500]))
def test_projections_answer_as_the_replayed_views(seed: int, debtors: int, months: int, batch: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'ledger.db'}"
        app = Ledger(url)
        try:
            runner = Runner(app, url, batch_size=batch)
            generate(app, seed=seed, debtors=debtors, months=months)
            assert mismatches(app, runner) == []
        finally:
            app.close()
