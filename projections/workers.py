"""A rebuild's forked worker processes (PostgreSQL).

``Runner.rebuild`` splits the projections into ``groups`` of about equal
cost, one per worker (``cpus`` by default); each worker is a runner of its
own for its group (``rebuild.one_pass``), with their own tracking rows, so
the runner's guarantees hold per projection. The workers report to the
parent through a pipe each, and die with it.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.connection
import os
import signal
import traceback
from collections.abc import Sequence
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import TYPE_CHECKING, Any

from projections import db
from projections.base import Projection
from projections.db import engine_for
from projections.rebuild import one_pass

if TYPE_CHECKING:
    from projections.runner import Progress, Runner


def _die_with(parent: int) -> None:
    """This (forked) process gets SIGKILL when ``parent`` dies (Linux), and
    exits now if it already has."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent:
        os._exit(1)


def cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def groups(chosen: Sequence[Projection], workers: int) -> list[list[Projection]]:
    """At most ``workers`` groups of about equal cost (each projection's
    ``cost``: the heaviest first, each into the lightest group so far)."""
    bins: list[list[Projection]] = [[] for _ in range(max(1, min(workers, len(chosen))))]
    for p in sorted(chosen, key=lambda p: -p.cost):
        min(bins, key=lambda b: sum(q.cost for q in b)).append(p)
    return [b for b in bins if b]


def rebuild_in_processes(runner: Runner, groups: list[list[Projection]], progress: Progress | None,
                         stop_after: int | None) -> bool:
    """Each group rebuilt by a forked process of its own (the imports and
    the decoded configuration are inherited, nothing is pickled); the
    workers report their positions and outcome through a pipe each, and
    die with this process (a SIGKILLed rebuild resumes as a sequential
    one does: every slot from its own position)."""
    context = multiprocessing.get_context("fork")
    parent = os.getpid()
    workers: list[tuple[BaseProcess, Connection]] = []
    try:
        for group in groups:
            reader, writer = context.Pipe(duplex=False)
            process = context.Process(target=_work, args=(runner, group, stop_after, writer, parent),
                                      name=f"rebuild {','.join(p.name for p in group)}", daemon=True)
            process.start()
            writer.close()
            workers.append((process, reader))
        return _gather(workers, progress)
    finally:
        for process, reader in workers:
            if process.is_alive():
                process.terminate()  # this process is being interrupted: the worker's transaction rolls back
            process.join()
            reader.close()


def _gather(workers: list[tuple[BaseProcess, Connection]], progress: Progress | None) -> bool:
    """The workers' reports until each is done, failed or gone: their lowest
    position given to ``progress``; True if every one switched."""
    positions: dict[int, int] = {i: 0 for i in range(len(workers))}
    head = 0
    outcome: dict[int, bool] = {}
    errors: list[str] = []
    while len(outcome) + len(errors) < len(workers):
        open_ = {reader: i for i, (_, reader) in enumerate(workers) if i not in outcome and not reader.closed}
        for reader in multiprocessing.connection.wait(list(open_)):
            i = open_[reader]
            try:
                message = reader.recv()
            except EOFError:  # died without a word (killed)
                reader.close()
                workers[i][0].join()
                errors.append(f"{workers[i][0].name}: exit code {workers[i][0].exitcode}")
                continue
            kind = message[0]
            if kind == "progress":
                positions[i], head = message[1], max(head, message[2])
                if progress:
                    progress(min(positions.values()), head)
            elif kind == "done":
                outcome[i] = message[1]
                positions[i], head = message[2], max(head, message[3])
                reader.close()
            else:
                errors.append(f"{workers[i][0].name}:\n{message[1]}")
                reader.close()
    if errors:
        raise RuntimeError("projection rebuild failed in a worker process: " + "\n".join(errors))
    if progress:
        progress(min(positions.values()), head)
    return all(outcome.values())


def _work(parent_runner: Runner, group: list[Projection], stop_after: int | None, pipe: Any, parent: int) -> None:
    """In a forked worker: rebuild ``group`` with a fresh engine (the
    parent's pooled connections, and its application's, are never
    touched here) and report to ``pipe``."""
    _die_with(parent)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides: Ctrl-C stops it, and it stops us
    db._engines.clear()
    runner = object.__new__(type(parent_runner))
    runner.__dict__.update(parent_runner.__dict__)
    runner.engine = engine_for(parent_runner.db_url)
    try:
        done = one_pass(runner, group, lambda position, head: pipe.send(("progress", position, head)), False,
                        stop_after)
        pipe.send(("done", done, _reached(runner, group), runner.head()))
    except BaseException:  # noqa: BLE001 (any end of the worker, even SystemExit, is told to the parent)
        pipe.send(("error", traceback.format_exc()))
    finally:
        pipe.close()
        runner.engine.dispose()


def _reached(runner: Runner, group: list[Projection]) -> int:
    """The lowest position of ``group``: of the slot each is being rebuilt
    into, or of its active one once switched."""
    with runner.engine.connect() as conn:
        states, positions = runner.states(conn), runner.positions(conn)
        conn.rollback()
    at = []
    for p in group:
        s = states[p.name]
        version, slot = (s.rebuilding_version, s.rebuilding_slot) if s.rebuilding_slot else \
            (s.active_version, s.active_slot)
        at.append(positions.get((p.name, version, slot), 0))
    return min(at)
