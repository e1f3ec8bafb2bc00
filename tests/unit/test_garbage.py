"""The collector of a long-running process (``ledger.garbage``): frozen once started,
its young passes spaced, cycles still collected."""

from __future__ import annotations

import gc
import weakref

import pytest

from ledger.garbage import THRESHOLDS, settle_for_long_running


@pytest.fixture
def restored():
    thresholds = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*thresholds)


def test_settling_freezes_what_exists_and_spaces_the_young_passes(restored):
    lasting = [object() for _ in range(1_000)]
    settle_for_long_running()
    assert gc.get_threshold() == THRESHOLDS and THRESHOLDS[0] > 700
    assert gc.get_freeze_count() >= len(lasting)


def test_a_cycle_made_after_settling_is_still_collected(restored):
    settle_for_long_running()

    class Node:
        pass

    node = Node()
    node.itself = node
    gone = weakref.ref(node)
    del node
    gc.collect()
    assert gone() is None
