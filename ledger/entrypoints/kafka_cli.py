"""Kafka commands of the ``ledger`` CLI: ``ledger consume`` and the bank-file replay
behind ``ledger payment import FILE --to-kafka`` (interfaces §1, §2).

``ledger.entrypoints.cli`` registers them (``register``).
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from consumers.kafka_io import bootstrap_servers, read_payment_file, replay_payments
from consumers.messages import MessageFormatError
from consumers.topics import BANK_PAYMENTS, ensure_topics
from ledger.application import Ledger
from ledger.entrypoints.bootstrap import services
from ledger.entrypoints.options import FLAG, Bootstrap
from ledger.errors import BadInput
from ledger.i18n import _



def import_to_kafka(path: Path, bootstrap: str | None, topic: str | None = None) -> int:
    """Replay a bank file (JSON Lines, §2.1) into the payments topic, checked whole first."""
    try:
        records = read_payment_file(path)
    except MessageFormatError as error:
        raise BadInput(error.message_type, "; ".join(error.problems)) from None
    server = bootstrap_servers(bootstrap)
    topic = topic or BANK_PAYMENTS
    ensure_topics(server, topics=[topic])
    return replay_payments(records, server, topic)


def register(cli: typer.Typer) -> None:
    """Add ``consume`` to the ``ledger`` CLI."""

    @cli.command("consume", help=_("Run the Kafka consumers (§2.1, §2.2) and the event publisher (§2.3) until "
                                   "SIGTERM."))
    def consume(
        bootstrap: Bootstrap = None,
        group: Annotated[Optional[str], typer.Option("--group", metavar="GROUP", help=_(
            "Kafka consumer group (env LEDGER_KAFKA_GROUP)."))] = None,
        payments_topic: Annotated[Optional[str], typer.Option("--payments-topic", hidden=True)] = None,
        transfers_topic: Annotated[Optional[str], typer.Option("--transfers-topic", hidden=True)] = None,
        events_topic: Annotated[Optional[str], typer.Option("--events-topic", hidden=True)] = None,
        publish: Annotated[bool, typer.Option("--publish/--no-publish", metavar=FLAG, help=_(
            "Publish ledger events on keao.ledger-events (§2.3), or not."))] = True,
        max_records: Annotated[Optional[int], typer.Option("--max-records", metavar="N", help=_(
            "The most messages a batch takes."))] = None,
    ) -> None:
        from consumers.service import ConsumeConfig, run, stop_on_signals

        stop_requested = stop_on_signals()

        logging.basicConfig(level=logging.INFO, stream=sys.stderr,
                            format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        logging.getLogger("aiokafka").setLevel(logging.WARNING)
        logging.getLogger("kafka").setLevel(logging.WARNING)
        config = ConsumeConfig.from_env(
            bootstrap_servers(bootstrap), group_id=group, payments_topic=payments_topic,
            transfers_topic=transfers_topic, events_topic=events_topic, max_records=max_records,
        )
        if not publish:
            config.publish = False
        ledger = Ledger(services.url())  # its own, closed when it stops
        try:
            stats = run(ledger, config, stop_requested)
        finally:
            stop_on_signals()
            ledger.close()
        typer.echo(_("stopped: {statuses}; {count} events published").format(
            statuses=dict(stats.statuses), count=stats.published), err=True)
