"""The garbage collector of a process that runs for long (``ledger consume``, the
projections' ``run --follow``).

Such a process keeps a large heap that lives as long as it does (the modules, the
ledger's configuration, the consumers' cache of aggregates) and makes tens of thousands
of short-lived objects a batch, most of them without cycles (events' dicts, decoded
amounts). The collector's default thresholds ran a young pass every 700 allocations, and
its older passes walked the whole lasting heap: 19 µs of CPU a payment in a consumer's
batch here, 14% of it (``bench.batches``, a ``gc.callbacks`` timer; issue 19). Frozen
once started (``gc.freeze``: what exists then is never scanned again) and with a young
pass every ``YOUNG`` allocations, 1.8 µs. Cycles are still collected, later.
"""

from __future__ import annotations

import gc

YOUNG = 10_000  # allocations between two young passes (the default: 700)
THRESHOLDS = (YOUNG, 20, 10)


def settle_for_long_running() -> None:
    """Collect what start-up left, freeze the rest, and space the young passes."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*THRESHOLDS)
