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
from ledger.errors import BadInput

Bootstrap = Annotated[
    Optional[str],
    typer.Option("--bootstrap", help="Kafka HOST:PORT (env LEDGER_KAFKA_BOOTSTRAP; default localhost:9092)"),
]


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

    @cli.command("consume")
    def consume(
        bootstrap: Bootstrap = None,
        group: Annotated[Optional[str], typer.Option("--group", help="Consumer group (env LEDGER_KAFKA_GROUP)")] = None,
        payments_topic: Annotated[Optional[str], typer.Option("--payments-topic", hidden=True)] = None,
        transfers_topic: Annotated[Optional[str], typer.Option("--transfers-topic", hidden=True)] = None,
        events_topic: Annotated[Optional[str], typer.Option("--events-topic", hidden=True)] = None,
        publish: Annotated[bool, typer.Option("--publish/--no-publish", help="Publish ledger events (§2.3)")] = True,
        max_records: Annotated[Optional[int], typer.Option("--max-records", help="Batch size")] = None,
    ) -> None:
        """Run the Kafka consumers (§2.1, §2.2) and the event publisher (§2.3) until SIGTERM."""
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
        typer.echo(f"stopped: {dict(stats.statuses)}; {stats.published} events published", err=True)
