"""``ledger projections ...``: read-model status, rebuild and the runner.

Wired into ``ledger.entrypoints.cli`` with one ``add_typer`` line; errors follow
its conventions (``BadInput``: exit 2, one line on stderr).
"""

from __future__ import annotations

import json
import signal
import sys
import time
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from ledger.entrypoints.bootstrap import services
from ledger.entrypoints.output import text
from ledger.errors import BadInput

projections_cli = typer.Typer(no_args_is_help=True, help="Read models: status, rebuild, run.")
console = Console()
err = Console(stderr=True)


@projections_cli.command("status")
def status(as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False) -> None:
    """Each projection's version, slot, position, lag (events, seconds) and rebuild progress."""
    rows = services.runner().status()
    if as_json:
        sys.stdout.write(json.dumps(rows, indent=2) + "\n")
        return
    out = Table(title="Projections")
    for column in ("name", "version", "slot", "position", "head", "lag_events", "lag_seconds", "rebuilding"):
        out.add_column(column, justify="right" if column not in ("name", "slot", "rebuilding") else "left")
    for r in rows:
        rebuilding = "no"
        if r["rebuilding"]:
            rebuilding = f"v{r['rebuild_version']}{r['rebuild_slot']} at {r['rebuild_position']} " \
                         f"({100 * (r['rebuild_progress'] or 0):.1f}%)"
        version = str(r["version"]) + (f" (code v{r['code_version']})" if r["code_version"] != r["version"] else "")
        # The names and slots are read back from the database: shown as text, never markup.
        out.add_row(*(text(cell) for cell in (r["name"], version, r["slot"], r["position"], r["head"],
                                              r["lag_events"], f"{r['lag_seconds']:.1f}", rebuilding)))
    console.print(out)


@projections_cli.command("rebuild")
def rebuild(
    name: Annotated[str | None, typer.Argument(help="One projection (default: all of them)")] = None,
    batch: Annotated[int, typer.Option("--batch", help="Events per transaction")] = 5000,
    workers: Annotated[int | None, typer.Option(
        "--workers", help="Processes sharing the projections on PostgreSQL (default: one per CPU)")] = None,
) -> None:
    """Rebuild from zero into new tables while the old ones answer, then switch (blue/green)."""
    if batch < 1:
        raise BadInput("--batch", "must be at least 1")
    if workers is not None and workers < 1:
        raise BadInput("--workers", "must be at least 1")
    r = services.runner()
    names = [r.projection(name).name] if name else list(r.projections)
    r.batch_size = batch
    resumed = min((row["rebuild_position"] or 0) if row["rebuilding"] else 0
                  for row in r.status() if row["name"] in names)
    started = time.perf_counter()
    columns: list[Any] = [TextColumn("rebuilding {task.description}"), BarColumn(), MofNCompleteColumn(),
                          TextColumn("{task.fields[rate]} events/s"), TimeElapsedColumn()]
    with Progress(*columns, console=err, transient=False) as bar:
        task = bar.add_task(", ".join(names), total=r.head(), rate="-")

        def progress(position: int, head: int) -> None:
            elapsed = time.perf_counter() - started
            done = position - resumed
            bar.update(task, completed=position, total=max(head, position),
                       rate=f"{done / elapsed:,.0f}" if elapsed > 0 else "-")

        r.rebuild(names, progress, workers=workers)
    elapsed = time.perf_counter() - started
    console.print(f"rebuilt {', '.join(names)} in {elapsed:.1f}s; now answering from the new tables")


@projections_cli.command("run")
def run(
    follow: Annotated[bool, typer.Option("--follow", help="Keep following the log (poll) until stopped")] = False,
    interval: Annotated[float, typer.Option("--interval", help="Seconds between polls when idle")] = 1.0,
) -> None:
    """Catch every projection up with the log (and keep following it with --follow)."""
    r = services.runner()
    if not follow:
        count = r.catch_up()
        console.print(f"caught up: {count} events applied")
        return
    stopping = {"now": False}
    signal.signal(signal.SIGTERM, lambda *_: stopping.update(now=True))
    try:
        r.follow(interval, stop=lambda: stopping["now"])
    except KeyboardInterrupt:
        pass
