"""Work split over processes: a close of day's partitions on PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from typing import Any, TypeVar

R = TypeVar("R")


def in_processes(job: Callable[[Any], R], inputs: Sequence[Any]) -> list[R]:
    """``job`` of each of ``inputs``, each in a process of its own (spawned: a fork
    would share the parent's database connections)."""
    with ProcessPoolExecutor(len(inputs), mp_context=get_context("spawn")) as pool:
        return list(pool.map(job, inputs))
