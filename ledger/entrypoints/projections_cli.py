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
from ledger.entrypoints.bootstrap import services
from ledger.entrypoints.options import FLAG, JsonFlag, one_of
from ledger.entrypoints.output import console, table
from ledger.errors import BadInput
from ledger.i18n import _, ngettext
from projections import figures
from projections.runner import PROJECTIONS, Runner

projections_cli = typer.Typer(no_args_is_help=True, help=_("Read models: status, rebuild, run."))
err = Console(stderr=True)
PROJECTION_NAMES = tuple(p.name for p in PROJECTIONS)


@projections_cli.command("status", help=_("Each projection's version, slot, position, lag (events, seconds) and "
                                          "rebuild progress."))
def status(as_json: JsonFlag = False) -> None:
    rows = services.runner().status()
    if as_json:
        sys.stdout.write(json.dumps(rows, indent=2) + "\n")
        return
    shown = [{**r, "version": described_version(r), "lag_seconds": f"{r['lag_seconds']:.1f}",
              "rebuilding": rebuild_progress(r)} for r in rows]
    console.print(table(_("Projections"), shown, ["name", "version", "slot", "position", "head", "lag_events",
                                                  "lag_seconds", "rebuilding"]))


def described_version(row: dict[str, Any]) -> str:
    if row["code_version"] == row["version"]:
        return str(row["version"])
    return _("{version} (code v{code_version})").format(version=row["version"], code_version=row["code_version"])


def rebuild_progress(row: dict[str, Any]) -> str:
    if not row["rebuilding"]:
        return _("no")
    return _("v{version}{slot} at {position} ({percent}%)").format(
        version=row["rebuild_version"], slot=row["rebuild_slot"], position=row["rebuild_position"],
        percent=f"{100 * (row['rebuild_progress'] or 0):.1f}")


@projections_cli.command("rebuild", help=_("Rebuild from zero into new tables while the old ones answer, then "
                                           "switch (blue/green)."))
def rebuild(
    name: Annotated[str | None, typer.Argument(metavar="NAME", help=_(
        "One projection: {names} (default: all of them).").format(names=one_of(PROJECTION_NAMES)))] = None,
    batch: Annotated[int, typer.Option("--batch", metavar="N", help=_("Events per transaction."))] = 5000,
    workers: Annotated[int | None, typer.Option("--workers", metavar="N", help=_(
        "Processes sharing the projections on PostgreSQL (default: one per CPU)."))] = None,
) -> None:
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
    columns: list[Any] = [TextColumn(_("rebuilding {task.description}")), BarColumn(), MofNCompleteColumn(),
                          TextColumn(_("{task.fields[rate]} events/s")), TimeElapsedColumn()]
    with Progress(*columns, console=err, transient=False) as bar:
        task = bar.add_task(", ".join(names), total=r.head(), rate="-")

        def progress(position: int, head: int) -> None:
            elapsed = time.perf_counter() - started
            done = position - resumed
            bar.update(task, completed=position, total=max(head, position),
                       rate=f"{done / elapsed:,.0f}" if elapsed > 0 else "-")

        r.rebuild(names, progress, workers=workers)
    elapsed = time.perf_counter() - started
    console.print(_("rebuilt {names} in {seconds}s; now answering from the new tables").format(
        names=", ".join(names), seconds=f"{elapsed:.1f}"))
    if "directory" in names:  # its new tables start without the lists' figures
        refresh_figures(r)


def refresh_figures(r: Runner) -> None:
    refreshed = figures.refresh(r)
    console.print(ngettext("figures of {count} debtor refreshed for the lists",
                           "figures of {count} debtors refreshed for the lists", refreshed).format(count=refreshed))


@projections_cli.command("run", help=_("Catch every projection up with the log and refresh the operators' "
                                       "figures (and keep following it with --follow)."))
def run(
    follow: Annotated[bool, typer.Option("--follow", metavar=FLAG, help=_(
        "Keep following the log (poll) until stopped (SIGTERM)."))] = False,
    interval: Annotated[float, typer.Option("--interval", metavar="SECONDS", help=_(
        "Seconds between polls when idle."))] = 1.0,
) -> None:
    r = services.runner()
    if not follow:
        count = r.catch_up()
        console.print(ngettext("caught up: {count} event applied", "caught up: {count} events applied", count).format(
            count=count))
        refresh_figures(r)
        return
    stopping = {"now": False}
    signal.signal(signal.SIGTERM, lambda *_: stopping.update(now=True))
    try:
        r.follow(interval, stop=lambda: stopping["now"], then=lambda: figures.refresh(r))
    except KeyboardInterrupt:
        pass
